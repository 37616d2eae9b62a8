"""Calibration metrics cross-checked against values computed by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from evalflow.calibration.metrics import (
    COLUMNS,
    bootstrap_kappa_ci,
    compute_calibration,
    inter_rater,
    judge_cells,
    judge_vs_human,
    kappa_from_counts,
    post_stratify,
    rogan_gladen,
)
from evalflow.config.settings import CalibrationSettings

DAY = dt.date(2026, 10, 5)
SETTINGS = CalibrationSettings(min_labels=10, bootstrap_resamples=400)


def _pairs(tp: int, fp: int, fn: int, tn: int) -> tuple[np.ndarray, np.ndarray]:
    """(human_fail, judge_fail) arrays with the given confusion counts (positive = failure)."""
    human = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn, dtype=bool)
    judge = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn, dtype=bool)
    return human, judge


def test_hand_computed_confusion_metrics() -> None:
    # TP=6 FP=2 FN=3 TN=9 (n=20). precision 6/8, recall 6/9, specificity 9/11,
    # agreement 15/20, pe = (8*9 + 12*11)/400 = 0.51, kappa = (0.75-0.51)/0.49.
    human, judge = _pairs(6, 2, 3, 9)
    scores = np.where(judge, 0.2, 0.8) + np.linspace(0, 0.1, 20)
    m = judge_vs_human(
        human, judge, scores, SETTINGS, np.random.default_rng(0), population={"fail": 8, "pass": 12}
    )
    assert m.n == 20
    assert m.precision == pytest.approx(0.75)
    assert m.recall == pytest.approx(2 / 3)
    assert m.specificity == pytest.approx(9 / 11)
    assert m.agreement == pytest.approx(0.75)
    assert m.kappa == pytest.approx(0.24 / 0.49)
    assert m.human_positive_rate == pytest.approx(9 / 20)
    assert m.kappa_ci_low < m.kappa < m.kappa_ci_high
    assert m.auc is not None and 0.5 < m.auc <= 1.0
    assert m.notes == []


def test_kappa_from_counts_matches_sklearn_and_flags_undefined() -> None:
    human, judge = _pairs(6, 2, 3, 9)
    assert kappa_from_counts(6, 2, 3, 9) == pytest.approx(cohen_kappa_score(human, judge))
    assert np.isnan(kappa_from_counts(0, 0, 0, 10))  # both raters one class: undefined
    assert kappa_from_counts(0, 5, 5, 0) == pytest.approx(-1.0)


def test_rogan_gladen_formula_clipping_and_unmeasured() -> None:
    # (p_obs + spec - 1) / (sens + spec - 1) = (0.3 + 9/11 - 1) / (2/3 + 9/11 - 1)
    assert rogan_gladen(0.3, 2 / 3, 9 / 11) == pytest.approx((0.3 - 2 / 11) / (16 / 33))
    assert rogan_gladen(0.3, 2 / 3, 9 / 11) == pytest.approx(0.24375)
    assert rogan_gladen(0.0, 0.8, 0.9) == 0.0  # would be negative: clipped
    assert rogan_gladen(0.99, 0.8, 0.9) == 1.0  # would exceed one: clipped
    assert rogan_gladen(0.2, 0.5, 0.5) is None  # J = 0: judge is chance
    assert rogan_gladen(0.2, 0.3, 0.4) is None  # J < 0
    assert rogan_gladen(None, 0.8, 0.9) is None
    assert rogan_gladen(0.2, None, 0.9) is None
    assert rogan_gladen(0.2, float("nan"), 0.9) is None


def test_oversampled_failures_are_reweighted_to_the_judged_population() -> None:
    # Judged population: the judge fails 10% of rows. Labelled: 20 judge-fails
    # (15 real failures, PPV .75) and 20 judge-passes (2 real failures, NPV .9).
    # True failure rate = .1*.75 + .9*.1 = .165; population sensitivity
    # = .075/.165, specificity = .81/(.81 + .025).
    human, judge = _pairs(15, 5, 2, 18)
    m = judge_vs_human(
        human,
        judge,
        np.full(40, np.nan),
        SETTINGS,
        np.random.default_rng(0),
        population={"fail": 100, "pass": 900},
    )
    assert m.precision == pytest.approx(0.75)  # conditional on the verdict: unchanged
    assert m.recall == pytest.approx(0.075 / 0.165)
    assert m.specificity == pytest.approx(0.81 / 0.835)
    assert m.agreement == pytest.approx(0.1 * 0.75 + 0.9 * 0.9)
    assert rogan_gladen(0.1, m.recall, m.specificity) == pytest.approx(0.165)
    # Unweighted, the same labels would claim sensitivity 15/17.
    raw = judge_vs_human(human, judge, np.full(40, np.nan), SETTINGS, np.random.default_rng(0))
    assert raw.recall == pytest.approx(15 / 17)
    assert "auc unmeasured" in "; ".join(m.notes)


def test_borderline_cells_are_reweighted_too() -> None:
    # Judge-pass rows: 20 labelled borderline (10 real failures) + 20 labelled clear
    # (none), but in the judged population 100 are borderline and 700 clear.
    # Judge-fail rows: 20 labelled (all real), population 200.
    # Population: real failures = 200 + 100*.5 = 250 of 1000; caught 200 -> recall .8;
    # passes = 50 + 700 = 750, all judge-passed -> specificity 1.
    human = np.array([True] * 20 + [True] * 10 + [False] * 10 + [False] * 20)
    judge = np.array([True] * 20 + [False] * 40)
    cells = judge_cells(judge, np.array([False] * 20 + [True] * 20 + [False] * 20))
    population = {"fail|clear": 200, "pass|borderline": 100, "pass|clear": 700}
    m = judge_vs_human(
        human,
        judge,
        np.full(60, np.nan),
        SETTINGS,
        np.random.default_rng(0),
        population=population,
        cells=cells,
    )
    assert m.recall == pytest.approx(0.8)
    assert m.specificity == pytest.approx(1.0)
    assert rogan_gladen(0.2, m.recall, m.specificity) == pytest.approx(0.25)
    # Weighting by verdict alone would think half the judge's passes are borderline.
    verdict_only = judge_vs_human(
        human,
        judge,
        np.full(60, np.nan),
        SETTINGS,
        np.random.default_rng(0),
        population={"fail": 200, "pass": 800},
    )
    assert verdict_only.recall == pytest.approx(200 / (200 + 800 * 0.25))


def test_post_stratify_merges_an_unlabelled_cell_into_its_verdict() -> None:
    cells = np.array(["pass|clear", "pass|clear", "fail|clear", "fail|borderline"], dtype=object)
    pop = {"pass|clear": 60, "pass|borderline": 20, "fail|clear": 10, "fail|borderline": 10}
    weights, used, missing = post_stratify(cells, pop)
    assert missing is None
    assert list(used) == ["pass", "pass", "fail|clear", "fail|borderline"]
    # pass: 80% of population, 50% of labels -> 1.6; each fail cell 10% vs 25% -> 0.4
    assert weights == pytest.approx([1.6, 1.6, 0.4, 0.4])
    weights, _, missing = post_stratify(
        np.array(["pass|clear"], dtype=object), {"pass|clear": 5, "fail|clear": 1}
    )
    assert weights is None and missing == "fail"


def test_small_n_gives_null_metrics_with_a_note() -> None:
    human, judge = _pairs(2, 1, 1, 3)
    m = judge_vs_human(
        human,
        judge,
        np.linspace(0, 1, 7),
        SETTINGS,
        np.random.default_rng(0),
        population={"fail": 4, "pass": 6},
    )
    assert m.n == 7
    assert all(
        v is None
        for v in (
            m.agreement,
            m.precision,
            m.recall,
            m.kappa,
            m.auc,
            m.kappa_ci_low,
            m.kappa_ci_high,
            m.specificity,
        )
    )
    assert m.notes == ["n=7 below min_labels=10: metrics unmeasured"]
    empty = judge_vs_human(
        np.array([], bool),
        np.array([], bool),
        np.array([]),
        SETTINGS,
        np.random.default_rng(0),
        population={"fail": 1, "pass": 9},
    )
    assert empty.n == 0 and empty.human_positive_rate is None
    assert empty.notes == ["no human labels yet"]


def test_one_class_and_missing_verdict_stratum_are_unmeasured_not_nan() -> None:
    human, judge = _pairs(0, 0, 0, 12)
    m = judge_vs_human(
        human,
        judge,
        np.linspace(0.6, 1, 12),
        SETTINGS,
        np.random.default_rng(0),
        population={"pass": 12},
    )
    assert m.kappa is None and m.recall is None and m.precision is None
    assert m.agreement == 1.0 and m.specificity == 1.0
    text = "; ".join(m.notes)
    assert "kappa unmeasured" in text and "recall unmeasured" in text
    # The judge fails 20% of all rows but no judge-failed row was labelled:
    # sensitivity cannot be estimated, so neither can the correction.
    m = judge_vs_human(
        human,
        judge,
        np.linspace(0.6, 1, 12),
        SETTINGS,
        np.random.default_rng(0),
        population={"fail": 3, "pass": 12},
    )
    assert m.recall is None and m.kappa is None and m.agreement is None
    assert "no labelled judge-failed rows" in m.notes[0]


def test_binary_scores_give_no_auc() -> None:
    human, judge = _pairs(6, 2, 3, 9)
    m = judge_vs_human(
        human,
        judge,
        np.where(judge, 0.0, 1.0),
        SETTINGS,
        np.random.default_rng(0),
        population={"fail": 8, "pass": 12},
    )
    assert m.auc is None and "score not continuous (2 distinct values)" in "; ".join(m.notes)


def test_bootstrap_ci_is_deterministic_for_a_seed() -> None:
    human, judge = _pairs(6, 2, 3, 9)
    cells = np.column_stack([human & judge, ~human & judge, human & ~judge, ~human & ~judge])
    a = bootstrap_kappa_ci(
        cells.astype(float), judge.astype(int), 300, 0.95, np.random.default_rng(7)
    )
    b = bootstrap_kappa_ci(
        cells.astype(float), judge.astype(int), 300, 0.95, np.random.default_rng(7)
    )
    assert a == b and a[0] < a[1]
    assert bootstrap_kappa_ci(
        cells.astype(float), judge.astype(int), 0, 0.95, np.random.default_rng(7)
    ) == (None, None, None)


def _labels(rows: list[tuple[str, str, bool, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["interaction_id", "criterion", "passed", "labeler"])
    n = len(df)
    return df.assign(
        labelled_at=pd.NaT,
        note=None,
        source_file="l.csv",
        source_line=np.arange(2, n + 2),
        file_mtime=pd.Timestamp("2026-10-06"),
    )


def test_inter_rater_pooled_pairwise_kappa_by_hand() -> None:
    # 12 items, two labelers: both fail 3, both pass 6, disagree 3.
    # Symmetrised pairs: 24 ordered pairs, cells (ff=6, fp=3, pf=3, pp=12):
    # po = 18/24 = .75, marginal fail share = 9/24 = .375, pe = .375² + .625² = .53125,
    # kappa = (.75-.53125)/(1-.53125) = .4666...
    rows = []
    pattern = [(False, False)] * 3 + [(True, True)] * 6 + [(False, True)] * 3
    for i, (a, b) in enumerate(pattern):
        rows += [(f"i{i}", "safety", a, "ana"), (f"i{i}", "safety", b, "bo")]
    rows.append(("solo", "safety", True, "ana"))  # one labeler: not an inter-rater item
    out = inter_rater(_labels(rows), SETTINGS)["safety"]
    assert out.n == 12
    assert out.agreement == pytest.approx(0.75)
    assert out.kappa == pytest.approx((0.75 - 0.53125) / (1 - 0.53125))
    assert out.human_positive_rate == pytest.approx(9 / 24)
    assert out.kappa_ci_low is not None and out.kappa_ci_low < out.kappa < out.kappa_ci_high


def test_compute_calibration_table_shape_and_running_window() -> None:
    # Day 1 and day 2 judge rows for faithfulness/heuristic; labels cover 20 of them.
    judge_fail = [True] * 8 + [False] * 12
    human_fail = [True] * 6 + [False] * 2 + [True] * 3 + [False] * 9
    rows, labels = [], []
    for i, (jf, hf) in enumerate(zip(judge_fail, human_fail, strict=True)):
        day = DAY - dt.timedelta(days=1) if i < 10 else DAY
        rows.append(
            (
                day,
                f"i{i}",
                "faithfulness",
                "heuristic",
                "ok",
                (0.2 if jf else 0.8) + i / 1000,
                not jf,
            )
        )
        labels.append((f"i{i}", "faithfulness", not hf, "ana"))
    rows.append((DAY, "x1", "safety", "heuristic", "ok", 0.9, True))
    rows.append((DAY, "x2", "safety", "heuristic", "error", None, None))
    rows.append(
        (DAY + dt.timedelta(days=1), "future", "faithfulness", "heuristic", "ok", 0.1, False)
    )
    judge = pd.DataFrame(
        rows, columns=["day", "interaction_id", "criterion", "backend", "status", "score", "passed"]
    )
    table = compute_calibration(judge, _labels(labels), DAY, SETTINGS)
    assert list(table.columns) == list(COLUMNS)
    assert set(table["source"]) == {"production"}
    f = table.set_index("criterion").loc["faithfulness"]
    assert f["n"] == 20 and f["kappa"] == pytest.approx(0.24 / 0.49)
    assert f["n_judged"] == 10  # this day's rows only; the future row is ignored
    # Today the judge failed i10..i19 -> none (all passes): p_obs = 0.
    assert f["judge_positive_rate"] == pytest.approx(0.0)
    assert f["corrected_prevalence"] == 0.0  # (0 + 9/11 - 1) / J < 0 -> clipped
    s = table.set_index("criterion").loc["safety"]
    assert s["n"] == 0 and pd.isna(s["kappa"]) and s["n_judged"] == 1
    assert s["note"] == "no human labels yet"
    assert not table.select_dtypes("number").isin([np.inf, -np.inf]).any().any()
    # An earlier day sees only its own running window: no day-2 rows.
    early = compute_calibration(judge, _labels(labels), DAY - dt.timedelta(days=1), SETTINGS)
    assert early.set_index("criterion").loc["faithfulness", "n"] == 10


def test_compute_calibration_empty_inputs_give_typed_empty_table() -> None:
    judge = pd.DataFrame(
        columns=["day", "interaction_id", "criterion", "backend", "status", "score", "passed"]
    )
    table = compute_calibration(judge, _labels([]), DAY, SETTINGS)
    assert table.empty and list(table.columns) == list(COLUMNS)
