"""The gate pools a phase's days, keeps the day's harm, and respects conversations."""

from __future__ import annotations

import datetime as dt
import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import RolloutSettings, Settings
from evalflow.kpis.metrics import compute_segment_kpis
from evalflow.rollout.clustering import clustered_se, clustered_sql
from evalflow.rollout.daily import phase_days, rollout_decision_for_day
from evalflow.rollout.gates import ArmSummary, Metric
from evalflow_tests.kpis.fixtures import arm_day

DAY = dt.date(2026, 10, 12)
SETTINGS = Settings(rollout=RolloutSettings(min_samples=200))


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


def _counts(frames: dict[str, pd.DataFrame], day: dt.date) -> pd.DataFrame:
    raw = frames["raw"]
    return (
        raw.groupby(["rollout_arm", "model_version", "traffic_share"], dropna=False)
        .size()
        .rename("n")
        .reset_index()
        .assign(day=day)
    )


def _history(days: int, arms: dict, **kw: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    kpis, counts = [], []
    for i in range(days, 0, -1):
        d = DAY - dt.timedelta(days=i)
        f = arm_day(d, arms, **kw)
        kpis.append(_kpis(f, d))
        counts.append(_counts(f, d))
    return pd.concat(kpis, ignore_index=True), pd.concat(counts, ignore_index=True)


SMALL = {"control": ("copilot-v1", 900, 0.10), "treatment": ("copilot-v2", 100, 0.10)}


def test_a_phase_earns_its_go_over_several_days() -> None:
    today = arm_day(DAY, SMALL, override_every={"control": 10, "treatment": 10})
    alone = rollout_decision_for_day(DAY, _kpis(today, DAY), _counts(today, DAY), SETTINGS)
    assert alone.iloc[0].decision == "HOLD"  # 100 treatment rows < min_samples 200
    history, counts = _history(3, SMALL, override_every={"control": 10, "treatment": 10})
    row = rollout_decision_for_day(
        DAY, _kpis(today, DAY), _counts(today, DAY), SETTINGS, history, None, counts
    ).iloc[0]
    assert row.decision == "GO", row.reasons
    assert row.phase_days == 4 and row.n_treatment == 400 and row.n_control == 3600
    assert json.loads(row.details_json)["phase_days"][0] == str(DAY - dt.timedelta(days=3))
    assert all(r.startswith("the 10% phase to date (4 day(s)") for r in json.loads(row.reasons))


def test_harm_on_the_day_is_not_averaged_away() -> None:
    history, counts = _history(3, SMALL, override_every={"control": 10, "treatment": 10})
    today = arm_day(
        DAY,
        {"control": ("copilot-v1", 900, 0.10), "treatment": ("copilot-v2", 300, 0.10)},
        override_every={"control": 10, "treatment": 10},
        fail_every={"treatment": 4},
    )  # 25% hallucination today only
    row = rollout_decision_for_day(
        DAY, _kpis(today, DAY), _counts(today, DAY), SETTINGS, history, None, counts
    ).iloc[0]
    assert row.decision == "ROLLBACK", row.reasons
    assert any(
        r.startswith("today alone:") and "hallucination" in r for r in json.loads(row.reasons)
    )


def test_a_new_phase_or_model_starts_a_fresh_pool() -> None:
    _, counts = _history(3, SMALL)
    later = {"control": ("copilot-v1", 500, 0.25), "treatment": ("copilot-v2", 500, 0.25)}
    today = _counts(arm_day(DAY, later), DAY)
    assert phase_days(DAY, today, counts, SETTINGS) == [DAY]
    other = {"control": ("copilot-v1", 900, 0.10), "treatment": ("copilot-v3", 100, 0.10)}
    assert phase_days(DAY, _counts(arm_day(DAY, other), DAY), counts, SETTINGS) == [DAY]
    same = _counts(arm_day(DAY, SMALL), DAY)
    gap = counts[counts["day"] != DAY - dt.timedelta(days=2)]
    assert phase_days(DAY, same, gap, SETTINGS) == [DAY - dt.timedelta(days=1), DAY]


def _conversations(n_conv: int, turns: int, p_bad_conv: float, seed: int) -> pd.DataFrame:
    """Every turn of a conversation shares its outcome (the realistic worst case)."""
    rng = np.random.default_rng(seed)
    bad = rng.random(n_conv) < p_bad_conv
    return pd.DataFrame(
        {
            "day": DAY,
            "interaction_id": [f"i{c}-{t}" for c in range(n_conv) for t in range(turns)],
            "conversation_id": np.repeat([f"c{c}" for c in range(n_conv)], turns),
            "user_id": np.repeat([f"u{c}" for c in range(n_conv)], turns),
            "rollout_arm": "treatment",
            "outcome_analyst_override": np.repeat(bad, turns),
            "outcome_escalated": True,
            "outcome_escalation_correct": np.repeat(~bad, turns),
            "outcome_sla_met": True,
        }
    )


def test_clustered_errors_grow_with_shared_outcomes() -> None:
    raw = _conversations(n_conv=40, turns=5, p_bad_conv=0.3, seed=1)
    built = clustered_sql(
        ["override_rate", "escalation_precision", "sla_hit_rate", "latency_ms_p50"],
        set(raw.columns),
    )
    assert built is not None
    sql, covered = built
    assert covered == ["override_rate", "escalation_precision", "sla_hit_rate"]
    con = duckdb.connect()
    con.register("raw_interactions", raw)
    ses = clustered_se(con.execute(sql, [["treatment"], [DAY]]).df(), covered)["treatment"]
    p = raw["outcome_analyst_override"].mean()
    binomial = math.sqrt(p * (1 - p) / len(raw))
    # 5 turns share each outcome: the variance is ~5x the binomial one.
    assert ses["override_rate"] == pytest.approx(binomial * math.sqrt(5 * 40 / 39), rel=0.05)
    assert ses["sla_hit_rate"] == 0.0  # no variation at all
    # Independent rows: the sandwich is the binomial error (never smaller).
    rows = _conversations(n_conv=200, turns=1, p_bad_conv=0.3, seed=2)
    con.register("raw_interactions", rows)
    one = clustered_se(con.execute(sql, [["treatment"], [DAY]]).df(), covered)["treatment"]
    q = rows["outcome_analyst_override"].mean()
    assert one["override_rate"] == pytest.approx(math.sqrt(q * (1 - q) / 200), rel=0.02)


def test_wider_errors_widen_the_arm_but_never_narrow_it() -> None:
    arm = ArmSummary(
        "v",
        100,
        {
            "override_rate": Metric(0.1, 0.03, 0.04, 0.16, 100),
            "sla_hit_rate": Metric(0.9, 0.03, 0.84, 0.96, 100),
        },
    )
    wider = arm.with_standard_errors({"override_rate": 0.06, "sla_hit_rate": 0.01}, 1.96)
    assert wider.metrics["override_rate"].se == 0.06
    assert wider.metrics["override_rate"].ci_low == pytest.approx(0.0)
    assert wider.metrics["sla_hit_rate"].se == 0.03
