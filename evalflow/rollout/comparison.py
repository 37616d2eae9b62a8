"""Weekly baseline-vs-new model comparison and the week's recommendation.

For a Monday-to-Sunday week the **new** model is the version most seen on the
treatment arm, the **baseline** the version most seen on the control arm. After a
full rollout (no control arm during the week) the baseline is the control version of
the most recent earlier week, pooled over its last 7 days with traffic (the same
before/after caveat as the daily gate; the reasons say so).

Each model's daily ``segment_kpis`` rows (``segment_key='model_version'``) are pooled
over the week (``evalflow.kpis.pooling``); latency and resolution percentiles are
recomputed exactly from the week's ``raw_interactions`` instead of averaging daily
percentiles. Per metric: ``diff = new - baseline`` with CI ``diff ± z·sqrt(se_b² + se_n²)``
(independent samples), ``rel_change = diff / baseline`` and ``significant`` when the CI
excludes 0. Counts have no CI.

Recommendation (one per week, repeated on every row):
``rollback`` when the week's latest gate decision is ROLLBACK or the weekly composite
dropped beyond ``rollback_margin`` with its CI upper bound below ``-composite_margin``
(the daily gate's rule); ``pause`` when the latest decision is
HOLD, any day of the week rolled back, or the weekly composite is not non-inferior
within ``composite_margin`` (or unmeasured); otherwise ``expand``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from evalflow.config.settings import RolloutSettings, Settings
from evalflow.kpis import catalogue
from evalflow.kpis.pooling import POOLED_COLUMNS, pool_days
from evalflow.kpis.stats import SortedValues, grouped_quantiles, z_value
from evalflow.rollout.daily import HISTORY_DAYS, arm_traffic
from evalflow.rollout.gates import arm_from_rows

COLUMNS: dict[str, tuple[str, str]] = {
    "week_start": ("DATE", "Monday of the week (the partition)"),
    "metric": ("VARCHAR", "segment_kpis metric, or composite_kpi"),
    "baseline_version": ("VARCHAR", "control model"),
    "new_version": ("VARCHAR", "treatment model"),
    "baseline_value": ("DOUBLE", "baseline's pooled weekly value"),
    "new_value": ("DOUBLE", "new model's pooled weekly value"),
    "diff": ("DOUBLE", "new - baseline"),
    "diff_ci_low": ("DOUBLE", "95% CI of diff, low (NULL for counts)"),
    "diff_ci_high": ("DOUBLE", "95% CI of diff, high"),
    "rel_change": ("DOUBLE", "diff / baseline (NULL when baseline is 0 or unknown)"),
    "significant": ("BOOLEAN", "the CI of diff excludes 0"),
    "n_baseline": ("BIGINT", "observations behind the baseline value"),
    "n_new": ("BIGINT", "observations behind the new value"),
    "recommendation": ("VARCHAR", "expand | pause | rollback (for the week)"),
    "recommendation_reasons": ("VARCHAR", "JSON list: gate decisions and weekly composite"),
}

RECOMMENDATION = {0: "expand", 1: "pause", 2: "rollback"}
GATE_SEVERITY = {"GO": 0, "HOLD": 1, "ROLLBACK": 2}

PercentileFetch = Callable[[str, Sequence[dt.date]], pd.DataFrame]
"""(model_version, days) -> frame with the raw columns the percentiles are read from."""


def percentile_rows(values: pd.DataFrame, z: float) -> pd.DataFrame:
    """Exact multi-day percentiles (pooled-row format) from raw latency/resolution values."""
    rows = []
    for col in sorted({c for c, _ in catalogue.PERCENTILES.values()}):
        v = (
            pd.to_numeric(values[col], errors="coerce").to_numpy(float)
            if col in values
            else np.array([], dtype=float)
        )
        wanted = {m: q for m, (c, q) in catalogue.PERCENTILES.items() if c == col}
        est = grouped_quantiles(
            np.zeros(len(v), dtype=np.int64), SortedValues.of(v), 1, sorted(set(wanted.values())), z
        )
        for metric, q in wanted.items():
            e = est[q]
            lo, hi = float(e.ci_low[0]), float(e.ci_high[0])
            rows.append(
                {
                    "metric": metric,
                    "value": float(e.value[0]),
                    "ci_low": lo,
                    "ci_high": hi,
                    "se": (hi - lo) / (2 * z),
                    "n": int(e.n[0]),
                    "estimator": "census",
                    "days": np.nan,
                }
            )
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def _with_exact_percentiles(pooled: pd.DataFrame, exact: pd.DataFrame | None) -> pd.DataFrame:
    if exact is None or exact.empty:
        return pooled
    days = pooled["days"].max() if len(pooled) else np.nan
    exact = exact.assign(days=days)
    rest = pooled[~pooled["metric"].isin(exact["metric"])]
    return pd.concat([rest, exact], ignore_index=True)


def _add_composite(
    pooled: pd.DataFrame, version: str | None, settings: Settings, z: float
) -> pd.DataFrame:
    res = arm_from_rows(pooled, version).composite(settings.kpis.composite, z)
    est = "horvitz_thompson" if res.sample_based else "census"
    row = pd.DataFrame(
        [
            {
                "metric": catalogue.COMPOSITE,
                "value": res.value,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "se": res.se,
                "n": res.n,
                "estimator": est,
                "days": pooled["days"].max() if len(pooled) else np.nan,
            }
        ]
    )
    return pd.concat([pooled, row], ignore_index=True) if len(pooled) else row


def weekly_recommendation(
    decisions: pd.DataFrame, composite: pd.Series | None, rollout: RolloutSettings
) -> tuple[str, list[str]]:
    """expand / pause / rollback from the week's daily gates and the weekly composite."""
    sev = 0
    reasons: list[str] = []
    if decisions is not None and not decisions.empty:
        dec = decisions.sort_values("day")
        counts = Counter(dec["decision"])
        latest = dec.iloc[-1]
        latest_day = pd.Timestamp(latest["day"]).date()
        reasons.append(
            f"daily gates: {counts.get('GO', 0)} GO, {counts.get('HOLD', 0)} HOLD, "
            f"{counts.get('ROLLBACK', 0)} ROLLBACK; latest {latest_day}: {latest['decision']}"
        )
        sev = max(sev, GATE_SEVERITY.get(str(latest["decision"]), 1))
        rb = dec[dec["decision"] == "ROLLBACK"]
        if len(rb):
            sev = max(sev, 1)
            first = rb.iloc[0]
            why = json.loads(first["reasons"])[0] if first["reasons"] else ""
            reasons.append(f"ROLLBACK on {pd.Timestamp(first['day']).date()}: {why}")
    else:
        reasons.append("no daily gate decisions this week")
    if composite is None or pd.isna(composite.get("diff")):
        sev = max(sev, 1)
        reasons.append("weekly composite KPI difference unmeasured")
    else:
        diff, lo, hi = composite["diff"], composite["diff_ci_low"], composite["diff_ci_high"]
        span = (
            f"weekly composite KPI new {composite['new_value']:.3f} vs baseline "
            f"{composite['baseline_value']:.3f}, diff {diff:+.3f}"
            + (f" (95% CI {lo:+.3f} to {hi:+.3f})" if pd.notna(lo) else "")
        )
        if pd.notna(hi) and diff < -rollout.rollback_margin and hi < -rollout.composite_margin:
            sev = 2
            reasons.append(
                f"{span}: significant drop beyond rollback_margin {rollout.rollback_margin:.3f}"
            )
        elif pd.isna(lo) or lo < -rollout.composite_margin:
            sev = max(sev, 1)
            reasons.append(
                f"{span}: not shown non-inferior within composite_margin "
                f"{rollout.composite_margin:.3f}"
            )
        else:
            reasons.append(f"{span}: non-inferior within {rollout.composite_margin:.3f}")
    return RECOMMENDATION[sev], reasons


