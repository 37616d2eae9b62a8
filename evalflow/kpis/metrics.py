"""Compute ``segment_kpis``: every metric for ``overall`` and every segment cell of a day.

Cells are ``overall``, each value of each configured segment key (``seg_<key>``
columns of ``raw_interactions``), each ``model_version`` and each ``rollout_arm``.
A segment value that is NULL is reported as the cell ``(missing)`` so the cells of a
key always add up to ``overall``; a grouping column that is NULL on every row (no
rollout running, a segment the logs never carry) produces no cells.

Census metrics use every interaction; judge metrics use the judged sample, weighted
by ``1/inclusion_prob`` (see ``evalflow.kpis.stats`` for every estimator and interval).
Judge rows whose status is not ``ok`` never enter a rate or a mean: they are counted
in ``judge_unmeasured`` and lower ``judge_coverage``. ``not_applicable`` rows (e.g.
faithfulness without retrieved context) are neither measured nor unmeasured.

Everything is computed with ``np.bincount`` over integer cell codes: one pass per
metric and grouping, so a million rows take about a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import KpiSettings, segment_column
from evalflow.kpis import catalogue
from evalflow.kpis.composite import CompositePlan, composite_rows, plan_composite
from evalflow.kpis.judge_error import (
    CORRECTED,
    UNCORRECTED,
    JudgeAccuracy,
    corrected_prevalence,
    pick_accuracy,
)
from evalflow.kpis.stats import (
    GroupEstimate,
    HajekEstimate,
    SortedValues,
    census_mean,
    census_proportion,
    grouped_quantiles,
    hajek_mean,
    hajek_proportion,
    z_value,
)

COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day (the partition)"),
    "segment_key": ("VARCHAR", "overall | <segment key> | model_version | rollout_arm"),
    "segment_value": ("VARCHAR", "the cell's value ('overall' for overall, '(missing)' for NULL)"),
    "metric": ("VARCHAR", "metric name (catalogue in docs/tables.md)"),
    "value": ("DOUBLE", "estimate; NULL when it cannot be computed (unmeasured)"),
    "ci_low": ("DOUBLE", "lower bound of the confidence interval (NULL when none)"),
    "ci_high": ("DOUBLE", "upper bound of the confidence interval (NULL when none)"),
    "se": ("DOUBLE", "standard error = (ci_high - ci_low) / (2z); used to combine estimates"),
    "n": ("BIGINT", "observations behind the value (rows, rated rows, judged rows, ...)"),
    "estimator": ("VARCHAR", "census (all traffic) | horvitz_thompson (weighted judge sample)"),
    "low_count": ("BOOLEAN", "n < kpis.min_cell_count: shown, but read with care"),
    "n_uncertain": (
        "BIGINT",
        "judge metrics: judged rows whose verdict was 'uncertain' (neither pass nor fail, "
        "not in n); NULL for metrics not from a judge",
    ),
    "judge_correction": (
        "VARCHAR",
        "hallucination_rate/toxicity_rate: 'rogan_gladen' (corrected for the judge's measured "
        "sensitivity/specificity, interval includes that error) | 'none' (no calibration: raw "
        "judge rate); NULL for other metrics",
    ),
    "note": (
        "VARCHAR",
        "why a value is NULL, which calibration corrected it, or which composite terms were "
        "dropped as unmeasured; NULL when there is nothing to say",
    ),
}

MISSING = "(missing)"
OVERALL = "overall"

RAW_COLUMNS = [
    "interaction_id",
    "model_version",
    "rollout_arm",
    "latency_ms",
    "cost_usd",
    "feedback_rating",
    "feedback_copied",
    "feedback_edited",
    "feedback_retried",
    "outcome_escalated",
    "outcome_escalation_correct",
    "outcome_analyst_override",
    "outcome_resolved",
    "outcome_sla_met",
    "outcome_incident_missed",
    "outcome_resolution_minutes",
    "error",
]
SIGNAL_COLUMNS = [
    "interaction_id",
    "toxic",
    "pii_in_response",
    "refusal",
    "relevance_proxy",
    "grounding_proxy",
    "sla_breach",
]
SAMPLE_COLUMNS = ["interaction_id", "inclusion_prob", "weight"]
JUDGE_COLUMNS = ["interaction_id", "criterion", "backend", "status", "verdict", "score", "passed"]


def raw_columns(segments: Sequence[str]) -> list[str]:
    """The ``raw_interactions`` columns this stage reads (never the text columns)."""
    return [*RAW_COLUMNS, *(segment_column(k) for k in segments)]


@dataclass
class KpiResult:
    frame: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)
    """Integer counts for the asset metadata."""
    composite: CompositePlan | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    """Per corrected judge metric: how (or why not) it was corrected for judge error."""


@dataclass(frozen=True)
class Grouping:
    key: str
    codes: np.ndarray
    labels: list[str]

    @property
    def n_groups(self) -> int:
        return len(self.labels)


def _bool_parts(s: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(known, true) masks of a nullable boolean column; absent column = all unknown."""
    if s is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    b = s.astype("boolean")
    known = b.notna().to_numpy()
    hit = b.fillna(False).to_numpy(dtype=bool)
    return known, hit


