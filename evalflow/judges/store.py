"""Reads and writes of the judging tables, each under one short warehouse connection.

The judge stage must never hold DuckDB across network calls (one writer per file),
so the flow is: read inputs, cache and spend (short connections), close, call the
judges, then write calls, cache and scores (short connections). All SQL is
parameterised; log text only ever travels as bound values or registered frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from evalflow.judges.journal import Replay
from evalflow.judges.schema import CACHE_COLUMNS, CACHE_KEY, CALL_COLUMNS, COLUMNS
from evalflow.storage.warehouse import Warehouse, ident

RAW_REQUIRED = ("interaction_id", "query", "response")
RAW_OPTIONAL = ("conversation_id", "turn", "timestamp", "context")


def _columns(con, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


@dataclass(frozen=True)
class DayInputs:
    sampled: pd.DataFrame
    """The day's sampled ``interaction_id``s."""
    raw: pd.DataFrame
    """Sampled rows plus the other rows of their conversations that day (history)."""
    spent_calls: int
    spent_usd: float
    """What ``judge_calls`` says this partition day has already spent."""
    spent_requests: int = 0
    """HTTP requests (attempts, retries included) ``judge_calls`` counts for the day."""
    recovered: Replay | None = None
    """What the crash journal held (folded into ``judge_calls``/``judge_cache`` first)."""


def read_inputs(wh: Warehouse, day: dt.date, journal: Replay | None = None) -> DayInputs:
    """Everything the stage reads before judging, in one short connection.

    The crash journal (``journal``) is folded into ``judge_calls`` and ``judge_cache``
    first, in the same connection and transaction, so what an interrupted run spent
    counts against today's budget and what it learned is not paid for twice.
    Missing upstream tables mean an empty day (the asset still writes its empty,
    typed partition).
    """
    with wh.connect() as con:
        if journal is not None and (journal.calls or journal.verdicts):
            _fold(con, journal)
        spent_calls, spent_usd, spent_requests = _spend(con, day)
        sampled, raw = _sampled_and_raw(con, day)
        raw = _with_day_repeats(con, day, raw)
    for c in (*RAW_REQUIRED, *RAW_OPTIONAL):
        if c not in raw.columns:
            raw[c] = None
    return DayInputs(sampled, raw, spent_calls, spent_usd, spent_requests, journal)


def _fold(con, journal: Replay) -> None:  # type: ignore[no-untyped-def]
    """Insert journaled calls and verdicts not yet in the warehouse (idempotent)."""
    con.execute("BEGIN TRANSACTION")
    try:
        _ensure(con, "judge_calls", CALL_COLUMNS)
        _ensure(con, "judge_cache", CACHE_COLUMNS, key=CACHE_KEY)
        _insert_new_calls(con, _typed(journal.calls, CALL_COLUMNS))
        if journal.verdicts:
            con.register("journal_cache", _typed(journal.verdicts, CACHE_COLUMNS))
            con.execute("INSERT OR IGNORE INTO judge_cache BY NAME SELECT * FROM journal_cache")
            con.unregister("journal_cache")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _typed(rows: list[dict], columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    for c, (t, _) in columns.items():
        if t == "DATE":
            frame[c] = pd.to_datetime(frame[c]).dt.date
        elif t == "TIMESTAMP":
            frame[c] = pd.to_datetime(frame[c])
    return frame


def _insert_new_calls(con, calls: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    """Append call rows whose ``call_id`` is not there yet (journal and run may overlap)."""
    if calls.empty:
        return
    con.register("incoming_calls", calls[list(CALL_COLUMNS)].drop_duplicates("call_id"))
    con.execute(
        "INSERT INTO judge_calls BY NAME SELECT * FROM incoming_calls i "
        "WHERE i.call_id NOT IN (SELECT call_id FROM judge_calls WHERE call_id IS NOT NULL)"
    )
    con.unregister("incoming_calls")


def _sampled_and_raw(con, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:  # type: ignore[no-untyped-def]
    empty_raw = pd.DataFrame(columns=[*RAW_REQUIRED, *RAW_OPTIONAL])
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
    return sampled, raw


def _with_day_repeats(con, day: dt.date, raw: pd.DataFrame) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Attach ``day_repeats`` (how often today's traffic carried this reply or its last
    question, from ``interaction_signals``) so the judges can see canned replies."""
    sig = _columns(con, "interaction_signals")
    if raw.empty or not {"reply_repeats_day", "question_repeats_day"} <= set(sig):
        return raw
    rep = con.execute(
        "SELECT CAST(interaction_id AS VARCHAR) AS interaction_id, "
        "greatest(coalesce(reply_repeats_day, 0), coalesce(question_repeats_day, 0)) "
        "AS day_repeats FROM interaction_signals WHERE day = ?",
        [day],
    ).df()
    raw = raw.assign(interaction_id=raw["interaction_id"].astype(str))
    return raw.merge(rep.drop_duplicates("interaction_id"), on="interaction_id", how="left")


def _spend(con, day: dt.date) -> tuple[int, float, int]:  # type: ignore[no-untyped-def]
    """Calls, dollars and HTTP requests the day has spent (a NULL attempts counts 1)."""
    if not _columns(con, "judge_calls"):
        return 0, 0.0, 0
    row = con.execute(
        "SELECT count(*), coalesce(sum(cost_usd), 0), coalesce(sum(coalesce(attempts, 1)), 0) "
        "FROM judge_calls WHERE day = ?",
        [day],
    ).fetchone()
    return (int(row[0]), float(row[1]), int(row[2])) if row else (0, 0.0, 0)


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


def write_results(
    wh: Warehouse,
    day: dt.date,
    scores: pd.DataFrame,
    calls: pd.DataFrame,
    cache_rows: pd.DataFrame,
) -> None:
    """Persist a run in one short connection and one transaction.

    Call traces, new cache entries and the day's ``judge_scores`` partition
    (delete-then-insert) commit together, so money spent is never recorded without
    its verdicts or the other way round, and a rerun never duplicates rows.
    """
    with wh.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            _ensure(con, "judge_calls", CALL_COLUMNS)
            _ensure(con, "judge_cache", CACHE_COLUMNS, key=CACHE_KEY)
            _ensure(con, "judge_scores", COLUMNS)
            _insert_new_calls(con, calls)
            if len(cache_rows):
                frame = cache_rows[list(CACHE_COLUMNS)].drop_duplicates(
                    subset=list(CACHE_KEY), keep="last"
                )
                con.register("incoming_cache", frame)
                con.execute(
                    "INSERT OR REPLACE INTO judge_cache BY NAME SELECT * FROM incoming_cache"
                )
                con.unregister("incoming_cache")
            con.execute("DELETE FROM judge_scores WHERE day = ?", [day])
            if len(scores):
                con.register("incoming_scores", scores[list(COLUMNS)])
                con.execute("INSERT INTO judge_scores BY NAME SELECT * FROM incoming_scores")
                con.unregister("incoming_scores")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def _ensure(con, table: str, columns: dict[str, tuple[str, str]], key: Sequence[str] = ()) -> None:  # type: ignore[no-untyped-def]
    """Create one of our tables with exact types; add columns a newer version declares."""
    have = _columns(con, table)
    if not have:
        cols = ", ".join(f"{ident(c)} {t}" for c, (t, _) in columns.items())
        pk = f", PRIMARY KEY ({', '.join(ident(k) for k in key)})" if key else ""
        con.execute(f"CREATE TABLE {ident(table)} ({cols}{pk})")
        return
    for c, (t, _) in columns.items():
        if c not in have:
            con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(c)} {t}")
