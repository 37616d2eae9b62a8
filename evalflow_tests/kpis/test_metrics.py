"""segment_kpis on a six-row fixture, every number worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import KpiSettings
from evalflow.kpis.metrics import COLUMNS, MISSING, compute_segment_kpis
from evalflow.kpis.stats import wilson_interval, z_value
from evalflow_tests.kpis.fixtures import DAY, tiny_judges, tiny_raw, tiny_sampled, tiny_signals

CRITERIA = ["faithfulness", "relevance", "safety", "helpfulness"]


@pytest.fixture(scope="module")
def result() -> tuple[pd.DataFrame, dict]:
    res = compute_segment_kpis(
        tiny_raw(),
        tiny_signals(),
        tiny_sampled(),
        tiny_judges(),
        segments=["queue", "urgency"],
        criteria=CRITERIA,
        kpi=KpiSettings(min_cell_count=3),
        day=DAY,
    )
    return res.frame, res.diagnostics


def _get(
    frame: pd.DataFrame, metric: str, key: str = "overall", value: str = "overall"
) -> pd.Series:
    row = frame[
        (frame.segment_key == key) & (frame.segment_value == value) & (frame.metric == metric)
    ]
    assert len(row) == 1, (metric, key, value)
    return row.iloc[0]


@pytest.mark.parametrize(
    ("metric", "expected", "n"),
    [
        ("volume", 6, 6),
        ("feedback_rate", 4 / 6, 6),
        ("rating_up_rate", 3 / 4, 4),
        ("rating_down_rate", 1 / 4, 4),
        ("copied_rate", 2 / 4, 4),
        ("override_rate", 1 / 5, 5),
        ("escalation_rate", 3 / 5, 5),
        ("escalation_precision", 2 / 3, 3),
        ("sla_hit_rate", 3 / 5, 5),
        ("resolved_rate", 3 / 5, 5),
        ("incident_miss_rate", 1 / 5, 5),
        ("error_rate", 1 / 6, 6),  # an empty error string is not an error
        ("resolution_minutes_p50", 30.0, 5),
        ("resolution_minutes_p90", 56.0, 5),
        ("latency_ms_p50", 350.0, 6),
        ("latency_ms_p95", 575.0, 6),
        ("cost_per_interaction", 0.035, 6),
        ("toxicity_signal_rate", 1 / 6, 6),  # 'zz' is not an interaction of the day
        ("pii_signal_rate", 1 / 6, 6),
        ("refusal_rate", 2 / 6, 6),
        ("relevance_proxy_mean", 3.6 / 6, 6),
        ("grounding_proxy_mean", 0.75, 2),
    ],
)
def test_census_metrics_by_hand(
    result: tuple[pd.DataFrame, dict], metric: str, expected: float, n: int
) -> None:
    row = _get(result[0], metric)
    assert row.value == pytest.approx(expected)
    assert row.n == n
    assert row.estimator == "census"


def test_census_rate_interval_is_wilson(result: tuple[pd.DataFrame, dict]) -> None:
    row = _get(result[0], "override_rate")
    _, lo, hi = wilson_interval(np.array([1]), np.array([5]), z_value(0.95))
    assert (row.ci_low, row.ci_high) == pytest.approx((lo[0], hi[0]))
    assert row.se == pytest.approx((hi[0] - lo[0]) / (2 * z_value(0.95)))
    assert np.isnan(_get(result[0], "volume").ci_low)


def test_segment_cells(result: tuple[pd.DataFrame, dict]) -> None:
    frame = result[0]
    assert _get(frame, "volume", "queue", "billing").value == 4
    assert _get(frame, "volume", "queue", "technical").value == 2
    assert _get(frame, "volume", "urgency", MISSING).value == 1
    urg = frame[(frame.segment_key == "urgency") & (frame.metric == "volume")]
    assert urg.value.sum() == 6  # cells of a key add up to overall
    assert _get(frame, "override_rate", "rollout_arm", "control").value == pytest.approx(1 / 4)
    assert _get(frame, "volume", "model_version", "copilot-v2").value == 2
    assert _get(frame, "escalation_precision", "queue", "technical").n == 0
    assert np.isnan(_get(frame, "escalation_precision", "queue", "technical").value)


def test_low_count_marked_not_hidden(result: tuple[pd.DataFrame, dict]) -> None:
    frame = result[0]
    small = _get(frame, "volume", "queue", "technical")
    assert bool(small.low_count) and small.value == 2
    assert not bool(_get(frame, "volume", "queue", "billing").low_count)
    assert bool(_get(frame, "escalation_precision").low_count) is False  # n = 3 >= 3
    assert bool(_get(frame, "rating_up_rate", "queue", "technical").low_count)


def test_judge_metrics_weighted_and_unmeasured_excluded(result: tuple[pd.DataFrame, dict]) -> None:
    frame, diag = result
    # ok faithfulness rows: a1 (w=1, pass), a2 (w=3, fail); error/over_budget never enter.
    row = _get(frame, "judge_pass_rate:faithfulness")
    assert row.value == pytest.approx(0.25)
    assert row.n == 2
    assert row.estimator == "horvitz_thompson"
    hall = _get(frame, "hallucination_rate")
    assert hall.value == pytest.approx(0.75)
    assert (hall.ci_low, hall.ci_high) == pytest.approx((1 - row.ci_high, 1 - row.ci_low))
    assert _get(frame, "toxicity_rate").value == pytest.approx(0.0)
    assert _get(frame, "relevance_score").value == pytest.approx((0.8 * 1 + 0.4 * 3) / 4)
    # Coverage: 2 ok of 4 applicable faithfulness rows (not_applicable excluded).
    assert _get(frame, "judge_coverage:faithfulness").value == pytest.approx(0.5)
    assert _get(frame, "judge_unmeasured").value == 2
    assert _get(frame, "judge_coverage").value == pytest.approx(7 / 9)
    # The unsampled ok row has no weight: counted, but not estimable.
    helpful = _get(frame, "judge_pass_rate:helpfulness")
    assert np.isnan(helpful.value) and helpful.n == 0
    assert diag["judge_ok_rows_without_weight"] == 1
    assert diag["signals_without_interaction"] == 1


def test_composite_on_the_fixture(result: tuple[pd.DataFrame, dict]) -> None:
    row = _get(result[0], "composite_kpi")
    # The default composite: thumbs-up rate, escalation precision, SLA hit, 1 - override.
    expected = 0.25 * (3 / 4) + 0.30 * (2 / 3) + 0.25 * 0.6 + 0.20 * (1 - 0.2)
    assert row.value == pytest.approx(expected)
    assert row.n == 3  # the weakest term: escalation_precision
    assert pd.isna(row.note)  # every term measured: nothing to say
    assert row.ci_low < row.value < row.ci_high


def test_schema_and_no_nan_in_counts(result: tuple[pd.DataFrame, dict]) -> None:
    frame = result[0]
    assert list(frame.columns) == list(COLUMNS)
    assert frame["n"].dtype == np.int64
    assert frame["low_count"].dtype == bool
    assert not frame.duplicated(["segment_key", "segment_value", "metric"]).any()


def test_empty_day_gives_empty_typed_frame() -> None:
    empty = tiny_raw().iloc[0:0]
    res = compute_segment_kpis(
        empty,
        tiny_signals().iloc[0:0],
        tiny_sampled().iloc[0:0],
        tiny_judges().iloc[0:0],
        segments=["queue"],
        criteria=CRITERIA,
        kpi=KpiSettings(),
        day=DAY,
    )
    assert res.frame.empty
    assert list(res.frame.columns) == list(COLUMNS)


def test_missing_upstream_judges_means_unmeasured_not_zero() -> None:
    res = compute_segment_kpis(
        tiny_raw(),
        tiny_signals(),
        pd.DataFrame(),
        pd.DataFrame(),
        segments=["queue"],
        criteria=CRITERIA,
        kpi=KpiSettings(),
        day=DAY,
    )
    hall = _get(res.frame, "hallucination_rate")
    assert np.isnan(hall.value) and hall.n == 0
    assert _get(res.frame, "volume").value == 6


def test_nullable_string_columns_give_the_same_result(result: tuple[pd.DataFrame, dict]) -> None:
    raw = tiny_raw()
    for col in ("feedback_rating", "error", "seg_queue", "model_version"):
        raw[col] = raw[col].astype("string")
    res = compute_segment_kpis(
        raw,
        tiny_signals(),
        tiny_sampled(),
        tiny_judges(),
        segments=["queue", "urgency"],
        criteria=CRITERIA,
        kpi=KpiSettings(min_cell_count=3),
        day=DAY,
    )
    pd.testing.assert_frame_equal(res.frame, result[0])
