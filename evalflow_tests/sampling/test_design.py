"""Sampling design: budgets, must-review, exact inclusion probabilities, HT unbiasedness."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import JudgeSettings, SamplingSettings
from evalflow.sampling.design import (
    OUTPUT_COLUMNS,
    day_seed,
    draw_sample,
    estimate_judge_cost,
    largest_remainder,
    pps_probabilities,
    systematic_pps,
)

DAY = dt.date(2026, 10, 5)
QUEUES = np.array(["billing", "technical", "account", "outage", "shipping"])
URGENCIES = np.array(["low", "medium", "high", "critical"])


def population(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Signals, raw segments and a hidden failure indicator that rises with risk."""
    rng = np.random.default_rng(seed)
    risk = rng.beta(1.2, 6.0, n)
    high = rng.random(n) < 0.05
    risk[high] = rng.uniform(0.6, 0.95, high.sum())
    failure = rng.random(n) < 0.005 + 0.5 * risk**2
    ids = np.array([f"r{i:06d}" for i in range(n)])
    signals = pd.DataFrame(
        {
            "day": DAY,
            "interaction_id": ids,
            "toxic": rng.random(n) < 0.004,
            "pii_in_response": rng.random(n) < 0.006,
            "has_error": rng.random(n) < 0.008,
            "rating_down": rng.random(n) < 0.05,
            "comment_sentiment": np.where(rng.random(n) < 0.3, -0.5, np.nan),
            "risk_score": risk,
        }
    )
    raw = pd.DataFrame(
        {
            "interaction_id": ids,
            "seg_queue": rng.choice(QUEUES, n, p=[0.3, 0.3, 0.2, 0.05, 0.15]),
            "seg_urgency": rng.choice(URGENCIES, n, p=[0.4, 0.35, 0.2, 0.05]),
            "outcome_analyst_override": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.01), dtype="boolean"
            ),
            "query_chars": rng.integers(20, 300, n),
            "response_chars": rng.integers(0, 1500, n),
            "context_chars": rng.integers(0, 4000, n),
        }
    )
    return signals, raw, failure


SIG, RAW, FAIL = population()
MUST = (
    SIG["toxic"]
    | SIG["pii_in_response"]
    | SIG["has_error"]
    | (SIG["rating_down"] & SIG["comment_sentiment"].notna())
    | RAW["outcome_analyst_override"].fillna(False).to_numpy(dtype=bool)
).to_numpy()


def test_output_shape_probabilities_and_weights() -> None:
    out = draw_sample(SIG, RAW, SamplingSettings(daily_budget_rows=200), seed=1)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert out["interaction_id"].is_unique
    assert ((out["inclusion_prob"] > 0) & (out["inclusion_prob"] <= 1)).all()
    np.testing.assert_allclose(out["weight"], 1 / out["inclusion_prob"])
    assert set(out["reason"].str.split(":").str[0]) <= {
        "must_review",
        "stratified",
        "risk_weighted",
    }
    assert out["stratum"].str.fullmatch(r"queue=\w+\|urgency=\w+").all()
    assert (out["day"] == DAY).all()


@pytest.mark.parametrize(
    "settings",
    [
        SamplingSettings(daily_budget_rows=50),
        SamplingSettings(daily_budget_rows=300, must_review_share=0.0),
        SamplingSettings(daily_budget_rows=300, must_review_share=1.0, risk_share=1.0),
        SamplingSettings(daily_budget_rows=300, risk_share=0.0, min_per_cell=10),
        SamplingSettings(daily_budget_rows=400, max_inclusion_prob=0.05),
        SamplingSettings(daily_budget_rows=5000),
        SamplingSettings(daily_budget_rows=600, daily_budget_usd=0.05),
    ],
)
def test_budgets_are_never_exceeded(settings: SamplingSettings) -> None:
    judges = JudgeSettings()
    for seed in range(25):
        out = draw_sample(SIG, RAW, settings, seed=seed, judges=judges)
        assert len(out) <= settings.daily_budget_rows
        assert out["est_judge_cost_usd"].sum() <= settings.daily_budget_usd + 1e-12
        assert ((out["inclusion_prob"] > 0) & (out["inclusion_prob"] <= 1)).all()


