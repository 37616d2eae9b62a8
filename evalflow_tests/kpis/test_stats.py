"""Estimators and intervals: known values and a coverage simulation."""

from __future__ import annotations

import numpy as np
import pytest

from evalflow.kpis.stats import (
    census_mean,
    grouped_quantiles,
    hajek_mean,
    hajek_proportion,
    one_sided_two_proportion_p,
    wilson_interval,
    z_value,
)

Z = z_value(0.95)


def test_z_value() -> None:
    assert abs(Z - 1.959964) < 1e-6


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [(0, 10, 0.0, 0.27753), (5, 10, 0.23659, 0.76341), (10, 10, 0.72247, 1.0)],
)
def test_wilson_known_values(x: int, n: int, low: float, high: float) -> None:
    p, lo, hi = wilson_interval(np.array([x]), np.array([n]), Z)
    assert p[0] == pytest.approx(x / n)
    assert lo[0] == pytest.approx(low, abs=1e-4)
    assert hi[0] == pytest.approx(high, abs=1e-4)


def test_wilson_empty_group_is_nan() -> None:
    p, lo, hi = wilson_interval(np.array([0.0]), np.array([0.0]), Z)
    assert np.isnan(p[0]) and np.isnan(lo[0]) and np.isnan(hi[0])


def test_census_mean_interval() -> None:
    codes = np.array([0, 0, 0, 0, 1])
    est = census_mean(codes, np.array([1.0, 2.0, 3.0, np.nan, 5.0]), 2, Z)
    assert est.value[0] == pytest.approx(2.0)
    assert est.n.tolist() == [3, 1]
    assert est.ci_high[0] - 2.0 == pytest.approx(Z * 1.0 / np.sqrt(3))
    assert np.isnan(est.ci_low[1])  # one observation: no interval


def test_quantiles_and_order_statistic_interval() -> None:
    values = np.concatenate([np.arange(1, 101, dtype=float), [np.nan]])
    codes = np.zeros(len(values), dtype=np.int64)
    est = grouped_quantiles(codes, values, 1, [0.5, 0.9], Z)
    assert est[0.5].value[0] == pytest.approx(np.quantile(np.arange(1, 101), 0.5))
    assert est[0.9].value[0] == pytest.approx(np.quantile(np.arange(1, 101), 0.9))
    # n=100, q=.5: ranks floor(50 - 9.8)=40 and ceil(50 + 9.8)=60.
    assert (est[0.5].ci_low[0], est[0.5].ci_high[0]) == (40.0, 60.0)
    assert est[0.5].n[0] == 100


def test_quantiles_per_group_match_numpy() -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 4, 5000)
    values = rng.lognormal(size=5000)
    est = grouped_quantiles(codes, values, 5, [0.5, 0.95], Z)
    for g in range(4):
        assert est[0.95].value[g] == pytest.approx(np.quantile(values[codes == g], 0.95))
        assert est[0.5].ci_low[g] <= est[0.5].value[g] <= est[0.5].ci_high[g]
    assert np.isnan(est[0.5].value[4])  # empty group


def test_hajek_by_hand() -> None:
    # Weights 1 (certainty) and 3; the certain unit passed, the other failed.
    est = hajek_proportion(np.array([0, 0]), np.array([1.0, 0.0]), np.array([1.0, 3.0]), 1, Z)
    assert est.value[0] == pytest.approx(0.25)
    # design v_d = 2/(2-1) * (1-1/3) * 3² * 0.25² / 4² = 0.046875
    # superpopulation v_m = (1 * 0.75² + 3 * 0.25²) / 4² = 0.046875
    assert est.variance[0] == pytest.approx(0.09375)
    # n_eff = 0.25 * 0.75 / v = 2
    assert est.n_eff[0] == pytest.approx(2.0)
    _, lo, hi = wilson_interval(np.array([0.5]), np.array([2.0]), Z)
    assert (est.ci_low[0], est.ci_high[0]) == pytest.approx((lo[0], hi[0]))