def _float(s: pd.Series | None, n: int) -> np.ndarray:
    if s is None:
        return np.full(n, np.nan)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _grouping(key: str, values: pd.Series | None, n: int) -> Grouping | None:
    if key == OVERALL:
        return Grouping(OVERALL, np.zeros(n, dtype=np.int64), [OVERALL])
    if values is None or n == 0 or values.isna().all():
        return None
    codes, uniques = pd.factorize(values, sort=True)
    labels = [str(u) for u in uniques]
    codes = codes.astype(np.int64)
    if (codes < 0).any():
        codes[codes < 0] = len(labels)
        labels.append(MISSING)
    return Grouping(key, codes, labels)


class _Rows:
    """Collects long-format rows as arrays and builds the frame once at the end."""

    def __init__(self, z: float, min_cell_count: int) -> None:
        self.z = z
        self.min_cell_count = min_cell_count
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        g: Grouping,
        metric: str,
        est: GroupEstimate,
        estimator: str,
        with_ci: bool = True,
        *,
        uncertain: np.ndarray | None = None,
        correction: str | None = None,
        note: str | None = None,
    ) -> None:
        k = g.n_groups
        value = np.asarray(est.value, dtype=float)
        low = np.asarray(est.ci_low, dtype=float) if with_ci else np.full(k, np.nan)
        high = np.asarray(est.ci_high, dtype=float) if with_ci else np.full(k, np.nan)
        low = np.where(np.isnan(value), np.nan, low)
        high = np.where(np.isnan(value), np.nan, high)
        self.parts.append(
            {
                "segment_key": np.full(k, g.key, dtype=object),
                "segment_value": np.asarray(g.labels, dtype=object),
                "metric": np.full(k, metric, dtype=object),
                "value": value,
                "ci_low": low,
                "ci_high": high,
                "se": (high - low) / (2.0 * self.z),
                "n": np.asarray(est.n, dtype=np.int64),
                "estimator": np.full(k, estimator, dtype=object),
                "n_uncertain": np.full(k, np.nan)
                if uncertain is None
                else np.asarray(uncertain, dtype=float),
                "judge_correction": np.full(k, correction, dtype=object),
                "note": np.full(k, note, dtype=object),
            }
        )

    def add_count(self, g: Grouping, metric: str, count: np.ndarray, n: np.ndarray) -> None:
        nan = np.full(g.n_groups, np.nan)
        self.add(g, metric, GroupEstimate(count.astype(float), nan, nan, n), "census", False)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=[c for c in COLUMNS if c != "day"])
        out = pd.DataFrame({c: np.concatenate([p[c] for p in self.parts]) for c in self.parts[0]})
        out["low_count"] = out["n"] < self.min_cell_count
        return out