def test_dollar_budget_shrinks_the_plan() -> None:
    rich = draw_sample(SIG, RAW, SamplingSettings(daily_budget_rows=600), seed=3)
    poor = draw_sample(
        SIG, RAW, SamplingSettings(daily_budget_rows=600, daily_budget_usd=0.05), seed=3
    )
    assert poor.attrs["plan"].budget_rows < rich.attrs["plan"].budget_rows
    assert poor.attrs["plan"].worst_case_usd <= 0.05
    assert len(poor) < len(rich)


def test_must_review_rows_always_included_under_the_cap() -> None:
    settings = SamplingSettings(daily_budget_rows=600, must_review_share=0.4)
    assert MUST.sum() <= 0.4 * 600
    must_ids = set(SIG["interaction_id"][MUST])
    for seed in range(5):
        out = draw_sample(SIG, RAW, settings, seed=seed).set_index("interaction_id")
        assert must_ids <= set(out.index)
        picked = out.loc[sorted(must_ids)]
        assert (picked["inclusion_prob"] == 1.0).all()
        assert picked["reason"].str.startswith("must_review:").all()
        assert not out.drop(index=sorted(must_ids))["reason"].str.startswith("must_review").any()


def test_small_day_keeps_every_must_review_row() -> None:
    """The must-review share is a share of the configured budget, not of the day."""
    sig, raw = SIG.head(10).copy(), RAW.head(10).copy()
    sig[["pii_in_response", "has_error", "rating_down"]] = False
    raw["outcome_analyst_override"] = False
    sig["toxic"] = [True] * 6 + [False] * 4
    out = draw_sample(sig, raw, SamplingSettings(daily_budget_rows=600), seed=0)
    assert len(out) == 10  # the whole (tiny) day fits the budget
    must = out[out["reason"].str.startswith("must_review")]
    assert len(must) == 6 and (must["inclusion_prob"] == 1.0).all()
    assert (out["inclusion_prob"] == 1.0).all()
    assert out.attrs["plan"].planned_rows <= 600


def test_must_review_reason_priority() -> None:
    sig = SIG.copy()
    sig.loc[0, ["toxic", "pii_in_response", "has_error"]] = True
    out = draw_sample(sig, RAW, SamplingSettings(daily_budget_rows=600), seed=0)
    assert out.set_index("interaction_id").loc["r000000", "reason"] == "must_review:toxicity"
    raw = RAW.copy()
    raw["outcome_analyst_override"] = False
    sig2 = SIG.copy()
    sig2.loc[:, ["toxic", "pii_in_response", "has_error"]] = False
    sig2["rating_down"] = False
    sig2.loc[5, "rating_down"] = True
    sig2.loc[5, "comment_sentiment"] = -1.0
    sig2.loc[6, "rating_down"] = True
    sig2.loc[6, "comment_sentiment"] = np.nan  # thumbs-down without a comment: not must-review
    out2 = draw_sample(sig2, raw, SamplingSettings(daily_budget_rows=600), seed=0).set_index(
        "interaction_id"
    )
    assert out2.loc["r000005", "reason"] == "must_review:negative_feedback"
    assert "r000006" not in out2.index or not out2.loc["r000006", "reason"].startswith("must")


def test_must_review_capped_safety_first_then_equal_probability() -> None:
    settings = SamplingSettings(daily_budget_rows=100, must_review_share=0.4)
    n_cap = 40
    critical = (SIG["toxic"] | SIG["pii_in_response"]).to_numpy()
    assert MUST.sum() > n_cap > critical.sum() > 0
    out = draw_sample(SIG, RAW, settings, seed=9)
    must = out[out["reason"].str.startswith("must_review")]
    assert len(must) == n_cap
    # every toxic or PII row is judged, with certainty ...
    safety = must[must["reason"].isin(["must_review:toxicity", "must_review:pii"])]
    assert len(safety) == critical.sum()
    np.testing.assert_allclose(safety["inclusion_prob"], 1.0)
    # ... and the other must-review rows share what is left with equal probability
    others = must.drop(safety.index)
    np.testing.assert_allclose(
        others["inclusion_prob"], (n_cap - critical.sum()) / (MUST.sum() - critical.sum())
    )


