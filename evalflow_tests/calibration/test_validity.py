"""Judge validity on the traffic: the AUC estimator, its interval, and the verdicts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from evalflow.calibration.validity import (
    INSUFFICIENT,
    UNVALIDATED,
    VALIDATED,
    ValiditySettings,
    delong_auc,
    judge_validity,
    signal_agreement,
    validity_rows,
)

DAY = dt.date(2026, 10, 5)
CFG = ValiditySettings(window_days=7, min_per_class=10, alpha=0.05)


def _binormal(rng: np.random.Generator, n: int, auc: float, bad_share: float = 0.3):
    """Badness scores whose true AUC is ``auc``: N(d, 1) for bad vs N(0, 1), d = √2·Φ⁻¹(auc)."""
    bad = rng.random(n) < bad_share
    d = np.sqrt(2.0) * stats.norm.ppf(auc)
    return rng.normal(size=n) + d * bad, bad


def test_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(3)
    x, bad = _binormal(rng, 400, 0.7)
    x = np.round(x, 1)  # ties
    est = delong_auc(x, bad)
    assert est.auc == pytest.approx(roc_auc_score(bad, x))
    assert est.n_bad == int(bad.sum()) and est.n_good == int((~bad).sum())


def test_delong_interval_agrees_with_a_scipy_bootstrap() -> None:
    rng = np.random.default_rng(4)
    x, bad = _binormal(rng, 300, 0.72)
    low, high = delong_auc(x, bad).interval()
    boot = stats.bootstrap(
        (x, bad),
        lambda a, b: roc_auc_score(b, a),
        paired=True,
        vectorized=False,
        n_resamples=400,
        method="percentile",
        random_state=1,
    )
    assert low == pytest.approx(boot.confidence_interval.low, abs=0.03)
    assert high == pytest.approx(boot.confidence_interval.high, abs=0.03)


def test_interval_covers_the_true_auc_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(5)
    covered = 0
    runs = 300
    for _ in range(runs):
        x, bad = _binormal(rng, 200, 0.7)
        low, high = delong_auc(x, bad).interval()
        covered += low <= 0.7 <= high
    assert 0.90 <= covered / runs <= 0.99


def test_random_scores_are_rarely_better_than_chance() -> None:
    rng = np.random.default_rng(6)
    p = [
        delong_auc(rng.random(300), rng.random(300) < 0.3).p_better_than_chance()
        for _ in range(200)
    ]
    assert np.mean(np.array(p) <= 0.05) < 0.10  # one-sided 5% test, ~5% false positives


def test_constant_scores_carry_no_ranking() -> None:
    est = delong_auc(np.zeros(50), np.arange(50) % 2 == 0)
    assert est.auc == 0.5 and est.p_better_than_chance() == 1.0


def _judged(
    rng: np.random.Generator, n: int, auc: float, criterion: str = "faithfulness"
) -> pd.DataFrame:
    """Judged rows whose score ranks the thumbs-down replies with the given AUC."""
    badness, bad = _binormal(rng, n, auc)
    score = 1.0 / (1.0 + np.exp(badness))  # higher score = better reply
    return pd.DataFrame(
        {
            "criterion": criterion,
            "backend": "heuristic",
            "score": score,
            "thumbs": pd.array(bad, dtype="boolean"),
            "retried": pd.array([pd.NA] * n, dtype="boolean"),
            "edited": pd.array([pd.NA] * n, dtype="boolean"),
            "escalated": pd.array([pd.NA] * n, dtype="boolean"),
            "override": pd.array([pd.NA] * n, dtype="boolean"),
            "seg_language": np.where(rng.random(n) < 0.9, "en", "es"),
        }
    )


def test_a_judge_that_agrees_with_thumbs_is_validated_and_a_random_one_is_not() -> None:
    rng = np.random.default_rng(7)
    good = _judged(rng, 600, 0.75)
    noise = _judged(rng, 600, 0.5, criterion="relevance")
    rows = pd.DataFrame(
        validity_rows(pd.concat([good, noise]), pd.DataFrame(), DAY, ["language"], CFG)
    )
    status = rows[rows["reference"] == "any"].set_index("criterion")
    assert status.loc["faithfulness", "validity"] == VALIDATED
    assert status.loc["relevance", "validity"] == UNVALIDATED
    reason = status.loc["relevance", "validity_reason"]
    assert reason.startswith("judge unvalidated on this traffic: AUC 0.") and "vs thumbs" in reason
    # Signals never logged get no rows; the segment cells are there, one BH family.
    assert set(rows["reference"]) == {"user:thumbs", "any"}
    cells = rows[rows["reference"] == "user:thumbs"]
    assert set(cells["segment_value"]) == {"overall", "en", "es"}
    family = cells["p_value"].notna().sum()
    assert (cells["p_adjusted"].dropna() >= cells["p_value"].dropna()).all()
    assert f"over {family} tests" in cells["validity_reason"].iloc[0]
    assert (rows["window_start"] == DAY - dt.timedelta(days=6)).all()

    table = rows.assign(day=DAY)
    assert judge_validity(table, "faithfulness").validated
    assert judge_validity(table, "relevance").status == UNVALIDATED
    assert judge_validity(table, "safety").status == INSUFFICIENT


def test_too_few_feedback_rows_is_insufficient_data_not_a_verdict() -> None:
    rng = np.random.default_rng(8)
    small = _judged(rng, 25, 0.9)  # ~7 thumbs-down
    out = signal_agreement(small, DAY, [], CFG)
    assert list(out["validity"]) == [INSUFFICIENT]
    assert "below 10 per class" in out["validity_reason"].iloc[0]
    rows = pd.DataFrame(validity_rows(small, pd.DataFrame(), DAY, [], CFG))
    status = rows[rows["reference"] == "any"].iloc[0]
    assert status["validity"] == INSUFFICIENT
    assert status["validity_reason"].startswith("insufficient data:")


def test_human_labels_validate_a_judge_users_do_not_rate() -> None:
    human = pd.DataFrame(
        {
            "criterion": ["safety"],
            "backend": ["heuristic"],
            "reference": ["human_labels"],
            "segment_key": ["overall"],
            "validity": [VALIDATED],
            "validity_reason": ["kappa 0.70 [0.55, 0.82] vs human labels"],
        }
    )
    rows = pd.DataFrame(validity_rows(pd.DataFrame(), human, DAY, [], CFG))
    assert list(rows["validity"]) == [VALIDATED]
    assert "kappa 0.70" in rows["validity_reason"].iloc[0]


def test_every_backend_of_a_criterion_must_be_validated() -> None:
    table = pd.DataFrame(
        {
            "reference": ["any", "any"],
            "criterion": ["faithfulness", "faithfulness"],
            "backend": ["heuristic", "openai"],
            "segment_key": ["overall", "overall"],
            "validity": [VALIDATED, UNVALIDATED],
            "validity_reason": ["validated: AUC 0.8", "judge unvalidated on this traffic: AUC 0.5"],
        }
    )
    status = judge_validity(table, "faithfulness")
    assert status.status == UNVALIDATED and "openai: judge unvalidated" in status.reason
    assert judge_validity(table, "faithfulness", backends=["heuristic"]).validated
