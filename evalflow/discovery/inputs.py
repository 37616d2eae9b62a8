"""Defensive reads of the upstream tables the improvement stages build on.

Discovery, priorities and regression run after stages that are written (and
rerun) independently: a table may not exist yet, or may lack an optional column.
Every reader here checks what exists and fills the gaps with typed NULLs, so an
absent source is simply "no evidence" rather than a crash. SQL is assembled only
from identifiers checked by :func:`ident` and constant fragments; log text never
enters a statement except as a bound parameter or a registered frame.

The central product is the *day frame*: one light row per interaction of a day
(ids, users, segments, outcome flags, numeric signals and the failure reasons
that make an interaction "failing"), cheap enough to load for a million rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd

from evalflow.storage.warehouse import Warehouse, ident

# Reason -> severity (1-5). Judge criteria not listed fall back to JUDGE_DEFAULT_SEVERITY.
REASON_SEVERITY: dict[str, int] = {
    "toxicity": 5,
    "pii": 5,
    "judge:safety": 5,
    "judge:faithfulness": 4,
    "override": 3,
    "error": 3,
    "refusal": 3,
    "judge:relevance": 3,
    "judge:helpfulness": 3,
    "rating_down": 2,
    "retried": 2,
}
JUDGE_DEFAULT_SEVERITY = 3
FLAG_REASONS = ["toxicity", "pii", "refusal", "rating_down", "override", "retried", "error"]

# (alias, raw column, DuckDB type of the NULL stand-in when the column is missing)
_RAW_LIGHT: list[tuple[str, str, str]] = [
    ("user_id", "user_id", "VARCHAR"),
    ("conversation_id", "conversation_id", "VARCHAR"),
    ("turn", "turn", "INTEGER"),
    ("model_version", "model_version", "VARCHAR"),
    ("rollout_arm", "rollout_arm", "VARCHAR"),
    ("feedback_rating", "feedback_rating", "VARCHAR"),
    ("feedback_retried", "feedback_retried", "BOOLEAN"),
    ("outcome_analyst_override", "outcome_analyst_override", "BOOLEAN"),
    ("outcome_resolved", "outcome_resolved", "BOOLEAN"),
    ("raw_latency_ms", "latency_ms", "DOUBLE"),
    ("tokens_out", "tokens_out", "DOUBLE"),
]
_SIGNALS: list[tuple[str, str, str]] = [
    ("toxic", "toxic", "BOOLEAN"),
    ("pii_in_response", "pii_in_response", "BOOLEAN"),
    ("refusal", "refusal", "BOOLEAN"),
    ("sig_rating_down", "rating_down", "BOOLEAN"),
    ("implicit_negative", "implicit_negative", "BOOLEAN"),
    ("sig_has_error", "has_error", "BOOLEAN"),
    ("risk_score", "risk_score", "DOUBLE"),
    ("relevance_proxy", "relevance_proxy", "DOUBLE"),
    ("grounding_proxy", "grounding_proxy", "DOUBLE"),
    ("sig_latency_ms", "latency_ms", "DOUBLE"),
    ("signal_flags", "flags", "VARCHAR"),
]


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns of ``table`` in table order; empty when the table does not exist."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _pick(prefix: str, have: Iterable[str], spec: list[tuple[str, str, str]]) -> list[str]:
    have = set(have)
    out = []
    for alias, col, dtype in spec:
        if col in have:
            out.append(f"{prefix}.{ident(col)} AS {ident(alias)}")
        else:
            out.append(f"CAST(NULL AS {dtype}) AS {ident(alias)}")
    return out


def load_day_frame(wh: Warehouse, day: dt.date, ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One light row per interaction of ``day`` (or of ``ids`` only) with its failure reasons.

    Columns: ``interaction_id``, the ``_RAW_LIGHT`` and ``_SIGNALS`` aliases, every
    ``seg_*`` column of ``raw_interactions``, ``has_comment``, ``len_query``,
    ``len_response``, ``judge_failed`` (comma-separated failed criteria),
    ``judge_min_score``, ``judged`` and the derived ``reason_*`` booleans,
    ``reasons``, ``failing`` and ``severity`` (see :func:`add_reasons`).
    Empty (with those columns) when ``raw_interactions`` has no rows for the day.
    """
    with wh.connect() as con:
        raw_cols = table_columns(con, "raw_interactions")
        if "interaction_id" not in raw_cols or "day" not in raw_cols:
            return add_reasons(_empty_day_frame())
        sig_cols = table_columns(con, "interaction_signals")
        judge_cols = table_columns(con, "judge_scores")
        seg_cols = [c for c in raw_cols if c.startswith("seg_")]
        select = ["r.interaction_id AS interaction_id"]
        select += _pick("r", raw_cols, _RAW_LIGHT)
        select += [f"r.{ident(c)} AS {ident(c)}" for c in seg_cols]
        select.append(
            "length(r.query) AS len_query"
            if "query" in raw_cols
            else "CAST(NULL AS BIGINT) AS len_query"
        )
        select.append(
            "length(r.response) AS len_response"
            if "response" in raw_cols
            else "CAST(NULL AS BIGINT) AS len_response"
        )
        select.append(
            "(r.error IS NOT NULL AND r.error <> '') AS raw_error"
            if "error" in raw_cols
            else "CAST(NULL AS BOOLEAN) AS raw_error"
        )
        select.append(
            "(r.feedback_comment IS NOT NULL AND trim(r.feedback_comment) <> '') AS has_comment"
            if "feedback_comment" in raw_cols
            else "CAST(NULL AS BOOLEAN) AS has_comment"
        )
        joins: list[str] = []
        params: list[object] = []
        if {"interaction_id", "day"} <= set(sig_cols):
            select += _pick("s", sig_cols, _SIGNALS)
            joins.append(
                "LEFT JOIN (SELECT * FROM interaction_signals WHERE day = ?) s "
                "ON s.interaction_id = r.interaction_id"
            )
            params.append(day)
        else:
            select += [f"CAST(NULL AS {t}) AS {ident(a)}" for a, _, t in _SIGNALS]
        if {"interaction_id", "day", "criterion", "status", "passed", "score"} <= set(judge_cols):
            select += ["j.judge_failed", "j.judge_min_score", "coalesce(j.judged, 0) AS judged"]
            joins.append(
                "LEFT JOIN (SELECT interaction_id, "
                "string_agg(DISTINCT criterion, ',' ORDER BY criterion) "
                "FILTER (WHERE status = 'ok' AND passed = false) AS judge_failed, "
                "min(score) FILTER (WHERE status = 'ok') AS judge_min_score, "
                "count(*) FILTER (WHERE status = 'ok') AS judged "
                "FROM judge_scores WHERE day = ? GROUP BY interaction_id) j "
                "ON j.interaction_id = r.interaction_id"
            )
            params.append(day)
        else:
            select += [
                "CAST(NULL AS VARCHAR) AS judge_failed",
                "CAST(NULL AS DOUBLE) AS judge_min_score",
                "CAST(0 AS BIGINT) AS judged",
            ]
        if ids is not None:
            con.register("_frame_ids", pd.DataFrame({"interaction_id": list(ids)}, dtype="object"))
            joins.insert(0, "JOIN _frame_ids USING (interaction_id)")
        sql = (
            f"SELECT {', '.join(select)} FROM raw_interactions r {' '.join(joins)} WHERE r.day = ?"
        )
        params.append(day)
        try:
            frame = con.execute(sql, params).df()
        finally:
            if ids is not None:
                con.unregister("_frame_ids")
    frame = frame.drop_duplicates("interaction_id", keep="last").reset_index(drop=True)
    return add_reasons(frame)


