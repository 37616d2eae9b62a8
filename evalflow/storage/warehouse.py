"""DuckDB access that respects DuckDB's one-writer rule.

DuckDB lets one process hold a file open read-write, and while it does no other
process may open it at all. Dagster runs (a sensor run beside a scheduled one),
sensors and the CLI are separate processes, so every connection here is taken
under an inter-process file lock and kept short: read, close, do slow work
(judge calls), reopen, write. Writers queue instead of failing on the lock.

A process outside evalflow (a notebook with ``duckdb.connect(path, read_only=True)``)
does not take that lock, yet DuckDB refuses our connection while it is open. Such a
conflict is retried with backoff for ``EVALFLOW_DB_BUSY_TIMEOUT`` seconds (default
120), then fails with ``WarehouseBusyError``: one line naming the holder's PID and
how to release it, never a raw DuckDB traceback.

Tables are written partition-by-partition with delete-then-insert inside one
transaction, so rerunning a partition replaces it and never duplicates rows.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import tenacity
from filelock import FileLock

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_LOCK_TIMEOUT_S = float(os.environ.get("EVALFLOW_DB_LOCK_TIMEOUT", "1800"))
BUSY_TIMEOUT_ENV = "EVALFLOW_DB_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT_S = 120.0
_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


class WarehouseBusyError(RuntimeError):
    """Another process (not evalflow) kept the database file open past the busy timeout."""


def busy_timeout_s() -> float:
    """Seconds to wait for a foreign DuckDB connection to close (env, read at connect time)."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_BUSY_TIMEOUT_S
    except ValueError:
        raise WarehouseBusyError(f"{BUSY_TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    return max(value, 0.0)


def _is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)


def _busy_message(path: Path, waited_s: float, exc: BaseException) -> str:
    found = _HOLDER.search(str(exc))
    holder = f"process {found['pid']} ({found['exe']})" if found else "another process"
    return (
        f"the warehouse {path} is held open by {holder}; waited {waited_s:.0f} s. "
        "Close that connection (con.close() in the notebook, or stop the process), "
        f"or set {BUSY_TIMEOUT_ENV} to wait longer"
    )


