"""The day's alert computation end to end, without Dagster: load, detect, control FDR,
attribute each breach to the cells where it concentrates, dedup.

``load_alert_inputs`` does every warehouse read (short connections, then closed);
``build_alerts`` is pure, so a test can feed it hand-made KPI and traffic frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from evalflow.alerts.attribution import AttributionRule, attribute_alerts
from evalflow.alerts.common import (
    MIN_BASELINE_DAYS,
    OVERALL,
    as_dates,
    day_span,
    empty_candidates,
)
from evalflow.alerts.dedup import finalize_alerts
from evalflow.alerts.drift import ewma_tests, kpi_drift_tests, select_significant
from evalflow.alerts.freshness import freshness_alerts
from evalflow.alerts.input_drift import MAX_SAMPLE_ROWS, mix_drift_tests, numeric_drift_tests
from evalflow.alerts.judge_coverage import judge_coverage_alerts
from evalflow.alerts.severity import apply_measure_validity, validity_lookup
from evalflow.alerts.sources import (
    joint_segment_counts,
    judge_validity_rows,
    mix_counts,
    numeric_sample,
    previous_day_alerts,
    raw_day_counts,
    signal_examples,
    signal_rates,
)
from evalflow.alerts.thresholds import threshold_alerts
from evalflow.config.settings import Settings
from evalflow.storage.warehouse import Warehouse


@dataclass
class AlertInputs:
    """Everything the detectors read for day D, already out of the database."""

    day: dt.date
    kpis: pd.DataFrame
    """``segment_kpis`` over ``D - max(baseline_days) … D``."""
    raw_counts: pd.Series
    """Rows of ``raw_interactions`` per day over the same span (days with data only)."""
    mix: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``day, dimension, category, n`` over the same span."""
    numeric_today: pd.DataFrame = field(default_factory=pd.DataFrame)
    numeric_baselines: dict[int, pd.DataFrame] = field(default_factory=dict)
    """Baseline window (days) → sample of ``query_length, response_length, latency_ms``."""
    previous: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``quality_alerts`` rows of D−1."""
    signal_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Online-signal rates computed from ``interaction_signals`` (fallback for the KPIs)."""
    examples: dict[str, list[str]] = field(default_factory=dict)
    joint: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Day D's rows counted by every segment key at once (for root-cause attribution)."""
    judge_status: pd.DataFrame | None = None
    """Day D's ``judge_scores`` ``status, verdict``; None when the table does not exist."""
    validity: pd.DataFrame | None = None
    """Day D's judge validity rows of ``judge_calibration`` (``reference='any'``); None
    when calibration has not run, so judge KPIs count as unvalidated."""


def load_alert_inputs(wh: Warehouse, day: dt.date, settings: Settings) -> AlertInputs:
    """Read the detectors' inputs; every query is short and parameterised."""
    windows = sorted(set(settings.drift.baseline_days))
    longest = max(windows) if windows else 0
    start = day - dt.timedelta(days=longest)
    kpis = wh.read_range("segment_kpis", start, day)
    counts = raw_day_counts(wh, start, day)
    inputs = AlertInputs(
        day=day,
        kpis=kpis,
        raw_counts=counts,
        previous=previous_day_alerts(wh, day),
        validity=judge_validity_rows(wh, day),
    )
    if wh.table_exists("judge_scores"):
        inputs.judge_status = wh.read_partition("judge_scores", day, columns=["status", "verdict"])
    if int(counts.get(day, 0)) > 0:
        inputs.mix = mix_counts(wh, start, day, settings.segments)
        inputs.numeric_today = numeric_sample(wh, day, day, MAX_SAMPLE_ROWS)
        for window in windows:
            first, last = day_span(day, window)
            if _days_with_data(counts, first, last) >= MIN_BASELINE_DAYS:
                inputs.numeric_baselines[window] = numeric_sample(wh, first, last, MAX_SAMPLE_ROWS)
        inputs.signal_rows = signal_rates(
            wh, day, settings.segments, settings.kpis.min_cell_count, settings.kpis.confidence
        )
        inputs.examples = signal_examples(wh, day)
        inputs.joint = joint_segment_counts(wh, day, settings.segments)
    return inputs


@dataclass(frozen=True)
class AlertRun:
    """The day's rows plus the numbers the asset reports as metadata."""

    alerts: pd.DataFrame
    n_tests: int
    evaluated: tuple[str, ...]


