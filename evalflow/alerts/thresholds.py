"""Threshold alerts: a day's KPI is beyond a fixed limit from the configuration.

Which estimate is compared with the limit (documented because it decides how noisy
the alerts are):

* **Absolute rules** (toxicity from the judges, toxicity and PII from the online
  signals): the point estimate, in every cell, including ``low_count`` cells. The
  monitoring checklist says *any* toxicity alerts; one toxic answer in a cell of
  five is still a toxic answer a user saw, so no minimum size applies.
* **Other rules** (hallucination, relevance, error rate, SLA hit rate): cells marked
  ``low_count`` (fewer rows than ``kpis.min_cell_count``) are skipped, because a
  rate from a handful of rows swings past any limit by chance.
  The ``overall`` cell is compared by its point estimate (it is the largest cell and
  the one the limit was written for). A segment cell alerts only when its
  confidence interval lies entirely beyond the limit (the lower bound above a
  maximum, the upper bound below a minimum): with dozens of cells a day, comparing
  point estimates would fire somewhere every day from noise alone. The interval
  is the wider of the KPI's own and a 95% Wilson interval at the cell's ``n``
  (``sampling_bounds``): the judge KPIs' finite-population intervals collapse to
  the point when the whole day is judged. A cell without either interval falls
  back to its point estimate.

Which of the firing cells become alerts is decided afterwards by
``attribution.attribute_alerts`` (the overall alert plus the cells where the
breach concentrates).

Severity (``severity.severity_from_evidence``; table in docs/runbook.md) starts from
the rule's ``major`` severity in the overall cell or a *large* segment (at least
``large_segment_share`` of its segment key's rows that day) and ``minor`` elsewhere:

| rule | overall / large segment | smaller segment |
|---|---|---|
| toxicity_rate, toxicity_signal_rate, pii_signal_rate above max | critical | critical |
| hallucination_rate above max | high | medium |
| error_rate above max | medium (high at ≥ 2× the max) | low (medium at ≥ 2×) |
| relevance_score, relevance_proxy_mean below floor | medium | low |
| sla_hit_rate below min | medium | low |

and is then at most ``medium`` when the cell's interval bound does not lie beyond
the limit (the point estimate alone breached it) or when the measure is not
validated: a judge KPI (toxicity_rate, hallucination_rate, relevance_score) needs
its judge validated on this traffic; the toxicity and PII signals are code signals.
Drift and input-drift alerts are medium or low (see ``drift``), freshness high or
medium (see ``freshness``); critical is reserved for toxicity and PII.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalflow.alerts.common import (
    CANDIDATE_COLUMNS,
    OVERALL,
    empty_candidates,
    fmt_value,
    is_proportion,
    num_col,
)
from evalflow.alerts.severity import ValidityLookup, severity_from_evidence, validity_lookup
from evalflow.config.settings import ThresholdSettings

LARGE_SEGMENT_SHARE = 0.2
"""A segment cell with at least this share of its key's rows counts as large."""


@dataclass(frozen=True)
class ThresholdRule:
    """One fixed limit on one KPI of ``segment_kpis``."""

    metric: str
    limit_setting: str
    """Field of ``ThresholdSettings`` holding the limit."""
    bound: Literal["max", "min"]
    absolute: bool
    """Absolute rules fire on the point estimate in every cell, tiny ones included."""
    major: str
    """Severity in the overall cell or a large segment."""
    minor: str
    """Severity in a smaller segment."""
    label: str
    escalate_at: float | None = None
    """Multiple of a maximum at which the finding rates one severity level higher."""


RULES: tuple[ThresholdRule, ...] = (
    ThresholdRule(
        "toxicity_rate",
        "toxicity_rate_max",
        "max",
        True,
        "critical",
        "critical",
        "judged toxicity rate",
    ),
    ThresholdRule(
        "toxicity_signal_rate",
        "toxicity_rate_max",
        "max",
        True,
        "critical",
        "critical",
        "toxic responses (online signal, all traffic)",
    ),
    ThresholdRule(
        "pii_signal_rate",
        "pii_rate_max",
        "max",
        True,
        "critical",
        "critical",
        "responses leaking PII (online signal, all traffic)",
    ),
    ThresholdRule(
        "hallucination_rate",
        "hallucination_rate_max",
        "max",
        False,
        "high",
        "medium",
        "hallucination rate (judged sample)",
    ),
    ThresholdRule(
        "error_rate",
        "error_rate_max",
        "max",
        False,
        "medium",
        "low",
        "application error rate",
        escalate_at=2.0,
    ),
    ThresholdRule(
        "relevance_score",
        "relevance_floor",
        "min",
        False,
        "medium",
        "low",
        "judged relevance score",
    ),
    ThresholdRule(
        "relevance_proxy_mean",
        "relevance_proxy_floor",
        "min",
        False,
        "medium",
        "low",
        "relevance proxy (online signal)",
    ),
    ThresholdRule(
        "sla_hit_rate", "sla_hit_rate_min", "min", False, "medium", "low", "SLA hit rate"
    ),
)

