"""The weekly fairness audit: rates per group, disparities against a reference, tests.

For every audited attribute (and intersection) and every group the audit reports,
per metric, the group's rate and the reference group's, their ratio and difference,
a two-sided test of equality, the Benjamini–Hochberg adjusted p-value over every
eligible test of the week, and whether the gap is flagged.

* Outcome rates (census, every interaction of the week): ``rating_up_rate`` among
  rated rows, ``resolved_rate``, ``escalation_rate``, ``override_rate``,
  ``sla_hit_rate`` among rows where the outcome is known (NULL never counts as 0).
* Judge rates (the judged sample, Hájek ``Σw·y/Σw`` over ``status='ok'`` rows with
  ``w = weight`` of ``sampled_interactions``, ``1/inclusion_prob`` when the weight is
  missing; judged rows without a sample row are not estimable and left out):
  ``judge_pass_rate:<criterion>`` for every criterion judged in the week,
  ``hallucination_rate`` (faithfulness failed) and ``toxicity_rate`` (safety failed).
* Escalation decision (fairlearn, see ``evalflow.fairness.escalation``):
  ``escalation_recall`` and ``false_escalation_rate`` per group, and per attribute the
  demographic-parity and equalized-odds summaries.

Eligibility: a row is *small* when fewer than ``fairness.min_group_size``
observations stand behind its rate; small rows are reported with their p-value but
are never flagged and are kept out of the correction family (they could never be
acted on, so they would only cost the others power). A row is also not flagged or
corrected when the reference itself is that small. The reference's own row is
reported with ratio 1 and no test. ``flagged`` is the four-fifths rule on the
adverse side (``evalflow.fairness.schema``); it does not require significance —
``significant`` says whether the gap is beyond chance, and a bias alert needs both.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import Settings
from evalflow.fairness.escalation import (
    bool_parts,
    demographic_parity,
    equalized_odds,
    escalation_labels,
    escalation_rates,
)
from evalflow.fairness.groups import AttributeSpec, GroupCoder, attribute_specs, choose_reference
from evalflow.fairness.schema import (
    ALL_GROUPS,
    CENSUS_METRICS,
    COLUMNS,
    ESCALATION_METRICS,
    JUDGE_FAILURE_METRICS,
    PASS_RATE_PREFIX,
    MetricSpec,
    judge_metric_spec,
)
from evalflow.fairness.stats import benjamini_hochberg, two_proportion_test

RAW_BASE_COLUMNS = [
    "day",
    "interaction_id",
    "feedback_rating",
    "outcome_escalated",
    "outcome_escalation_correct",
    "outcome_analyst_override",
    "outcome_resolved",
    "outcome_sla_met",
    "outcome_incident_missed",
]
SAMPLE_COLUMNS = ["day", "interaction_id", "inclusion_prob", "weight"]
JUDGE_COLUMNS = ["day", "interaction_id", "criterion", "status", "passed"]

_CENSUS_SOURCES = {
    "resolved_rate": "outcome_resolved",
    "escalation_rate": "outcome_escalated",
    "override_rate": "outcome_analyst_override",
    "sla_hit_rate": "outcome_sla_met",
}


@dataclass(frozen=True)
class GroupRates:
    """One metric over the groups of one attribute (arrays indexed by group code)."""

    spec: MetricSpec
    rate: np.ndarray
    n: np.ndarray
    x_test: np.ndarray
    n_test: np.ndarray
    effective: bool = False


@dataclass(frozen=True)
class AuditResult:
    table: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)


def empty_audit() -> pd.DataFrame:
    dtypes = {
        "DATE": "object",
        "VARCHAR": "object",
        "BIGINT": "Int64",
        "DOUBLE": "float64",
        "BOOLEAN": "boolean",
    }
    return pd.DataFrame({c: pd.Series(dtype=dtypes[t]) for c, (t, _) in COLUMNS.items()})


def census_rates(
    codes: np.ndarray, k: int, known: np.ndarray, hit: np.ndarray, spec: MetricSpec
) -> GroupRates:
    n = np.bincount(codes[known], minlength=k)
    x = np.bincount(codes[known & hit], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / np.maximum(n, 1), np.nan)
    return GroupRates(spec, rate, n.astype(np.int64), x.astype(float), n.astype(float))


def hajek_rates(
    codes: np.ndarray, k: int, y: np.ndarray, weight: np.ndarray, spec: MetricSpec
) -> GroupRates:
    """Hájek rate per group; the test counts are Kish effective counts."""
    w = np.asarray(weight, dtype=float)
    yy = np.asarray(y, dtype=float)
    n = np.bincount(codes, minlength=k)
    sw = np.bincount(codes, weights=w, minlength=k)
    swy = np.bincount(codes, weights=w * yy, minlength=k)
    sw2 = np.bincount(codes, weights=w * w, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(sw > 0, swy / sw, np.nan)
        n_eff = np.where(sw2 > 0, sw * sw / sw2, 0.0)
    x_eff = np.where(n_eff > 0, np.nan_to_num(rate) * n_eff, 0.0)
    return GroupRates(spec, rate, n.astype(np.int64), x_eff, n_eff, effective=True)


@dataclass(frozen=True)
class JudgeObservations:
    """Judged ``ok`` rows aligned to raw rows: per metric (raw row positions, weights, 0/1)."""

    by_metric: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    ok_rows: int
    without_weight: int
    without_interaction: int


def _dates(s: pd.Series) -> np.ndarray:
    return pd.to_datetime(s).dt.normalize().to_numpy(dtype="datetime64[ns]")


def judge_observations(
    raw: pd.DataFrame, sampled: pd.DataFrame, judges: pd.DataFrame
) -> JudgeObservations:
    """Align judge verdicts with the week's interactions and their sample weights.

    A judge row counts only when its (day, interaction_id) is the interaction's
    current day in ``raw_interactions`` (a re-sent id that moved to another day
    leaves stale verdicts behind) and its sample row gives a weight.
    """
    if judges.empty or raw.empty:
        return JudgeObservations({}, 0, 0, 0)
    j = judges[judges["status"].astype("string").eq("ok").fillna(False).to_numpy(bool)]
    j = j[j["passed"].notna().to_numpy(bool)]
    j = j.drop_duplicates(["day", "interaction_id", "criterion"], keep="last")
    ok_rows = len(j)
    # Look the week's (millions of) raw ids up in the (thousands of) judged ids, not the
    # reverse: the hash table stays small. interaction_id is unique in raw_interactions.
    judged_ids = pd.Index(pd.unique(j["interaction_id"].to_numpy()))
    hit = judged_ids.get_indexer(raw["interaction_id"])
    raw_pos_of = np.full(len(judged_ids), -1, dtype=np.int64)
    found = np.flatnonzero(hit >= 0)
    raw_pos_of[hit[found]] = found
    pos = raw_pos_of[judged_ids.get_indexer(j["interaction_id"])]
    raw_day = _dates(raw["day"])
    same_day = (pos >= 0) & (raw_day[np.maximum(pos, 0)] == _dates(j["day"]))
    without_interaction = int((~same_day).sum())
    j, pos = j[same_day], pos[same_day]
    weight = np.full(len(j), np.nan)
    if len(j) and not sampled.empty:
        s = sampled.drop_duplicates(["day", "interaction_id"], keep="last")
        s_w = pd.to_numeric(s["weight"], errors="coerce").to_numpy(float)
        s_p = pd.to_numeric(s["inclusion_prob"], errors="coerce").to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_w = np.where(np.isfinite(s_w), s_w, 1.0 / s_p)
        keys = pd.MultiIndex.from_arrays([_dates(s["day"]), s["interaction_id"].to_numpy()])
        s_pos = keys.get_indexer(
            pd.MultiIndex.from_arrays([_dates(j["day"]), j["interaction_id"].to_numpy()])
        )
        weight = np.where(s_pos >= 0, s_w[np.maximum(s_pos, 0)], np.nan)
    has_weight = np.isfinite(weight) & (weight > 0)
    without_weight = int((~has_weight).sum())
    j, pos, weight = j[has_weight], pos[has_weight], weight[has_weight]
    # A weight below 1 means an inclusion probability above 1: invalid, read as π = 1.
    weight = np.maximum(weight, 1.0)
    passed = j["passed"].astype("boolean").to_numpy(dtype=bool)
    criterion = j["criterion"].astype("string").fillna("").to_numpy(dtype=object)
    by_metric: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for crit in sorted({str(c) for c in criterion if c}):
        sel = criterion == crit
        by_metric[f"{PASS_RATE_PREFIX}{crit}"] = (pos[sel], weight[sel], passed[sel])
    for metric, crit in JUDGE_FAILURE_METRICS.items():
        sel = criterion == crit
        if sel.any():
            by_metric[metric] = (pos[sel], weight[sel], ~passed[sel])
    return JudgeObservations(by_metric, ok_rows, without_weight, without_interaction)


def census_flags(raw: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(known, hit) per census metric; an absent column is all unknown."""
    n = len(raw)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rating = raw["feedback_rating"].astype("string") if "feedback_rating" in raw else None
    if rating is None:
        out["rating_up_rate"] = (np.zeros(n, bool), np.zeros(n, bool))
    else:
        up = rating.eq("up").fillna(False).to_numpy(bool)
        down = rating.eq("down").fillna(False).to_numpy(bool)
        out["rating_up_rate"] = (up | down, up)
    for metric, col in _CENSUS_SOURCES.items():
        out[metric] = bool_parts(raw.get(col), n)
    return out