def compare_pooled(
    week_start: dt.date,
    base: pd.DataFrame,
    new: pd.DataFrame,
    base_version: str | None,
    new_version: str,
    decisions: pd.DataFrame,
    settings: Settings,
    extra_reasons: Sequence[str] = (),
) -> pd.DataFrame:
    """Comparison rows from the two models' pooled rows (``pool_days`` format)."""
    z = z_value(settings.kpis.confidence)
    b = (
        base.set_index("metric")
        if len(base)
        else pd.DataFrame(columns=POOLED_COLUMNS).set_index("metric")
    )
    nw = new.set_index("metric")
    metrics = sorted(set(nw.index) | set(b.index), key=lambda m: (m == catalogue.COMPOSITE, m))
    b = b.reindex(metrics)
    nw = nw.reindex(metrics)
    diff = nw["value"] - b["value"]
    se = np.hypot(b["se"].astype(float), nw["se"].astype(float))
    is_count = np.array([catalogue.metric_kind(m) == "count" for m in metrics])
    low = np.where(is_count, np.nan, diff - z * se)
    high = np.where(is_count, np.nan, diff + z * se)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(b["value"].astype(float) != 0, diff / b["value"].astype(float), np.nan)
    out = pd.DataFrame(
        {
            "week_start": week_start,
            "metric": metrics,
            "baseline_version": base_version,
            "new_version": new_version,
            "baseline_value": b["value"].astype(float).to_numpy(),
            "new_value": nw["value"].astype(float).to_numpy(),
            "diff": diff.astype(float).to_numpy(),
            "diff_ci_low": low,
            "diff_ci_high": high,
            "rel_change": rel,
            "significant": (low > 0) | (high < 0),
            "n_baseline": b["n"].fillna(0).astype(np.int64).to_numpy(),
            "n_new": nw["n"].fillna(0).astype(np.int64).to_numpy(),
        }
    )
    comp = out[out["metric"] == catalogue.COMPOSITE]
    rec, reasons = weekly_recommendation(
        decisions, comp.iloc[0] if len(comp) else None, settings.rollout
    )
    out["recommendation"] = rec
    out["recommendation_reasons"] = json.dumps([*reasons, *extra_reasons])
    return out[list(COLUMNS)]


