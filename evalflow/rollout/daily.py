"""One day's ``rollout_decisions`` row from ``segment_kpis`` and the arms' traffic.

Inputs are small: the day's ``segment_kpis`` rows of the ``rollout_arm`` cells and an
aggregate of ``raw_interactions`` by (arm, model_version, traffic_share). No decision
is written for a day without treatment traffic.

Full rollout (treatment at 100 %, no control arm that day): the gate compares the
treatment with the **control arm pooled over its last ``HISTORY_DAYS`` days with data**
within ``LOOKBACK_DAYS`` before the day (see ``evalflow.kpis.pooling``), and says so in
the reasons — a before/after comparison that cannot separate the model from a change
in traffic, which is why it is named as such. With no such history the decision is
HOLD "no concurrent control".

``traffic_share`` is the most common ``traffic_share`` logged on treatment rows; when
the logs do not carry it, the treatment's share of the day's arm traffic.

**Evidence accumulates over a phase.** Both arms are pooled (``pool_days``) over the
consecutive days, up to the day, on which the same treatment version ran at the same
configured phase (``phase_days``); the gate runs on that pool, so a 10 % phase whose
single days are too small to show non-inferiority can still earn its GO after a few
days. The day alone is checked too, and any sign of harm it shows (a ROLLBACK
condition, a guardrail breach, an override rise) counts, so a regression that starts
mid-phase is not averaged away (``gates.with_phase_evidence``); being one of ``k``
daily looks at the phase, its intervals and test level are Bonferroni-adjusted by
``k``. A new phase or a new treatment version starts a fresh pool.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import Settings
from evalflow.kpis.pooling import pool_days
from evalflow.kpis.stats import z_value
from evalflow.rollout.gates import (
    ArmSummary,
    Decision,
    arm_from_rows,
    decide,
    no_control_decision,
    with_phase_evidence,
)

HISTORY_DAYS = 7
LOOKBACK_DAYS = 35

COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day (the partition)"),
    "treatment_version": ("VARCHAR", "model_version on the treatment arm (most common)"),
    "control_version": ("VARCHAR", "model_version on the control arm (or its history)"),
    "traffic_share": ("DOUBLE", "treatment's traffic phase that day"),
    "decision": ("VARCHAR", "GO | HOLD | ROLLBACK"),
    "next_phase": ("DOUBLE", "next configured phase (NULL unless GO, NULL after the last)"),
    "reasons": ("VARCHAR", "JSON list of human-readable reasons with the numbers"),
    "n_treatment": ("BIGINT", "treatment interactions (over the phase to date)"),
    "n_control": ("BIGINT", "control interactions (phase to date; pooled history when historical)"),
    "composite_treatment": ("DOUBLE", "treatment composite KPI (phase to date)"),
    "composite_control": ("DOUBLE", "control composite KPI"),
    "composite_diff": ("DOUBLE", "treatment - control"),
    "composite_diff_ci_low": ("DOUBLE", "95% CI of the difference, low"),
    "composite_diff_ci_high": ("DOUBLE", "95% CI of the difference, high"),
    "details_json": ("VARCHAR", "every check with status and numbers, control source, phase days"),
    "phase_days": ("INTEGER", "days pooled: the consecutive days at this phase up to the day"),
}


def _top(counts: pd.DataFrame, col: str) -> Any:
    """The value of ``col`` carrying the most interactions (ties: the first in sort order)."""
    c = counts[counts[col].notna()]
    if c.empty:
        return None
    g = c.groupby(col, sort=True)["n"].sum()
    return g.idxmax()


def arm_traffic(counts: pd.DataFrame, arm: str) -> tuple[int, str | None, float | None]:
    """(volume, main model_version, main traffic_share) of one arm from an aggregate."""
    a = counts[counts["rollout_arm"] == arm]
    if a.empty:
        return 0, None, None
    share = _top(a, "traffic_share")
    return int(a["n"].sum()), _top(a, "model_version"), None if share is None else float(share)


def _cell(kpis: pd.DataFrame, key: str, value: str) -> pd.DataFrame:
    return kpis[(kpis["segment_key"] == key) & (kpis["segment_value"] == value)]


def historical_control(
    history: pd.DataFrame, control_arm: str, z: float, history_days: int = HISTORY_DAYS
) -> tuple[pd.DataFrame, list[str]]:
    """Pooled control-arm rows over its last ``history_days`` days with traffic."""
    rows = _cell(history, "rollout_arm", control_arm)
    vol = rows[(rows["metric"] == "volume") & (rows["value"] > 0)]
    days = sorted({str(pd.Timestamp(d).date()) for d in vol["day"]})[-history_days:]
    if not days:
        return pd.DataFrame(), []
    keep = rows[rows["day"].map(lambda d: str(pd.Timestamp(d).date())).isin(days)]
    return pool_days(keep, z), days


def decision_row(
    day: dt.date,
    d: Decision,
    t: ArmSummary,
    c: ArmSummary | None,
    share: float | None,
    phase: list[str] | None = None,
) -> pd.DataFrame:
    phase = phase or [str(day)]
    details = {
        "control_source": c.source if c is not None else None,
        "control_days": list(c.days) if c is not None else [],
        "phase_days": phase,
        "checks": [
            {"name": k.name, "status": k.status, "reason": k.reason, "numbers": k.numbers}
            for k in d.checks
        ],
    }
    row = {
        "day": day,
        "treatment_version": t.version,
        "control_version": c.version if c is not None else None,
        "traffic_share": share,
        "decision": d.decision,
        "next_phase": d.next_phase,
        "reasons": json.dumps(d.reasons),
        "n_treatment": t.volume,
        "n_control": c.volume if c is not None else 0,
        "composite_treatment": d.composite_treatment,
        "composite_control": d.composite_control,
        "composite_diff": d.composite_diff,
        "composite_diff_ci_low": d.composite_diff_ci_low,
        "composite_diff_ci_high": d.composite_diff_ci_high,
        "details_json": json.dumps(details, default=_json_default),
        "phase_days": len(phase),
    }
    out = pd.DataFrame([row])
    for col in (
        "traffic_share",
        "next_phase",
        "composite_treatment",
        "composite_control",
        "composite_diff",
        "composite_diff_ci_low",
        "composite_diff_ci_high",
    ):
        out[col] = out[col].astype(float)
    return out


def _json_default(x: Any) -> Any:
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)


def empty_decisions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def _phase(share: float | None, phases: list[float]) -> float | None:
    """The configured phase nearest a share (unlogged shares wobble from day to day)."""
    if share is None or not phases:
        return share
    return min(phases, key=lambda p: (abs(p - share), p))


def day_share(counts: pd.DataFrame, control_arm: str, treatment_arm: str) -> float | None:
    """The treatment's share of one day: logged, else its share of the arms' traffic."""
    n_t, _, share = arm_traffic(counts, treatment_arm)
    if n_t == 0:
        return None
    if share is None:
        n_c = arm_traffic(counts, control_arm)[0]
        share = n_t / (n_t + n_c)
    return share


def phase_days(
    day: dt.date,
    arm_counts: pd.DataFrame,
    daily_counts: pd.DataFrame | None,
    settings: Settings,
    max_days: int = LOOKBACK_DAYS,
) -> list[dt.date]:
    """The consecutive days up to ``day`` on which the same treatment ran at the same phase.

    ``daily_counts``: ``day, rollout_arm, model_version, traffic_share, n`` of earlier
    days. The run stops at a day without treatment traffic, another treatment version
    or another phase, so a new phase (or a new model) starts a fresh pool.
    """
    ro = settings.rollout
    _, version, _ = arm_traffic(arm_counts, ro.treatment_arm)
    phase = _phase(day_share(arm_counts, ro.control_arm, ro.treatment_arm), list(ro.phases))
    days = [day]
    if daily_counts is None or daily_counts.empty:
        return days
    by_day = {pd.Timestamp(d).date(): g for d, g in daily_counts.groupby("day")}
    current = day - dt.timedelta(days=1)
    while current in by_day and len(days) < max_days:
        counts = by_day[current]
        share = day_share(counts, ro.control_arm, ro.treatment_arm)
        if share is None or arm_traffic(counts, ro.treatment_arm)[1] != version:
            break
        if _phase(share, list(ro.phases)) != phase:
            break
        days.append(current)
        current -= dt.timedelta(days=1)
    return sorted(days)


def _arm(
    kpis: pd.DataFrame,
    arm: str,
    version: str | None,
    n: int,
    z: float,
    days: list[str] | None = None,
) -> ArmSummary:
    """One arm's summary from one day's rows, or pooled over ``days`` of rows."""
    rows = _cell(kpis, "rollout_arm", arm)
    if days is not None:
        summary = arm_from_rows(pool_days(rows, z), version, days=days)
    else:
        summary = arm_from_rows(rows, version)
    return ArmSummary(
        summary.version, max(summary.volume, 0) or n, summary.metrics, summary.source, summary.days
    )


ClusteredSE = Callable[[list[dt.date], list[str]], dict[str, dict[str, float]]]
"""(days, arms) -> arm -> metric -> cluster-robust standard error (``rollout.clustering``)."""


def rollout_decision_for_day(
    day: dt.date,
    kpis_day: pd.DataFrame,
    arm_counts: pd.DataFrame,
    settings: Settings,
    history: pd.DataFrame | None = None,
    history_versions: pd.DataFrame | None = None,
    daily_counts: pd.DataFrame | None = None,
    clustered: ClusteredSE | None = None,
) -> pd.DataFrame:
    """The day's decision row (empty frame when the treatment arm had no traffic).

    ``arm_counts``: columns ``rollout_arm, model_version, traffic_share, n`` for the day.
    ``history``: ``segment_kpis`` rows (``rollout_arm`` cells) of earlier days: the
    phase-to-date pool and, without a control arm, the historical control.
    ``history_versions``: ``rollout_arm, model_version, n`` aggregated over those days.
    ``daily_counts``: the same per earlier ``day``; when given, the gate pools both
    arms over the phase to date (``phase_days``) and keeps the day's own harm checks
    (``gates.with_phase_evidence``). ``clustered``, when given, supplies
    conversation-clustered standard errors for the outcome rates the gate tests, for
    each set of days an arm is summarised over.
    """
    ro = settings.rollout
    z = z_value(settings.kpis.confidence)
    terms = settings.kpis.composite
    n_t, v_t, share = arm_traffic(arm_counts, ro.treatment_arm)
    if n_t == 0:
        return empty_decisions()
    n_c, v_c, _ = arm_traffic(arm_counts, ro.control_arm)
    if share is None:
        share = n_t / (n_t + n_c)
    days = phase_days(day, arm_counts, daily_counts, settings)
    pooled_rows = kpis_day
    if len(days) > 1 and history is not None and not history.empty:
        earlier = history[history["day"].map(lambda d: pd.Timestamp(d).date()).isin(days[:-1])]
        pooled_rows = pd.concat([earlier, kpis_day], ignore_index=True)
    else:
        days = [day]
    labels = [str(d) for d in days]
    t = _arm(kpis_day, ro.treatment_arm, v_t, n_t, z)
    t_phase = _arm(pooled_rows, ro.treatment_arm, v_t, n_t, z, labels) if len(days) > 1 else t
    if n_c > 0:
        c = _arm(kpis_day, ro.control_arm, v_c, n_c, z)
        c_phase = _arm(pooled_rows, ro.control_arm, v_c, n_c, z, labels) if len(days) > 1 else c
    else:
        pooled, hist_days = (
            historical_control(history, ro.control_arm, z)
            if history is not None and not history.empty
            else (pd.DataFrame(), [])
        )
        if pooled.empty:
            return decision_row(day, no_control_decision(t, LOOKBACK_DAYS), t, None, share)
        hv = None
        if history_versions is not None and not history_versions.empty:
            hv = arm_traffic(history_versions, ro.control_arm)[1]
        c = c_phase = arm_from_rows(pooled, hv, source="historical", days=hist_days)
    if clustered is not None:
        arms = [ro.treatment_arm, ro.control_arm]
        today = clustered([day], arms)
        t = t.with_standard_errors(today.get(ro.treatment_arm, {}), z)
        if len(days) > 1:
            phase = clustered(days, arms)
            t_phase = t_phase.with_standard_errors(phase.get(ro.treatment_arm, {}), z)
        else:
            phase, t_phase = today, t
        if n_c > 0:
            c = c.with_standard_errors(today.get(ro.control_arm, {}), z)
            c_phase = (
                c_phase.with_standard_errors(phase.get(ro.control_arm, {}), z)
                if len(days) > 1
                else c
            )
        elif c.days:
            hist = clustered([dt.date.fromisoformat(d) for d in c.days], [ro.control_arm])
            c = c_phase = c.with_standard_errors(hist.get(ro.control_arm, {}), z)
    if len(days) > 1:
        # The day alone is one of k daily looks at this phase: Bonferroni over them, so
        # a week of single days does not give a week of chances to roll back on noise.
        k = len(days)
        z_day = z_value(1.0 - (1.0 - settings.kpis.confidence) / k)
        ro_day = ro.model_copy(
            update={
                "guardrails": ro.guardrails.model_copy(
                    update={"override_rise_alpha": ro.guardrails.override_rise_alpha / k}
                )
            }
        )
        d = with_phase_evidence(
            decide(t_phase, c_phase, share, ro, terms, z),
            decide(t, c, share, ro_day, terms, z_day),
            labels,
            share,
            ro,
        )
    else:
        d = decide(t, c, share, ro, terms, z)
    return decision_row(day, d, t_phase, c_phase, share, labels)


def daily_versions_sql() -> str:
    """``versions_sql`` per day (parameters: start, end)."""
    return (
        "SELECT day, rollout_arm, model_version, traffic_share, count(*) AS n "
        "FROM raw_interactions WHERE day BETWEEN ? AND ? GROUP BY ALL"
    )


def versions_sql() -> str:
    """Aggregate of arms, versions and phases for a day range (parameters: start, end)."""
    return (
        "SELECT rollout_arm, model_version, traffic_share, count(*) AS n "
        "FROM raw_interactions WHERE day BETWEEN ? AND ? GROUP BY ALL"
    )


def needed_history(arm_counts: pd.DataFrame, control_arm: str, treatment_arm: str) -> bool:
    n_t = arm_traffic(arm_counts, treatment_arm)[0]
    n_c = arm_traffic(arm_counts, control_arm)[0]
    return n_t > 0 and n_c == 0