def _empty_day_frame() -> pd.DataFrame:
    cols = ["interaction_id"] + [a for a, _, _ in _RAW_LIGHT] + [a for a, _, _ in _SIGNALS]
    cols += [
        "len_query",
        "len_response",
        "raw_error",
        "has_comment",
        "judge_failed",
        "judge_min_score",
        "judged",
    ]
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


def _true(s: pd.Series) -> np.ndarray:
    """``s is True`` element-wise; NULL/NaN/None count as False."""
    if not len(s):
        return np.zeros(0, dtype=bool)
    try:
        return s.astype("boolean").fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        return (s == True).to_numpy(dtype=bool)  # noqa: E712 - element-wise on objects


def add_reasons(frame: pd.DataFrame) -> pd.DataFrame:
    """Derive why each interaction counts as failing, vectorised.

    A row fails when any of these holds: a judge said ``passed = false`` with
    status ok (``judge:<criterion>``), negative rating, analyst override, toxic
    or PII-leaking response, refusal, a retry, or an application error. The
    ``severity`` of a row is the worst of its reasons (``REASON_SEVERITY``).
    """
    out = frame.copy()
    n = len(out)

    def col(name: str) -> pd.Series:
        return out[name] if name in out else pd.Series([None] * n, index=out.index, dtype="object")

    rating = col("feedback_rating").astype("object")
    flags = {
        "toxicity": _true(col("toxic")),
        "pii": _true(col("pii_in_response")),
        "refusal": _true(col("refusal")),
        "rating_down": _true(col("sig_rating_down")) | (rating == "down").to_numpy(dtype=bool),
        "override": _true(col("outcome_analyst_override")),
        "retried": _true(col("feedback_retried")),
        "error": _true(col("raw_error")) | _true(col("sig_has_error")),
    }
    judge_failed = col("judge_failed").astype("object")
    has_judge = judge_failed.notna().to_numpy(dtype=bool) & (judge_failed != "").to_numpy(
        dtype=bool
    )
    out["judge_failed"] = judge_failed.where(has_judge, None)
    severity = np.zeros(n, dtype=np.int64)
    failing = has_judge.copy()
    for name, mask in flags.items():
        out[f"reason_{name}"] = mask
        severity = np.where(mask, np.maximum(severity, REASON_SEVERITY[name]), severity)
        failing |= mask
    # String work only on failing rows (a few percent of a big day).
    idx = np.flatnonzero(failing)
    sub_judge = judge_failed.iloc[idx].where(has_judge[idx], "").astype(str)
    judge_sev = np.where(has_judge[idx], JUDGE_DEFAULT_SEVERITY, 0)
    for reason, sev in REASON_SEVERITY.items():
        if reason.startswith("judge:"):
            crit = reason.split(":", 1)[1]
            hit = sub_judge.str.contains(rf"(?:^|,){crit}(?:,|$)", regex=True).to_numpy(dtype=bool)
            judge_sev = np.where(hit, np.maximum(judge_sev, sev), judge_sev)
    severity[idx] = np.maximum(severity[idx], judge_sev)
    reasons = pd.Series([None] * n, index=out.index, dtype="object")
    if len(idx):
        parts = [
            pd.Series(np.where(mask[idx], name, ""), index=sub_judge.index)
            for name, mask in flags.items()
        ]
        parts.append(sub_judge.str.replace(r"([^,]+)", r"judge:\1", regex=True))
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + "," + part
        reasons.iloc[idx] = joined.str.replace(r",+", ",", regex=True).str.strip(",").to_numpy()
    out["reasons"] = reasons
    out["failing"] = failing
    out["severity"] = severity
    return out