def test_hajek_unmeasured_rows_excluded_and_census_day_is_wilson_on_n() -> None:
    est = hajek_proportion(
        np.array([0, 0, 0]), np.array([1.0, 0.0, np.nan]), np.array([1.0, 1.0, 5.0]), 1, Z
    )
    assert est.value[0] == pytest.approx(0.5)
    assert est.n[0] == 2
    # Every measured unit was certain (π = 1): no design error, but the day is one
    # draw of the process, so the interval is the census Wilson interval on n = 2.
    _, lo, hi = wilson_interval(np.array([1.0]), np.array([2.0]), Z)
    assert (est.ci_low[0], est.ci_high[0]) == pytest.approx((lo[0], hi[0]))


@pytest.mark.parametrize("n", [1, 2, 5, 30, 1000])
def test_census_day_interval_never_zero_width_and_shrinks_with_n(n: int) -> None:
    # The reported bug: every row judged (π = 1) gave "60% (95% CI 60–60%)".
    for share in (0.0, 0.6, 1.0):
        y = (np.arange(n) < round(share * n)).astype(float)
        est = hajek_proportion(np.zeros(n, dtype=np.int64), y, np.ones(n), 1, Z)
        _, lo, hi = wilson_interval(np.array([y.sum()]), np.array([float(n)]), Z)
        assert est.ci_high[0] - est.ci_low[0] > 0
        assert (est.ci_low[0], est.ci_high[0]) == pytest.approx((lo[0], hi[0]))
    widths = []
    for m in (10, 100, 1000):
        y = (np.arange(m) < 0.6 * m).astype(float)
        e = hajek_proportion(np.zeros(m, dtype=np.int64), y, np.ones(m), 1, Z)
        widths.append(e.ci_high[0] - e.ci_low[0])
    assert widths[0] > widths[1] > widths[2] > 0


def test_census_day_mean_has_an_interval() -> None:
    y = np.array([0.2, 0.4, 0.9, 0.7])
    est = hajek_mean(np.zeros(4, dtype=np.int64), y, np.ones(4), 1, Z)
    # v = Σ(y - ȳ)² / n² (plug-in binomial-style): half-width z * sd / sqrt(n)
    half = Z * np.sqrt(((y - y.mean()) ** 2).sum() / 16)
    assert (est.ci_low[0], est.ci_high[0]) == pytest.approx((y.mean() - half, y.mean() + half))


def test_hajek_zero_events_has_nondegenerate_upper_bound() -> None:
    est = hajek_proportion(np.zeros(50, dtype=np.int64), np.zeros(50), np.full(50, 10.0), 1, Z)
    assert est.value[0] == 0.0
    assert est.ci_low[0] == 0.0
    assert 0.05 < est.ci_high[0] < 0.2


def _coverage(kind: str, reps: int = 300) -> float:
    """Share of replicated Poisson samples whose 95% interval covers the population value."""
    rng = np.random.default_rng(20261005)
    size = 20_000
    x = rng.random(size)
    pi = np.clip(0.003 + 0.03 * x, 0, 1)
    pi[rng.random(size) < 0.005] = 1.0  # must-review rows
    if kind == "proportion":
        y = (rng.random(size) < 0.04 + 0.2 * x).astype(float)
    else:
        y = rng.beta(2 + 6 * x, 2)
    truth = y.mean()
    hits = 0
    for _ in range(reps):
        s = rng.random(size) < pi
        codes = np.zeros(s.sum(), dtype=np.int64)
        f = hajek_proportion if kind == "proportion" else hajek_mean
        est = f(codes, y[s], 1 / pi[s], 1, Z)
        hits += est.ci_low[0] <= truth <= est.ci_high[0]
    return hits / reps


@pytest.mark.parametrize("kind", ["proportion", "mean"])
def test_hajek_interval_covers_truth_about_95_percent(kind: str) -> None:
    cov = _coverage(kind)
    # 300 replications: a binomial sd of ~1.3 points around 95 %.
    assert 0.91 <= cov <= 0.985, cov


def test_two_proportion_one_sided() -> None:
    assert one_sided_two_proportion_p(30, 100, 10, 100) < 0.001
    assert one_sided_two_proportion_p(10, 100, 30, 100) > 0.999
    p1 = one_sided_two_proportion_p(12, 100, 10, 100)
    p2 = one_sided_two_proportion_p(10, 100, 12, 100)
    assert p1 + p2 == pytest.approx(1.0)
    assert np.isnan(one_sided_two_proportion_p(1, 0, 1, 10))
