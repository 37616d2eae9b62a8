"""Reads the alert detectors need from the warehouse, each a short parameterised query.

Aggregation happens in DuckDB (counts per day and category, a hash-ordered sample)
so the detectors get small frames even from months of traffic. Column names come
from configuration and pass through ``ident``; dates and labels are parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalflow.alerts.common import OVERALL, as_dates
from evalflow.config.settings import segment_column
from evalflow.storage.warehouse import Warehouse, ident

MISSING = "(missing)"
"""Category of rows that do not carry a segment key."""

TOPIC_PAIR = ("queue", "channel")
"""Coarse, deterministic topic proxy: the joint queue×channel mix."""


def table_columns(wh: Warehouse, table: str) -> set[str]:
    """Column names of a table; empty when it does not exist yet."""
    frame = wh.query_df(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    )
    return set(frame["column_name"].astype(str)) if not frame.empty else set()


def raw_day_counts(wh: Warehouse, start: dt.date, end: dt.date) -> pd.Series:
    """Rows of ``raw_interactions`` per day in ``start..end`` (days without rows absent)."""
    if not table_columns(wh, "raw_interactions"):
        return pd.Series(dtype="int64")
    frame = wh.query_df(
        "SELECT day, count(*) AS n FROM raw_interactions WHERE day BETWEEN ? AND ? GROUP BY day",
        [start, end],
    )
    if frame.empty:
        return pd.Series(dtype="int64")
    return pd.Series(frame["n"].astype("int64").to_numpy(), index=as_dates(frame["day"]).to_numpy())


def mix_counts(
    wh: Warehouse, start: dt.date, end: dt.date, segment_keys: Sequence[str]
) -> pd.DataFrame:
    """Counts per ``(day, dimension, category)`` for each segment key and the topic pair."""
    cols = table_columns(wh, "raw_interactions")
    parts: list[str] = []
    params: list[object] = []
    for key in segment_keys:
        col = segment_column(key)
        if col not in cols:
            continue
        parts.append(
            f"SELECT day, CAST(? AS VARCHAR) AS dimension, "
            f"coalesce(CAST({ident(col)} AS VARCHAR), ?) AS category, count(*) AS n "
            f"FROM raw_interactions WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3"
        )
        params += [key, MISSING, start, end]
    a, b = (segment_column(k) for k in TOPIC_PAIR)
    if a in cols and b in cols:
        parts.append(
            f"SELECT day, CAST(? AS VARCHAR) AS dimension, "
            f"coalesce(CAST({ident(a)} AS VARCHAR), ?) || '×' || "
            f"coalesce(CAST({ident(b)} AS VARCHAR), ?) AS category, count(*) AS n "
            f"FROM raw_interactions WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3"
        )
        params += ["×".join(TOPIC_PAIR), MISSING, MISSING, start, end]
    if not parts:
        return pd.DataFrame(columns=["day", "dimension", "category", "n"])
    frame = wh.query_df(" UNION ALL ".join(parts), params)
    frame["day"] = as_dates(frame["day"])
    frame["n"] = frame["n"].astype("int64")
    return frame


def numeric_sample(wh: Warehouse, start: dt.date, end: dt.date, max_rows: int) -> pd.DataFrame:
    """Query/response lengths and latency of at most ``max_rows`` rows of ``start..end``.

    Ordered by a hash of the interaction id: a deterministic, unbiased subsample.
    Sorting a 28-day window (28M rows at production scale) and measuring every text
    first is what made this the slowest read of the alerts stage, so rows whose hash
    lies above a cut-off expected to keep ``OVERSAMPLE`` × ``max_rows`` of them are
    dropped before the sort. The smallest hashes all lie below the cut-off, so the
    result is the same rows; when the cut-off keeps too few, the full sort runs.
    """
    cols = table_columns(wh, "raw_interactions")
    if not cols:
        return pd.DataFrame(columns=["query_length", "response_length", "latency_ms"])
    select = [
        "length(query) AS query_length" if "query" in cols else "NULL AS query_length",
        "length(response) AS response_length" if "response" in cols else "NULL AS response_length",
        "CAST(latency_ms AS DOUBLE) AS latency_ms"
        if "latency_ms" in cols
        else "NULL AS latency_ms",
    ]
    query = (
        f"SELECT {', '.join(select)} FROM raw_interactions WHERE day BETWEEN ? AND ? {{cut}}"
        f"ORDER BY hash(interaction_id) LIMIT ?"
    )
    total = int(
        wh.query_df(
            "SELECT count(*) AS n FROM raw_interactions WHERE day BETWEEN ? AND ?", [start, end]
        )["n"].iloc[0]
    )
    if total > OVERSAMPLE * max_rows:
        cutoff = int(HASH_SPACE * OVERSAMPLE * max_rows / total)
        sample = wh.query_df(
            query.format(cut="AND hash(interaction_id) < ? "),
            [start, end, cutoff, int(max_rows)],
        )
        if len(sample) == max_rows:
            return sample
    return wh.query_df(query.format(cut=""), [start, end, int(max_rows)])


OVERSAMPLE = 1.5
"""Expected rows kept by the hash cut-off, per row wanted (a shortfall is ~10 SDs away at
50k rows)."""
HASH_SPACE = 2**64
"""DuckDB's ``hash`` is a UBIGINT, uniform over this range."""


ARM_COLUMNS: tuple[str, ...] = ("model_version", "rollout_arm")
"""Non-segment grouping columns that ``segment_kpis`` also has cells for."""


