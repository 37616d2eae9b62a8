"""The demo month's incidents raise the right alert, in the right segment, on time.

20 days of the ``demo`` scenario (a free-tier bias throughout, a Spanish toxicity
burst, a new failure theme, a rollout regression and a billing hallucination spike)
at 600 interactions a day, materialised through Dagster up to ``quality_alerts``.
Incident days and segments come from ``_truth/incidents.json``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from evalflow_tests.scenarios.harness import ALERTS, ScenarioRun, run_scenario

DAYS = 20
PER_DAY = 600
START = dt.date(2026, 9, 9)
"""A Wednesday: the two-day toxicity burst (a quarter into the period) then falls on a
Monday and Tuesday. On a weekend the simulated traffic halves and the burst is two or
three toxic answers in all, too few for any test to say where they concentrate (the
overall alert still fires and names the language in its evidence)."""
TOXICITY = ("toxicity_rate", "toxicity_signal_rate")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    root: Path = tmp_path_factory.mktemp("scenario_demo")
    return run_scenario(root, "demo", DAYS, PER_DAY, ALERTS, start=START)


@pytest.fixture(scope="module")
def alerts(demo: ScenarioRun) -> pd.DataFrame:
    return demo.query("SELECT * FROM quality_alerts WHERE status = 'open' ORDER BY day, alert_id")


def _window(incident: dict, alerts: pd.DataFrame) -> pd.DataFrame:
    """Alerts of the onset day and the day after (detection may lag one day)."""
    start = incident["start_day"]
    return alerts[(alerts["day"] >= start) & (alerts["day"] <= start + dt.timedelta(days=1))]


def test_toxicity_burst_is_critical_in_its_language_and_nowhere_else(
    demo: ScenarioRun, alerts: pd.DataFrame
) -> None:
    for incident in demo.incidents_of("toxicity_burst"):
        seen = _window(incident, alerts)
        tox = seen[(seen["kind"] == "threshold") & seen["metric"].isin(TOXICITY)]
        cell = (incident["segment_key"], incident["segment_value"])
        in_segment = tox[(tox["segment_key"] == cell[0]) & (tox["segment_value"] == cell[1])]
        assert len(in_segment), tox[["day", "metric", "segment_key", "segment_value"]].to_string()
        overall = tox[tox["segment_key"] == "overall"]
        for found in (in_segment, overall):
            # The word-boundary toxicity signal is a code signal: critical.
            signal = found[found["metric"] == "toxicity_signal_rate"]
            assert len(signal) and set(signal["severity"]) == {"critical"}, found.to_string()
            # The safety judge's KPI is critical only when the judge is validated on this
            # traffic; a handful of toxic answers cannot validate it against the users'
            # thumbs, so there it is at most medium and its evidence says why.
            judged = found[found["metric"] == "toxicity_rate"]
            for severity, evidence in zip(judged["severity"], judged["evidence"], strict=True):
                assert severity == "critical" or (
                    severity in {"medium", "low"} and "safety judge" in evidence
                ), evidence
        # Attribution: the burst's rows also sit in every queue, region, channel, ...
        # but only its own segment concentrates them.
        cells = set(zip(tox["segment_key"], tox["segment_value"], strict=True))
        assert cells <= {("overall", "overall"), cell}, cells
        assert "folded into this alert" in " ".join(overall["evidence"])


def test_hallucination_spike_is_found_in_its_queue(demo: ScenarioRun, alerts: pd.DataFrame) -> None:
    for incident in demo.incidents_of("hallucination_spike"):
        seen = _window(incident, alerts)
        hal = seen[(seen["kind"] == "threshold") & (seen["metric"] == "hallucination_rate")]
        cell = (incident["segment_key"], incident["segment_value"])
        hit = hal[(hal["segment_key"] == cell[0]) & (hal["segment_value"] == cell[1])]
        assert len(hit), hal[["day", "segment_key", "segment_value", "observed"]].to_string()
        assert set(hit["severity"]) <= {"high", "medium"}
        assert (hit["observed"] > hit["expected"]).all()
        assert "concentrated here" in hit["evidence"].iloc[0]
        # One breach, few alerts: the overall, the queue, and at most the segment of the
        # month-long bias (the simulator's free tier hallucinates more all month).
        per_day = hal.groupby("day").size()
        assert per_day.max() <= 3, hal[["day", "segment_key", "segment_value"]].to_string()


def test_an_incident_day_is_a_readable_list(demo: ScenarioRun, alerts: pd.DataFrame) -> None:
    per_day = alerts.groupby("day").size().reindex(demo.all_days, fill_value=0)
    per_metric = alerts.groupby(["day", "kind", "metric"]).size()
    critical = alerts[alerts["severity"] == "critical"]
    print(
        f"demo {DAYS} days x {PER_DAY}: {len(alerts)} open alert-days "
        f"({dict(alerts['severity'].value_counts())}), busiest day {per_day.max()}, "
        f"critical on {sorted(set(critical['day'].astype(str)))}; run {demo.seconds:.0f}s"
    )
    # No flood: one condition is the overall alert plus the few cells it concentrates
    # in (the hallucination spike's queue, plus the theme's queue when both overlap),
    # never one alert per segment cell (there are 26 cells).
    assert per_metric.max() <= 4, per_metric[per_metric > 4].to_string()
    # Several incidents overlap in this month (bias, theme, regression, spike), so a
    # busy day lists each affected KPI once or twice; it stays a list a person reads.
    assert per_day.max() <= 25, per_day.to_string()
    # Critical is reserved for toxicity and PII, which only the burst injects.
    burst = {
        d
        for i in demo.incidents_of("toxicity_burst")
        for d in pd.date_range(i["start_day"], i["end_day"] + dt.timedelta(days=1)).date
    }
    assert set(critical["day"]) <= burst, critical[["day", "metric", "segment_key"]].to_string()


def test_every_stored_table_matches_the_catalogue(demo: ScenarioRun) -> None:
    """What the assets wrote is what evalflow/storage/catalog.py (and docs/tables.md) say."""
    from evalflow_tests.storage.contracts import catalogue_mismatches

    assert catalogue_mismatches(demo.database) == []
