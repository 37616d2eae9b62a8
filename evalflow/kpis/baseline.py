"""The application's own trailing baseline of a KPI, per cell.

A threshold the user did not set explicitly (``ThresholdSettings.is_explicit``) is
not a constant chosen on the simulator: it is relative to how *this* application
behaved over the previous ``kpis.baseline_days`` days (the day itself excluded), in
the same cell. The baseline is the pooled estimate of those days
(``evalflow.kpis.pooling.pool_days``: census rates recombined exactly, judge rates
averaged by cell volume) with its interval. A cell with fewer than
``kpis.baseline_min_days`` measured days has no baseline yet (no row is returned);
the alert stage decides what a threshold does then, and must say so.

``baseline_limit`` turns a baseline into a limit: for a maximum, the baseline's upper
bound; for a minimum, its lower bound. A day's value then breaches only when it is
beyond what the trailing days make plausible (the caller compares the day's own
interval with that limit).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

from evalflow.kpis import catalogue
from evalflow.kpis.pooling import pool_days

BASELINE_COLUMNS = [
    "segment_key",
    "segment_value",
    "metric",
    "baseline_value",
    "baseline_ci_low",
    "baseline_ci_high",
    "baseline_se",
    "baseline_n",
    "baseline_days",
]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BASELINE_COLUMNS})


def trailing_baselines(
    history: pd.DataFrame,
    day: dt.date,
    *,
    days: int,
    min_days: int,
    z: float,
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """Baseline per (cell, metric) from ``segment_kpis`` rows of the days before ``day``.

    ``history``: ``segment_kpis`` rows (any range; only ``day - days .. day - 1`` is
    used). Returns ``BASELINE_COLUMNS``; ``baseline_days`` counts the days with a
    measured value. Cells with fewer than ``min_days`` such days are left out.
    """
    if history.empty:
        return _empty()
    h = history.copy()
    h["day"] = pd.to_datetime(h["day"]).dt.date
    start = day - dt.timedelta(days=days)
    h = h[(h["day"] >= start) & (h["day"] < day)]
    if metrics is not None:
        h = h[h["metric"].isin([*metrics, "volume"])]
    h = h[h["metric"].map(_pooled_kind)]
    for col in ("value", "ci_low", "ci_high", "se", "n"):
        h[col] = pd.to_numeric(h[col], errors="coerce")
    out = []
    for (key, value), cell in h.groupby(["segment_key", "segment_value"], sort=True):
        measured = cell[cell["value"].notna() & (cell["n"] > 0)]
        counts = measured.groupby("metric")["day"].nunique()
        keep = counts[counts >= min_days].index
        keep = [m for m in keep if metrics is None or m in metrics]
        if not keep:
            continue
        pooled = pool_days(cell[cell["metric"].isin([*keep, "volume"])], z)
        pooled = pooled[pooled["metric"].isin(keep)]
        out.append(
            pd.DataFrame(
                {
                    "segment_key": key,
                    "segment_value": value,
                    "metric": pooled["metric"].to_numpy(),
                    "baseline_value": pooled["value"].to_numpy(dtype=float),
                    "baseline_ci_low": pooled["ci_low"].to_numpy(dtype=float),
                    "baseline_ci_high": pooled["ci_high"].to_numpy(dtype=float),
                    "baseline_se": pooled["se"].to_numpy(dtype=float),
                    "baseline_n": pooled["n"].to_numpy(dtype=float),
                    "baseline_days": counts.reindex(pooled["metric"]).to_numpy(dtype=int),
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else _empty()


def _pooled_kind(metric: object) -> bool:
    """Metrics ``pool_days`` can pool (the composite is recomputed, never pooled)."""
    try:
        catalogue.metric_kind(str(metric))
    except KeyError:
        return False
    return metric != catalogue.COMPOSITE


def baseline_limit(baselines: pd.DataFrame, bound: Literal["max", "min"]) -> np.ndarray:
    """The adaptive limit per baseline row: upper bound for a maximum, lower for a minimum."""
    col = "baseline_ci_high" if bound == "max" else "baseline_ci_low"
    lim = pd.to_numeric(baselines[col], errors="coerce").to_numpy(dtype=float)
    fallback = pd.to_numeric(baselines["baseline_value"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(lim), lim, fallback)
