"""The phased-rollout gate: GO / HOLD / ROLLBACK for treatment vs control on one day.

Every criterion comes from ``settings.rollout`` (declared before the rollout starts).
Each check yields ``pass``, ``hold`` or ``rollback``; the decision is the most severe
one (ROLLBACK > HOLD > GO), and ``next_phase`` is set only on GO.

Checks, in the order they are reported:

1. **evidence** — each arm needs ``min_samples`` interactions, else HOLD
   ("insufficient evidence").
2. **composite** — ``diff = composite_T - composite_C`` with
   ``se = sqrt(se_T² + se_C²)`` (arms independent) and CI ``diff ± z·se``.
   ROLLBACK when ``diff < -rollback_margin`` *and* the CI's upper bound is below
   ``-composite_margin`` (a large drop that is significantly worse than what is
   tolerated; requiring only ``ci_high < 0`` let about one quiet day in 40 roll back
   on noise at small traffic). HOLD when ``ci_low < -composite_margin``
   (non-inferiority within the margin not shown). HOLD when either composite is
   unmeasured.
3. **toxicity** — any toxicity in treatment (judge ``toxicity_rate`` or online
   ``toxicity_signal_rate`` above ``max_toxicity_rate``) never passes. It is a
   ROLLBACK when attributable to treatment: control is within the limit, or the
   treatment rate is significantly higher (one-sided test at ``override_rise_alpha``);
   otherwise (both arms equally affected, e.g. lexicon false positives or abusive
   users) a HOLD. Unmeasured in treatment → HOLD.
4. **hallucination** — treatment's Hájek hallucination rate: ROLLBACK when its CI
   lower bound exceeds ``max_hallucination_rate`` (a noise-proof breach); HOLD when
   only the point estimate does; HOLD when unmeasured.
5. **override** — one-sided test of treatment's analyst-override rate above
   control's at ``override_rise_alpha`` (the more cautious of the pooled
   two-proportion z-test and the unpooled test on the arms' standard errors, which
   are cluster-robust when ``rollout.clustering`` supplied them): a significant rise is a HOLD,
   and a ROLLBACK when the composite is also breached (``diff < -composite_margin``
   with the CI below 0). Unmeasured → not tested (reported).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalflow.config.settings import CompositeTerm, RolloutSettings
from evalflow.kpis import catalogue
from evalflow.kpis.composite import (
    CompositeResult,
    TermValue,
    composite_from_terms,
    measured_terms,
)
from evalflow.kpis.stats import one_sided_diff_p, one_sided_two_proportion_p, wilson_interval

Status = Literal["pass", "hold", "rollback", "info"]
SEVERITY = {"info": 0, "pass": 0, "hold": 1, "rollback": 2}
DECISION = {0: "GO", 1: "HOLD", 2: "ROLLBACK"}


@dataclass(frozen=True)
class Metric:
    value: float | None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0


@dataclass(frozen=True)
class ArmSummary:
    """What the gate knows about one arm: its volume and its KPI estimates."""

    version: str | None
    volume: int
    metrics: dict[str, Metric]
    source: str = "concurrent"
    """``concurrent`` (same day) or ``historical`` (pooled earlier days)."""
    days: tuple[str, ...] = ()

    def get(self, name: str) -> Metric | None:
        m = self.metrics.get(name)
        return m if m is not None and m.value is not None else None

    def with_standard_errors(self, ses: dict[str, float], z: float) -> ArmSummary:
        """The same arm with wider standard errors where ``ses`` has them (never narrower).

        Used for the cluster-robust errors of ``rollout.clustering``; intervals are
        widened to ``value ± z·se`` (clipped to [0, 1]) when the new error is larger.
        """
        metrics = dict(self.metrics)
        for name, se in ses.items():
            m = metrics.get(name)
            if m is None or m.value is None or not math.isfinite(se):
                continue
            if m.se is not None and m.se >= se:
                continue
            metrics[name] = Metric(
                m.value, se, max(0.0, m.value - z * se), min(1.0, m.value + z * se), m.n
            )
        return ArmSummary(self.version, self.volume, metrics, self.source, self.days)

    def composite(self, terms: Sequence[CompositeTerm], z: float) -> CompositeResult:
        values = {
            t.metric: TermValue(m.value, m.se, m.n, catalogue.is_sample_based(t.metric))
            for t in terms
            if (m := self.get(t.metric)) is not None
        }
        return composite_from_terms(values, terms, z)


def _opt(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def arm_from_rows(
    rows: pd.DataFrame,
    version: str | None,
    source: str = "concurrent",
    days: Sequence[str] = (),
) -> ArmSummary:
    """An ``ArmSummary`` from one cell's ``segment_kpis`` rows (daily or pooled)."""
    metrics = {
        str(r.metric): Metric(
            _opt(r.value),
            _opt(r.se),
            _opt(r.ci_low),
            _opt(r.ci_high),
            int(r.n) if pd.notna(r.n) else 0,
        )
        for r in rows.itertuples(index=False)
    }
    vol = metrics.get("volume")
    volume = int(vol.value) if vol is not None and vol.value is not None else 0
    return ArmSummary(version, volume, metrics, source, tuple(days))


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)
    evidence_only: bool = False
    """A HOLD for lack of evidence (too few rows, interval too wide, unmeasured), not a
    sign of harm. A day's such checks give way to the phase-to-date pool's."""


