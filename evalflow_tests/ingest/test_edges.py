"""Data-loss edges of reading the landing folder: files changing while read, files and
folders that cannot be read, symlinks, and many small files (issue #17)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalflow.config import Paths, Settings
from evalflow.ingest import discover as DI
from evalflow.ingest import normalize as N
from evalflow.ingest import readers as R
from evalflow.ingest import schema as S
from evalflow.ingest.pipeline import IngestResult, ingest_day
from evalflow_tests.ingest.unprivileged import run_python

D1 = dt.date(2026, 10, 5)
NOON_D1 = dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC).timestamp()
SETTINGS = Settings()


def rec(i: str, ts: str = "2026-10-05T10:00:00Z") -> str:
    return json.dumps({"interaction_id": i, "timestamp": ts, "query": "q", "response": "r"})


def lines(prefix: str, n: int) -> str:
    return "".join(rec(f"{prefix}-{k}") + "\n" for k in range(n))


def put(path: Path, data: bytes, mtime: float = NOON_D1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def file_row(result: IngestResult, rel: str) -> dict:
    files = result.landing_files.set_index("source_file")
    return files.loc[rel].to_dict()


def assert_balanced(result: IngestResult) -> None:
    assert result.reconciliation["balanced"].all()
    lf = result.landing_files
    assert (lf["records_read"] == lf["kept"] + lf["quarantined"] + lf["duplicates"]).all()


# -- a file that changes while it is read ---------------------------------------------


def _append_at_eof(monkeypatch: pytest.MonkeyPatch, path: Path, extra: bytes, times: int) -> None:
    """Fault injection at the read/hash boundary: append to ``path`` right when a read
    first reaches its end, in ``times`` reads."""
    real = R._SafeReader.readinto
    left = {"n": times}
    seen: set[int] = set()

    def appending(self: R._SafeReader, view: memoryview) -> int:
        got = real(self, view)
        if got == 0 and left["n"] > 0 and id(self) not in seen:
            seen.add(id(self))
            left["n"] -= 1
            with path.open("ab") as fh:
                fh.write(extra)
        return got

    monkeypatch.setattr(R._SafeReader, "readinto", appending)


def test_line_appended_at_eof_is_read_not_lost(
    home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(home.landing / "growing.jsonl", lines("a", 100).encode())
    _append_at_eof(monkeypatch, path, (rec("late") + "\n").encode(), times=1)
    first = ingest_day(home, SETTINGS, D1)
    monkeypatch.undo()
    second = ingest_day(home, SETTINGS, D1)
    for result in (first, second):
        assert len(result.rows) == 101 and "late" in set(result.rows["interaction_id"])
        row = file_row(result, "growing.jsonl")
        assert row["records_read"] == 101
        assert row["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert_balanced(result)
    assert second.parsed_files == []


def test_gzip_member_appended_inside_drain_is_read(
    home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(home.landing / "growing.jsonl.gz", gzip.compress(lines("z", 100).encode()))
    real = R._Hashing.drain
    left = {"n": 1}

    def appending(self: R._Hashing) -> None:
        if left["n"]:
            left["n"] -= 1
            with path.open("ab") as fh:
                fh.write(gzip.compress((rec("late") + "\n").encode()))
        real(self)

    monkeypatch.setattr(R._Hashing, "drain", appending)
    first = ingest_day(home, SETTINGS, D1)
    monkeypatch.undo()
    for result in (first, ingest_day(home, SETTINGS, D1)):
        assert len(result.rows) == 101
        row = file_row(result, "growing.jsonl.gz")
        assert row["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert_balanced(result)


def test_a_file_that_keeps_changing_is_one_record_then_read_whole(
    home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(home.landing / "busy.jsonl", lines("b", 10).encode())
    put(home.landing / "calm.jsonl", lines("c", 5).encode())
    _append_at_eof(monkeypatch, path, (rec("more") + "\n").encode(), times=1000)
    day = dt.date(2026, 10, 5)
    first = ingest_day(home, SETTINGS, day)
    # Never half-counted: none of busy.jsonl's records, one record saying why, filed
    # under the file's modification day (it has no readable timestamp).
    assert set(first.rows["interaction_id"]) == {f"c-{k}" for k in range(5)}
    assert_balanced(first)
    mday = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
    filed = ingest_day(home, SETTINGS, mday)
    monkeypatch.undo()
    q = filed.quarantine[filed.quarantine["source_file"] == "busy.jsonl"]
    assert q["reason"].tolist() == [S.CHANGED_DURING_READ] and q["source_line"].isna().all()
    row = file_row(filed, "busy.jsonl")
    assert (row["records_read"], row["quarantined"]) == (1, 1) and row["content_hash"] is None
    assert_balanced(filed)
    # Once it holds still, the next run reads all of it.
    again = ingest_day(home, SETTINGS, day)
    n_lines = path.read_bytes().count(b"\n")
    assert file_row(again, "busy.jsonl")["records_read"] == n_lines > 10
    assert len(again.rows) == 5 + 10 + 1  # the appended copies share one id: last write wins
    assert_balanced(again)


# -- unreadable files and folders (without root's read override) -------------------------

_PROBE = """
import datetime as dt, json
import pandas as pd
from evalflow.config import Paths, load_settings
from evalflow.ingest.pipeline import ingest_day
from evalflow.config.paths import evalflow_home
paths = Paths(evalflow_home())
settings = load_settings(paths.config_file)
out = {}
for day in ("2026-10-05", "2026-10-05", "2026-10-06"):
    r = ingest_day(paths, settings, dt.date.fromisoformat(day))
    out[day] = {
        "rows": sorted(r.rows["interaction_id"]),
        "quarantine": sorted(
            [f, None if pd.isna(l) else int(l), why]
            for f, l, why in r.quarantine[["source_file", "source_line", "reason"]].itertuples(index=False)
        ),
        "files": {
            f.source_file: [int(f.records_read), int(f.quarantined), bool(pd.isna(f.content_hash))]
            for f in r.landing_files.itertuples()
        },
        "balanced": bool(r.reconciliation["balanced"].all()),
    }