def _flip(est: GroupEstimate) -> GroupEstimate:
    """1 - p with its interval mirrored (pass rate -> failure rate)."""
    return GroupEstimate(1.0 - est.value, 1.0 - est.ci_high, 1.0 - est.ci_low, est.n)


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    return df[name] if name in df.columns else None


@dataclass(frozen=True)
class _JudgeInputs:
    """The day's judge rows aligned to raw rows: one entry per (interaction, criterion)."""

    pos: np.ndarray
    crit: np.ndarray
    backend: np.ndarray
    weight: np.ndarray
    is_ok: np.ndarray
    applicable: np.ndarray
    uncertain: np.ndarray
    """status ok but verdict 'uncertain' (passed NULL): unmeasured, neither pass nor fail."""
    passed: np.ndarray
    score: np.ndarray


def _judge_inputs(
    judges: pd.DataFrame, sampled: pd.DataFrame, ids: pd.Index, diagnostics: dict[str, Any]
) -> _JudgeInputs:
    j = judges if not judges.empty else pd.DataFrame(columns=JUDGE_COLUMNS)
    if len(j):
        j = j.assign(_ok=j["status"].eq("ok").fillna(False))
        j = j.sort_values("_ok", ascending=False, kind="stable")
        j = j.drop_duplicates(["interaction_id", "criterion"], keep="first")
    j_pos = ids.get_indexer(j["interaction_id"]) if len(j) else np.array([], dtype=np.int64)
    diagnostics["judge_rows_without_interaction"] = int((j_pos < 0).sum())
    j = j[j_pos >= 0]
    j_pos = j_pos[j_pos >= 0]
    weight = np.full(len(j), np.nan)
    if len(j) and not sampled.empty:
        s = sampled.drop_duplicates("interaction_id", keep="last")
        s_w = _float(_col(s, "weight"), len(s))
        s_p = _float(_col(s, "inclusion_prob"), len(s))
        with np.errstate(divide="ignore", invalid="ignore"):
            s_w = np.where(np.isnan(s_w), 1.0 / s_p, s_w)
        s_pos = pd.Index(s["interaction_id"]).get_indexer(j["interaction_id"])
        weight = np.where(s_pos >= 0, s_w[np.maximum(s_pos, 0)], np.nan)
    status = j["status"].astype("string").fillna("error").to_numpy(dtype=object)
    is_ok = status == "ok"
    passed_known, passed_hit = _bool_parts(_col(j, "passed"), len(j))
    verdict = _col(j, "verdict")
    said_uncertain = (
        np.zeros(len(j), dtype=bool)
        if verdict is None
        else (verdict.astype("string") == "uncertain").fillna(False).to_numpy(dtype=bool)
    )
    # The contract: passed is NULL exactly when the verdict is uncertain; either says so.
    uncertain = is_ok & (said_uncertain | ~passed_known)
    passed = np.where(passed_known & ~uncertain, passed_hit.astype(float), np.nan)
    diagnostics["judge_ok_rows_without_weight"] = int((is_ok & np.isnan(weight)).sum())
    applicable = status != "not_applicable"
    diagnostics["judge_rows_unmeasured"] = int((applicable & ~is_ok).sum())
    return _JudgeInputs(
        pos=j_pos,
        crit=j["criterion"].astype("string").fillna("").to_numpy(dtype=object),
        backend=_col(j, "backend").astype("string").fillna("").to_numpy(dtype=object)
        if "backend" in j.columns
        else np.full(len(j), "", dtype=object),
        weight=weight,
        is_ok=is_ok,
        applicable=applicable,
        uncertain=uncertain,
        passed=passed,
        score=np.where(uncertain, np.nan, _float(_col(j, "score"), len(j))),
    )


# Judge-based prevalences of failure: (metric, criterion).
PREVALENCES: tuple[tuple[str, str], ...] = (
    ("hallucination_rate", "faithfulness"),
    ("toxicity_rate", "safety"),
)


