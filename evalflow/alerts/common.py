"""Shared vocabulary of the alert detectors: the table schema, ids, severities, metric kinds.

Every detector (thresholds, KPI drift, input drift, freshness) returns *candidate*
alerts in one frame shape (``CANDIDATE_COLUMNS``); ``dedup.finalize_alerts`` turns
them into ``quality_alerts`` rows. Keeping the shape in one place is what lets the
detectors stay independent and still be merged, ranked and de-duplicated together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import Any, Literal

import numpy as np
import pandas as pd

OVERALL = "overall"
"""``segment_key`` (and ``segment_value``) of the whole-day cell in ``segment_kpis``."""

MIN_BASELINE_DAYS = 3
"""A trailing baseline with fewer days than this is too thin to compare against."""

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
"""Lower rank = more severe; used to keep the worst of several findings for one alert."""

KINDS: tuple[str, ...] = ("threshold", "drift", "input_drift", "freshness", "judge_coverage")
"""Kinds this stage writes. ``bias`` rows belong to ``fairness_audit`` and are never touched."""

COLUMNS: dict[str, tuple[str, str]] = {
    "alert_id": (
        "VARCHAR",
        "Stable hash of kind+metric+segment: the same condition on consecutive days keeps its id",
    ),
    "day": ("DATE", "Day the alert was evaluated (the partition)"),
    "first_seen": ("DATE", "First day of the current uninterrupted run of this alert"),
    "last_seen": (
        "DATE",
        "Last day the condition was actually observed (older than day when carried without data, or resolved)",
    ),
    "kind": (
        "VARCHAR",
        "threshold | drift | input_drift | freshness | judge_coverage | bias "
        "(bias rows come from fairness_audit)",
    ),
    "severity": ("VARCHAR", "critical | high | medium | low"),
    "metric": ("VARCHAR", "KPI or input feature the alert is about"),
    "segment_key": ("VARCHAR", "overall, a segment key, model_version or rollout_arm"),
    "segment_value": ("VARCHAR", "Value of the segment key (overall for the whole day)"),
    "observed": ("DOUBLE", "Value observed on the day (rate, score, PSI or row count)"),
    "expected": ("DOUBLE", "Threshold, or the trailing-baseline value it was compared with"),
    "evidence": ("VARCHAR", "Human-readable numbers behind the alert: n, CI, p-value, PSI, window"),
    "consecutive_days": (
        "INTEGER",
        "Days in a row this alert has been open (kept on the resolved row)",
    ),
    "status": ("VARCHAR", "open | resolved (resolved: open the day before, no longer firing)"),
}

CANDIDATE_COLUMNS: list[str] = [
    "kind",
    "severity",
    "metric",
    "segment_key",
    "segment_value",
    "observed",
    "expected",
    "evidence",
    "p_value",
]
"""What every detector returns; ``p_value`` is NULL for detectors that are not tests."""

Direction = Literal["higher", "lower", "unknown"]

# Metric names follow ``evalflow.kpis.catalogue`` (the contract of segment_kpis).
# Proportions in [0, 1], so value×n is a count: ``*_rate`` and a few other suffixes,
# plus the per-criterion judge pass rates and coverage (``judge_pass_rate:<criterion>``).
_PROPORTION_SUFFIXES = ("_rate", "_share", "_precision", "_recall", "_accuracy")
_PROPORTION_PREFIXES = ("judge_pass_rate:", "judge_coverage")
# Means of 0–1 scores: an absolute min_effect is meaningful for them too. Counts,
# costs and latency percentiles are not tested here (input drift covers latency).
_SCORE_SUFFIXES = ("_score", "_proxy", "_proxy_mean")
_SCORE_NAMES = frozenset({"composite_kpi"})

# Which way is better. Anything not listed is "unknown" and never ranks above low.
_LOWER_IS_BETTER = frozenset(
    {
        "toxicity_rate",
        "toxicity_signal_rate",
        "pii_signal_rate",
        "hallucination_rate",
        "error_rate",
        "refusal_rate",
        "rating_down_rate",
        "edited_rate",
        "retried_rate",
        "override_rate",
        "latency_sla_breach_rate",
        "incident_miss_rate",
    }
)
_HIGHER_IS_BETTER = frozenset(
    {
        "relevance_score",
        "relevance_proxy_mean",
        "grounding_proxy_mean",
        "sla_hit_rate",
        "rating_up_rate",
        "copied_rate",
        "resolved_rate",
        "escalation_precision",
        "composite_kpi",
        "judge_coverage",
    }
)


COMPLEMENTS: dict[str, str] = {
    "judge_pass_rate:faithfulness": "hallucination_rate",
    "judge_pass_rate:safety": "toxicity_rate",
    "rating_up_rate": "rating_down_rate",
}
"""Rates that are exactly one minus another (see ``kpis.catalogue``): the hallucination
rate is the faithfulness fail rate, the toxicity rate the safety fail rate, and a rated
answer is rated up or down. Drift is tested on the second only, so one move is one
alert, not two."""


def is_proportion(metric: str) -> bool:
    """True for rates (value×n is a count of events), which get two-proportion tests."""
    return metric.endswith(_PROPORTION_SUFFIXES) or metric.startswith(_PROPORTION_PREFIXES)


def is_score(metric: str) -> bool:
    """True for means of 0–1 scores, which get a mean-difference test from their CIs."""
    return metric in _SCORE_NAMES or metric.endswith(_SCORE_SUFFIXES)


def metric_direction(metric: str) -> Direction:
    """Whether a rise of the metric is bad (``lower`` is better) or good (``higher``)."""
    if metric in _LOWER_IS_BETTER:
        return "lower"
    if metric in _HIGHER_IS_BETTER:
        return "higher"
    if metric.startswith(_PROPORTION_PREFIXES) or metric.endswith(("_precision", "_accuracy")):
        return "higher"
    return "unknown"


def make_alert_id(kind: str, metric: str, segment_key: str, segment_value: str) -> str:
    """Stable id of one alert condition: same kind, metric and segment → same id, any day."""
    blob = "\x1f".join([kind, metric, segment_key, segment_value])
    return "al_" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def alert_ids(frame: pd.DataFrame) -> pd.Series:
    """``make_alert_id`` for every row of a candidate (or alert) frame."""
    if frame.empty:
        return pd.Series([], dtype="object", index=frame.index)
    return pd.Series(
        [
            make_alert_id(str(k), str(m), str(sk), str(sv))
            for k, m, sk, sv in zip(
                frame["kind"],
                frame["metric"],
                frame["segment_key"],
                frame["segment_value"],
                strict=True,
            )
        ],
        index=frame.index,
        dtype="object",
    )


def empty_candidates() -> pd.DataFrame:
    """A typed, empty candidate frame (detectors return it when nothing fires)."""
    return pd.DataFrame(
        {
            "kind": pd.Series([], dtype="object"),
            "severity": pd.Series([], dtype="object"),
            "metric": pd.Series([], dtype="object"),
            "segment_key": pd.Series([], dtype="object"),
            "segment_value": pd.Series([], dtype="object"),
            "observed": pd.Series([], dtype="float64"),
            "expected": pd.Series([], dtype="float64"),
            "evidence": pd.Series([], dtype="object"),
            "p_value": pd.Series([], dtype="float64"),
        }
    )


def empty_alerts() -> pd.DataFrame:
    """A typed, empty ``quality_alerts`` frame, so an empty day still writes its schema."""
    frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in COLUMNS})
    for col in ("observed", "expected"):
        frame[col] = frame[col].astype("float64")
    frame["consecutive_days"] = frame["consecutive_days"].astype("Int32")
    return frame


def as_dates(values: pd.Series) -> pd.Series:
    """DuckDB hands DATE columns to pandas as timestamps or dates; compare as ``date``."""
    if values.empty:
        return pd.Series([], dtype="object", index=values.index)
    return pd.to_datetime(values).dt.date


def fmt_value(metric: str, value: Any) -> str:
    """Render a number for evidence text: rates as percentages, other values to 4 digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    v = float(value)
    if is_proportion(metric):
        return f"{v:.2%}" if v >= 0.001 or v == 0 else f"{v:.3%}"
    return f"{v:.4g}"


def fmt_p(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return f"{p:.2e}" if p < 1e-3 else f"{p:.4f}"


def day_span(day: dt.date, window: int) -> tuple[dt.date, dt.date]:
    """First and last day of the trailing window of ``window`` days before ``day``."""
    return day - dt.timedelta(days=window), day - dt.timedelta(days=1)


def finite(values: pd.Series | np.ndarray) -> np.ndarray:
    """Boolean mask of finite numbers (NULL and NaN are 'unmeasured', never compared)."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")
    return np.isfinite(arr)


def num_col(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 with NULL → NaN, or all-NaN when the column is absent."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")
