"""Reads and writes of the judging tables, each under one short warehouse connection.

The judge stage must never hold DuckDB across network calls (one writer per file),
so the flow is: read inputs, cache and spend (short connections), close, call the
judges, then write calls, cache and scores (short connections). All SQL is
parameterised; log text only ever travels as bound values or registered frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from evalflow.judges.schema import CACHE_COLUMNS, CACHE_KEY, CALL_COLUMNS, COLUMNS
from evalflow.orchestration.metadata import duckdb_types
from evalflow.storage.warehouse import Warehouse, ident

RAW_REQUIRED = ("interaction_id", "query", "response")
RAW_OPTIONAL = ("conversation_id", "turn", "timestamp", "context")


def _columns(con, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def read_inputs(wh: Warehouse, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's sampled ids, and the raw rows of those interactions' conversations.

    Returns ``(sampled, raw)``: ``sampled`` has ``interaction_id``; ``raw`` has the
    sampled rows plus every other row of the day in the same conversations (for the
    history the judge sees). Missing tables mean an empty day.
    """
    empty_raw = pd.DataFrame(columns=[*RAW_REQUIRED, *RAW_OPTIONAL])
    with wh.connect() as con:
        if not _columns(con, "sampled_interactions"):
            return pd.DataFrame(columns=["interaction_id"]), empty_raw
        sampled = con.execute(
            "SELECT DISTINCT CAST(interaction_id AS VARCHAR) AS interaction_id "
            "FROM sampled_interactions WHERE day = ? ORDER BY 1",
            [day],
        ).df()
        have = _columns(con, "raw_interactions")
        if not have or sampled.empty:
            return sampled, empty_raw
        missing = [c for c in RAW_REQUIRED if c not in have]
        if missing:
            raise ValueError(f"raw_interactions lacks required columns {missing}")
        cols = [c for c in (*RAW_REQUIRED, *RAW_OPTIONAL) if c in have]
        select = ", ".join(f"r.{ident(c)}" for c in cols)
        conv_filter = ""
        if "conversation_id" in have:
            conv_filter = (
                " OR r.conversation_id IN (SELECT r2.conversation_id FROM raw_interactions r2 "
                "JOIN s ON r2.interaction_id = s.interaction_id "
                "WHERE r2.day = ? AND r2.conversation_id IS NOT NULL)"
            )
        con.register("s", sampled)
        params: list[object] = [day] + ([day] if conv_filter else [])
        raw = con.execute(
            f"SELECT {select} FROM raw_interactions r WHERE r.day = ? AND "
            f"(r.interaction_id IN (SELECT interaction_id FROM s){conv_filter})",
            params,
        ).df()
        con.unregister("s")
    for c in (*RAW_REQUIRED, *RAW_OPTIONAL):
        if c not in raw.columns:
            raw[c] = None
    return sampled, raw


def read_cache(wh: Warehouse, keys: pd.DataFrame) -> pd.DataFrame:
    """Cached verdicts for the given keys (columns of ``CACHE_KEY``); empty if none."""
    out_cols = list(CACHE_COLUMNS)
    if keys.empty:
        return pd.DataFrame(columns=out_cols)
    with wh.connect() as con:
        if not _columns(con, "judge_cache"):
            return pd.DataFrame(columns=out_cols)
        con.register("k", keys[list(CACHE_KEY)].drop_duplicates())
        on = " AND ".join(f"c.{ident(k)} = k.{ident(k)}" for k in CACHE_KEY)
        df = con.execute(f"SELECT c.* FROM judge_cache c JOIN k ON {on}").df()
        con.unregister("k")
    return df


def read_spend(wh: Warehouse, day: dt.date) -> tuple[int, float]:
    """Calls and dollars already spent for this partition day, from ``judge_calls``."""
    with wh.connect() as con:
        if not _columns(con, "judge_calls"):
            return 0, 0.0
        row = con.execute(
            "SELECT count(*), coalesce(sum(cost_usd), 0) FROM judge_calls WHERE day = ?", [day]
        ).fetchone()
    return (int(row[0]), float(row[1])) if row else (0, 0.0)


def write_results(
    wh: Warehouse,
    day: dt.date,
    scores: pd.DataFrame,
    calls: pd.DataFrame,
    cache_rows: pd.DataFrame,
) -> None:
    """Persist a run: call traces and cache first (money spent is never forgotten),
    then replace the day's ``judge_scores`` partition."""
    wh.append("judge_calls", calls, schema=duckdb_types(CALL_COLUMNS))
    upsert_cache(wh, cache_rows)
    wh.replace_partition("judge_scores", scores, day, schema=duckdb_types(COLUMNS))


def upsert_cache(wh: Warehouse, rows: pd.DataFrame) -> None:
    """Insert or replace cache entries by their key."""
    with wh.connect() as con:
        cols = ", ".join(f"{ident(c)} {t}" for c, (t, _) in CACHE_COLUMNS.items())
        key = ", ".join(ident(k) for k in CACHE_KEY)
        con.execute(f"CREATE TABLE IF NOT EXISTS judge_cache ({cols}, PRIMARY KEY ({key}))")
        if rows.empty:
            return
        frame = rows[list(CACHE_COLUMNS)].drop_duplicates(subset=list(CACHE_KEY), keep="last")
        con.register("incoming", frame)
        con.execute("INSERT OR REPLACE INTO judge_cache BY NAME SELECT * FROM incoming")
        con.unregister("incoming")


def table_counts(wh: Warehouse, tables: Sequence[str]) -> dict[str, int]:
    """Row counts (0 for a missing table): used by tests and metadata."""
    out = {}
    with wh.connect() as con:
        for t in tables:
            out[t] = (
                int(con.execute(f"SELECT count(*) FROM {ident(t)}").fetchone()[0])  # type: ignore[index]
                if _columns(con, t)
                else 0
            )
    return out
