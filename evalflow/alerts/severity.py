"""Alert severity from evidence: how bad, how sure, how broad, and can the measure be trusted.

A page at ``high`` or ``critical`` is a claim that something is wrong for many users
and that we know it. The issue measured what happens otherwise: a judge no better
than chance on a new application's traffic (AUC 0.50 vs the users' thumbs) paged
"42% hallucinations, high" on healthy traffic every day. So severity is one small
function of four pieces of evidence (table in docs/runbook.md):

* **volume**: the rule's ``major`` severity in the overall cell or a segment holding
  at least ``large_segment_share`` of its key's rows, its ``minor`` one elsewhere;
* **effect size**: a breach at ``escalate_at`` times the maximum rates one level up;
* **statistical strength**: the cell's confidence bound (the more cautious of the
  KPI's interval and a Wilson interval at its ``n``) must lie beyond the limit, or,
  for drift, the BH-adjusted p must pass; a breach of the point estimate alone
  is at most ``medium``;
* **validity of the measure**: a judge metric needs the judge validated on this
  traffic (``calibration.validity.judge_validity``); code signals with word-boundary
  precision (toxicity and PII) and recorded facts (errors, SLA, feedback rates)
  count as validated; heuristic proxies (relevance/grounding proxy, refusal,
  composite) are not. An unvalidated measure is at most ``medium`` and its
  evidence says why.

Drift stays at most ``medium`` (``drift``): it says something changed, not that a
level is dangerous.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from evalflow.alerts.common import SEVERITIES, SEVERITY_RANK
from evalflow.calibration.validity import (
    INSUFFICIENT,
    VALIDATED,
    ValidityStatus,
    judge_validity,
)
from evalflow.kpis.catalogue import PASS_RATE_PREFIX

CEILING_UNVALIDATED = "medium"
"""The most an alert can be when its measure is not validated or not established."""

JUDGE_METRICS: dict[str, str] = {
    "hallucination_rate": "faithfulness",
    "toxicity_rate": "safety",
    "relevance_score": "relevance",
}
"""KPIs computed from a judge's verdicts, and that judge's criterion."""

CODE_SIGNALS = frozenset({"toxicity_signal_rate", "pii_signal_rate"})
"""Online signals precise by construction (word-boundary lexicon, validated PII patterns)."""

PROXIES = frozenset(
    {"relevance_proxy_mean", "grounding_proxy_mean", "refusal_rate", "composite_kpi"}
)
"""Heuristic scores nobody has validated against this traffic's users."""


def least_severe(a: str, b: str) -> str:
    """The milder of two severities."""
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def one_up(severity: str) -> str:
    return SEVERITIES[max(SEVERITY_RANK[severity] - 1, 0)]


def severity_from_evidence(
    major: str,
    minor: str,
    *,
    broad: bool,
    escalated: bool,
    established: bool,
    validated: bool,
) -> str:
    """The severity of one finding (see the module docstring and docs/runbook.md).

    ``major``/``minor``: the rule's severity for a broad and a narrow cell; ``broad``:
    overall or a large segment; ``escalated``: effect at least ``escalate_at`` x the
    limit; ``established``: the interval (or adjusted p) shows the breach;
    ``validated``: the measure is a code signal, a recorded fact or a judge
    validated on this traffic.
    """
    level = major if broad else minor
    if escalated:
        level = one_up(level)
    if not established:
        level = least_severe(level, CEILING_UNVALIDATED)
    if not validated:
        level = least_severe(level, CEILING_UNVALIDATED)
    return level


@dataclass(frozen=True)
class MeasureValidity:
    """Whether a metric's measure may page above medium, and why (for the evidence)."""

    validated: bool
    reason: str | None
    """Evidence text; None for code signals and recorded facts (nothing to explain)."""


ValidityLookup = Callable[[str], MeasureValidity]


def validity_lookup(table: pd.DataFrame | None, day: dt.date | None = None) -> ValidityLookup:
    """Metric -> ``MeasureValidity`` from one day's ``judge_calibration`` rows.

    ``table`` None or empty means calibration has not run: every judge metric is
    ``insufficient_data`` (at most medium) rather than trusted by default.
    """
    frame = table if table is not None else pd.DataFrame()
    cache: dict[str, ValidityStatus] = {}
    when = f" on {day}" if day else ""

    def lookup(metric: str) -> MeasureValidity:
        criterion = judge_criterion(metric)
        if criterion is None:
            if metric in PROXIES:
                return MeasureValidity(False, f"{metric} is a heuristic proxy, not validated")
            return MeasureValidity(True, None)
        if criterion not in cache:
            cache[criterion] = judge_validity(frame, criterion)
        st = cache[criterion]
        if st.status == VALIDATED:
            return MeasureValidity(
                True, f"{criterion} judge validated on this traffic ({st.reason})"
            )
        if st.status == INSUFFICIENT:
            return MeasureValidity(
                False, f"{criterion} judge not validated on this traffic{when}: {st.reason}"
            )
        return MeasureValidity(False, f"{criterion} judge: {st.reason}")

    return lookup


def judge_criterion(metric: str) -> str | None:
    """The judge criterion behind a KPI, or None when no judge is involved."""
    if metric.startswith(PASS_RATE_PREFIX):
        return metric.removeprefix(PASS_RATE_PREFIX)
    return JUDGE_METRICS.get(metric)


def apply_measure_validity(candidates: pd.DataFrame, lookup: ValidityLookup) -> pd.DataFrame:
    """Cap findings on unvalidated measures at medium and say why in their evidence.

    Runs on every kind (threshold severities already used the same lookup; drift is
    at most medium anyway), so the evidence of every judge-based alert states the
    validity of its judge, and a proxy's only when it changed the severity.
    """
    if candidates.empty:
        return candidates
    out = candidates.copy()
    sev, ev = [], []
    for metric, severity, evidence in zip(
        out["metric"], out["severity"], out["evidence"], strict=True
    ):
        mv = lookup(str(metric))
        capped = severity_from_evidence(
            severity,
            severity,
            broad=True,
            escalated=False,
            established=True,
            validated=mv.validated,
        )
        sev.append(capped)
        note = (
            mv.reason
            if mv.reason and (judge_criterion(str(metric)) or capped != severity)
            else None
        )
        ev.append(f"{evidence}; {_shorten(note)}" if note else evidence)
    out["severity"] = sev
    out["evidence"] = ev
    return out


def _shorten(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