print(json.dumps(out))
"""


def test_unreadable_file_and_folder_are_quarantined_not_fatal(home: Paths, tmp_path: Path) -> None:
    put(home.landing / "ok.jsonl", lines("ok", 3).encode())
    put(home.landing / "other-day.jsonl", (rec("d2", "2026-10-06T10:00:00Z") + "\n").encode())
    locked_file = put(home.landing / "locked.jsonl", lines("lf", 4).encode())
    locked_dir = home.landing / "lockeddir"
    put(locked_dir / "inside.jsonl", lines("ld", 10).encode())
    os.utime(locked_dir, (NOON_D1, NOON_D1))
    locked_file.chmod(0)
    locked_dir.chmod(0)
    try:
        got = run_python(_PROBE, tmp_path, {"EVALFLOW_HOME": str(home.home)})
    finally:
        locked_file.chmod(0o644)
        locked_dir.chmod(0o755)
    d1 = got["2026-10-05"]
    assert d1["rows"] == ["ok-0", "ok-1", "ok-2"]
    assert d1["quarantine"] == [
        ["locked.jsonl", None, S.UNREADABLE_FILE],
        ["lockeddir/", None, S.UNREADABLE_DIR],
    ]
    assert d1["files"]["locked.jsonl"] == [1, 1, True]
    assert d1["files"]["lockeddir/"] == [1, 1, True]
    assert d1["balanced"] and got["2026-10-05"] == d1  # the rerun is the same
    assert got["2026-10-06"]["rows"] == ["d2"] and got["2026-10-06"]["balanced"]
    # Readable again: the next run reads them (they were never marked as staged).
    fixed = ingest_day(home, SETTINGS, D1)
    assert len(fixed.rows) == 3 + 4 + 10 and fixed.quarantine.empty
    assert file_row(fixed, "lockeddir/inside.jsonl")["records_read"] == 10


def test_a_folder_that_fails_to_list_is_a_record(tmp_path: Path) -> None:
    put(tmp_path / "a.jsonl", b"{}\n")
    (tmp_path / "deny").mkdir()

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if path.endswith("deny"):
            raise PermissionError(13, "Permission denied", path)
        return os.scandir(path)

    found = DI.discover(tmp_path, scandir=scandir)
    dirs = [f for f in found.files if f.fmt == DI.DIRECTORY]
    assert [(f.rel, f.error) for f in dirs] == [("deny/", "PermissionError: Permission denied")]


# -- symlinks ---------------------------------------------------------------------------


def _links(home: Paths) -> Path:
    outside = home.home / "elsewhere"
    put(outside / "secret.jsonl", (rec("secret") + "\n").encode())
    put(outside / "dir" / "more.jsonl", (rec("secret-2") + "\n").encode())
    put(home.landing / "real" / "a.jsonl", (rec("a") + "\n").encode())
    put(home.landing / "_truth" / "t.jsonl", (rec("truth") + "\n").encode())
    os.symlink(outside / "secret.jsonl", home.landing / "secret.jsonl")
    os.symlink(outside / "dir", home.landing / "outdir")
    os.symlink(home.landing / "real" / "a.jsonl", home.landing / "alias.jsonl")
    os.symlink(home.landing / "real", home.landing / "alias-dir")
    os.symlink(home.landing / "_truth" / "t.jsonl", home.landing / "truth.jsonl")
    os.symlink(home.landing, outside / "dir" / "back")
    os.symlink(outside / "dir", outside / "dir" / "self")  # a cycle once outside links are followed
    return outside


def test_symlinks_out_of_landing_are_skipped_with_reason(home: Paths) -> None:
    _links(home)
    result = ingest_day(home, SETTINGS, D1)
    assert set(result.rows["interaction_id"]) == {"a"}
    assert set(result.landing_files["source_file"]) == {"alias.jsonl", "real/a.jsonl"}
    assert result.ignored_files == {
        "alias-dir": DI.LINKED_FOLDER,
        "outdir": DI.OUTSIDE_LANDING,
        "secret.jsonl": DI.OUTSIDE_LANDING,
        "truth.jsonl": DI.NOT_DATA_TARGET,
    }
    assert "secret" not in " ".join(result.quarantine["raw"].astype(str))


def test_following_symlinks_outside_is_a_setting(home: Paths) -> None:
    _links(home)
    follow = SETTINGS.model_copy(
        update={
            "ingest": SETTINGS.ingest.model_copy(update={"follow_symlinks_outside_landing": True})
        }
    )
    result = ingest_day(home, follow, D1)
    assert set(result.rows["interaction_id"]) == {"a", "secret", "secret-2"}
    assert result.ignored_files["outdir/self"] == "symlink cycle"
    assert result.ignored_files["outdir/back"] == DI.LINKED_FOLDER
    assert N.Limits.from_settings(follow.ingest).follow_symlinks_outside
    # Discovery policy, not a parse setting: the staged copies are shared.
    assert ingest_day(home, follow, D1).parsed_files == []


# -- many small files ---------------------------------------------------------------------


def test_many_small_files_one_query_and_one_read_each(
    home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in range(40):
        put(home.landing / f"d{k % 3}" / f"f{k}.jsonl", lines(f"f{k}", 3).encode(), NOON_D1 + k)
    table = pa.table(
        {"interaction_id": ["p"], "timestamp": ["2026-10-05T09:00:00Z"], "query": ["q"]}
    )
    pq.write_table(table, home.landing / "p.parquet")
    (home.landing / "c.csv").write_text(
        "interaction_id,timestamp,query,response\nc,2026-10-05T09:00:00Z,q,r\n"
    )
    calls = {"sql": 0}
    real_sql = N.build_sql

    def counting(source: str, lenient: bool) -> str:
        calls["sql"] += 1
        return real_sql(source, lenient)

    def no_second_read(path: Path, stats: object = None) -> str:
        raise AssertionError(f"{path} hashed separately from its parse")

    monkeypatch.setattr(N, "build_sql", counting)
    monkeypatch.setattr(R, "file_sha256", no_second_read)
    result = ingest_day(home, SETTINGS, D1)
    assert calls["sql"] == 2  # one query for JSON + Parquet files, one for CSV
    assert len(result.parsed_files) == 42
    assert len(result.rows) == 40 * 3 + 1
    assert_balanced(result)
    parquet = result.quarantine[result.quarantine["source_file"] == "p.parquet"]
    assert parquet["reason"].tolist() == [S.MISSING]  # no response column


# -- segment keys that are not identifiers ----------------------------------------------


def test_segment_key_that_is_not_an_identifier_gets_a_safe_column(home: Paths) -> None:
    from evalflow.config.settings import parse_settings
    from evalflow.ingest.pipeline import write_ingest
    from evalflow.storage import Warehouse

    settings = parse_settings(
        {"segments": ["queue", "app-version"], "audit_attributes": [], "sampling": {"strata": []}}
    )
    record = json.loads(rec("a"))
    record["segment"] = {"queue": "billing", "app-version": "1.2.3"}
    put(home.landing / "seg.jsonl", (json.dumps(record) + "\n").encode())
    result = ingest_day(home, settings, D1)
    assert result.rows["seg_app_version"].tolist() == ["1.2.3"]
    assert json.loads(result.rows["segment_json"].iloc[0])["app-version"] == "1.2.3"
    write_ingest(Warehouse(home.database), result)
    stored = Warehouse(home.database).read_partition("raw_interactions", D1)
    assert stored["seg_app_version"].tolist() == ["1.2.3"]
    assert S.raw_columns(settings.segments)["seg_app_version"][1] == (
        "segment `app-version`; NULL when absent"
    )
    # Downstream stages name cells by the original key (this one used it as an alias).
    from evalflow.alerts.sources import joint_segment_counts

    joint = joint_segment_counts(Warehouse(home.database), D1, settings.segments)
    assert joint[["app-version", "n"]].values.tolist() == [["1.2.3", 1]]