def test_safety_rows_alone_can_exhaust_the_must_review_budget() -> None:
    settings = SamplingSettings(daily_budget_rows=10, must_review_share=0.1)
    out = draw_sample(SIG, RAW, settings, seed=9)
    must = out[out["reason"].str.startswith("must_review")]
    assert set(must["reason"]) <= {"must_review:toxicity", "must_review:pii"}


def test_strata_get_their_minimum() -> None:
    settings = SamplingSettings(daily_budget_rows=400, min_per_cell=3, risk_share=0.0)
    out = draw_sample(SIG, RAW, settings, seed=4)
    strat = out[out["reason"] == "stratified"]
    counts = strat["stratum"].value_counts()
    cells = (RAW.loc[~MUST, "seg_queue"] + RAW.loc[~MUST, "seg_urgency"]).value_counts()
    assert len(counts) == len(cells)
    assert (counts >= np.minimum(3, cells.min())).all()


def test_risk_component_respects_the_cap() -> None:
    settings = SamplingSettings(daily_budget_rows=600, max_inclusion_prob=0.05, risk_share=1.0)
    plan_out = draw_sample(SIG, RAW, settings, seed=0)
    rest = plan_out[~plan_out["reason"].str.startswith("must_review")]
    assert (rest["inclusion_prob"] <= 0.05 + 1e-12).all()


def test_deterministic_for_seed_and_independent_of_row_order() -> None:
    settings = SamplingSettings(daily_budget_rows=250)
    a = draw_sample(SIG, RAW, settings, seed=day_seed(17, DAY))
    b = draw_sample(
        SIG.sample(frac=1, random_state=1),
        RAW.sample(frac=1, random_state=2),
        settings,
        seed=day_seed(17, DAY),
    )
    pd.testing.assert_frame_equal(a, b)
    c = draw_sample(SIG, RAW, settings, seed=day_seed(17, DAY + dt.timedelta(days=1)))
    assert set(a["interaction_id"]) != set(c["interaction_id"])
    assert day_seed(17, DAY) == day_seed(17, DAY)


def test_horvitz_thompson_is_unbiased_and_probabilities_are_true() -> None:
    """Over many seeds the HT estimate of the failure rate centres on the truth, and each
    row is drawn as often as its stated inclusion probability says."""
    settings = SamplingSettings(daily_budget_rows=150, must_review_share=0.2, risk_share=0.5)
    n = len(SIG)
    truth = FAIL.mean()
    fail_of = dict(zip(SIG["interaction_id"], FAIL, strict=True))
    reps = 300
    estimates, n_hat = [], []
    hits = pd.Series(0.0, index=SIG["interaction_id"])
    stated = pd.Series(np.nan, index=SIG["interaction_id"])
    for seed in range(reps):
        out = draw_sample(SIG, RAW, settings, seed=seed)
        y = out["interaction_id"].map(fail_of).to_numpy(dtype=float)
        estimates.append((y * out["weight"]).sum() / n)
        n_hat.append(out["weight"].sum())
        hits[out["interaction_id"]] += 1
        stated[out["interaction_id"]] = out["inclusion_prob"].to_numpy()
    estimates = np.array(estimates)
    se = estimates.std(ddof=1) / np.sqrt(reps)
    assert abs(estimates.mean() - truth) < 3.5 * se, (estimates.mean(), truth, se)
    assert abs(np.mean(n_hat) - n) < 0.03 * n
    # empirical inclusion frequency vs stated p, pooled in bins of p
    seen = stated.dropna()
    freq = hits[seen.index] / reps
    bins = pd.qcut(seen, 5, duplicates="drop")
    by_bin = pd.DataFrame({"p": seen, "f": freq}).groupby(bins, observed=True).mean()
    np.testing.assert_allclose(by_bin["f"], by_bin["p"], rtol=0.12)