def _open(path: Path, timeout_s: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` that waits (exponential backoff, capped at 5 s) for a foreign holder."""

    def tell_once(state: tenacity.RetryCallState) -> None:
        if state.attempt_number == 1 and state.outcome is not None:
            print(
                f"evalflow: waiting up to {timeout_s:.0f} s for {path.name}: "
                f"{_busy_message(path, 0, state.outcome.exception()).split('; waited')[0]}",
                file=sys.stderr,
                flush=True,
            )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_lock_conflict),
        wait=tenacity.wait_exponential(multiplier=0.1, max=5.0),
        stop=tenacity.stop_after_delay(timeout_s),
        before_sleep=tell_once,
        reraise=True,
    )
    try:
        return retrying(duckdb.connect, str(path))
    except duckdb.IOException as exc:
        if not _is_lock_conflict(exc):
            raise
        raise WarehouseBusyError(_busy_message(path, timeout_s, exc)) from None


def ident(name: str) -> str:
    """Quote a table or column name after checking it is a plain identifier.

    Identifiers come from our own code and config, never from log text; the check
    makes sure a config value cannot smuggle SQL in.
    """
    if not _IDENT.match(name):
        raise ValueError(f"not a valid identifier: {name!r}")
    return f'"{name}"'


@dataclass(frozen=True)
class Warehouse:
    path: Path
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    busy_timeout_s: float | None = None
    """Wait for a foreign connection this long; ``None`` reads ``EVALFLOW_DB_BUSY_TIMEOUT``."""

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived read-write connection, held under the inter-process lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        timeout = busy_timeout_s() if self.busy_timeout_s is None else self.busy_timeout_s
        with FileLock(str(self.lock_path), timeout=self.lock_timeout_s):
            con = _open(self.path, timeout)
            try:
                yield con
            finally:
                con.close()

    # -- reads ---------------------------------------------------------------
    def table_exists(self, table: str) -> bool:
        with self.connect() as con:
            return _exists(con, table)

    def query_df(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """Run a parameterised query; log text only ever travels as parameters."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def read_partition(
        self,
        table: str,
        key: Any,
        partition_col: str = "day",
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """All rows of one partition, or an empty frame when the table does not exist yet."""
        cols = ", ".join(ident(c) for c in columns) if columns else "*"
        with self.connect() as con:
            if not _exists(con, table):
                return pd.DataFrame(columns=list(columns or []))
            return con.execute(
                f"SELECT {cols} FROM {ident(table)} WHERE {ident(partition_col)} = ?", [key]
            ).df()

    def read_range(
        self,
        table: str,
        start: Any,
        end: Any,
        partition_col: str = "day",
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Rows with ``start <= partition_col <= end`` (inclusive), empty if no table."""
        cols = ", ".join(ident(c) for c in columns) if columns else "*"
        with self.connect() as con:
            if not _exists(con, table):
                return pd.DataFrame(columns=list(columns or []))
            return con.execute(
                f"SELECT {cols} FROM {ident(table)} WHERE {ident(partition_col)} BETWEEN ? AND ?",
                [start, end],
            ).df()

    # -- writes --------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        with self.connect() as con:
            con.execute(sql, params or [])

    def replace_partition(
        self,
        table: str,
        df: pd.DataFrame,
        key: Any,
        partition_col: str = "day",
        schema: Mapping[str, str] | None = None,
        extra_where: tuple[str, Sequence[Any]] | None = None,
    ) -> int:
        """Delete the partition's rows and insert ``df`` in one transaction.

        ``schema`` (column -> DuckDB type) creates the table with exact types, so an
        empty first partition still produces a correctly typed table. Columns the
        frame has and the table lacks are added. ``extra_where`` narrows the delete
        (for tables two assets share, such as bias rows in ``quality_alerts``).
        Returns the number of rows inserted.
        """
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                _ensure_table(con, table, df, schema)
                where = f"{ident(partition_col)} = ?"
                params: list[Any] = [key]
                if extra_where:
                    where += f" AND ({extra_where[0]})"
                    params.extend(extra_where[1])
                con.execute(f"DELETE FROM {ident(table)} WHERE {where}", params)
                if len(df):
                    con.register("_incoming", df)
                    con.execute(f"INSERT INTO {ident(table)} BY NAME SELECT * FROM _incoming")
                    con.unregister("_incoming")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return len(df)

    def append(self, table: str, df: pd.DataFrame, schema: Mapping[str, str] | None = None) -> int:
        """Insert rows (for logs such as judge call traces); creates the table if needed."""
        with self.connect() as con:
            _ensure_table(con, table, df, schema)
            if len(df):
                con.register("_incoming", df)
                con.execute(f"INSERT INTO {ident(table)} BY NAME SELECT * FROM _incoming")
                con.unregister("_incoming")
        return len(df)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def _ensure_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    df: pd.DataFrame,
    schema: Mapping[str, str] | None,
) -> None:
    """Create the table if missing; add any column the frame has that the table lacks."""
    wanted = dict(schema) if schema else {}
    if len(df.columns):
        con.register("_probe", df.head(0) if len(df) == 0 else df.head(1000))
        for name, dtype, *_ in con.execute("DESCRIBE SELECT * FROM _probe").fetchall():
            wanted.setdefault(name, dtype)
        con.unregister("_probe")
    if not _exists(con, table):
        cols = ", ".join(f"{ident(c)} {t}" for c, t in wanted.items())
        con.execute(f"CREATE TABLE {ident(table)} ({cols})")
        return
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    for col, dtype in wanted.items():
        if col not in have:
            con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(col)} {dtype}")