@dataclass
class _CorrectionPlan:
    """Per prevalence metric: the calibration to correct it with (or why there is none)."""

    accuracy: dict[str, JudgeAccuracy | None]
    notes: dict[str, str]
    day: dt.date

    @classmethod
    def of(
        cls,
        ji: _JudgeInputs,
        criteria: Sequence[str],
        accuracies: Mapping[tuple[str, str], JudgeAccuracy],
        day: dt.date,
    ) -> _CorrectionPlan:
        acc: dict[str, JudgeAccuracy | None] = {}
        notes: dict[str, str] = {}
        measured = ji.is_ok & ~ji.uncertain
        for metric, c in PREVALENCES:
            if c not in criteria:
                continue
            sel = measured & (ji.crit == c)
            counts = pd.Series(ji.backend[sel]).value_counts().to_dict()
            a, why = pick_accuracy(accuracies, c, {str(b): int(v) for b, v in counts.items()})
            if a is not None and a.youden <= 0:
                why = (
                    f"unmeasured: the {a.backend} {c} judge is no better than chance against "
                    f"human labels (sensitivity {a.sensitivity:.3f} + specificity "
                    f"{a.specificity:.3f} <= 1, judge_calibration of {a.as_of})"
                )
            acc[metric], notes[metric] = a, why
        return cls(acc, notes, day)


def _add_judge_metrics(
    rows: _Rows,
    g: Grouping,
    ji: _JudgeInputs,
    criteria: Sequence[str],
    plan: _CorrectionPlan,
    confidence: float,
) -> None:
    """Judge bookkeeping and judge-based quality for one grouping (ok rows, 1/π weights)."""
    z, k = rows.z, g.n_groups
    jc = g.codes[ji.pos]
    ok, applicable, crit = ji.is_ok, ji.applicable, ji.crit

    def _count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(jc, weights=mask.astype(float), minlength=k).astype(np.int64)

    rows.add(g, catalogue.COVERAGE, census_proportion(jc, applicable, ok, k, z), "census")
    rows.add_count(g, "judge_unmeasured", _count(applicable & ~ok), _count(applicable))
    nan = np.full(k, np.nan)
    for metric, c in (*PREVALENCES, ("relevance_score", "relevance")):
        if c not in criteria:
            empty = GroupEstimate(nan, nan, nan, np.zeros(k, dtype=np.int64))
            rows.add(g, metric, empty, "horvitz_thompson", note=f"no {c} judge configured")
    for c in criteria:
        this = crit == c
        unc = _count(this & ji.uncertain)
        rows.add(
            g,
            f"{catalogue.COVERAGE_PREFIX}{c}",
            census_proportion(jc, applicable & this, ok & this, k, z),
            "census",
            uncertain=unc,
        )
        sel = this & ok
        est = hajek_proportion(jc[sel], ji.passed[sel], ji.weight[sel], k, z)
        rows.add(g, f"{catalogue.PASS_RATE_PREFIX}{c}", est, "horvitz_thompson", uncertain=unc)
        for metric, crit_name in PREVALENCES:
            if c == crit_name:
                _add_prevalence(rows, g, metric, est, unc, plan, confidence)
        if c == "relevance":
            mean = hajek_mean(jc[sel], ji.score[sel], ji.weight[sel], k, z, (0.0, 1.0))
            rows.add(g, "relevance_score", mean, "horvitz_thompson", uncertain=unc)


def _add_prevalence(
    rows: _Rows,
    g: Grouping,
    metric: str,
    pass_rate: HajekEstimate,
    uncertain: np.ndarray,
    plan: _CorrectionPlan,
    confidence: float,
) -> None:
    """A failure prevalence: Rogan–Gladen corrected when the judge's error is measured."""
    acc = plan.accuracy.get(metric)
    note = plan.notes.get(metric)
    if acc is None:
        rows.add(
            g,
            metric,
            _flip(pass_rate),
            "horvitz_thompson",
            uncertain=uncertain,
            correction=UNCORRECTED,
            note=note,
        )
        return
    if acc.youden <= 0:
        # A chance-level judge measures nothing: abstain rather than show its raw rate.
        nan = np.full(g.n_groups, np.nan)
        rows.add(
            g,
            metric,
            GroupEstimate(nan, nan, nan, pass_rate.n),
            "horvitz_thompson",
            uncertain=uncertain,
            correction=UNCORRECTED,
            note=note,
        )
        return
    n_eff = pass_rate.n_eff if pass_rate.n_eff is not None else pass_rate.n.astype(float)
    est = corrected_prevalence(
        1.0 - pass_rate.value,
        n_eff,
        acc,
        confidence,
        seed=f"{plan.day}|{metric}|{g.key}",
        n=pass_rate.n,
    )
    rows.add(
        g, metric, est, "horvitz_thompson", uncertain=uncertain, correction=CORRECTED, note=note
    )


