"""Staging (parse once, keyed by content) and global last-write-wins across files and days."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from evalflow.config import Paths, Settings
from evalflow.ingest import normalize as N
from evalflow.ingest import readers as R
from evalflow.ingest import schema as S
from evalflow.ingest import staging as ST
from evalflow.ingest.pipeline import ingest_day, landing_days

D1, D2 = dt.date(2026, 10, 5), dt.date(2026, 10, 6)
SETTINGS = Settings()
LIMITS = N.Limits.from_settings(SETTINGS.ingest)


def rec(i: str, ts: str, q: str = "q") -> str:
    return json.dumps({"interaction_id": i, "timestamp": ts, "query": q, "response": "r"})


def put(home: Paths, rel: str, lines: list[str], mtime: float) -> Path:
    path = home.landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, (mtime, mtime))
    return path


def ids(home: Paths, day: dt.date) -> dict[str, str]:
    rows = ingest_day(home, SETTINGS, day).rows
    return dict(zip(rows["interaction_id"], rows["query"], strict=True))


def test_files_are_parsed_once_and_reparsed_when_changed(
    home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(home, "a.jsonl", [rec("a", "2026-10-05T10:00:00Z")], 1000)
    put(home, "b.jsonl", [rec("b", "2026-10-05T11:00:00Z")], 1001)
    first = ingest_day(home, SETTINGS, D1)
    assert sorted(first.parsed_files) == ["a.jsonl", "b.jsonl"]

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"unchanged {path} was hashed again")

    monkeypatch.setattr(R, "file_sha256", no_hashing)
    assert ingest_day(home, SETTINGS, D1).parsed_files == []
    monkeypatch.undo()
    put(home, "b.jsonl", [rec("b", "2026-10-05T11:00:00Z", "edited")], 1002)
    again = ingest_day(home, SETTINGS, D1)
    assert again.parsed_files == ["b.jsonl"]
    assert dict(zip(again.rows["interaction_id"], again.rows["query"], strict=True)) == {
        "a": "q",
        "b": "edited",
    }
    staged = [p.name for p in home.staging.iterdir() if p.is_dir()]
    assert len(staged) == 2  # the old copy of b.jsonl was pruned
    (home.landing / "a.jsonl").unlink()
    assert ids(home, D1) == {"b": "edited"}
    assert len([p for p in home.staging.iterdir() if p.is_dir()]) == 1


def test_changed_limits_give_a_new_staging_key(home: Paths) -> None:
    put(home, "a.jsonl", [rec("a", "2026-10-05T10:00:00Z", "x" * 50)], 1000)
    assert ingest_day(home, SETTINGS, D1).rows["interaction_id"].tolist() == ["a"]
    tight = SETTINGS.model_copy(
        update={"ingest": SETTINGS.ingest.model_copy(update={"max_field_bytes": 10})}
    )
    result = ingest_day(home, tight, D1)
    assert result.parsed_files == ["a.jsonl"]
    assert result.quarantine["reason"].tolist() == [S.OVERSIZED_FIELD]


def test_last_write_wins_by_mtime_then_path_then_line(home: Paths) -> None:
    put(home, "z-older.jsonl", [rec("x", "2026-10-05T10:00:00Z", "oldest")], 1000)
    put(home, "b.jsonl", [rec("x", "2026-10-05T10:00:00Z", "same-mtime-b")], 2000)
    put(
        home,
        "a.jsonl",
        [rec("x", "2026-10-05T10:00:00Z", "same-mtime-a"), rec("y", "2026-10-05T10:00:00Z", "y1")],
        2000,
    )
    put(
        home,
        "c.jsonl",
        [rec("y", "2026-10-05T10:00:00Z", "y2"), rec("y", "2026-10-05T09:00:00Z", "y3")],
        1500,
    )
    result = ingest_day(home, SETTINGS, D1)
    got = dict(zip(result.rows["interaction_id"], result.rows["query"], strict=True))
    # x: a.jsonl and b.jsonl share an mtime, b sorts after a; y: a.jsonl (2000) is newer than c (1500)
    assert got == {"x": "same-mtime-b", "y": "y1"}
    rec_ = result.reconciliation.set_index("source_file")
    assert rec_.loc["z-older.jsonl", "duplicates"] == 1
    assert rec_.loc["c.jsonl", "duplicates"] == 2
    assert rec_["balanced"].all()


def test_identical_files_at_two_paths_share_staging(home: Paths) -> None:
    lines = [rec("a", "2026-10-05T10:00:00Z")]
    put(home, "copy1.jsonl", lines, 1000)
    put(home, "copy2.jsonl", lines, 1001)
    result = ingest_day(home, SETTINGS, D1)
    assert result.rows["source_file"].tolist() == ["copy2.jsonl"]
    assert result.reconciliation.set_index("source_file")["duplicates"].to_dict() == {
        "copy1.jsonl": 1,
        "copy2.jsonl": 0,
    }
    assert len([p for p in home.staging.iterdir() if p.is_dir()]) == 1


def test_an_id_resent_later_moves_days(home: Paths) -> None:
    put(
        home,
        "day1.jsonl",
        [rec("m", "2026-10-05T10:00:00Z", "v1"), rec("s", "2026-10-05T11:00:00Z")],
        1000,
    )
    assert ids(home, D1) == {"m": "v1", "s": "q"}
    put(home, "later.jsonl", [rec("m", "2026-10-06T10:00:00Z", "v2")], 2000)
    assert ids(home, D1) == {"s": "q"}
    assert ids(home, D2) == {"m": "v2"}
    d1 = ingest_day(home, SETTINGS, D1).reconciliation.set_index("source_file")
    assert (d1.loc["day1.jsonl", "records_read"], d1.loc["day1.jsonl", "duplicates"]) == (2, 1)
    assert landing_days(home, SETTINGS) == {"day1.jsonl": [D1], "later.jsonl": [D2]}


def test_a_broken_resend_does_not_erase_the_valid_write(home: Paths) -> None:
    put(home, "a.jsonl", [rec("k", "2026-10-05T10:00:00Z", "good")], 1000)
    put(
        home,
        "b.jsonl",
        [
            json.dumps(
                {
                    "interaction_id": "k",
                    "timestamp": "2026-10-05T12:00:00Z",
                    "query": "",
                    "response": "r",
                }
            )
        ],
        2000,
    )
    result = ingest_day(home, SETTINGS, D1)
    assert result.rows["query"].tolist() == ["good"]
    assert result.quarantine[["source_file", "reason"]].values.tolist() == [["b.jsonl", S.EMPTY]]


def test_undated_quarantine_goes_to_earliest_valid_day_or_mtime_day(home: Paths) -> None:
    put(
        home,
        "mixed.jsonl",
        ["{oops", rec("a", "2026-10-06T10:00:00Z"), rec("b", "2026-10-05T10:00:00Z")],
        1000,
    )
    noon_d2 = dt.datetime(2026, 10, 6, 12, tzinfo=dt.UTC).timestamp()
    put(home, "allbad.jsonl", ["{oops", "[1]"], noon_d2)
    d1, d2 = ingest_day(home, SETTINGS, D1), ingest_day(home, SETTINGS, D2)
    assert d1.quarantine[["source_file", "source_line"]].values.tolist() == [["mixed.jsonl", 1]]
    assert d2.quarantine[["source_file", "source_line"]].values.tolist() == [
        ["allbad.jsonl", 1],
        ["allbad.jsonl", 2],
    ]
    assert landing_days(home, SETTINGS)["allbad.jsonl"] == [D2]


def test_a_record_that_breaks_the_fast_parser_is_isolated(
    home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = N.build_sql

    def fragile(source: str, lenient: bool) -> str:
        return real(source, lenient).replace(
            "    query,\n    response,",
            "    CASE WHEN query = 'BOOM' THEN error('parser bug') ELSE query END AS query,\n    response,",
        )

    monkeypatch.setattr(N, "build_sql", fragile)
    lines = [
        rec(f"i-{n}", "2026-10-05T10:00:00Z", "BOOM" if n in (3, 7) else "fine")
        for n in range(1, 9)
    ]
    put(home, "f.jsonl", ["", *lines], 1000)
    result = ingest_day(home, SETTINGS, D1)
    assert len(result.rows) == 6
    q = result.quarantine
    assert q[["source_line", "reason"]].values.tolist() == [
        [4, S.UNPROCESSABLE],
        [8, S.UNPROCESSABLE],
    ]
    assert "parser bug" in q["field"].iloc[0] and '"query": "BOOM"' in q["raw"].iloc[0]
    assert result.reconciliation["records_read"].tolist() == [8]


def test_reader_and_parser_counts_must_agree(home: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    put(home, "a.jsonl", [rec("a", "2026-10-05T10:00:00Z"), rec("b", "2026-10-05T10:00:00Z")], 1000)
    real = R.read_records

    def overcounting(lf: R.LandingFile, con: object, stats: R.ReadStats):  # type: ignore[no-untyped-def]
        yield from real(lf, con, stats)  # type: ignore[arg-type]
        stats.records += 1  # a record the parser never saw

    monkeypatch.setattr(R, "read_records", overcounting)
    with pytest.raises(ST.ReconciliationError, match="reader counted 3 records, parser wrote 2"):
        ingest_day(home, SETTINGS, D1)


def test_empty_landing_gives_typed_empty_day(home: Paths) -> None:
    result = ingest_day(home, SETTINGS, D1)
    assert result.rows.empty and result.quarantine.empty and result.reconciliation.empty
    assert list(result.rows.columns) == list(S.raw_columns(SETTINGS.segments))
    assert result.totals() == {"records_read": 0, "kept": 0, "quarantined": 0, "duplicates": 0}
