"""Significance of a group-vs-reference difference in a rate, and the week's FDR control.

A fairness audit runs dozens of tests a week (attributes × groups × metrics), so
raw p-values would flag something every week by chance alone; Benjamini–Hochberg
keeps the expected share of false findings among the significant ones at
``fairness.alpha``.

Census rates compare plain counts in a 2×2 table: Pearson's chi-square without
Yates' correction when every expected count is at least 5, else Fisher's exact test
(the chi-square approximation is poor with small expected counts, and Yates is
needlessly conservative when it is not). Judge rates come from a weighted sample:
the Hájek estimate ``Σw·y/Σw`` has the precision of fewer than ``n`` independent
observations, so the test uses Kish's effective sample size ``(Σw)²/Σw²`` and the
effective count ``rate × n_eff`` (a first-order design-effect correction in the
spirit of Rao–Scott; with equal weights it is the plain test). Kish ignores the
finite-population correction on purpose: the audit asks whether the *process*
treats groups differently, not whether this week's finite population differed.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

MIN_EXPECTED = 5.0
"""Below this expected cell count the chi-square approximation is replaced by Fisher."""


def kish_effective_n(weights: np.ndarray) -> float:
    """``(Σw)² / Σw²``: the number of equally weighted observations with the same precision."""
    w = np.asarray(weights, dtype=float)
    s2 = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def two_proportion_test(
    x_group: float, n_group: float, x_ref: float, n_ref: float, *, effective: bool = False
) -> tuple[str, float | None]:
    """(test name, two-sided p-value) for "the group's rate equals the reference's".

    ``effective`` marks Kish effective counts (non-integers): the chi-square uses them
    as they are, Fisher's exact test rounds each cell. ``('none', None)`` when a side
    has no observations.
    """
    if not (n_group > 0 and n_ref > 0) or any(
        math.isnan(v) for v in (x_group, n_group, x_ref, n_ref)
    ):
        return "none", None
    suffix = "_kish" if effective else ""
    table = np.array([[x_group, n_group - x_group], [x_ref, n_ref - x_ref]], dtype=float)
    table = np.clip(table, 0.0, None)
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    if expected.min() < MIN_EXPECTED:
        counts = np.rint(table).astype(np.int64)
        if counts.sum(axis=1).min() == 0:
            return "none", None
        result = stats.fisher_exact(counts, alternative="two-sided")
        return "fisher" + suffix, float(min(1.0, result.pvalue))
    result = stats.chi2_contingency(table, correction=False)
    return "chi2" + suffix, float(result.pvalue)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (same order); an empty family gives an empty array."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=float)