def empty_comparison() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def _days_of(rows: pd.DataFrame) -> list[dt.date]:
    return sorted({pd.Timestamp(d).date() for d in rows["day"]})


def build_model_comparison(
    week_start: dt.date,
    kpis_week: pd.DataFrame,
    counts_week: pd.DataFrame,
    decisions_week: pd.DataFrame,
    settings: Settings,
    kpis_history: pd.DataFrame | None = None,
    counts_history: pd.DataFrame | None = None,
    fetch_percentiles: PercentileFetch | None = None,
) -> pd.DataFrame:
    """The week's ``model_comparison`` rows (empty when no new model ran that week).

    ``counts_*``: ``rollout_arm, model_version, traffic_share, n`` aggregates of raw traffic.
    ``kpis_history``/``counts_history``: earlier weeks, used only after a full rollout.
    ``fetch_percentiles(version, days)``: raw latency/resolution values for exact percentiles.
    """
    ro = settings.rollout
    z = z_value(settings.kpis.confidence)
    _, new_version, _ = arm_traffic(counts_week, ro.treatment_arm)
    if new_version is None:
        return empty_comparison()
    _, base_version, _ = arm_traffic(counts_week, ro.control_arm)
    extra: list[str] = []
    cell = "model_version"
    new_rows = kpis_week[
        (kpis_week["segment_key"] == cell) & (kpis_week["segment_value"] == new_version)
    ]
    if new_rows.empty:
        return empty_comparison()
    if base_version is not None and base_version != new_version:
        base_rows = kpis_week[
            (kpis_week["segment_key"] == cell) & (kpis_week["segment_value"] == base_version)
        ]
    else:
        base_version = None
        base_rows = pd.DataFrame(columns=kpis_week.columns)
        if counts_history is not None and not counts_history.empty and kpis_history is not None:
            _, hist_version, _ = arm_traffic(counts_history, ro.control_arm)
            if hist_version is not None and hist_version != new_version:
                h = kpis_history[
                    (kpis_history["segment_key"] == cell)
                    & (kpis_history["segment_value"] == hist_version)
                ]
                vol = h[(h["metric"] == "volume") & (h["value"] > 0)]
                keep_days = _days_of(vol)[-HISTORY_DAYS:]
                base_rows = h[h["day"].map(lambda d: pd.Timestamp(d).date()).isin(keep_days)]
                if len(base_rows):
                    base_version = hist_version
                    extra.append(
                        f"no control arm this week: baseline {hist_version} pooled over "
                        f"{len(keep_days)} earlier day(s) {keep_days[0]}–{keep_days[-1]} "
                        "(before/after comparison)"
                    )
        if base_version is None:
            extra.append("no baseline: no control arm this week or in the previous weeks")
    new_pooled = pool_days(new_rows, z)
    base_pooled = (
        pool_days(base_rows, z) if len(base_rows) else pd.DataFrame(columns=POOLED_COLUMNS)
    )
    if fetch_percentiles is not None:
        new_pooled = _with_exact_percentiles(
            new_pooled, percentile_rows(fetch_percentiles(new_version, _days_of(new_rows)), z)
        )
        if base_version is not None and len(base_rows):
            base_pooled = _with_exact_percentiles(
                base_pooled,
                percentile_rows(fetch_percentiles(base_version, _days_of(base_rows)), z),
            )
    new_pooled = _add_composite(new_pooled, new_version, settings, z)
    if len(base_pooled):
        base_pooled = _add_composite(base_pooled, base_version, settings, z)
    return compare_pooled(
        week_start,
        base_pooled,
        new_pooled,
        base_version,
        new_version,
        decisions_week,
        settings,
        extra,
    )