def build_alerts(inputs: AlertInputs, settings: Settings) -> AlertRun:
    """Detect, apply one BH family over all drift tests, attribute, de-duplicate against D−1."""
    day = inputs.day
    kpis = inputs.kpis.copy()
    if not kpis.empty:
        kpis["day"] = as_dates(kpis["day"])
    kpis_day = kpis[kpis["day"] == day] if not kpis.empty else kpis
    day_rows = int(inputs.raw_counts.get(day, 0)) if len(inputs.raw_counts) else 0

    # Online-signal rates the KPI table lacks for the day are computed from the signals.
    threshold_input = kpis_day
    if not inputs.signal_rows.empty:
        present = set(kpis_day["metric"]) if not kpis_day.empty else set()
        extra = inputs.signal_rows[~inputs.signal_rows["metric"].isin(present)]
        if not extra.empty:
            threshold_input = (
                pd.concat([kpis_day, extra], ignore_index=True) if not kpis_day.empty else extra
            )

    lookup = validity_lookup(inputs.validity, day)
    found = [
        threshold_alerts(
            threshold_input, settings.thresholds, settings.kpis.min_cell_count, validity=lookup
        )
        if not threshold_input.empty
        else empty_candidates()
    ]
    if inputs.examples and not found[0].empty:
        found[0] = _with_examples(found[0], inputs.examples)

    tests = [
        kpi_drift_tests(
            kpis,
            day,
            settings.drift.baseline_days,
            settings.drift.min_effect,
            settings.kpis.min_cell_count,
        ),
        ewma_tests(
            kpis,
            day,
            settings.drift.baseline_days,
            settings.drift.min_effect,
            settings.kpis.min_cell_count,
        ),
    ]
    if day_rows > 0:
        tests += _input_drift_tests(inputs, settings)
    tests = [t for t in tests if not t.empty]
    all_tests = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    if not all_tests.empty:
        found.append(select_significant(all_tests, settings.drift.fdr_alpha))

    baseline_counts = inputs.raw_counts[[d != day for d in inputs.raw_counts.index]]
    found.append(freshness_alerts(day, day_rows, baseline_counts))

    if inputs.judge_status is not None:
        found.append(judge_coverage_alerts(inputs.judge_status))

    evaluated = ["freshness"]
    if inputs.judge_status is not None:
        evaluated.append("judge_coverage")
    if not threshold_input.empty:
        evaluated.append("threshold")
    if not kpis_day.empty:
        evaluated.append("drift")
    if day_rows > 0:
        evaluated.append("input_drift")
    unevaluated = [
        k for k in ("threshold", "drift", "input_drift", "judge_coverage") if k not in evaluated
    ]

    candidates = (
        pd.concat([f for f in found if not f.empty], ignore_index=True)
        if any(not f.empty for f in found)
        else empty_candidates()
    )
    # One breach, one alert: keep the overall and the cells where it concentrates.
    th = settings.thresholds
    candidates = attribute_alerts(
        candidates,
        threshold_input,
        all_tests,
        inputs.joint,
        AttributionRule(th.attribution_min_lift, th.attribution_min_events, th.attribution_alpha),
    )
    # Severity needs a validated measure: judge KPIs from unvalidated judges stay <= medium.
    candidates = apply_measure_validity(candidates, lookup)
    alerts = finalize_alerts(candidates, inputs.previous, day, unevaluated_kinds=unevaluated)
    return AlertRun(alerts=alerts, n_tests=len(all_tests), evaluated=tuple(evaluated))


def _input_drift_tests(inputs: AlertInputs, settings: Settings) -> list[pd.DataFrame]:
    day = inputs.day
    min_rows = settings.kpis.min_cell_count
    out: list[pd.DataFrame] = []
    mix = inputs.mix
    for window in sorted(set(settings.drift.baseline_days)):
        first, last = day_span(day, window)
        n_days = _days_with_data(inputs.raw_counts, first, last)
        if n_days < MIN_BASELINE_DAYS:
            continue
        label = f"{window}-day baseline ({n_days} days with data in {first}..{last})"
        if not mix.empty:
            cur = mix[mix["day"] == day]
            base = mix[(mix["day"] >= first) & (mix["day"] <= last)]
            out.append(mix_drift_tests(cur, base, label, settings.drift.psi_threshold, min_rows))
        base_sample = inputs.numeric_baselines.get(window)
        if base_sample is not None and not inputs.numeric_today.empty:
            out.append(
                numeric_drift_tests(
                    inputs.numeric_today, base_sample, label, settings.drift.psi_threshold, min_rows
                )
            )
    return out


def _days_with_data(counts: pd.Series, first: dt.date, last: dt.date) -> int:
    if counts.empty:
        return 0
    return int(sum(1 for d, n in counts.items() if first <= d <= last and n > 0))


def _with_examples(found: pd.DataFrame, examples: dict[str, list[str]]) -> pd.DataFrame:
    """Add a few example interaction ids to overall online-signal alerts."""
    found = found.copy()
    for metric, ids in examples.items():
        mask = (found["metric"] == metric) & (found["segment_key"] == OVERALL)
        if mask.any() and ids:
            found.loc[mask, "evidence"] = found.loc[mask, "evidence"] + "; e.g. " + ", ".join(ids)
    return found
