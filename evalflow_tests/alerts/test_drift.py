"""KPI drift: spikes and slow shifts are found, a quiet month stays quiet, BH is right."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from evalflow.alerts.drift import (
    benjamini_hochberg,
    ewma_tests,
    kpi_drift_tests,
    select_significant,
)
from evalflow.alerts.pipeline import AlertInputs, build_alerts
from evalflow.config.settings import Settings
from evalflow_tests.alerts.fixtures import Spike, kpi_series

D = dt.date(2026, 10, 5)


def test_benjamini_hochberg_matches_scipy_and_keeps_nan() -> None:
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 1e-4, size=5)])
    assert np.allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"))
    with_nan = np.array([0.01, np.nan, 0.04, 0.03])
    adj = benjamini_hochberg(with_nan)
    assert np.isnan(adj[1])
    assert np.allclose(adj[[0, 2, 3]], false_discovery_control([0.01, 0.04, 0.03]))


@pytest.mark.parametrize("seed", [3, 21])
def test_quiet_month_raises_no_high_or_critical_and_almost_nothing_else(seed: int) -> None:
    """36 days of a fixed binomial model, a week of daily runs chained through dedup."""
    settings = Settings()
    kpis = kpi_series(D, 36, seed=seed)
    previous = pd.DataFrame()
    opened: list[pd.DataFrame] = []
    n_tests = 0
    for back in range(6, -1, -1):
        day = D - dt.timedelta(days=back)
        window = kpis[(kpis["day"] >= day - dt.timedelta(days=28)) & (kpis["day"] <= day)]
        run = build_alerts(
            AlertInputs(day=day, kpis=window, raw_counts=pd.Series({day: 4000}), previous=previous),
            settings,
        )
        n_tests += run.n_tests
        previous = run.alerts
        opened.append(run.alerts[run.alerts["status"] == "open"])
    assert n_tests > 2000  # many segments x metrics x windows were really tested
    everything = pd.concat(opened)
    assert not everything["severity"].isin(["critical", "high"]).any(), everything
    assert everything["alert_id"].nunique() <= 2, everything[["kind", "metric", "segment_key"]]


def test_drift_spike_below_threshold_is_found_only_in_its_segment() -> None:
    # error_rate 1% -> 4% in channel=email: under the 5% limit, so only drift can see it.
    kpis = kpi_series(D, 29, seed=5, spikes=[Spike(D, "channel", "email", "error_rate", 0.04)])
    run = build_alerts(AlertInputs(day=D, kpis=kpis, raw_counts=pd.Series({D: 4000})), Settings())
    opened = run.alerts[run.alerts["status"] == "open"]
    assert len(opened) == 1, opened[["kind", "metric", "segment_key", "segment_value"]]
    row = opened.iloc[0]
    assert (row["kind"], row["metric"], row["segment_key"], row["segment_value"]) == (
        "drift",
        "error_rate",
        "channel",
        "email",
    )
    assert row["severity"] == "medium"  # error rate moved in its bad direction
    assert row["expected"] == pytest.approx(0.01, abs=0.004)  # the pooled baseline
    assert "7-day baseline" in row["evidence"] and "28-day baseline" in row["evidence"]
    assert "BH-adjusted p=" in row["evidence"]


def test_min_effect_suppresses_significant_but_tiny_changes() -> None:
    # 8% -> 9% on 4000 rows a day is statistically clear over 28 days, but < 2 points.
    spikes = [Spike(D, "overall", "overall", "rating_down_rate", 0.092)]
    kpis = kpi_series(D, 29, seed=4, n_rows=40_000, spikes=spikes)
    tests = kpi_drift_tests(kpis, D, [7, 28], min_effect=0.02, min_cell_count=30)
    overall = tests[(tests["metric"] == "rating_down_rate") & (tests["segment_key"] == "overall")]
    assert (overall["p_value"] < 1e-4).all()
    assert not overall["effect_ok"].any()
    kept = select_significant(tests, 0.01)
    assert kept[(kept["metric"] == "rating_down_rate") & (kept["segment_key"] == "overall")].empty


def test_baseline_with_fewer_than_three_days_is_not_used() -> None:
    kpis = kpi_series(D, 3, seed=1, spikes=[Spike(D, "overall", "overall", "error_rate", 0.2)])
    assert kpi_drift_tests(kpis, D, [7, 28], 0.02, 30).empty  # only 2 earlier days
    kpis = kpi_series(D, 4, seed=1, spikes=[Spike(D, "overall", "overall", "error_rate", 0.2)])
    tests = kpi_drift_tests(kpis, D, [7, 28], 0.02, 30)
    overall = tests[(tests["metric"] == "error_rate") & (tests["segment_key"] == "overall")]
    assert len(overall) == 2 and (overall["p_value"] < 1e-10).all()


def test_ewma_detects_a_slow_creep_that_no_single_day_shows() -> None:
    # relevance_proxy slides 0.70 -> 0.66 over the last 8 days, 0.005 a day.
    creep = [
        Spike(
            D - dt.timedelta(days=7 - i),
            "overall",
            "overall",
            "relevance_proxy_mean",
            0.70 - 0.005 * (i + 1),
        )
        for i in range(8)
    ]
    kpis = kpi_series(D, 29, seed=8, spikes=creep)
    ewma = ewma_tests(kpis, D, [7, 28], 0.02, 30)
    row = ewma[ewma["metric"] == "relevance_proxy_mean"].iloc[0]
    assert row["p_value"] < 1e-6 and row["effect"] < -0.02 and row["effect_ok"]
    assert row["severity"] == "medium"  # relevance falling is the bad direction
    quiet = ewma_tests(kpi_series(D, 29, seed=8), D, [7, 28], 0.02, 30)
    assert not quiet["effect_ok"].any()
    assert (quiet["p_value"] > 1e-3).all()


def test_overdispersed_baseline_widens_the_test() -> None:
    """Daily rates that wobble more than binomial noise should not make every day an alert."""
    rng = np.random.default_rng(2)
    days = [D - dt.timedelta(days=i) for i in range(28, -1, -1)]
    n = 20_000
    rates = np.clip(rng.normal(0.10, 0.02, len(days)), 0.01, None)  # sd 2 points day to day
    rates[-1] = 0.13  # +1.5 sd of the daily wobble: unremarkable for this series
    kpis = pd.DataFrame(
        {
            "day": days,
            "segment_key": "overall",
            "segment_value": "overall",
            "metric": "escalation_rate",
            "value": rates,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": n,
            "estimator": "census",
            "low_count": False,
        }
    )
    tests = kpi_drift_tests(kpis, D, [28], min_effect=0.02, min_cell_count=30)
    # A plain binomial test would give z ~ 14 here; with tau^2 it is about 1.5 sd.
    assert tests["p_value"].iloc[0] > 0.01


def test_counts_costs_and_percentiles_are_not_drift_tested() -> None:
    days = [D - dt.timedelta(days=i) for i in range(10, -1, -1)]
    rows = [
        {
            "day": d,
            "segment_key": "overall",
            "segment_value": "overall",
            "metric": m,
            "value": v * (5 if d == D else 1),
            "ci_low": None,
            "ci_high": None,
            "n": 4000,
            "estimator": "census",
            "low_count": False,
        }
        for d in days
        for m, v in (
            ("volume", 4000.0),
            ("latency_ms_p95", 2100.0),
            ("cost_per_interaction", 0.002),
        )
    ]
    kpis = pd.DataFrame(rows)
    assert kpi_drift_tests(kpis, D, [7, 28], 0.02, 30).empty
    assert ewma_tests(kpis, D, [7, 28], 0.02, 30).empty