def adverse_beyond(direction: str, rate: float, ref_rate: float, lo: float, hi: float) -> bool:
    """Is the ratio outside the bounds on the side that harms the group?

    A zero reference rate with a non-zero group rate is an infinite ratio; two zero
    rates are equal (ratio 1).
    """
    if math.isnan(rate) or math.isnan(ref_rate):
        return False
    infinite = math.inf if rate > 0 else 1.0
    ratio = rate / ref_rate if ref_rate > 0 else infinite
    if direction == "higher":
        return ratio < lo
    if direction == "lower":
        return ratio > hi
    if direction == "both":
        return ratio < lo or ratio > hi
    return False


def _opt(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def comparison_rows(
    week_start: dt.date,
    spec: AttributeSpec,
    labels: list[str],
    group_n: np.ndarray,
    ref: int | None,
    gr: GroupRates,
    settings: Settings,
) -> list[dict[str, Any]]:
    """One row per group of one metric: rate, reference, ratio, difference, test, eligibility."""
    fs = settings.fairness
    lo, hi = fs.ratio_bounds
    rows: list[dict[str, Any]] = []
    ref_rate = float(gr.rate[ref]) if ref is not None else math.nan
    ref_n = int(gr.n[ref]) if ref is not None else None
    ref_large = ref_n is not None and ref_n >= fs.min_group_size
    for g, label in enumerate(labels):
        rate = float(gr.rate[g])
        small = int(gr.n[g]) < fs.min_group_size
        is_ref = ref is not None and g == ref
        ratio: float | None = None
        diff: float | None = None
        test, p = "none", None
        if not math.isnan(rate) and not math.isnan(ref_rate):
            diff = rate - ref_rate
            if ref_rate > 0:
                ratio = rate / ref_rate
            elif rate == 0:
                ratio = 1.0
            if not is_ref:
                test, p = two_proportion_test(
                    float(gr.x_test[g]),
                    float(gr.n_test[g]),
                    float(gr.x_test[ref]),
                    float(gr.n_test[ref]),
                    effective=gr.effective,
                )
        flaggable = not small and ref_large and not is_ref
        rows.append(
            {
                "week_start": week_start,
                "attribute": spec.name,
                "group_value": label,
                "reference_group": labels[ref] if ref is not None else None,
                "metric": gr.spec.name,
                "direction": gr.spec.direction,
                "estimator": gr.spec.estimator,
                "group_n": int(group_n[g]),
                "n": int(gr.n[g]),
                "rate": _opt(rate),
                "reference_n": ref_n,
                "reference_rate": _opt(ref_rate),
                "disparity_ratio": ratio,
                "disparity_diff": diff,
                "test": test,
                "p_value": p,
                "small_group": small,
                "_eligible": flaggable and p is not None,
                "_flaggable": flaggable,
                "_beyond": adverse_beyond(gr.spec.direction, rate, ref_rate, lo, hi),
            }
        )
    return rows


def summary_rows(
    week_start: dt.date,
    spec: AttributeSpec,
    codes: np.ndarray,
    group_n: np.ndarray,
    escalation_n: np.ndarray,
    labelled_n: np.ndarray,
    positives: np.ndarray,
    negatives: np.ndarray,
    labels_known: tuple[np.ndarray, np.ndarray, np.ndarray],
    esc_parts: tuple[np.ndarray, np.ndarray],
    settings: Settings,
) -> list[dict[str, Any]]:
    """The attribute-level fairlearn rows (descriptive, never flagged)."""
    min_size = settings.fairness.min_group_size
    known, escalated = esc_parts
    labelled, y_true, y_pred = labels_known
    dp = demographic_parity(codes, known, escalated, escalation_n >= min_size)
    eo_eligible = (labelled_n >= min_size) & (positives > 0) & (negatives > 0)
    eo = equalized_odds(codes, labelled, y_true, y_pred, eo_eligible)
    rows = []
    for metric, s in (("escalation_demographic_parity", dp), ("escalation_equalized_odds", eo)):
        rows.append(
            {
                "week_start": week_start,
                "attribute": spec.name,
                "group_value": ALL_GROUPS,
                "reference_group": None,
                "metric": metric,
                "direction": "summary",
                "estimator": "fairlearn",
                "group_n": int(group_n.sum()),
                "n": s.n,
                "rate": None,
                "reference_n": None,
                "reference_rate": None,
                "disparity_ratio": s.ratio,
                "disparity_diff": s.difference,
                "test": "none",
                "p_value": None,
                "small_group": s.groups < 2,
                "_eligible": False,
                "_flaggable": False,
                "_beyond": False,
            }
        )
    return rows


def compute_fairness_audit(
    week_start: dt.date,
    raw: pd.DataFrame,
    sampled: pd.DataFrame,
    judges: pd.DataFrame,
    settings: Settings,
) -> AuditResult:
    """The ``fairness_audit`` rows of one week (columns ``COLUMNS``) and diagnostics.

    ``raw``: the week's ``raw_interactions`` (``RAW_BASE_COLUMNS`` and the ``seg_<key>``
    columns of the audited attributes); ``sampled`` and ``judges``: the week's
    ``sampled_interactions`` and ``judge_scores`` (``SAMPLE_COLUMNS``, ``JUDGE_COLUMNS``).
    """
    fs = settings.fairness
    specs, skipped = attribute_specs(
        settings.audit_attributes, fs.intersections, fs.reference_groups, set(raw.columns)
    )
    diagnostics: dict[str, Any] = {"interactions": len(raw), "skipped_attributes": skipped}
    if raw.empty or not specs:
        diagnostics.update(attributes=[s.name for s in specs], tests=0, significant=0, flagged=0)
        return AuditResult(empty_audit(), diagnostics)
    raw = raw.reset_index(drop=True)  # interaction_id is unique in raw_interactions (ingest)
    census = census_flags(raw)
    judged = judge_observations(raw, sampled, judges)
    labelled, y_true, y_pred = escalation_labels(raw)
    esc_known, esc_hit = census["escalation_rate"]
    diagnostics.update(
        attributes=[s.name for s in specs],
        judge_ok_rows=judged.ok_rows,
        judge_rows_without_weight=judged.without_weight,
        judge_rows_without_interaction=judged.without_interaction,
        escalation_labelled_share=float(labelled.mean()) if len(raw) else 0.0,
    )
    coder = GroupCoder(raw)
    rows: list[dict[str, Any]] = []
    for spec in specs:
        codes, labels = coder.codes(spec)
        k = len(labels)
        group_n = np.bincount(codes, minlength=k)
        ref = choose_reference(labels, group_n, spec.configured_reference)
        metrics: list[GroupRates] = [
            census_rates(codes, k, *census[m.name], m) for m in CENSUS_METRICS
        ]
        for name, (pos, w, y) in judged.by_metric.items():
            metrics.append(hajek_rates(codes[pos], k, y, w, judge_metric_spec(name)))
        esc = escalation_rates(codes, labelled, y_true, y_pred, k)
        recall_spec, false_spec = ESCALATION_METRICS
        metrics.append(
            GroupRates(
                recall_spec,
                esc.recall,
                esc.positives,
                esc.true_pos.astype(float),
                esc.positives.astype(float),
            )
        )
        metrics.append(
            GroupRates(
                false_spec,
                esc.false_rate,
                esc.negatives,
                esc.false_pos.astype(float),
                esc.negatives.astype(float),
            )
        )
        for gr in metrics:
            rows.extend(comparison_rows(week_start, spec, labels, group_n, ref, gr, settings))
        rows.extend(
            summary_rows(
                week_start,
                spec,
                codes,
                group_n,
                escalation_n=next(m.n for m in metrics if m.spec.name == "escalation_rate"),
                labelled_n=esc.positives + esc.negatives,
                positives=esc.positives,
                negatives=esc.negatives,
                labels_known=(labelled, y_true, y_pred),
                esc_parts=(esc_known, esc_hit),
                settings=settings,
            )
        )
    table = finalize(pd.DataFrame(rows), settings)
    diagnostics.update(
        tests=int(table["p_adjusted"].notna().sum()),
        significant=int(table["significant"].fillna(False).sum()),
        flagged=int(table["flagged"].sum()),
        flagged_significant=int((table["flagged"] & table["significant"].fillna(False)).sum()),
    )
    return AuditResult(table, diagnostics)


def finalize(rows: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Benjamini–Hochberg over the week's eligible tests, then significance and flags."""
    eligible = rows["_eligible"].to_numpy(bool)
    p = pd.to_numeric(rows["p_value"], errors="coerce").to_numpy(float)
    adjusted = np.full(len(rows), np.nan)
    adjusted[eligible] = benjamini_hochberg(p[eligible])
    rows = rows.copy()
    rows["p_adjusted"] = adjusted
    significant = pd.array(adjusted < settings.fairness.alpha, dtype="boolean")
    significant[~eligible] = pd.NA
    rows["significant"] = significant
    rows["flagged"] = rows["_flaggable"].to_numpy(bool) & rows["_beyond"].to_numpy(bool)
    rows["small_group"] = rows["small_group"].astype(bool)
    for col in ("group_n", "n", "reference_n"):
        rows[col] = pd.array(rows[col], dtype="Int64")
    for col in ("rate", "reference_rate", "disparity_ratio", "disparity_diff", "p_value"):
        rows[col] = pd.to_numeric(rows[col], errors="coerce").astype(float)
    return rows[list(COLUMNS)].reset_index(drop=True)
