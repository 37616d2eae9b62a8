"""Traffic that changes shape (channel, queue mix, query length) raises input-drift alerts.

12 days of ``input_drift`` at 400 interactions a day through Dagster up to
``quality_alerts``; the onset day and the drifting segments come from the truth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from evalflow_tests.scenarios.harness import ALERTS, ScenarioRun, run_scenario

DAYS = 12
PER_DAY = 400


@pytest.fixture(scope="module")
def drift(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    root: Path = tmp_path_factory.mktemp("scenario_input_drift")
    return run_scenario(root, "input_drift", DAYS, PER_DAY, ALERTS)


@pytest.fixture(scope="module")
def alerts(drift: ScenarioRun) -> pd.DataFrame:
    return drift.query("SELECT * FROM quality_alerts WHERE status = 'open' ORDER BY day")


def test_each_injected_shift_is_an_input_drift_alert_on_time(
    drift: ScenarioRun, alerts: pd.DataFrame
) -> None:
    for incident in drift.incidents_of("input_drift"):
        start = incident["start_day"]
        seen = alerts[
            (alerts["kind"] == "input_drift")
            & (alerts["day"] >= start)
            & (alerts["day"] <= start + dt.timedelta(days=1))
        ]
        if incident["segment_key"]:
            # A mix shift of a segment key: its own mix or a joint mix containing it.
            hit = seen[
                seen["metric"]
                .str.split("_mix")
                .str[0]
                .str.split("×")
                .map(lambda keys, k=incident["segment_key"]: k in keys)
            ]
        else:
            hit = seen[seen["metric"] == incident["metric"]]
        assert len(hit), (incident["id"], seen[["day", "metric", "observed"]].to_string())
        assert (hit["observed"] > hit["expected"]).all()  # PSI above its threshold
        assert "baseline" in hit["evidence"].iloc[0]


def test_no_input_drift_before_the_onset(drift: ScenarioRun, alerts: pd.DataFrame) -> None:
    onset = min(i["start_day"] for i in drift.incidents_of("input_drift"))
    early = alerts[alerts["day"] < onset]
    assert early[early["kind"] == "input_drift"].empty, early.to_string()
    assert not early["severity"].isin(["high", "critical"]).any(), early.to_string()
