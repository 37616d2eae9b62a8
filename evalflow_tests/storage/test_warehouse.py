from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evalflow.storage import Warehouse, WarehouseBusyError
from evalflow.storage.warehouse import BUSY_TIMEOUT_ENV, busy_timeout_s, ident


def test_replace_partition_is_idempotent_and_scoped(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    d1, d2 = dt.date(2026, 10, 5), dt.date(2026, 10, 6)
    schema = {"day": "DATE", "x": "BIGINT", "s": "VARCHAR"}
    wh.replace_partition(
        "t", pd.DataFrame({"day": [d1, d1], "x": [1, 2], "s": ["a", "b"]}), d1, schema=schema
    )
    wh.replace_partition("t", pd.DataFrame({"day": [d2], "x": [3], "s": ["c"]}), d2, schema=schema)
    wh.replace_partition(
        "t", pd.DataFrame({"day": [d1, d1], "x": [1, 2], "s": ["a", "b"]}), d1, schema=schema
    )
    out = wh.query_df("SELECT day, x FROM t ORDER BY x")
    assert out["x"].tolist() == [1, 2, 3]
    assert wh.read_partition("t", d2)["s"].tolist() == ["c"]


def test_empty_first_partition_creates_typed_table(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.replace_partition(
        "t",
        pd.DataFrame(columns=["day", "x"]),
        dt.date(2026, 1, 1),
        schema={"day": "DATE", "x": "DOUBLE"},
    )
    types = wh.query_df(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name='t'"
    )
    assert dict(zip(types.column_name, types.data_type, strict=True)) == {
        "day": "DATE",
        "x": "DOUBLE",
    }


def test_new_columns_are_added(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    d = dt.date(2026, 1, 1)
    wh.replace_partition("t", pd.DataFrame({"day": [d], "a": [1]}), d)
    wh.replace_partition("t", pd.DataFrame({"day": [d], "a": [1], "b": ["x"]}), d)
    assert wh.query_df("SELECT b FROM t")["b"].tolist() == ["x"]


def test_extra_where_keeps_other_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    d = dt.date(2026, 1, 1)
    wh.replace_partition("t", pd.DataFrame({"day": [d, d], "kind": ["bias", "drift"]}), d)
    wh.replace_partition(
        "t",
        pd.DataFrame({"day": [d], "kind": ["threshold"]}),
        d,
        extra_where=("kind <> ?", ["bias"]),
    )
    assert sorted(wh.query_df("SELECT kind FROM t")["kind"]) == ["bias", "threshold"]


def test_identifiers_are_checked() -> None:
    assert ident("raw_interactions") == '"raw_interactions"'
    with pytest.raises(ValueError):
        ident('x"; DROP TABLE t; --')


def test_hostile_text_round_trips_as_data(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    d = dt.date(2026, 1, 1)
    payload = "'); DROP TABLE t; -- <script>alert(1)</script> 😀"
    wh.replace_partition("t", pd.DataFrame({"day": [d], "s": [payload]}), d)
    assert wh.query_df("SELECT s FROM t WHERE s = ?", [payload])["s"].tolist() == [payload]


# -- a foreign process holding the file (a notebook's read-only connection) ----
_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_waits_for_a_foreign_reader_then_writes(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb", busy_timeout_s=60)
    wh.execute("CREATE TABLE t (x INTEGER)")
    holder = _hold(wh.path, 3)
    try:
        wh.execute("INSERT INTO t VALUES (1)")  # waits for the reader, does not fail
    finally:
        holder.wait(timeout=60)
    assert wh.query_df("SELECT x FROM t")["x"].tolist() == [1]


def test_foreign_holder_past_the_timeout_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.execute("CREATE TABLE t (x INTEGER)")
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "0.5")
    holder = _hold(wh.path, 60)
    try:
        with pytest.raises(WarehouseBusyError) as err:
            wh.execute("INSERT INTO t VALUES (1)")
    finally:
        holder.kill()
        holder.wait()
    message = str(err.value)
    assert "\n" not in message
    assert f"held open by process {holder.pid}" in message
    assert "Close that connection" in message and BUSY_TIMEOUT_ENV in message


def test_busy_timeout_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "soon")
    with pytest.raises(WarehouseBusyError, match="not a number of seconds"):
        busy_timeout_s()
