"""The tests and the FDR correction against independent, by-hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from evalflow.fairness.stats import benjamini_hochberg, kish_effective_n, two_proportion_test


def pooled_z_p(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-proportion z-test with pooled variance; z² is Pearson's chi-square (no Yates)."""
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def fisher_by_hand(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher: sum of hypergeometric tables no more likely than the observed one."""
    row1, col1, total = a + b, a + c, a + b + c + d
    dist = stats.hypergeom(total, col1, row1)
    lo, hi = max(0, row1 + col1 - total), min(row1, col1)
    observed = dist.pmf(a)
    return float(
        min(
            1.0, sum(dist.pmf(k) for k in range(lo, hi + 1) if dist.pmf(k) <= observed * (1 + 1e-7))
        )
    )


@pytest.mark.parametrize(
    "x1,n1,x2,n2", [(45, 100, 70, 100), (300, 1000, 250, 900), (12, 40, 20, 40)]
)
def test_chi_square_equals_pooled_z_test(x1: int, n1: int, x2: int, n2: int) -> None:
    test, p = two_proportion_test(x1, n1, x2, n2)
    assert test == "chi2"
    assert p == pytest.approx(pooled_z_p(x1, n1, x2, n2), rel=1e-9)


@pytest.mark.parametrize("x1,n1,x2,n2", [(1, 20, 6, 20), (0, 15, 4, 30), (9, 10, 40, 41)])
def test_fisher_when_an_expected_count_is_below_five(x1: int, n1: int, x2: int, n2: int) -> None:
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    assert expected.min() < 5
    test, p = two_proportion_test(x1, n1, x2, n2)
    assert test == "fisher"
    assert p == pytest.approx(fisher_by_hand(x1, n1 - x1, x2, n2 - x2), rel=1e-9)


def test_effective_counts_use_chi_square_as_floats_and_fisher_rounded() -> None:
    test, p = two_proportion_test(40.4, 80.8, 60.2, 90.3, effective=True)
    assert test == "chi2_kish"
    assert p == pytest.approx(pooled_z_p(40.4, 80.8, 60.2, 90.3), rel=1e-9)
    test, p = two_proportion_test(1.4, 12.6, 5.6, 14.2, effective=True)
    assert test == "fisher_kish"
    assert p == pytest.approx(fisher_by_hand(1, 11, 6, 9), rel=1e-9)  # each cell rounded


def test_degenerate_tables() -> None:
    assert two_proportion_test(0, 0, 3, 10) == ("none", None)
    assert two_proportion_test(3, 10, float("nan"), 10) == ("none", None)
    # both rates zero: no evidence of a difference
    test, p = two_proportion_test(0, 50, 0, 60)
    assert test == "fisher" and p == pytest.approx(1.0)


def test_kish_effective_n() -> None:
    assert kish_effective_n(np.ones(17)) == pytest.approx(17.0)
    w = np.array([1.0, 2.0, 4.0])
    assert kish_effective_n(w) == pytest.approx(49.0 / 21.0)
    assert kish_effective_n(np.array([])) == 0.0


def test_benjamini_hochberg_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.5])
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    expected = np.empty(m)
    expected[order] = adjusted_sorted
    assert benjamini_hochberg(p) == pytest.approx(expected)
    assert benjamini_hochberg(np.array([])).size == 0
