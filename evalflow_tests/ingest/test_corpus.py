"""The bad-input corpus end to end (without Dagster): every record kept or quarantined
with its reason, and every file's reconciliation exact."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pandas as pd
import pytest

from evalflow.config import Paths, Settings, load_settings
from evalflow.ingest.pipeline import IngestResult, ingest_day
from evalflow_tests.conftest import DEFAULT_CONFIG
from evalflow_tests.ingest import corpus as C


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """One corpus home for the module (ingest_day takes its paths explicitly)."""
    root = tmp_path_factory.mktemp("corpus") / "home"
    root.mkdir()
    if DEFAULT_CONFIG.exists():
        shutil.copy(DEFAULT_CONFIG, root / "evalflow.yaml")
    paths = Paths(root)
    C.write_corpus(paths.landing)
    return paths


@pytest.fixture(scope="module")
def days(corpus_home: Paths) -> dict[dt.date, IngestResult]:
    settings = load_settings(corpus_home.config_file)
    return {d: ingest_day(corpus_home, settings, d) for d in (C.D1, C.D2)}


def test_every_record_kept_or_quarantined_with_reason(days: dict[dt.date, IngestResult]) -> None:
    kept = pd.concat([r.rows.assign(_day=d) for d, r in days.items()])
    quarantined = pd.concat([r.quarantine for r in days.values()])
    seen_kept = {
        (f, int(n)): (i, d)
        for f, n, i, d in kept[["source_file", "source_line", "interaction_id", "_day"]].itertuples(
            index=False
        )
    }
    seen_q = {
        (f, None if pd.isna(n) else int(n)): (reason, field, pd.Timestamp(day).date())
        for f, n, reason, field, day in quarantined[
            ["source_file", "source_line", "reason", "field", "day"]
        ].itertuples(index=False)
    }
    for file, lines in C.EXPECTED_LINES.items():
        for line, expected in lines.items():
            key = (file, line)
            if expected[0] == "kept":
                assert seen_kept.pop(key) == (expected[1], expected[2]), key
            elif expected[0] == "quarantined":
                reason, field, day = seen_q.pop(key)
                assert (reason, None if pd.isna(field) else field, day) == expected[1:], key
            else:  # folded into a later write: in neither table
                assert key not in seen_kept and key not in seen_q, key
    assert seen_kept == {} and seen_q == {}, "records no expectation accounts for"


def test_per_file_per_day_reconciliation_is_exact(days: dict[dt.date, IngestResult]) -> None:
    got = {}
    for day, result in days.items():
        for r in result.reconciliation.itertuples(index=False):
            got[(r.source_file, day)] = (r.records_read, r.kept, r.quarantined, r.duplicates)
            assert r.balanced
    assert got == C.EXPECTED_DAYS
    assert days[C.D1].totals() == {
        "records_read": 35,
        "kept": 15,
        "quarantined": 17,
        "duplicates": 3,
    }
    assert days[C.D2].totals() == {"records_read": 12, "kept": 3, "quarantined": 9, "duplicates": 0}


def test_landing_files_whole_file_totals(days: dict[dt.date, IngestResult]) -> None:
    files = days[C.D1].landing_files.set_index("source_file")
    got = {
        f: (r.records_read, r.kept, r.quarantined, r.duplicates, r.blank_lines)
        for f, r in files.iterrows()
    }
    assert got == C.EXPECTED_FILES
    assert files.loc["batch/good.jsonl", "days"] == "2026-10-05,2026-10-06"
    assert files.loc["empty.jsonl", "days"] == ""
    assert files.loc["batch/good.jsonl", "naive_timestamps"] == 1
    assert days[C.D1].ignored_files == C.EXPECTED_IGNORED


def test_ids_per_day_and_never_truth_or_hidden(days: dict[dt.date, IngestResult]) -> None:
    assert set(days[C.D1].rows["interaction_id"]) == C.D1_IDS
    assert set(days[C.D2].rows["interaction_id"]) == C.D2_IDS
    assert len(days[C.D1].rows) == len(C.D1_IDS)
    everything = pd.concat([r.rows for r in days.values()])
    assert not {"t-1", "h-1"} & set(everything["interaction_id"])
    assert not everything["source_file"].str.contains("_truth|hidden|links/").any()
    quarantined = pd.concat([r.quarantine for r in days.values()])
    assert not quarantined["raw"].str.contains(C.SECRET).any()
    assert not quarantined["source_file"].str.startswith("links/").any()


def test_values_are_byte_exact_and_typed(days: dict[dt.date, IngestResult]) -> None:
    rows = pd.concat([r.rows for r in days.values()]).set_index("interaction_id")
    g1 = rows.loc["g-1"]
    assert g1["query"] == C.XSS and g1["response"] == C.SQLI
    assert g1["timestamp"] == pd.Timestamp("2026-10-05 08:00:00")
    assert (g1["seg_queue"], g1["seg_customer_tier"]) == ("billing", "pro")
    assert json.loads(g1["segment_json"])["urgency"] == "high"
    assert list(g1["context"]) == ["p1", "p2"]
    assert (g1["latency_ms"], g1["tokens_in"], g1["cost_usd"]) == (1200.0, 300.0, 0.0012)
    assert g1["feedback_rating"] == "up" and bool(g1["feedback_copied"]) is True
    assert pd.isna(g1["feedback_edited"])
    assert not g1["outcome_escalated"] and g1["outcome_resolution_minutes"] == 12.5
    assert (g1["turn"], g1["traffic_share"], g1["rollout_arm"]) == (1, 0.1, "control")
    assert pd.isna(g1["extra_json"])
    g2 = rows.loc["g-2"]  # 23:30 at -05:00 is 04:30 the next day in UTC
    assert g2["query"] == C.EMOJI_Q and g2["response"] == C.EMOJI_R
    assert g2["timestamp"] == pd.Timestamp("2026-10-06 04:30:00")
    assert list(g2["context"]) == ["single passage"]
    assert rows.loc["g-3", "timestamp"] == pd.Timestamp("2026-10-05 01:00:00")
    assert rows.loc["g-4", "timestamp"] == pd.Timestamp("2026-10-05 12:00:00")
    assert json.loads(rows.loc["g-4", "extra_json"]) == {
        "new_field": {"a": 1},
        "feedback": {"mood": "angry"},
    }
    assert rows.loc["g-5", "timestamp"] == pd.Timestamp("2026-10-05 09:15:00")
    g6 = rows.loc["g-6"]
    assert g6["timestamp"] == pd.Timestamp("2026-10-05 04:30:00.123456")
    assert g6["response"] == "" and g6["error"] == "upstream timeout"
    assert rows.loc["g-7", "query"] == "resend of g-7"
    assert rows.loc["g-8", "query"] == "moved"
    assert rows.loc["b-17", "response"] == "fine"  # a broken re-send does not erase it
    assert rows.loc["c-3", "query"] == "après"
    v1 = rows.loc["v-1"]
    assert v1["query"] == 'hello, "world"' and v1["response"] == "line1\nline2"
    assert (v1["seg_queue"], v1["seg_urgency"]) == ("outage", "critical")
    assert v1["feedback_rating"] == "up" and bool(v1["feedback_copied"]) is True
    assert v1["latency_ms"] == 250.5 and list(v1["context"]) == ["a", "b"]
    assert json.loads(v1["extra_json"]) == {"extra_col": "x"}
    assert bool(rows.loc["v-2", "feedback_copied"]) is False
    assert list(rows.loc["v-2", "context"]) == ["plain passage"]
    p1 = rows.loc["p-1"]
    assert pd.isna(p1["latency_ms"])  # NaN in a Parquet float column is missing, not a number
    assert p1["seg_queue"] == "shipping" and p1["turn"] == 1
    assert rows.loc["p-2", "timestamp"] == pd.Timestamp("2026-10-05 23:59:59.999999")
    assert days[C.D1].naive_timestamps == 1


def test_quarantine_keeps_original_text(days: dict[dt.date, IngestResult]) -> None:
    q = pd.concat([r.quarantine for r in days.values()]).set_index(["source_file", "source_line"])
    assert q.loc[("bytes/bom_crlf.jsonl", 2), "raw"].startswith('{"interaction_id":"c-2"')
    assert "\\xFF\\xFE byte" in q.loc[("bytes/bom_crlf.jsonl", 2), "raw"]
    assert q.loc[("export.csv", 6), "raw"] == "v-5,2026-10-05T21:00:00Z,caf\\xE9,r,,,,,,"
    assert q.loc[("batch/broken.jsonl", 18), "raw"].endswith('"query":"q","resp')
    assert len(q.loc[("batch/broken.jsonl", 16), "raw"]) == 2000
    assert len(q.loc[("huge.jsonl", 1), "raw"]) == 2000
    unreadable = q.xs("corrupt.parquet", level="source_file")
    assert unreadable["reason"].tolist() == ["unreadable file"]


def test_rerun_reuses_staging_and_is_identical(
    corpus_home: Paths, days: dict[dt.date, IngestResult]
) -> None:
    again = ingest_day(corpus_home, load_settings(corpus_home.config_file), C.D1)
    assert again.parsed_files == []
    pd.testing.assert_frame_equal(again.rows, days[C.D1].rows)
    pd.testing.assert_frame_equal(again.quarantine, days[C.D1].quarantine)


def test_naive_timestamp_policy_quarantine(home: Paths) -> None:
    C.write_corpus(home.landing)
    settings = load_settings(home.config_file)
    strict = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"naive_timestamps": "quarantine"})}
    )
    result = ingest_day(home, strict, C.D1)
    assert "g-5" not in set(result.rows["interaction_id"])
    naive = result.quarantine[result.quarantine["reason"] == "timestamp without offset"]
    assert naive[["source_file", "source_line"]].values.tolist() == [["batch/good.jsonl", 5]]
    assert Settings().ingest.naive_timestamps == "utc"