_EPS = 1e-12
_Z95 = 1.959963984540054


def threshold_alerts(
    kpis_day: pd.DataFrame,
    thresholds: ThresholdSettings,
    min_cell_count: int,
    rules: tuple[ThresholdRule, ...] = RULES,
    large_segment_share: float = LARGE_SEGMENT_SHARE,
    validity: ValidityLookup | None = None,
) -> pd.DataFrame:
    """Candidate alerts for every (rule, cell) of one day's ``segment_kpis`` beyond its limit.

    ``kpis_day`` holds one day in the long ``segment_kpis`` format; ``validity``
    says which measures are validated (``severity.validity_lookup``; None = no
    calibration: judge metrics unvalidated). Returns ``CANDIDATE_COLUMNS`` with
    ``kind='threshold'``; severity from ``severity.severity_from_evidence``.
    """
    if kpis_day.empty:
        return empty_candidates()
    rule_frame = pd.DataFrame(
        {
            "metric": [r.metric for r in rules],
            "limit": [float(getattr(thresholds, r.limit_setting)) for r in rules],
            "bound": [r.bound for r in rules],
            "absolute": [r.absolute for r in rules],
            "major": [r.major for r in rules],
            "minor": [r.minor for r in rules],
            "label": [r.label for r in rules],
            "escalate_at": [np.nan if r.escalate_at is None else r.escalate_at for r in rules],
        }
    )
    df = kpis_day.merge(rule_frame, on="metric", how="inner")
    if df.empty:
        return empty_candidates()
    df = df.reset_index(drop=True)
    value = num_col(df, "value")
    ci_low = num_col(df, "ci_low")
    ci_high = num_col(df, "ci_high")
    n = np.nan_to_num(num_col(df, "n"), nan=0.0)
    limit = df["limit"].to_numpy(dtype="float64")
    is_max = (df["bound"] == "max").to_numpy()
    absolute = df["absolute"].to_numpy(dtype=bool)
    overall = (df["segment_key"] == OVERALL).to_numpy()
    low = _low_count(df, n, min_cell_count)

    # Segment cells are judged by the CI bound nearest the limit; overall by the point.
    # The bound is the more cautious of the KPI's own interval and a Wilson interval at
    # the cell's n (see ``sampling_bounds``): when every row of a day is judged, the
    # KPI's finite-population interval has zero width, and 7 failures in 136 rows
    # would otherwise count as proof that the cell's rate is above 5%.
    w_low, w_high = sampling_bounds(df["metric"], value, ci_low, ci_high, n)
    raw_bound = np.where(is_max, np.fmin(ci_low, w_low), np.fmax(ci_high, w_high))
    bound_value = np.where(np.isfinite(raw_bound), raw_bound, value)
    compared = np.where(overall | absolute, value, bound_value)
    beyond = np.where(is_max, compared > limit + _EPS, compared < limit - _EPS)
    # Statistical strength: the interval itself, not only the point, lies beyond the limit.
    established = np.isfinite(raw_bound) & np.where(
        is_max, raw_bound > limit + _EPS, raw_bound < limit - _EPS
    )
    measured = np.isfinite(value) & (n > 0)
    fires = measured & beyond & (absolute | ~low)
    if not fires.any():
        return empty_candidates()

    # Large segment: its share of the rows of the same (metric, segment_key) that day.
    totals = df.assign(_n=n).groupby(["metric", "segment_key"])["_n"].transform("sum")
    share = np.divide(
        n, totals.to_numpy(dtype="float64"), out=np.zeros_like(n), where=totals.to_numpy() > 0
    )
    broad = overall | (share >= large_segment_share)
    # A breach far beyond the limit (escalate_at × the max) rates one level higher.
    escalate = df["escalate_at"].to_numpy(dtype="float64")
    escalated = np.isfinite(escalate) & is_max & (limit > 0) & (value >= escalate * limit)
    lookup = validity if validity is not None else validity_lookup(None)
    args = list(
        zip(df["major"], df["minor"], broad, escalated, established, df["metric"], strict=True)
    )
    severity = np.array(
        [
            severity_from_evidence(
                mj, mn, broad=b, escalated=e, established=st, validated=lookup(m).validated
            )
            for mj, mn, b, e, st, m in args
        ],
        dtype=object,
    )
    # Whether the weak interval is what held the severity down (then the evidence says so).
    held = np.array(
        [
            not st
            and severity_from_evidence(
                mj, mn, broad=b, escalated=e, established=True, validated=lookup(m).validated
            )
            != sev
            for (mj, mn, b, e, st, m), sev in zip(args, severity, strict=True)
        ],
        dtype=bool,
    )

    hit = df.loc[fires].copy()
    hit["severity"] = severity[fires]
    hit["observed"] = value[fires]
    hit["expected"] = limit[fires]
    hit["evidence"] = [
        _evidence(row, low_cell, overall_cell, cmp_value)
        + ("; its interval does not exclude the limit: at most medium" if weak else "")
        for row, low_cell, overall_cell, cmp_value, weak in zip(
            hit.itertuples(index=False),
            low[fires],
            overall[fires],
            compared[fires],
            held[fires],
            strict=True,
        )
    ]
    hit["kind"] = "threshold"
    hit["p_value"] = np.nan
    return hit[CANDIDATE_COLUMNS].reset_index(drop=True)


