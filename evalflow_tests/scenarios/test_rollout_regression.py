"""A phased rollout whose new model regresses at the 50% phase: the gate must stop it.

16 days of ``rollout_regression`` (four phases of four days) at 1,000 interactions a
day, materialised through Dagster up to ``rollout_decisions``. The regression's first
day comes from the truth file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from evalflow_tests.scenarios.harness import ROLLOUT, ScenarioRun, run_scenario

DAYS = 16
PER_DAY = 1000


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    root: Path = tmp_path_factory.mktemp("scenario_rollout")
    return run_scenario(root, "rollout_regression", DAYS, PER_DAY, ROLLOUT)


@pytest.fixture(scope="module")
def onset(rollout: ScenarioRun) -> dt.date:
    starts = {i["start_day"] for i in rollout.incidents_of("rollout_regression")}
    assert len(starts) == 1
    return starts.pop()


@pytest.fixture(scope="module")
def decisions(rollout: ScenarioRun) -> pd.DataFrame:
    return rollout.query("SELECT * FROM rollout_decisions ORDER BY day")


def test_the_regression_starts_with_the_50_percent_phase(
    decisions: pd.DataFrame, onset: dt.date
) -> None:
    first_half = decisions[decisions["traffic_share"] == 0.5]["day"].min()
    assert first_half == onset


def test_the_gate_says_go_before_the_50_percent_phase(
    decisions: pd.DataFrame, onset: dt.date
) -> None:
    before = decisions[decisions["day"] < onset]
    print(
        "before the regression:",
        list(
            zip(before["day"].astype(str), before["traffic_share"], before["decision"], strict=True)
        ),
    )
    assert not (before["decision"] == "ROLLBACK").any(), before[["day", "decision", "reasons"]]
    go = before[before["decision"] == "GO"]
    assert len(go), before[["day", "decision", "reasons"]].to_string()
    # A GO names the next phase and rests on non-inferiority shown over the phase so far.
    row = go.iloc[-1]
    assert row["next_phase"] > row["traffic_share"]
    assert any("non-inferior" in r for r in json.loads(row["reasons"]))


def test_the_gate_stops_the_rollout_at_the_50_percent_phase(
    decisions: pd.DataFrame, onset: dt.date
) -> None:
    at = decisions[(decisions["day"] >= onset) & (decisions["day"] <= onset + dt.timedelta(days=1))]
    assert len(at) == 2
    first = at.iloc[0]
    assert first["decision"] in ("HOLD", "ROLLBACK"), first["reasons"]
    reasons = " ".join(json.loads(first["reasons"]))
    assert "override" in reasons and "composite" in reasons, reasons
    assert pd.isna(first["next_phase"])
    # Once stopped it stays stopped: every later day is HOLD or ROLLBACK.
    after = decisions[decisions["day"] >= onset]
    assert set(after["decision"]) <= {"HOLD", "ROLLBACK"}, after[["day", "decision"]]
    assert (after["composite_diff"] < 0).all()
