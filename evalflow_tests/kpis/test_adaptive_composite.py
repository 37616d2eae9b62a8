"""The composite uses only terms measured on the traffic; omissions are named, never silent."""

from __future__ import annotations

import pandas as pd
import pytest

from evalflow.config.settings import CompositeTerm, KpiSettings
from evalflow.kpis.composite import measured_terms, plan_composite
from evalflow.kpis.metrics import compute_segment_kpis
from evalflow_tests.kpis.fixtures import DAY, tiny_judges, tiny_raw, tiny_sampled, tiny_signals

OUTCOME = [c for c in tiny_raw().columns if c.startswith("outcome_")]


def _run(raw: pd.DataFrame, kpi: KpiSettings | None = None):
    return compute_segment_kpis(
        raw,
        tiny_signals(),
        tiny_sampled(),
        tiny_judges(),
        segments=["queue"],
        criteria=["faithfulness"],
        kpi=kpi or KpiSettings(min_cell_count=3),
        day=DAY,
    )


def _comp(frame: pd.DataFrame, key: str = "overall", value: str = "overall") -> pd.Series:
    rows = frame[
        (frame.segment_key == key)
        & (frame.segment_value == value)
        & (frame.metric == "composite_kpi")
    ]
    return rows.iloc[0]


def test_measured_terms_renormalise_the_weights() -> None:
    terms = KpiSettings().composite
    used, dropped = measured_terms(terms, {"rating_up_rate", "override_rate"})
    assert [t.metric for t in used] == ["rating_up_rate", "override_rate"]
    assert [t.weight for t in used] == pytest.approx([0.25 / 0.45, 0.20 / 0.45])
    assert dropped == ("escalation_precision", "sla_hit_rate")
    assert used[1].direction == "lower"


def test_logs_without_outcomes_give_the_feedback_composite_and_say_so() -> None:
    # The reported failure: no `outcome` block -> composite NULL every day, silently.
    res = _run(tiny_raw().drop(columns=OUTCOME))
    row = _comp(res.frame)
    up = res.frame[(res.frame.segment_key == "overall") & (res.frame.metric == "rating_up_rate")]
    assert row.value == pytest.approx(up.value.iloc[0])  # 3/4 thumbs up
    assert row.ci_low < row.value < row.ci_high
    assert res.composite.dropped == ("escalation_precision", "sla_hit_rate", "override_rate")
    assert [t.metric for t in res.composite.used] == ["rating_up_rate"]
    assert "dropped (unmeasured on every row)" in row.note
    assert "sla_hit_rate" in row.note
    # Every cell carries the same explanation.
    assert res.frame.loc[res.frame.metric == "composite_kpi", "note"].notna().all()


def test_no_measured_term_gives_null_with_a_reason() -> None:
    raw = tiny_raw().drop(columns=OUTCOME)
    raw["feedback_rating"] = None
    res = _run(raw)
    row = _comp(res.frame)
    assert pd.isna(row.value) and pd.isna(row.ci_low)
    assert row.note.startswith("unmeasured: no composite term has data on this traffic")
    assert not res.composite.measured


def test_a_cell_missing_most_of_the_weight_is_null_and_names_the_missing_terms() -> None:
    # Thumbs (0.25), SLA (0.25) and overrides (0.20) are measured overall, not in 'technical'.
    raw = tiny_raw()
    at = raw["seg_queue"] == "technical"
    for col in ("outcome_sla_met", "outcome_analyst_override", "feedback_rating"):
        raw[col] = raw[col].astype(object)
        raw.loc[at, col] = None
    res = _run(raw)
    assert res.composite.dropped == ()
    row = _comp(res.frame, "queue", "technical")
    assert pd.isna(row.value)
    assert "unmeasured in this cell" in row.note and "sla_hit_rate" in row.note
    assert pd.isna(_comp(res.frame).note)
    assert pd.notna(_comp(res.frame).value)


def test_explicit_composite_is_also_adaptive() -> None:
    kpi = KpiSettings(
        min_cell_count=3,
        composite=[
            CompositeTerm(metric="sla_hit_rate", weight=0.5),
            CompositeTerm(metric="error_rate", weight=0.5, direction="lower"),
        ],
    )
    res = _run(tiny_raw().drop(columns=OUTCOME), kpi)
    err = res.frame[(res.frame.segment_key == "overall") & (res.frame.metric == "error_rate")]
    assert _comp(res.frame).value == pytest.approx(1 - err.value.iloc[0])
    assert res.composite.dropped == ("sla_hit_rate",)


def test_plan_on_an_empty_frame_drops_everything() -> None:
    plan = plan_composite(pd.DataFrame(columns=["metric", "value", "n"]), KpiSettings().composite)
    assert not plan.measured and len(plan.dropped) == 4
