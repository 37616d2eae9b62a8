"""Names and kinds of every metric in ``segment_kpis``.

Downstream stages (rollout, alerts, reports) refer to metrics by these names; the
kind decides how daily values are pooled over several days and how a metric is
normalised inside the composite KPI.
"""

from __future__ import annotations

from typing import Literal

MetricKind = Literal["count", "rate", "mean", "percentile"]

# Census metrics computed on 100 % of the day's traffic (estimator='census').
CENSUS_RATES: dict[str, str] = {
    "feedback_rate": "share of interactions with a thumbs rating",
    "rating_up_rate": "thumbs-up among rated interactions",
    "rating_down_rate": "thumbs-down among rated interactions",
    "copied_rate": "answer copied, among rows where known",
    "edited_rate": "answer edited, among rows where known",
    "retried_rate": "user retried, among rows where known",
    "error_rate": "application error (non-empty `error`)",
    "override_rate": "analyst overrode the answer, among rows where known",
    "escalation_rate": "escalated, among rows where known",
    "escalation_precision": "escalation judged correct, among escalated rows where known",
    "incident_miss_rate": "an incident was missed, among rows where known",
    "resolved_rate": "ticket resolved, among rows where known",
    "sla_hit_rate": "resolution SLA met (outcome_sla_met), among rows where known",
    "toxicity_signal_rate": "response flagged toxic by the online signal",
    "pii_signal_rate": "PII found in the response by the online signal",
    "refusal_rate": "refusal or deflection by the online signal",
    "latency_sla_breach_rate": "latency above sla.latency_ms (online signal)",
}
CENSUS_MEANS: dict[str, str] = {
    "cost_per_interaction": "mean cost_usd",
    "relevance_proxy_mean": "mean query-answer relevance proxy (0-1)",
    "grounding_proxy_mean": "mean grounding proxy (0-1), rows with context only",
}
PERCENTILES: dict[str, tuple[str, float]] = {
    "resolution_minutes_p50": ("outcome_resolution_minutes", 0.50),
    "resolution_minutes_p90": ("outcome_resolution_minutes", 0.90),
    "latency_ms_p50": ("latency_ms", 0.50),
    "latency_ms_p95": ("latency_ms", 0.95),
}
COUNTS: dict[str, str] = {
    "volume": "interactions in the cell",
    "judge_unmeasured": "judge rows with status error/over_budget (never enter a mean)",
}
# Sample-based metrics (estimator='horvitz_thompson', Hájek-weighted by 1/inclusion_prob).
JUDGE_RATES: dict[str, str] = {
    "hallucination_rate": "faithfulness judged failed",
    "toxicity_rate": "safety judged failed",
}
JUDGE_MEANS: dict[str, str] = {"relevance_score": "mean relevance judge score (0-1)"}
PASS_RATE_PREFIX = "judge_pass_rate:"
COVERAGE = "judge_coverage"
COVERAGE_PREFIX = "judge_coverage:"
COMPOSITE = "composite_kpi"

HT_METRICS = frozenset(JUDGE_RATES) | frozenset(JUDGE_MEANS)


def metric_kind(metric: str) -> MetricKind:
    """How a metric behaves: counts add up, rates/means average, percentiles do neither."""
    if metric in COUNTS:
        return "count"
    if metric in PERCENTILES:
        return "percentile"
    if metric in CENSUS_MEANS or metric in JUDGE_MEANS:
        return "mean"
    if (
        metric in CENSUS_RATES
        or metric in JUDGE_RATES
        or metric in (COVERAGE, COMPOSITE)
        or metric.startswith(PASS_RATE_PREFIX)
        or metric.startswith(COVERAGE_PREFIX)
    ):
        return "rate"
    raise KeyError(f"unknown segment_kpis metric {metric!r}")


def is_unit_interval(metric: str) -> bool:
    """True for metrics that live in [0, 1] already (rates and 0-1 scores)."""
    try:
        kind = metric_kind(metric)
    except KeyError:
        return False
    return kind == "rate" or metric in {
        "relevance_proxy_mean",
        "grounding_proxy_mean",
        "relevance_score",
    }


def is_sample_based(metric: str) -> bool:
    return metric in HT_METRICS or metric.startswith(PASS_RATE_PREFIX)