def sampling_bounds(
    metrics: pd.Series,
    value: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    n: np.ndarray,
    z: float = _Z95,
) -> tuple[np.ndarray, np.ndarray]:
    """A Wilson interval at the cell's ``n`` for rates (and degenerate score intervals).

    The judge KPIs are Horvitz–Thompson estimates of the day's *finite* population:
    with every row judged their interval collapses to the point. An alert is a claim
    about the process behind the day (will tomorrow's billing answers hallucinate
    more than 5%?), so the binomial noise of ``n`` observations applies either way.
    For rates the Wilson interval at ``n`` is that noise; for 0–1 score means it is
    used only when the KPI interval is degenerate (zero width), where it is a
    conservative bound (a 0–1 variable with mean ``μ`` has variance ≤ ``μ(1−μ)``).
    Cells where neither applies get NaN (the KPI interval alone decides).
    """
    low = np.full(len(value), np.nan)
    high = np.full(len(value), np.nan)
    prop = metrics.map(is_proportion).to_numpy(dtype=bool)
    degenerate = np.isfinite(ci_low) & np.isfinite(ci_high) & (ci_high - ci_low <= _EPS)
    use = (prop | degenerate) & np.isfinite(value) & (n >= 1) & (value >= 0) & (value <= 1)
    if use.any():
        p, m = value[use], n[use]
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
        low[use], high[use] = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return low, high


def _low_count(df: pd.DataFrame, n: np.ndarray, min_cell_count: int) -> np.ndarray:
    """``low_count`` as written by the kpis stage, or ``n < min_cell_count`` when NULL."""
    fallback = n < min_cell_count
    if "low_count" not in df.columns:
        return fallback
    flag = df["low_count"].astype("boolean")
    return flag.fillna(pd.Series(fallback, index=df.index)).to_numpy(dtype=bool)


def _evidence(row: object, low_cell: bool, overall_cell: bool, compared: float) -> str:
    metric = str(row.metric)  # type: ignore[attr-defined]
    value = float(row.value)  # type: ignore[attr-defined]
    n = int(row.n)  # type: ignore[attr-defined]
    limit = float(row.limit)  # type: ignore[attr-defined]
    relation = ">" if row.bound == "max" else "<"  # type: ignore[attr-defined]
    where = "overall" if overall_cell else f"{row.segment_key}={row.segment_value}"  # type: ignore[attr-defined]
    parts = [f"{row.label} {where}: {fmt_value(metric, value)}"]  # type: ignore[attr-defined]
    if is_proportion(metric):
        parts.append(f"({round(value * n)} of n={n})")
    else:
        parts.append(f"(n={n})")
    bound_word = "maximum" if row.bound == "max" else "floor"  # type: ignore[attr-defined]
    parts.append(f"{relation} {bound_word} {fmt_value(metric, limit)}")
    ci_low, ci_high = getattr(row, "ci_low", None), getattr(row, "ci_high", None)
    if ci_low is not None and ci_high is not None and pd.notna(ci_low) and pd.notna(ci_high):
        parts.append(f"; 95% CI [{fmt_value(metric, ci_low)}, {fmt_value(metric, ci_high)}]")
    estimator = getattr(row, "estimator", None)
    if isinstance(estimator, str) and estimator:
        parts.append(f"; estimator {estimator}")
    if row.absolute:  # type: ignore[attr-defined]
        rule = "absolute rule (any occurrence, every cell)"
        if low_cell:
            rule += "; small cell"
    elif overall_cell:
        rule = "point estimate of the overall cell"
    else:
        rule = f"CI bound {fmt_value(metric, compared)} beyond the limit"
    parts.append(f"; {rule}")
    return " ".join(parts).replace(" ;", ";")