def compute_segment_kpis(
    raw: pd.DataFrame,
    signals: pd.DataFrame,
    sampled: pd.DataFrame,
    judges: pd.DataFrame,
    *,
    segments: Sequence[str],
    criteria: Sequence[str],
    kpi: KpiSettings,
    day: dt.date,
    accuracies: Mapping[tuple[str, str], JudgeAccuracy] | None = None,
) -> KpiResult:
    """All ``segment_kpis`` rows of one day (long format, including ``composite_kpi``).

    ``accuracies``: measured judge accuracy per (criterion, backend) from
    ``judge_calibration`` (``judge_error.accuracies_from_table``); without it the
    judge-based prevalences are reported uncorrected and flagged so.
    """
    z = z_value(kpi.confidence)
    diagnostics: dict[str, Any] = {"interactions": len(raw)}
    if raw.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        return KpiResult(empty, diagnostics)
    if not raw["interaction_id"].is_unique:
        raw = raw.drop_duplicates("interaction_id", keep="last")
    if not isinstance(raw.index, pd.RangeIndex) or raw.index.start != 0:
        raw = raw.reset_index(drop=True)
    n = len(raw)
    rows = _Rows(z, kpi.min_cell_count)

    groupings = [
        g
        for g in (
            _grouping(OVERALL, None, n),
            *(_grouping(k, _col(raw, segment_column(k)), n) for k in segments),
            _grouping("model_version", _col(raw, "model_version"), n),
            _grouping("rollout_arm", _col(raw, "rollout_arm"), n),
        )
        if g is not None
    ]

    # --- census inputs, prepared once ------------------------------------------------
    rating = _col(raw, "feedback_rating")
    if rating is not None:
        rated = rating.notna().to_numpy()
        r = rating.to_numpy(dtype=object, na_value=None)
        up, down = rated & (r == "up"), rated & (r == "down")
    else:
        rated = up = down = np.zeros(n, dtype=bool)
    err = _col(raw, "error")
    has_error = np.zeros(n, dtype=bool)
    if err is not None:
        has_error = err.notna().to_numpy() & (err.to_numpy(dtype=object, na_value=None) != "")
    flags = {
        "copied_rate": _bool_parts(_col(raw, "feedback_copied"), n),
        "edited_rate": _bool_parts(_col(raw, "feedback_edited"), n),
        "retried_rate": _bool_parts(_col(raw, "feedback_retried"), n),
        "override_rate": _bool_parts(_col(raw, "outcome_analyst_override"), n),
        "escalation_rate": _bool_parts(_col(raw, "outcome_escalated"), n),
        "incident_miss_rate": _bool_parts(_col(raw, "outcome_incident_missed"), n),
        "resolved_rate": _bool_parts(_col(raw, "outcome_resolved"), n),
        "sla_hit_rate": _bool_parts(_col(raw, "outcome_sla_met"), n),
    }
    esc_known, esc = flags["escalation_rate"]
    corr_known, corr = _bool_parts(_col(raw, "outcome_escalation_correct"), n)
    sorted_cols = {
        col: SortedValues.of(_float(_col(raw, col), n))
        for col in ("latency_ms", "outcome_resolution_minutes")
    }
    cost = _float(_col(raw, "cost_usd"), n)

    # --- signals aligned to raw rows ---------------------------------------------------
    ids = pd.Index(raw["interaction_id"])
    sig_flags: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    sig_means: dict[str, np.ndarray] = {}
    if not signals.empty:
        signals = signals.drop_duplicates("interaction_id", keep="last")
        pos = ids.get_indexer(signals["interaction_id"])
        keep = pos >= 0
        pos = pos[keep]
        diagnostics["signals_without_interaction"] = int((~keep).sum())
        sig = signals[keep]
    else:
        pos, sig = np.array([], dtype=np.int64), signals
    for metric, col in (
        ("toxicity_signal_rate", "toxic"),
        ("pii_signal_rate", "pii_in_response"),
        ("refusal_rate", "refusal"),
        ("latency_sla_breach_rate", "sla_breach"),
    ):
        k_src, h_src = _bool_parts(_col(sig, col), len(sig))
        known = np.zeros(n, dtype=bool)
        hit = np.zeros(n, dtype=bool)
        known[pos], hit[pos] = k_src, h_src
        sig_flags[metric] = (known, hit)
    for metric, col in (
        ("relevance_proxy_mean", "relevance_proxy"),
        ("grounding_proxy_mean", "grounding_proxy"),
    ):
        vals = np.full(n, np.nan)
        vals[pos] = _float(_col(sig, col), len(sig))
        sig_means[metric] = vals

    ji = _judge_inputs(judges, sampled, ids, diagnostics)
    all_criteria = sorted(set(criteria) | {str(c) for c in ji.crit if c})
    diagnostics["judge_rows_uncertain"] = int(ji.uncertain.sum())
    plan = _CorrectionPlan.of(ji, all_criteria, accuracies or {}, day)

    for g in groupings:
        codes, k = g.codes, g.n_groups
        volume = np.bincount(codes, minlength=k)
        rows.add_count(g, "volume", volume, volume)
        rows.add(g, "feedback_rate", census_proportion(codes, None, rated, k, z), "census")
        rows.add(g, "rating_up_rate", census_proportion(codes, rated, up, k, z), "census")
        rows.add(g, "rating_down_rate", census_proportion(codes, rated, down, k, z), "census")
        rows.add(g, "error_rate", census_proportion(codes, None, has_error, k, z), "census")
        for metric, (known, hit) in flags.items():
            rows.add(g, metric, census_proportion(codes, known, hit, k, z), "census")
        rows.add(
            g,
            "escalation_precision",
            census_proportion(codes, esc_known & esc & corr_known, corr, k, z),
            "census",
        )
        for metric, (known, hit) in sig_flags.items():
            rows.add(g, metric, census_proportion(codes, known, hit, k, z), "census")
        rows.add(g, "cost_per_interaction", census_mean(codes, cost, k, z), "census")
        for metric, vals in sig_means.items():
            rows.add(g, metric, census_mean(codes, vals, k, z), "census")
        for col in ("outcome_resolution_minutes", "latency_ms"):
            wanted = {name: q for name, (c, q) in catalogue.PERCENTILES.items() if c == col}
            qs = grouped_quantiles(codes, sorted_cols[col], k, sorted(set(wanted.values())), z)
            for name, q in wanted.items():
                rows.add(g, name, qs[q], "census")

        _add_judge_metrics(rows, g, ji, all_criteria, plan, kpi.confidence)

    frame = rows.frame()
    comp_plan = plan_composite(frame, kpi.composite)
    comp = composite_rows(frame, kpi.composite, z, kpi.min_cell_count, comp_plan)
    frame = pd.concat([frame, comp], ignore_index=True) if len(comp) else frame
    frame.insert(0, "day", day)
    frame["n"] = frame["n"].astype(np.int64)
    frame["low_count"] = frame["low_count"].astype(bool)
    frame["n_uncertain"] = pd.array(
        pd.to_numeric(frame["n_uncertain"], errors="coerce").round(), dtype="Int64"
    )
    return KpiResult(frame[list(COLUMNS)], diagnostics, comp_plan, plan.notes)