@dataclass(frozen=True)
class Decision:
    decision: str
    next_phase: float | None
    reasons: list[str]
    checks: list[Check]
    composite_treatment: float | None
    composite_control: float | None
    composite_diff: float | None
    composite_diff_ci_low: float | None
    composite_diff_ci_high: float | None


def next_phase(share: float | None, phases: Sequence[float]) -> float | None:
    """The smallest configured phase above the current share (None after the last)."""
    if share is None:
        return None
    later = sorted(p for p in phases if p > share + 1e-9)
    return later[0] if later else None


def _pct(x: float | None) -> str:
    return "unmeasured" if x is None else f"{100 * x:.2f}%"


def _num(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "unmeasured"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _ci(m: Metric) -> str:
    if m.ci_low is None or m.ci_high is None:
        return "no CI"
    return f"95% CI {_pct(m.ci_low)}–{_pct(m.ci_high)}"


def _evidence(t: ArmSummary, c: ArmSummary, min_samples: int) -> list[Check]:
    out = []
    for label, arm in (("treatment", t), ("control", c)):
        if arm.volume < min_samples:
            out.append(
                Check(
                    "evidence",
                    "hold",
                    f"insufficient evidence: {label} has {arm.volume} interactions, "
                    f"fewer than min_samples={min_samples}",
                    {f"n_{label}": arm.volume, "min_samples": min_samples},
                    evidence_only=True,
                )
            )
    if not out:
        out.append(
            Check(
                "evidence",
                "pass",
                f"evidence: treatment n={t.volume}, control n={c.volume} "
                f"(min_samples={min_samples})",
                {"n_treatment": t.volume, "n_control": c.volume},
            )
        )
    return out


@dataclass(frozen=True)
class _CompositeDiff:
    t: CompositeResult
    c: CompositeResult
    diff: float | None
    low: float | None
    high: float | None


def _composite_diff(
    t: ArmSummary, c: ArmSummary, terms: Sequence[CompositeTerm], z: float
) -> _CompositeDiff:
    # Terms neither arm measured (e.g. no `outcome` block in the logs) are dropped and the
    # weights renormalised (evalflow.kpis.composite.measured_terms); a term only one arm
    # measured stays, so an arm that lost it still counts as unmeasured.
    seen = {m.metric for m in terms if t.get(m.metric) is not None or c.get(m.metric) is not None}
    terms = measured_terms(terms, seen)[0] or terms
    ct, cc = t.composite(terms, z), c.composite(terms, z)
    if ct.value is None or cc.value is None:
        return _CompositeDiff(ct, cc, None, None, None)
    diff = ct.value - cc.value
    se = (
        math.hypot(ct.se or 0.0, cc.se or 0.0)
        if (ct.se is not None and cc.se is not None)
        else None
    )
    if se is None or math.isnan(se):
        return _CompositeDiff(ct, cc, diff, None, None)
    return _CompositeDiff(ct, cc, diff, diff - z * se, diff + z * se)


def _composite_check(d: _CompositeDiff, rollout: RolloutSettings) -> Check:
    nums = {
        "composite_treatment": d.t.value,
        "composite_control": d.c.value,
        "diff": d.diff,
        "ci_low": d.low,
        "ci_high": d.high,
        "composite_margin": rollout.composite_margin,
        "rollback_margin": rollout.rollback_margin,
        "terms_treatment": d.t.terms,
        "terms_control": d.c.terms,
    }
    if d.diff is None:
        which = [n for n, r in (("treatment", d.t), ("control", d.c)) if r.value is None]
        shares = ", ".join(
            f"{n} {100 * r.present_weight:.0f}% of weight measured"
            for n, r in (("treatment", d.t), ("control", d.c))
            if r.value is None
        )
        return Check(
            "composite",
            "hold",
            f"composite KPI unmeasured for {' and '.join(which)} ({shares})",
            nums,
            evidence_only=True,
        )
    span = (
        f"treatment {_num(d.t.value)} vs control {_num(d.c.value)}, "
        f"diff {_num(d.diff, True)}, 95% CI {_num(d.low, True)} to {_num(d.high, True)}"
    )
    if (
        d.high is not None
        and d.diff < -rollout.rollback_margin
        and d.high < -rollout.composite_margin
    ):
        return Check(
            "composite",
            "rollback",
            f"composite KPI dropped significantly beyond rollback_margin "
            f"{rollout.rollback_margin:.3f}: {span}",
            nums,
        )
    if d.low is None or d.low < -rollout.composite_margin:
        return Check(
            "composite",
            "hold",
            f"composite KPI not shown non-inferior within composite_margin "
            f"{rollout.composite_margin:.3f}: {span}",
            nums,
            evidence_only=True,
        )
    return Check(
        "composite",
        "pass",
        f"composite KPI non-inferior within margin {rollout.composite_margin:.3f}: {span}",
        nums,
    )


def _toxicity_check(t: ArmSummary, c: ArmSummary, rollout: RolloutSettings) -> Check:
    limit = rollout.guardrails.max_toxicity_rate
    alpha = rollout.guardrails.override_rise_alpha
    measured, breaches, attributable = [], [], []
    nums: dict[str, Any] = {"max_toxicity_rate": limit}
    for metric, label in (
        ("toxicity_rate", "judged toxicity"),
        ("toxicity_signal_rate", "toxicity signal"),
    ):
        mt, mc = t.get(metric), c.get(metric)
        nums[f"{metric}_treatment"] = mt.value if mt else None
        nums[f"{metric}_control"] = mc.value if mc else None
        if mt is None:
            continue
        measured.append(f"{label} {_pct(mt.value)} (n={mt.n})")
        if mt.value is not None and mt.value > limit:
            if mc is None or mc.value is None or mc.value <= limit:
                p = None
                blame = True
            else:
                # Counts for both: the judged rate's finite-population interval has zero
                # width when every row is judged, which made any difference "significant".
                p = one_sided_two_proportion_p(
                    round(mt.value * mt.n), mt.n, round(mc.value * mc.n), mc.n
                )
                blame = p < alpha
            nums[f"{metric}_p_value"] = p
            ctrl = _pct(mc.value) if mc is not None else "unmeasured"
            msg = (
                f"{label} in treatment {_pct(mt.value)} (n={mt.n}) above max_toxicity_rate "
                f"{_pct(limit)}; control {ctrl}"
            )
            if p is not None:
                msg += f", one-sided p={p:.3g}"
            breaches.append(msg)
            attributable.append(blame)
    if not measured:
        return Check(
            "toxicity",
            "hold",
            f"toxicity guardrail unmeasured for treatment (0 judged or signalled rows; "
            f"limit {_pct(limit)})",
            nums,
            evidence_only=True,
        )
    if breaches:
        if any(attributable):
            return Check(
                "toxicity", "rollback", "toxicity guardrail breached: " + "; ".join(breaches), nums
            )
        return Check(
            "toxicity",
            "hold",
            "toxicity in treatment at the control's level (not attributable to "
            "the new model, but never a GO): " + "; ".join(breaches),
            nums,
        )
    return Check("toxicity", "pass", f"toxicity within {_pct(limit)}: " + ", ".join(measured), nums)


def superpopulation_interval(m: Metric, z: float) -> tuple[float | None, float | None]:
    """The wider of a rate's own interval and a Wilson interval at its ``n``.

    Judge rates are Horvitz–Thompson estimates of the day's finite population; when
    every row is judged their interval has zero width. The gate asks whether the
    *model* exceeds a limit, so the binomial noise of ``n`` judged rows applies.
    """
    if m.value is None or m.n <= 0:
        return m.ci_low, m.ci_high
    _, lo, hi = wilson_interval(np.array([m.value * m.n]), np.array([float(m.n)]), z)
    low = float(lo[0]) if m.ci_low is None else min(float(lo[0]), m.ci_low)
    high = float(hi[0]) if m.ci_high is None else max(float(hi[0]), m.ci_high)
    return low, high


def _hallucination_check(t: ArmSummary, c: ArmSummary, rollout: RolloutSettings, z: float) -> Check:
    limit = rollout.guardrails.max_hallucination_rate
    alpha = rollout.guardrails.override_rise_alpha
    m = t.get("hallucination_rate")
    if m is None:
        judged = t.metrics.get("hallucination_rate")
        return Check(
            "hallucination",
            "hold",
            f"hallucination guardrail unmeasured for treatment "
            f"({judged.n if judged else 0} judged faithfulness rows; limit {_pct(limit)})",
            {"max_hallucination_rate": limit},
            evidence_only=True,
        )
    low, high = superpopulation_interval(m, z)
    nums: dict[str, Any] = {
        "hallucination_rate": m.value,
        "ci_low": low,
        "ci_high": high,
        "n": m.n,
        "max_hallucination_rate": limit,
    }
    ci = "no CI" if low is None or high is None else f"95% CI {_pct(low)}–{_pct(high)}"
    desc = f"treatment hallucination rate {_pct(m.value)} ({ci}, n={m.n} judged)"
    if low is not None and low > limit:
        mc = c.get("hallucination_rate")
        nums["hallucination_rate_control"] = mc.value if mc else None
        if mc is None or mc.value is None or mc.value <= limit:
            return Check(
                "hallucination",
                "rollback",
                f"{desc}: lower bound above max_hallucination_rate {_pct(limit)}"
                f"; control {_pct(mc.value) if mc else 'unmeasured'}",
                nums,
            )
        p = one_sided_two_proportion_p(round(m.value * m.n), m.n, round(mc.value * mc.n), mc.n)
        nums["p_value"] = p
        vs = f"control {_pct(mc.value)} (n={mc.n}), one-sided p={p:.3g}"
        if p < alpha:
            return Check(
                "hallucination",
                "rollback",
                f"{desc}: lower bound above max_hallucination_rate {_pct(limit)} and "
                f"significantly above the {vs}",
                nums,
            )
        return Check(
            "hallucination",
            "hold",
            f"{desc}: lower bound above max_hallucination_rate {_pct(limit)}, but at "
            f"the control's level ({vs}): not attributable to the new model, but "
            f"never a GO",
            nums,
        )
    if m.value is not None and m.value > limit:
        return Check(
            "hallucination",
            "hold",
            f"{desc}: above max_hallucination_rate {_pct(limit)} but not significantly",
            nums,
            evidence_only=True,
        )
    return Check(
        "hallucination", "pass", f"{desc} within max_hallucination_rate {_pct(limit)}", nums
    )


def _override_check(
    t: ArmSummary, c: ArmSummary, d: _CompositeDiff, rollout: RolloutSettings
) -> Check:
    alpha = rollout.guardrails.override_rise_alpha
    mt, mc = t.get("override_rate"), c.get("override_rate")
    if mt is None or mc is None or mt.n == 0 or mc.n == 0:
        return Check("override", "info", "analyst override rate unmeasured: rise test skipped", {})
    xt, xc = round(mt.value * mt.n), round(mc.value * mc.n)
    p = one_sided_two_proportion_p(xt, mt.n, xc, mc.n)
    if mt.se is not None and mc.se is not None:
        # Overrides come in conversations: with cluster-robust errors on the arms the
        # unpooled test is the honest one; keep whichever of the two is more cautious.
        p = max(p, one_sided_diff_p(mt.value, mt.se, mc.value, mc.se))
    nums = {
        "override_treatment": mt.value,
        "override_control": mc.value,
        "n_treatment": mt.n,
        "n_control": mc.n,
        "p_value": p,
        "alpha": alpha,
    }
    desc = (
        f"analyst override rate treatment {_pct(mt.value)} ({xt}/{mt.n}) vs control "
        f"{_pct(mc.value)} ({xc}/{mc.n}), one-sided p={p:.3g}"
    )
    if p < alpha:
        breach = (
            d.diff is not None
            and d.high is not None
            and d.diff < -rollout.composite_margin
            and d.high < 0
        )
        if breach:
            return Check(
                "override",
                "rollback",
                f"{desc} < alpha {alpha} together with a composite KPI breach "
                f"(diff {_num(d.diff, True)})",
                nums,
            )
        return Check("override", "hold", f"significant rise: {desc} < alpha {alpha}", nums)
    return Check("override", "pass", f"no significant rise: {desc}", nums)


def decide(
    treatment: ArmSummary,
    control: ArmSummary,
    traffic_share: float | None,
    rollout: RolloutSettings,
    terms: Sequence[CompositeTerm],
    z: float,
) -> Decision:
    """Run every gate check and combine them into one decision with its reasons."""
    d = _composite_diff(treatment, control, terms, z)
    checks = [
        *_evidence(treatment, control, rollout.min_samples),
        _composite_check(d, rollout),
        _toxicity_check(treatment, control, rollout),
        _hallucination_check(treatment, control, rollout, z),
        _override_check(treatment, control, d, rollout),
    ]
    worst = max(SEVERITY[c.status] for c in checks)
    decision = DECISION[worst]
    if worst == 0:
        reasons = [c.reason for c in checks]
    else:
        reasons = [
            c.reason
            for c in sorted(checks, key=lambda c: -SEVERITY[c.status])
            if SEVERITY[c.status] > 0
        ]
    if control.source == "historical":
        reasons.append(
            f"control is historical: {control.version or 'unknown version'} pooled over "
            f"{len(control.days)} day(s) {control.days[0] if control.days else ''}"
            f"–{control.days[-1] if control.days else ''} (no concurrent control arm)"
        )
    return Decision(
        decision=decision,
        next_phase=next_phase(traffic_share, rollout.phases) if decision == "GO" else None,
        reasons=reasons,
        checks=checks,
        composite_treatment=d.t.value,
        composite_control=d.c.value,
        composite_diff=d.diff,
        composite_diff_ci_low=d.low,
        composite_diff_ci_high=d.high,
    )


def no_control_decision(treatment: ArmSummary, lookback_days: int) -> Decision:
    """HOLD when the treatment runs alone and no earlier control exists to compare with."""
    reason = (
        f"no concurrent control: treatment ({treatment.version or 'unknown version'}, "
        f"n={treatment.volume}) ran without a control arm and no control history was "
        f"found in the previous {lookback_days} days"
    )
    return Decision(
        "HOLD", None, [reason], [Check("control", "hold", reason)], None, None, None, None, None
    )


def with_phase_evidence(
    phase: Decision,
    today: Decision,
    phase_days: Sequence[str],
    traffic_share: float | None,
    rollout: RolloutSettings,
) -> Decision:
    """The gate over the phase to date, plus any sign of harm on the day itself.

    ``phase`` is ``decide`` on both arms pooled over the consecutive days the
    treatment has run at this traffic share (``phase_days``, the day included);
    ``today`` is ``decide`` on the day alone. A phase accumulates evidence: at a
    10 % share a single day rarely has enough treatment rows to show
    non-inferiority, a week of them does. But pooling must not hide a regression
    that starts today, so every harm check of the day (a ROLLBACK condition, a
    guardrail breach, an override rise) still counts; only the day's
    lack-of-evidence HOLDs give way to the phase's. Composite numbers are the
    phase's.
    """
    k = len(phase_days)
    span = f"{phase_days[0]}–{phase_days[-1]}" if k else ""
    share = "this phase" if traffic_share is None else f"the {traffic_share:.0%} phase"
    label = f"{share} to date ({k} day(s) {span})"
    phase_checks = [replace(c, reason=f"{label}: {c.reason}") for c in phase.checks]
    harm_today = [
        replace(c, name=f"{c.name}_today", reason=f"today alone: {c.reason}")
        for c in today.checks
        if not c.evidence_only and SEVERITY[c.status] > 0
    ]
    checks = phase_checks + harm_today
    worst = max(SEVERITY[c.status] for c in checks)
    decision = DECISION[worst]
    if worst == 0:
        reasons = [c.reason for c in checks]
    else:
        reasons = [
            c.reason
            for c in sorted(checks, key=lambda c: -SEVERITY[c.status])
            if SEVERITY[c.status] > 0
        ]
    extra = [r for r in phase.reasons if r.startswith("control is historical")]
    return Decision(
        decision=decision,
        next_phase=next_phase(traffic_share, rollout.phases) if decision == "GO" else None,
        reasons=reasons + extra,
        checks=checks,
        composite_treatment=phase.composite_treatment,
        composite_control=phase.composite_control,
        composite_diff=phase.composite_diff,
        composite_diff_ci_low=phase.composite_diff_ci_low,
        composite_diff_ci_high=phase.composite_diff_ci_high,
    )
