"""Column contract of ``fairness_audit`` and the catalogue of audited metrics.

Each metric carries a *direction* because a disparity only harms a group in one
direction: a lower resolved rate, or a higher override rate. The four-fifths rule
(``fairness.ratio_bounds``, 0.8–1.25) is applied to the ratio of the group's rate to
the reference group's rate, on the adverse side only:

* ``higher`` (higher is better: rating-up, resolved, SLA met, judge pass rates,
  escalation recall): flagged when the ratio is below the lower bound.
* ``lower`` (a "bad" rate: overrides, hallucinations, toxicity, false escalations):
  flagged when the ratio is above the upper bound. Ratios of rare bad rates move
  faster than ratios of their complements (5 % → 10 % overrides is 2.0, while the
  "not overridden" ratio is 0.95); this sensitivity is intended for harms.
* ``both`` (escalation rate: escalating more *or* less than the reference can each
  disadvantage a group — slower service or missed help): flagged outside either bound.
* ``summary`` (one row per attribute: fairlearn's demographic-parity and
  equalized-odds differences of the escalation decision): descriptive, never flagged;
  the per-group ``escalation_recall`` / ``false_escalation_rate`` rows carry the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower", "both", "summary"]
Estimator = Literal["census", "hajek", "fairlearn"]

MISSING_GROUP = "(missing)"
"""Group of rows whose attribute is NULL: reported (it may hide a population) but never a reference."""
ALL_GROUPS = "(all groups)"
"""``group_value`` of the attribute-level fairlearn summary rows."""
INTERSECTION_SEP = "×"
"""Joins two attribute names (``language×customer_tier``) and their values (``es×free``)."""

COLUMNS: dict[str, tuple[str, str]] = {
    "week_start": ("DATE", "Monday of the audited week (the partition)"),
    "attribute": ("VARCHAR", "Audited segment key, or 'a×b' for an intersection of two keys"),
    "group_value": (
        "VARCHAR",
        "Group of the attribute ('v1×v2' for intersections, '(missing)' for NULL, '(all groups)' for summary rows)",
    ),
    "reference_group": (
        "VARCHAR",
        "Group compared against: fairness.reference_groups[attribute], else the largest group",
    ),
    "metric": (
        "VARCHAR",
        "Outcome or quality metric (segment_kpis names; escalation_recall / false_escalation_rate; escalation_* summaries)",
    ),
    "direction": (
        "VARCHAR",
        "higher | lower | both | summary: which side of the ratio bounds is adverse for the group",
    ),
    "estimator": (
        "VARCHAR",
        "census (all traffic) | hajek (judged sample weighted by 1/inclusion_prob) | fairlearn",
    ),
    "group_n": ("BIGINT", "Interactions of the group in the week"),
    "n": (
        "BIGINT",
        "Observations behind the rate (rows where the outcome is known, rated rows, judged ok rows, labelled escalation rows)",
    ),
    "rate": ("DOUBLE", "The group's rate (NULL when unmeasured)"),
    "reference_n": ("BIGINT", "Observations behind the reference group's rate"),
    "reference_rate": ("DOUBLE", "The reference group's rate"),
    "disparity_ratio": (
        "DOUBLE",
        "rate / reference_rate (NULL when the reference rate is 0 and the rate is not); summary rows: fairlearn min/max ratio",
    ),
    "disparity_diff": (
        "DOUBLE",
        "rate - reference_rate; summary rows: fairlearn between-groups difference",
    ),
    "test": (
        "VARCHAR",
        "chi2 | fisher (2×2 on counts) | chi2_kish | fisher_kish (on Kish effective counts, weighted metrics) | none",
    ),
    "p_value": ("DOUBLE", "Two-sided p-value of group vs reference"),
    "p_adjusted": (
        "DOUBLE",
        "Benjamini–Hochberg adjusted p-value over every eligible test of the week (NULL when not eligible)",
    ),
    "significant": ("BOOLEAN", "p_adjusted < fairness.alpha (NULL when not eligible)"),
    "flagged": (
        "BOOLEAN",
        "Ratio beyond fairness.ratio_bounds on the adverse side, group and reference both large enough",
    ),
    "small_group": (
        "BOOLEAN",
        "n < fairness.min_group_size: reported, never flagged, not in the correction family",
    ),
}


@dataclass(frozen=True)
class MetricSpec:
    name: str
    direction: Direction
    estimator: Estimator
    quality: bool
    """A judge-measured quality or safety metric (a bias alert on it is always high severity)."""
    description: str


CENSUS_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("rating_up_rate", "higher", "census", False, "thumbs-up among rated interactions"),
    MetricSpec("resolved_rate", "higher", "census", False, "resolved, among rows where known"),
    MetricSpec("escalation_rate", "both", "census", False, "escalated, among rows where known"),
    MetricSpec(
        "override_rate", "lower", "census", False, "analyst override, among rows where known"
    ),
    MetricSpec(
        "sla_hit_rate", "higher", "census", False, "resolution SLA met, among rows where known"
    ),
)
PASS_RATE_PREFIX = "judge_pass_rate:"
JUDGE_FAILURE_METRICS: dict[str, str] = {
    "hallucination_rate": "faithfulness",
    "toxicity_rate": "safety",
}
"""Failure rates of one criterion (``passed = false`` among ok rows), as in segment_kpis."""
ESCALATION_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "escalation_recall",
        "higher",
        "fairlearn",
        False,
        "escalated among interactions that needed escalation (true positive rate)",
    ),
    MetricSpec(
        "false_escalation_rate",
        "lower",
        "fairlearn",
        False,
        "escalated among interactions that did not need it (false positive rate)",
    ),
)
SUMMARY_METRICS: dict[str, str] = {
    "escalation_demographic_parity": "fairlearn demographic_parity_difference / _ratio of escalation",
    "escalation_equalized_odds": "fairlearn equalized_odds_difference / _ratio of escalation",
}


def judge_metric_spec(name: str) -> MetricSpec:
    if name in JUDGE_FAILURE_METRICS:
        return MetricSpec(
            name, "lower", "hajek", True, f"{JUDGE_FAILURE_METRICS[name]} judged failed (weighted)"
        )
    return MetricSpec(name, "higher", "hajek", True, "judge passed (weighted)")