def reason_counts(reasons: pd.Series) -> dict[str, int]:
    """How often each reason occurs in a Series of comma-separated reason lists."""
    exploded = reasons.dropna().astype(str).str.split(",").explode()
    exploded = exploded[exploded != ""]
    return {str(k): int(v) for k, v in exploded.value_counts().sort_index().items()}


def read_texts(wh: Warehouse, day: dt.date, ids: Sequence[str]) -> pd.DataFrame:
    """``interaction_id, query, feedback_comment`` of the given interactions of ``day``."""
    empty = pd.DataFrame(
        {"interaction_id": [], "query": [], "feedback_comment": []}, dtype="object"
    )
    if not len(ids):
        return empty
    with wh.connect() as con:
        cols = table_columns(con, "raw_interactions")
        if "query" not in cols:
            return empty
        comment = "r.feedback_comment" if "feedback_comment" in cols else "CAST(NULL AS VARCHAR)"
        con.register("_wanted_ids", pd.DataFrame({"interaction_id": list(ids)}))
        try:
            df = con.execute(
                f"SELECT r.interaction_id, r.query, {comment} AS feedback_comment "
                "FROM raw_interactions r JOIN _wanted_ids w USING (interaction_id) "
                "WHERE r.day = ?",
                [day],
            ).df()
        finally:
            con.unregister("_wanted_ids")
    return df.drop_duplicates("interaction_id", keep="last").reset_index(drop=True)


def read_queries(wh: Warehouse, day: dt.date, limit: int | None = None) -> pd.DataFrame:
    """``interaction_id, query`` of ``day``: all, or a deterministic sample of ``limit``.

    The sample orders by ``md5(interaction_id)`` so the same day always yields the
    same rows, whatever order the rows were inserted in.
    """
    with wh.connect() as con:
        cols = table_columns(con, "raw_interactions")
        if "query" not in cols:
            return pd.DataFrame({"interaction_id": [], "query": []}, dtype="object")
        if limit is None:
            return con.execute(
                "SELECT interaction_id, query FROM raw_interactions WHERE day = ?", [day]
            ).df()
        return con.execute(
            "SELECT interaction_id, query FROM raw_interactions WHERE day = ? "
            "ORDER BY md5(interaction_id) LIMIT ?",
            [day, int(limit)],
        ).df()


def read_history(
    wh: Warehouse, table: str, day: dt.date, days: int, where: str = ""
) -> pd.DataFrame:
    """Rows of ``table`` for the ``days`` days before ``day`` (exclusive), empty if absent.

    ``where`` is a constant SQL fragment from our code (never data).
    """
    start = day - dt.timedelta(days=days)
    end = day - dt.timedelta(days=1)
    with wh.connect() as con:
        if "day" not in table_columns(con, table):
            return pd.DataFrame()
        extra = f" AND ({where})" if where else ""
        return con.execute(
            f"SELECT * FROM {ident(table)} WHERE day BETWEEN ? AND ?{extra}", [start, end]
        ).df()


def stable_order(ids: pd.Series) -> np.ndarray:
    """A permutation of ``ids`` that depends only on the id values (for deterministic samples)."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    h = pd.util.hash_pandas_object(ids.astype(str).reset_index(drop=True), index=False).to_numpy()
    return np.lexsort((ids.astype(str).to_numpy(), h))
