"""Threshold alerts: the right cell, the right severity, and no alerts from tiny-cell noise."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalflow.alerts.pipeline import AlertInputs, build_alerts
from evalflow.alerts.severity import validity_lookup
from evalflow.alerts.thresholds import threshold_alerts
from evalflow.config.settings import Settings, ThresholdSettings
from evalflow_tests.alerts.fixtures import Spike, kpi_series, validity_rows

D = dt.date(2026, 10, 5)


def _kpi(
    segment_key: str,
    segment_value: str,
    metric: str,
    value: float,
    n: int,
    ci: tuple[float, float] | None = None,
    low_count: bool | None = None,
) -> dict[str, object]:
    lo, hi = ci if ci else (None, None)
    return {
        "day": D,
        "segment_key": segment_key,
        "segment_value": segment_value,
        "metric": metric,
        "value": value,
        "ci_low": lo,
        "ci_high": hi,
        "n": n,
        "estimator": "census",
        "low_count": (n < 30) if low_count is None else low_count,
    }


def _run(kpis: pd.DataFrame) -> pd.DataFrame:
    """The day's alerts with every judge validated (these tests are about cells and sizes)."""
    inputs = AlertInputs(
        day=D, kpis=kpis, raw_counts=pd.Series({D: 4000}), validity=validity_rows()
    )
    return build_alerts(inputs, Settings()).alerts


def test_error_spike_in_one_small_segment_raises_exactly_that_alert() -> None:
    kpis = kpi_series(D, 29, seed=5, spikes=[Spike(D, "queue", "outage", "error_rate", 0.12)])
    alerts = _run(kpis)
    opened = alerts[alerts["status"] == "open"]
    assert len(opened) == 1, opened[["kind", "metric", "segment_key", "segment_value"]]
    row = opened.iloc[0]
    assert (row["kind"], row["metric"], row["segment_key"], row["segment_value"]) == (
        "threshold",
        "error_rate",
        "queue",
        "outage",
    )
    # queue=outage holds ~10% of traffic (a small segment) and is > 2x the 5% maximum.
    assert row["severity"] == "medium"
    assert row["expected"] == pytest.approx(0.05)
    assert row["observed"] > 0.08
    assert "n=" in row["evidence"] and "CI" in row["evidence"]
    # The cell also drifted; that finding is folded in instead of a second alert.
    assert "also drifted" in row["evidence"]


@pytest.mark.parametrize(
    ("value", "segment", "severity", "overall_severity"),
    [(0.30, "billing", "high", "high"), (0.45, "outage", "medium", "medium")],
)
def test_hallucination_spike_severity_depends_on_segment_size(
    value: float, segment: str, severity: str, overall_severity: str
) -> None:
    kpis = kpi_series(
        D, 29, seed=9, spikes=[Spike(D, "queue", segment, "hallucination_rate", value)]
    )
    alerts = _run(kpis)
    hall = alerts[(alerts["kind"] == "threshold") & (alerts["metric"] == "hallucination_rate")]
    queue = hall[hall["segment_key"] == "queue"]
    assert queue["segment_value"].tolist() == [segment]
    assert queue["severity"].iloc[0] == severity
    # The spike lifts the day's overall rate past 5% too. Billing (28% of traffic) lifts
    # its interval above 5%: high. The small outage queue lifts it to 6.0%, CI 4.4-8.2%:
    # the breach of the whole day is not established, so medium.
    overall = hall[hall["segment_key"] == "overall"]
    assert overall["severity"].tolist() == [overall_severity]
    # No other metric breaches.
    assert set(alerts.loc[alerts["kind"] == "threshold", "metric"]) == {"hallucination_rate"}


def test_any_toxicity_is_critical_even_in_a_low_count_cell() -> None:
    kpis = pd.DataFrame(
        [
            _kpi("overall", "overall", "toxicity_signal_rate", 1 / 4000, 4000, (0.00004, 0.0014)),
            _kpi("urgency", "critical", "toxicity_signal_rate", 1 / 12, 12, (0.015, 0.35)),
            _kpi("urgency", "low", "toxicity_signal_rate", 0.0, 1500, (0.0, 0.0025)),
            _kpi("queue", "billing", "pii_signal_rate", 1 / 5, 5, (0.036, 0.62)),
        ]
    )
    found = threshold_alerts(kpis, ThresholdSettings(), min_cell_count=30)
    cells = set(zip(found["metric"], found["segment_key"], found["segment_value"], strict=True))
    assert cells == {
        ("toxicity_signal_rate", "overall", "overall"),
        ("toxicity_signal_rate", "urgency", "critical"),
        ("pii_signal_rate", "queue", "billing"),
    }
    assert set(found["severity"]) == {"critical"}
    assert found["evidence"].str.contains("1 of n=12").any()


def test_low_count_and_uncertain_segment_cells_do_not_alert() -> None:
    kpis = pd.DataFrame(
        [
            # 2 of 10 hallucinated: far above 5% but a tiny cell -> skipped.
            _kpi("language", "fr", "hallucination_rate", 0.2, 10, (0.057, 0.51)),
            # 4 of 50: point above 5%, CI includes it -> noise, no alert.
            _kpi("region", "latam", "hallucination_rate", 0.08, 50, (0.031, 0.19)),
            # Overall fires on the point estimate, but its interval includes 5%: medium.
            _kpi("overall", "overall", "hallucination_rate", 0.06, 600, (0.043, 0.083)),
            # ... while an established breach of a validated judge is high.
            _kpi("region", "na", "hallucination_rate", 0.12, 500, (0.09, 0.15)),
            # A relevance proxy whose whole CI is under the floor in a mid-size segment.
            _kpi("channel", "email", "relevance_proxy_mean", 0.25, 200, (0.22, 0.28)),
            _kpi("channel", "chat", "relevance_proxy_mean", 0.72, 800, (0.70, 0.74)),
            # SLA cell marked low_count by the KPI stage even though n >= 30 here.
            _kpi("queue", "outage", "sla_hit_rate", 0.5, 40, (0.35, 0.65), low_count=True),
        ]
    )
    found = threshold_alerts(
        kpis, ThresholdSettings(), min_cell_count=30, validity=validity_lookup(validity_rows())
    )
    cells = {
        (m, k, v): s
        for m, k, v, s in zip(
            found["metric"],
            found["segment_key"],
            found["segment_value"],
            found["severity"],
            strict=True,
        )
    }
    assert cells == {
        ("hallucination_rate", "overall", "overall"): "medium",
        ("hallucination_rate", "region", "na"): "high",
        ("relevance_proxy_mean", "channel", "email"): "medium",
    }
    overall = found[found["segment_key"] == "overall"]["evidence"].iloc[0]
    assert "its interval does not exclude the limit: at most medium" in overall


def test_unmeasured_values_never_alert() -> None:
    kpis = pd.DataFrame(
        [
            _kpi("overall", "overall", "relevance_score", float("nan"), 0),
            _kpi("overall", "overall", "error_rate", None, 100),  # type: ignore[arg-type]
        ]
    )
    assert threshold_alerts(kpis, ThresholdSettings(), min_cell_count=30).empty
