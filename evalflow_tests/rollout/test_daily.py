"""A day's decision row from segment_kpis and arm traffic, incl. full rollout."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from evalflow.config.settings import RolloutSettings, Settings
from evalflow.kpis.metrics import compute_segment_kpis
from evalflow.rollout.daily import COLUMNS, rollout_decision_for_day
from evalflow_tests.kpis.fixtures import arm_day

DAY = dt.date(2026, 10, 12)
SETTINGS = Settings(rollout=RolloutSettings(min_samples=50))


def _kpis(frames: dict[str, pd.DataFrame], day: dt.date) -> pd.DataFrame:
    return compute_segment_kpis(
        frames["raw"],
        frames["signals"],
        frames["sampled"],
        frames["judges"],
        segments=["queue"],
        criteria=["faithfulness", "safety", "relevance"],
        kpi=SETTINGS.kpis,
        day=day,
    ).frame


def _counts(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    raw = frames["raw"]
    return (
        raw.groupby(["rollout_arm", "model_version", "traffic_share"], dropna=False)
        .size()
        .rename("n")
        .reset_index()
    )


def _decide(arms: dict, day: dt.date = DAY, **kw: dict) -> pd.DataFrame:
    frames = arm_day(day, arms, **kw)
    return rollout_decision_for_day(day, _kpis(frames, day), _counts(frames), SETTINGS)


BOTH = {"control": ("copilot-v1", 400, 0.25), "treatment": ("copilot-v2", 400, 0.25)}


def test_equal_arms_go_to_next_phase() -> None:
    out = _decide(BOTH, override_every={"control": 10, "treatment": 10})
    assert list(out.columns) == list(COLUMNS)
    row = out.iloc[0]
    assert row.decision == "GO", row.reasons
    assert row.next_phase == 0.5 and row.traffic_share == 0.25
    assert (row.treatment_version, row.control_version) == ("copilot-v2", "copilot-v1")
    assert (row.n_treatment, row.n_control) == (400, 400)
    assert row.composite_diff == pytest.approx(0.0)
    checks = json.loads(row.details_json)["checks"]
    assert {c["status"] for c in checks} == {"pass"}


def test_override_rise_holds() -> None:
    # 16.7 % vs 10 %: significant, but the composite drop (≈ 0.017) is within the margin.
    row = _decide(BOTH, override_every={"control": 10, "treatment": 6}).iloc[0]
    assert row.decision == "HOLD", row.reasons
    assert any("significant rise" in r for r in json.loads(row.reasons))
    assert pd.isna(row.next_phase)


def test_override_rise_with_composite_breach_rolls_back() -> None:
    # 25 % vs 10 %: the composite falls by 0.25 × 0.15 ≈ 0.0375, beyond composite_margin.
    row = _decide(BOTH, override_every={"control": 10, "treatment": 4}).iloc[0]
    assert row.decision == "ROLLBACK"
    assert any("together with a composite KPI breach" in r for r in json.loads(row.reasons))


def test_hallucinating_treatment_rolls_back() -> None:
    row = _decide(BOTH, fail_every={"treatment": 5}).iloc[0]
    assert row.decision == "ROLLBACK"
    assert any("hallucination rate 20.00%" in r for r in json.loads(row.reasons))


def test_no_treatment_no_row() -> None:
    out = _decide({"control": ("copilot-v1", 300, None)})
    assert out.empty and list(out.columns) == list(COLUMNS)


def test_share_derived_from_traffic_when_not_logged() -> None:
    row = _decide(
        {"control": ("copilot-v1", 300, None), "treatment": ("copilot-v2", 100, None)}
    ).iloc[0]
    assert row.traffic_share == pytest.approx(0.25)


def test_full_rollout_without_history_holds() -> None:
    row = _decide({"treatment": ("copilot-v2", 400, 1.0)}).iloc[0]
    assert row.decision == "HOLD"
    assert json.loads(row.reasons)[0].startswith("no concurrent control")
    assert row.control_version is None and row.n_control == 0


def test_full_rollout_against_pooled_control_history() -> None:
    history, versions = [], []
    for i in range(1, 10):
        d = DAY - dt.timedelta(days=i)
        f = arm_day(d, BOTH, override_every={"control": 10, "treatment": 10})
        history.append(_kpis(f, d))
        versions.append(_counts(f))
    frames = arm_day(DAY, {"treatment": ("copilot-v2", 400, 1.0)}, override_every={"treatment": 10})
    out = rollout_decision_for_day(
        DAY, _kpis(frames, DAY), _counts(frames), SETTINGS, pd.concat(history), pd.concat(versions)
    )
    row = out.iloc[0]
    assert row.control_version == "copilot-v1"
    assert row.n_control == 7 * 400  # the last 7 days with control traffic
    reasons = json.loads(row.reasons)
    assert any("control is historical" in r and "7 day(s)" in r for r in reasons)
    assert row.decision == "GO" and pd.isna(row.next_phase)  # 1.0 is the last phase
    details = json.loads(row.details_json)
    assert details["control_source"] == "historical" and len(details["control_days"]) == 7
