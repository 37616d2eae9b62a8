"""A healthy month through the real pipeline: the alerting and the gate stay quiet.

28 days of the ``quiet`` scenario (no injected incident) at 400 interactions a day,
materialised through Dagster up to ``quality_alerts`` and ``rollout_decisions``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalflow_tests.scenarios.harness import ALERTS, ScenarioRun, run_scenario

DAYS = 28
PER_DAY = 400


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    root: Path = tmp_path_factory.mktemp("scenario_quiet")
    return run_scenario(root, "quiet", DAYS, PER_DAY, [*ALERTS, "rollout_decisions"])


def test_the_truth_is_quiet(quiet: ScenarioRun) -> None:
    assert quiet.incidents == []
    assert len(quiet.query("SELECT DISTINCT day FROM raw_interactions")) == DAYS


def test_no_high_or_critical_alert_on_any_day(quiet: ScenarioRun) -> None:
    loud = quiet.query(
        "SELECT day, kind, severity, metric, segment_key, segment_value, evidence "
        "FROM quality_alerts WHERE status = 'open' AND severity IN ('high', 'critical') "
        "ORDER BY day"
    )
    assert loud.empty, loud.to_string()


def test_very_few_low_or_medium_alerts(quiet: ScenarioRun) -> None:
    opened = quiet.query(
        "SELECT day, alert_id, kind, severity, metric, segment_key, segment_value "
        "FROM quality_alerts WHERE status = 'open' ORDER BY day, alert_id"
    )
    per_day = opened.groupby("day").size().reindex(quiet.all_days, fill_value=0)
    summary = (
        f"quiet {DAYS} days x {PER_DAY}: {len(opened)} open alert-days, "
        f"{opened['alert_id'].nunique()} distinct alerts, "
        f"{dict(opened['severity'].value_counts())}, busiest day {per_day.max()}; "
        f"run {quiet.seconds:.0f}s"
    )
    print(summary)
    # Very few: at most one open alert a day on average, never a burst, and only a
    # handful of distinct conditions over the month (a real, persistent property of
    # the traffic such as a slow segment may legitimately stay open).
    assert len(opened) <= DAYS, summary
    assert per_day.max() <= 4, summary
    assert opened["alert_id"].nunique() <= 8, summary


def test_the_gate_never_rolls_back_a_model_that_is_as_good(quiet: ScenarioRun) -> None:
    decisions = quiet.query(
        "SELECT day, traffic_share, decision, reasons FROM rollout_decisions ORDER BY day"
    )
    assert len(decisions) == DAYS  # the treatment runs every day
    assert not (decisions["decision"] == "ROLLBACK").any(), decisions.to_string()
