"""Judge-based prevalences corrected for the judge's measured error (Rogan–Gladen)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalflow.calibration.metrics import rogan_gladen
from evalflow.config.settings import KpiSettings
from evalflow.kpis.judge_error import (
    JudgeAccuracy,
    accuracies_from_table,
    corrected_prevalence,
    pick_accuracy,
)
from evalflow.kpis.metrics import compute_segment_kpis
from evalflow.kpis.stats import hajek_proportion, z_value

DAY = dt.date(2026, 10, 5)
CONF = 0.95


def _acc(se: float, sp: float, n_pos: int, n_neg: int) -> JudgeAccuracy:
    return JudgeAccuracy("faithfulness", "heuristic", se, sp, n_pos, n_neg, DAY)


def test_point_is_rogan_gladen_and_tight_with_huge_samples() -> None:
    acc = _acc(0.9, 0.8, 10**6, 10**6)
    est = corrected_prevalence(np.array([0.3]), np.array([1e6]), acc, CONF, "s")
    assert est.value[0] == pytest.approx(rogan_gladen(0.3, 0.9, 0.8))  # (0.3+0.8-1)/0.7
    assert est.value[0] == pytest.approx(0.1 / 0.7)
    assert est.ci_high[0] - est.ci_low[0] < 0.01
    assert est.ci_low[0] <= est.value[0] <= est.ci_high[0]


def test_interval_includes_the_judges_uncertainty() -> None:
    p, n_eff = np.array([0.2]), np.array([400.0])
    sharp = corrected_prevalence(p, n_eff, _acc(0.8, 0.9, 10**6, 10**6), CONF, "s")
    shaky = corrected_prevalence(p, n_eff, _acc(0.8, 0.9, 20, 40), CONF, "s")
    assert shaky.value[0] == pytest.approx(sharp.value[0])
    assert (shaky.ci_high[0] - shaky.ci_low[0]) > 1.5 * (sharp.ci_high[0] - sharp.ci_low[0])


def test_reruns_give_the_same_interval() -> None:
    args = (np.array([0.2, 0.4]), np.array([50.0, 80.0]), _acc(0.8, 0.9, 30, 60), CONF, "d|m")
    a, b = corrected_prevalence(*args), corrected_prevalence(*args)
    np.testing.assert_array_equal(a.ci_low, b.ci_low)
    np.testing.assert_array_equal(a.ci_high, b.ci_high)


def test_chance_level_judge_gives_unmeasured() -> None:
    est = corrected_prevalence(
        np.array([0.3]), np.array([100.0]), _acc(0.5, 0.4, 50, 50), CONF, "s"
    )
    assert np.isnan(est.value[0]) and np.isnan(est.ci_low[0])


def test_interval_covers_the_true_prevalence_about_95_percent() -> None:
    """Simulate labels (for Se/Sp) and a judged day; the interval should cover π."""
    rng = np.random.default_rng(7)
    pi, se, sp = 0.10, 0.80, 0.90
    reps, hits, n_day, n_pos, n_neg = 300, 0, 400, 40, 160
    for r in range(reps):
        se_hat = rng.binomial(n_pos, se) / n_pos
        sp_hat = rng.binomial(n_neg, sp) / n_neg
        truth = rng.random(n_day) < pi
        flagged = np.where(truth, rng.random(n_day) < se, rng.random(n_day) > sp)
        p_obs = flagged.mean()
        est = corrected_prevalence(
            np.array([p_obs]),
            np.array([float(n_day)]),
            _acc(se_hat, sp_hat, n_pos, n_neg),
            CONF,
            f"rep{r}",
        )
        hits += est.ci_low[0] <= pi <= est.ci_high[0]
    assert 0.91 <= hits / reps <= 0.995, hits / reps


def test_accuracies_from_table_takes_the_latest_usable_row() -> None:
    table = pd.DataFrame(
        {
            "day": [DAY - dt.timedelta(days=1), DAY, DAY],
            "criterion": ["faithfulness", "faithfulness", "safety"],
            "backend": ["heuristic", "heuristic", "heuristic"],
            "n": [40, 50, 30],
            "recall": [0.7, 0.8, 0.9],
            "specificity": [0.9, 0.95, 0.99],
            # safety: every label a pass -> no sensitivity sample: unusable.
            "human_positive_rate": [0.25, 0.2, 0.0],
        }
    )
    acc = accuracies_from_table(table)
    a = acc[("faithfulness", "heuristic")]
    assert (a.sensitivity, a.specificity, a.n_pos, a.n_neg, a.as_of) == (0.8, 0.95, 10, 40, DAY)
    assert ("safety", "heuristic") not in acc


def test_pick_accuracy_names_what_is_missing() -> None:
    acc = {("faithfulness", "heuristic"): _acc(0.8, 0.9, 20, 80)}
    got, why = pick_accuracy(acc, "faithfulness", {"openai": 5})
    assert got is None and "uncorrected" in why and "openai" in why
    got, why = pick_accuracy(acc, "faithfulness", {"heuristic": 9, "openai": 1})
    assert got is not None and "1 of 10 verdicts" in why


def _census_day(n: int, fails: int) -> dict[str, pd.DataFrame]:
    ids = [f"i{i}" for i in range(n)]
    raw = pd.DataFrame({"interaction_id": ids, "seg_queue": "billing"})
    sampled = pd.DataFrame({"interaction_id": ids, "inclusion_prob": 1.0, "weight": 1.0})
    judges = pd.DataFrame(
        {
            "interaction_id": ids,
            "criterion": "faithfulness",
            "backend": "heuristic",
            "status": "ok",
            "score": 0.5,
            "passed": pd.array([i >= fails for i in range(n)], dtype="boolean"),
        }
    )
    return {"raw": raw, "sampled": sampled, "judges": judges}


def _run(d: dict[str, pd.DataFrame], accuracies=None) -> pd.DataFrame:
    frame = compute_segment_kpis(
        d["raw"],
        pd.DataFrame(),
        d["sampled"],
        d["judges"],
        segments=["queue"],
        criteria=["faithfulness"],
        kpi=KpiSettings(),
        day=DAY,
        accuracies=accuracies,
    ).frame
    return frame[(frame.segment_key == "overall") & (frame.metric == "hallucination_rate")].iloc[0]


def test_without_calibration_the_rate_is_flagged_uncorrected() -> None:
    row = _run(_census_day(50, 10))
    assert row.judge_correction == "none"
    assert "uncorrected" in row.note
    assert row.value == pytest.approx(0.2)


def test_census_day_hallucination_interval_is_not_zero_width() -> None:
    for n, fails in ((1, 0), (5, 3), (200, 20)):
        row = _run(_census_day(n, fails))
        assert row.ci_high - row.ci_low > 0, (n, fails)


def test_with_calibration_the_rate_is_corrected_with_a_wider_interval() -> None:
    d = _census_day(200, 40)
    acc = {("faithfulness", "heuristic"): _acc(0.8, 0.9, 40, 160)}
    raw_row, cor_row = _run(d), _run(d, acc)
    assert cor_row.judge_correction == "rogan_gladen"
    assert "sensitivity 0.800" in cor_row.note
    assert cor_row.value == pytest.approx(rogan_gladen(0.2, 0.8, 0.9))
    assert cor_row.ci_high - cor_row.ci_low > raw_row.ci_high - raw_row.ci_low
    # n_eff for the draws is the Hájek estimate's: a census of 200 -> 200.
    est = hajek_proportion(
        np.zeros(200, dtype=np.int64),
        np.r_[np.zeros(40), np.ones(160)],
        np.ones(200),
        1,
        z_value(CONF),
    )
    assert est.n_eff[0] == pytest.approx(200.0)
