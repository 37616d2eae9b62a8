"""Human label files: every accepted spelling, every kind of bad row, vote resolution."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from evalflow.calibration.labels import (
    labeler_votes,
    labels_fingerprint,
    load_labels,
    parse_passed,
    resolve_labels,
    unescape_cell,
)


def _write(path: Path, text: str, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" Yes ", True),
        ("1", True),
        ("pass", True),
        ("PASS", True),
        ("false", False),
        ("No", False),
        ("0", False),
        ("FAIL", False),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("maybe", None),
        ("2", None),
        (2, None),
        ("", None),
        (None, None),
        ([], None),
    ],
)
def test_parse_passed_spellings(raw: object, expected: bool | None) -> None:
    assert parse_passed(raw) is expected


def test_csv_and_jsonl_in_subfolders_are_read(tmp_path: Path) -> None:
    _write(
        tmp_path / "team_a" / "week1.csv",
        "Interaction_ID,Criterion,Passed,labeler,labelled_at,note\n"
        'i1,faithfulness,fail,ana,2026-10-05T10:00:00+02:00,"made up a refund, policy"\n'
        "i2,Safety,YES,ana,,\n",
    )
    _write(
        tmp_path / "b.jsonl",
        json.dumps({"interaction_id": "i3", "criterion": "relevance", "passed": False})
        + "\n\n"
        + json.dumps(
            {"interaction_id": "i4", "criterion": "helpfulness", "passed": 1, "labeler": "bo"}
        )
        + "\n",
    )
    labels, quarantine = load_labels(tmp_path)
    assert quarantine.empty
    got = labels.set_index("interaction_id")
    assert list(labels.sort_values("interaction_id")["passed"]) == [False, True, False, True]
    assert got.loc["i2", "criterion"] == "safety"
    assert got.loc["i1", "note"] == "made up a refund, policy"
    assert got.loc["i1", "labelled_at"] == pd.Timestamp("2026-10-05 08:00:00")  # UTC
    assert pd.isna(got.loc["i2", "labelled_at"])
    assert got.loc["i3", "labeler"] == "unknown"
    assert got.loc["i1", "source_file"] == "team_a/week1.csv"
    assert got.loc["i2", "source_line"] == 3
    assert got.loc["i4", "source_line"] == 3  # blank line 2 is skipped, not counted


def test_every_bad_row_kind_is_quarantined_never_dropped(tmp_path: Path) -> None:
    _write(
        tmp_path / "labels.csv",
        "interaction_id,criterion,passed\n"
        "ok1,faithfulness,true\n"  # 2: good
        "b1,hallucinaton,true\n"  # 3: unknown criterion
        "b2,safety,sure\n"  # 4: unparseable passed
        ",safety,false\n"  # 5: missing id
        "b3,relevance,\n"  # 6: passed empty (row not labelled)
        "b4,,false\n",  # 7: criterion empty
    )
    _write(
        tmp_path / "more.jsonl",
        '{"interaction_id": "ok2", "criterion": "safety", "passed": "no"}\n'
        '{"interaction_id": "b5", "criterion": "safety", "passed": tru\n'
        '["not", "an", "object"]\n',
    )
    _write(tmp_path / "wrong_header.csv", "id,crit,verdict\nx,safety,true\n")
    _write(tmp_path / "export.xlsx", "binary-ish")
    (tmp_path / "latin1.csv").write_bytes(
        "interaction_id,criterion,passed\nx,safety,n\xe3o\n".encode("latin-1")
    )
    _write(tmp_path / ".hidden" / "ignored.csv", "interaction_id,criterion,passed\nh,safety,x\n")

    labels, quarantine = load_labels(tmp_path)

    assert sorted(labels["interaction_id"]) == ["ok1", "ok2"]
    q = {
        (r.file, None if pd.isna(r.line) else int(r.line)): r.reason
        for r in quarantine.itertuples()
    }
    assert q[("labels.csv", 3)].startswith("unknown_criterion: 'hallucinaton'")
    assert q[("labels.csv", 4)].startswith("bad_passed: 'sure'")
    assert q[("labels.csv", 5)] == "missing_interaction_id"
    assert q[("labels.csv", 6)].startswith("passed_empty")
    assert q[("labels.csv", 7)].startswith("unknown_criterion: '(empty)'")
    assert q[("more.jsonl", 2)].startswith("bad_json")
    assert q[("more.jsonl", 3)] == "bad_json: line is not a JSON object"
    assert q[("wrong_header.csv", 1)].startswith(
        "missing_columns: interaction_id, criterion, passed"
    )
    assert q[("export.xlsx", None)].startswith("unsupported_file_type: .xlsx")
    assert q[("latin1.csv", None)].startswith("unreadable_file: not UTF-8")
    assert len(quarantine) == 10
    assert not any(f.startswith(".hidden") for f in quarantine["file"])
    # Every data row of every readable label file is accounted for.
    assert len(labels) + len(quarantine[quarantine["file"].isin(["labels.csv", "more.jsonl"])]) == 9
    assert quarantine.loc[quarantine["file"] == "labels.csv", "raw"].str.len().gt(0).all()


def test_multiline_csv_fields_keep_their_start_line(tmp_path: Path) -> None:
    _write(
        tmp_path / "l.csv",
        "interaction_id,criterion,passed,note\n"
        'a,safety,true,"line one\nline two"\n'
        "b,safety,nope,\n",
    )
    labels, quarantine = load_labels(tmp_path)
    assert labels.loc[0, "note"] == "line one\nline two"
    assert quarantine.loc[0, "line"] == 4


def test_custom_criteria_and_missing_folder(tmp_path: Path) -> None:
    _write(tmp_path / "l.csv", "interaction_id,criterion,passed\na,cites_policy,true\n")
    labels, quarantine = load_labels(tmp_path, criteria=["faithfulness", "cites_policy"])
    assert list(labels["criterion"]) == ["cites_policy"] and quarantine.empty
    labels, quarantine = load_labels(tmp_path / "nope")
    assert labels.empty and quarantine.empty
    assert list(labels.columns)[:3] == ["interaction_id", "criterion", "passed"]


def test_spreadsheet_escape_is_undone(tmp_path: Path) -> None:
    assert unescape_cell("'=cmd") == "=cmd"
    assert unescape_cell("''quoted") == "'quoted"
    assert unescape_cell("'plain") == "'plain"
    _write(tmp_path / "l.csv", "interaction_id,criterion,passed\n'-abc,safety,false\n")
    labels, _ = load_labels(tmp_path)
    assert labels.loc[0, "interaction_id"] == "-abc"


def test_majority_vote_ties_go_to_latest_and_relabels_correct(tmp_path: Path) -> None:
    _write(
        tmp_path / "l.csv",
        "interaction_id,criterion,passed,labeler,labelled_at\n"
        # x: 2 fail vs 1 pass -> fail
        "x,safety,fail,ana,2026-10-01\n"
        "x,safety,fail,bo,2026-10-02\n"
        "x,safety,pass,cy,2026-10-03\n"
        # y: 1-1 tie, latest (bo, 10-04) says pass
        "y,safety,fail,ana,2026-10-03\n"
        "y,safety,pass,bo,2026-10-04\n"
        # z: ana relabels (correction): only her latest vote counts -> one labeler
        "z,safety,fail,ana,2026-10-01\n"
        "z,safety,pass,ana,2026-10-02\n",
    )
    labels, _ = load_labels(tmp_path)
    assert len(labels) == 7  # every vote kept for inter-rater agreement
    assert len(labeler_votes(labels)) == 6
    res = resolve_labels(labels).set_index("interaction_id")
    assert not res.loc["x", "human_passed"] and res.loc["x", "n_labelers"] == 3
    assert res.loc["x", "n_fail_votes"] == 2 and res.loc["x", "n_pass_votes"] == 1
    assert res.loc["y", "human_passed"]
    assert res.loc["z", "human_passed"] and res.loc["z", "n_labelers"] == 1


def test_tie_without_timestamps_uses_file_time(tmp_path: Path) -> None:
    _write(
        tmp_path / "old.csv",
        "interaction_id,criterion,passed,labeler\nq,safety,pass,ana\n",
        mtime=1_700_000_000,
    )
    _write(
        tmp_path / "new.csv",
        "interaction_id,criterion,passed,labeler\nq,safety,fail,bo\n",
        mtime=1_800_000_000,
    )
    labels, _ = load_labels(tmp_path)
    assert not resolve_labels(labels).loc[0, "human_passed"]
    os.utime(tmp_path / "old.csv", (1_900_000_000, 1_900_000_000))
    labels, _ = load_labels(tmp_path)
    assert resolve_labels(labels).loc[0, "human_passed"]


def test_resolve_empty_and_fingerprint_changes(tmp_path: Path) -> None:
    labels, _ = load_labels(tmp_path)
    assert resolve_labels(labels).empty
    before = labels_fingerprint(tmp_path)
    _write(tmp_path / "l.csv", "interaction_id,criterion,passed\na,safety,true\n")
    assert labels_fingerprint(tmp_path) != before