def joint_segment_counts(wh: Warehouse, day: dt.date, segment_keys: Sequence[str]) -> pd.DataFrame:
    """Day D's rows counted by every segment key at once (plus model version and arm).

    Root-cause attribution needs to know how much of one cell lies inside another
    (how Spanish-speaking is latam?). The joint table has at most the product of
    the keys' cardinalities, in practice a few thousand rows. Columns are named by
    the ``segment_kpis`` key (``queue``, …, ``model_version``, ``rollout_arm``);
    NULL becomes ``(missing)``, as in the KPI cells.
    """
    cols = table_columns(wh, "raw_interactions")
    pairs = [(segment_column(k), k) for k in segment_keys if segment_column(k) in cols]
    pairs += [(c, c) for c in ARM_COLUMNS if c in cols]
    if not pairs:
        return pd.DataFrame(columns=["n"])
    # Positional aliases: a segment key need not be an identifier (``app-version``).
    select = ", ".join(
        f"coalesce(CAST({ident(col)} AS VARCHAR), ?) AS _k{i}" for i, (col, _) in enumerate(pairs)
    )
    joint = wh.query_df(
        f"SELECT {select}, count(*) AS n FROM raw_interactions WHERE day = ? GROUP BY ALL",
        [MISSING] * len(pairs) + [day],
    )
    return joint.rename(columns={f"_k{i}": name for i, (_, name) in enumerate(pairs)})


SIGNAL_METRICS: dict[str, str] = {
    "toxicity_signal_rate": "toxic",
    "pii_signal_rate": "pii_in_response",
}
"""Online-signal rates the alert stage can compute itself from ``interaction_signals``."""


def signal_rates(
    wh: Warehouse,
    day: dt.date,
    segment_keys: Sequence[str],
    min_cell_count: int,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Toxic and PII response rates per cell, in the ``segment_kpis`` long format.

    Used when ``segment_kpis`` does not carry these metrics for the day: "any toxic
    response on 100% of traffic" must alert even if the KPI stage skipped them.
    """
    sig_cols = table_columns(wh, "interaction_signals")
    wanted = {m: c for m, c in SIGNAL_METRICS.items() if c in sig_cols}
    if not wanted or "interaction_id" not in sig_cols:
        return pd.DataFrame()
    raw_cols = table_columns(wh, "raw_interactions")
    aggs = ", ".join(
        f"count(s.{ident(c)}) AS {ident('n_' + c)}, count_if(s.{ident(c)}) AS {ident('x_' + c)}"
        for c in wanted.values()
    )
    parts = [
        f"SELECT CAST(? AS VARCHAR) AS segment_key, CAST(? AS VARCHAR) AS segment_value, {aggs} "
        f"FROM interaction_signals s WHERE s.day = ?"
    ]
    params: list[object] = [OVERALL, OVERALL, day]
    for key in segment_keys:
        col = segment_column(key)
        if col not in raw_cols:
            continue
        parts.append(
            f"SELECT CAST(? AS VARCHAR), coalesce(CAST(r.{ident(col)} AS VARCHAR), ?), {aggs} "
            f"FROM interaction_signals s JOIN raw_interactions r "
            f"ON r.interaction_id = s.interaction_id AND r.day = s.day "
            f"WHERE s.day = ? GROUP BY 1, 2"
        )
        params += [key, MISSING, day]
    frame = wh.query_df(" UNION ALL ".join(parts), params)
    rows: list[pd.DataFrame] = []
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    for metric, col in wanted.items():
        n = frame[f"n_{col}"].astype("float64").to_numpy()
        x = frame[f"x_{col}"].astype("float64").to_numpy()
        keep = n > 0
        low, high = wilson(x[keep], n[keep], z)
        rows.append(
            pd.DataFrame(
                {
                    "day": day,
                    "segment_key": frame["segment_key"].to_numpy()[keep],
                    "segment_value": frame["segment_value"].to_numpy()[keep],
                    "metric": metric,
                    "value": x[keep] / n[keep],
                    "ci_low": low,
                    "ci_high": high,
                    "n": n[keep].astype("int64"),
                    "estimator": "census",
                    "low_count": n[keep] < min_cell_count,
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def signal_examples(wh: Warehouse, day: dt.date, limit: int = 3) -> dict[str, list[str]]:
    """A few interaction ids per online-signal metric that fired, for the evidence text."""
    sig_cols = table_columns(wh, "interaction_signals")
    out: dict[str, list[str]] = {}
    for metric, col in SIGNAL_METRICS.items():
        if col not in sig_cols:
            continue
        frame = wh.query_df(
            f"SELECT interaction_id FROM interaction_signals WHERE day = ? AND {ident(col)} "
            f"ORDER BY interaction_id LIMIT ?",
            [day, int(limit)],
        )
        if not frame.empty:
            out[metric] = frame["interaction_id"].astype(str).tolist()
    return out


def wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of x successes in n trials (sane at 0 and at small n)."""
    p = x / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def previous_day_alerts(wh: Warehouse, day: dt.date) -> pd.DataFrame:
    """``quality_alerts`` rows of D−1 (all kinds; ``finalize_alerts`` filters)."""
    if not table_columns(wh, "quality_alerts"):
        return pd.DataFrame()
    return wh.query_df("SELECT * FROM quality_alerts WHERE day = ?", [day - dt.timedelta(days=1)])


def judge_validity_rows(wh: Warehouse, day: dt.date) -> pd.DataFrame | None:
    """Day D's judge status rows of ``judge_calibration``; None when there are none.

    None (calibration not run for D, or a table from before validity existed) makes
    every judge KPI unvalidated: a judge is not trusted by default.
    """
    if "validity" not in table_columns(wh, "judge_calibration"):
        return None
    frame = wh.query_df(
        "SELECT criterion, backend, reference, segment_key, validity, validity_reason "
        "FROM judge_calibration WHERE day = ? AND reference = 'any'",
        [day],
    )
    return frame if not frame.empty else None