def test_empty_population() -> None:
    out = draw_sample(SIG.head(0), RAW.head(0), SamplingSettings(), seed=1)
    assert out.empty and list(out.columns) == list(OUTPUT_COLUMNS)


def test_largest_remainder() -> None:
    got = largest_remainder(10, np.array([1.0, 1.0, 1.0]), np.array([10, 10, 10]))
    assert got.tolist() == [4, 3, 3]
    capped = largest_remainder(10, np.array([10.0, 1.0, 1.0]), np.array([2, 10, 10]))
    assert capped.sum() == 10 and capped[0] == 2
    assert largest_remainder(100, np.array([1.0, 2.0]), np.array([3, 4])).tolist() == [3, 4]
    assert largest_remainder(0, np.array([1.0]), np.array([5])).tolist() == [0]


def test_pps_probabilities_capping() -> None:
    p = pps_probabilities(np.array([100.0, 1, 1, 1, 1]), 2.0)
    assert p[0] == 1.0
    assert p.sum() == pytest.approx(2.0)
    np.testing.assert_allclose(p[1:], 0.25)
    q = pps_probabilities(np.array([5.0, 1, 1, 1]), 2.0, cap=0.6)
    assert q.max() <= 0.6 + 1e-12 and q.sum() == pytest.approx(2.0)
    assert pps_probabilities(np.array([]), 3.0).size == 0


def test_systematic_pps_has_exact_first_order_probabilities() -> None:
    p = np.array([1.0, 0.9, 0.5, 0.3, 0.2, 0.1, 0.0])
    rng = np.random.default_rng(0)
    draws = np.array([systematic_pps(p, rng) for _ in range(4000)])
    np.testing.assert_allclose(draws.mean(axis=0), p, atol=0.03)
    sizes = draws.sum(axis=1)
    assert set(np.unique(sizes)) <= {3, 4}  # Σp = 3.0: size is 3 (rounding may add one)


def test_estimate_judge_cost() -> None:
    judges = JudgeSettings(
        criteria=["faithfulness", "relevance"],
        noise_repeat_share=0.1,
        usd_per_1k_input_tokens=1.0,
        usd_per_1k_output_tokens=2.0,
    )
    cost = estimate_judge_cost(np.array([400]), np.array([400]), np.array([0]), judges)
    # (200 text + 350 prompt) tokens in, 120 out, two criteria, 10% judged twice
    assert cost[0] == pytest.approx(2 * ((200 + 350) * 1.0 + 120 * 2.0) / 1000 * 1.1)


def test_union_of_the_two_draws_is_the_stated_probability() -> None:
    """With large component probabilities, 1-(1-a)(1-b) and a+b differ visibly."""
    sig, raw, _ = population(n=40, seed=11)
    sig[["toxic", "pii_in_response", "has_error", "rating_down"]] = False
    raw["outcome_analyst_override"] = False
    raw["seg_urgency"] = "low"
    raw["seg_queue"] = "billing"
    settings = SamplingSettings(daily_budget_rows=20, risk_share=0.5, min_per_cell=0)
    reps = 800
    hits = pd.Series(0.0, index=sig["interaction_id"])
    stated = pd.Series(np.nan, index=sig["interaction_id"])
    for seed in range(reps):
        out = draw_sample(sig, raw, settings, seed=seed)
        hits[out["interaction_id"]] += 1
        stated[out["interaction_id"]] = out["inclusion_prob"].to_numpy()
    freq = hits / reps
    assert stated.notna().all()
    assert abs(freq.mean() - stated.mean()) < 0.01
    assert np.abs(freq - stated).max() < 0.075  # per row, about 4.3 standard errors
