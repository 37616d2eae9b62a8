"""Grouped estimators with confidence intervals, vectorised with ``np.bincount``.

Every function takes integer group codes (``0..n_groups-1``) and per-row arrays and
returns one value per group, so a metric for every segment value is a handful of
array passes over the day's rows instead of a Python loop per group.

Interval choices (all two-sided at the configured confidence, ``z`` = normal quantile):

* **Census proportions** (a rate over every interaction of the day): Wilson score
  interval ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. The day's traffic
  is treated as a draw from the process that generates traffic, so even a census rate
  has sampling noise; Wilson keeps sensible, non-degenerate bounds at p = 0 or 1.
* **Census means** (cost, relevance proxy): ``mean ± z·s/sqrt(n)``; NULL for n < 2.
* **Percentiles**: distribution-free order-statistic interval: with ``k = n·q`` and
  ``d = z·sqrt(n·q·(1-q))`` the bounds are the order statistics of rank
  ``floor(k - d)`` and ``ceil(k + d)`` (1-based, clipped to 1..n), the normal
  approximation of the binomial count of observations below the true quantile.
  NULL for n < 2. The point value uses linear interpolation (numpy's default).
* **Sample-based (judge) estimates**: Hájek ratio estimator
  ``ŷ = Σ w_i y_i / Σ w_i`` with ``w_i = 1/π_i`` over the judged rows of a group.
  The target is the rate of the process that generates traffic (the superpopulation),
  the same target as the census Wilson intervals above, so the variance has two parts:

  - design: ``v_d = n/(n-1) · Σ (1-π_i) w_i² (y_i - ŷ)² / (Σ w_i)²``, the linearisation
    (Taylor) variance under Poisson sampling of the day's rows (certainty units with
    π = 1 add nothing; ``n/(n-1)`` is the small-sample correction; the sampler's
    stratification is ignored, which is mildly conservative);
  - superpopulation: ``v_m = S² / N̂`` with ``S² = Σ w_i (y_i - ŷ)² / Σ w_i`` (the
    plug-in population variance) and ``N̂ = Σ w_i``: the day's own population is one
    draw of the process (Graubard & Korn 2002). On a census day (every row judged,
    π = 1) ``v_d = 0`` and ``v_m`` is the binomial ``ŷ(1-ŷ)/n``, so a rate's interval
    is exactly the Wilson interval on ``n`` of the census metrics —
    never zero width for n ≥ 1 — and shrinks as the day's volume grows. With a small
    sampling fraction ``v_m`` is negligible next to ``v_d``.

  ``v = v_d + v_m``. For proportions the interval is a Wilson interval at the
  effective sample size ``n_eff = ŷ(1-ŷ)/v`` (Korn–Graubard style), which stays
  non-degenerate for rare events; when ŷ is 0 or 1, or n = 1 (v = 0 or undefined),
  ``1/n_eff = Σ(1-π_i)w_i² / (Σw)² + 1/Σw`` (Kish's design effect plus the
  superpopulation term; ``n_eff = n`` on a census day). For means the interval is
  ``ŷ ± z·sqrt(v)`` (NULL for n < 2: no variance estimate).

``se`` reported alongside a value is ``(ci_high - ci_low) / (2z)`` for every metric
with an interval: one rule, usable for propagating uncertainty into differences and
the composite KPI even where the interval is asymmetric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

FloatArray = np.ndarray


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level (0.95 -> 1.96)."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


@dataclass(frozen=True)
class GroupEstimate:
    """One value per group; NaN marks a group where the value cannot be computed."""

    value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    n: np.ndarray

    def se(self, z: float) -> FloatArray:
        return (self.ci_high - self.ci_low) / (2.0 * z)


def _counts(codes: np.ndarray, n_groups: int, weights: np.ndarray | None = None) -> FloatArray:
    return np.bincount(codes, weights=weights, minlength=n_groups).astype(float)[:n_groups]


def wilson_interval(
    x: FloatArray, n: FloatArray, z: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wilson score interval for ``x`` successes out of ``n`` (n may be fractional or inf).

    Returns ``(p, low, high)``; NaN where ``n == 0``.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, x / n, np.nan)
        z2n = np.where(np.isinf(n), 0.0, z * z / n)
        denom = 1.0 + z2n
        centre = (p + z2n / 2.0) / denom
        half = z * np.sqrt(np.where(np.isinf(n), 0.0, p * (1.0 - p) / n + z * z / (4.0 * n * n)))
        half = half / denom
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    low = np.where(n > 0, np.minimum(low, p), np.nan)
    high = np.where(n > 0, np.maximum(high, p), np.nan)
    return p, low, high


def wilson_from_effective_n(
    p: FloatArray, n_eff: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    """Wilson bounds for an estimated proportion ``p`` worth ``n_eff`` independent draws."""
    _, low, high = wilson_interval(np.asarray(p) * np.asarray(n_eff), n_eff, z)
    exact = np.isinf(n_eff)
    low = np.where(exact, p, low)
    high = np.where(exact, p, high)
    return low, high


def census_proportion(
    codes: np.ndarray, known: np.ndarray | None, hit: np.ndarray, n_groups: int, z: float
) -> GroupEstimate:
    """Share of rows with ``hit`` among rows where the flag is ``known`` (None = all), per group."""
    if known is None:
        n = _counts(codes, n_groups)
        x = _counts(codes, n_groups, hit.astype(float))
    else:
        n = _counts(codes, n_groups, known.astype(float))
        x = _counts(codes, n_groups, (hit & known).astype(float))
    p, low, high = wilson_interval(x, n, z)
    return GroupEstimate(p, low, high, n.astype(np.int64))


def census_mean(codes: np.ndarray, values: np.ndarray, n_groups: int, z: float) -> GroupEstimate:
    """Mean of the non-missing values per group with a normal-theory interval."""
    values = np.asarray(values, dtype=float)
    ok = ~np.isnan(values)
    c, v = codes[ok], values[ok]
    n = _counts(c, n_groups)
    s1 = _counts(c, n_groups, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s1 / n, np.nan)
        resid = v - mean[c]
        ss = _counts(c, n_groups, resid * resid)
        sd = np.sqrt(np.where(n > 1, ss / (n - 1), np.nan))
        half = z * sd / np.sqrt(n)
    return GroupEstimate(mean, mean - half, mean + half, n.astype(np.int64))


@dataclass(frozen=True)
class SortedValues:
    """A column's non-missing values sorted once, reused by every grouping."""

    ok: np.ndarray
    order: np.ndarray
    v_sorted: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> SortedValues:
        values = np.asarray(values, dtype=float)
        ok = ~np.isnan(values)
        v = values[ok]
        order = np.argsort(v, kind="stable")
        return cls(ok, order, v[order])


def _small_ints(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Narrowest integer type, so numpy's stable sort is a linear-time radix sort."""
    if n_groups <= np.iinfo(np.uint8).max:
        return codes.astype(np.uint8)
    if n_groups <= np.iinfo(np.uint16).max:
        return codes.astype(np.uint16)
    return codes


def grouped_quantiles(
    codes: np.ndarray, values: np.ndarray | SortedValues, n_groups: int, qs: list[float], z: float
) -> dict[float, GroupEstimate]:
    """Per-group quantiles with order-statistic confidence intervals.

    One global sort by value (shareable across groupings through ``SortedValues``),
    then a stable radix sort by group code, gives every group's values in order;
    quantiles and interval bounds are then plain index lookups.
    """
    sv = values if isinstance(values, SortedValues) else SortedValues.of(values)
    c = _small_ints(codes[sv.ok][sv.order], n_groups)
    perm = np.argsort(c, kind="stable")
    v_sorted = sv.v_sorted[perm]
    n = np.bincount(c, minlength=n_groups)[:n_groups]
    starts = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
    has = n > 0
    last = np.maximum(n - 1, 0)
    out: dict[float, GroupEstimate] = {}
    for q in qs:
        value = np.full(n_groups, np.nan)
        low = np.full(n_groups, np.nan)
        high = np.full(n_groups, np.nan)
        if has.any():
            h = last * q
            lo_i = np.floor(h).astype(np.int64)
            hi_i = np.minimum(lo_i + 1, last)
            frac = h - lo_i
            s = starts[has]
            a = v_sorted[s + lo_i[has]]
            b = v_sorted[s + hi_i[has]]
            value[has] = a + frac[has] * (b - a)
            nf = n.astype(float)
            d = z * np.sqrt(nf * q * (1.0 - q))
            r_lo = np.clip(np.floor(nf * q - d), 1, np.maximum(nf, 1)).astype(np.int64)
            r_hi = np.clip(np.ceil(nf * q + d), 1, np.maximum(nf, 1)).astype(np.int64)
            ci_ok = n >= 2
            low[ci_ok] = v_sorted[starts[ci_ok] + r_lo[ci_ok] - 1]
            high[ci_ok] = v_sorted[starts[ci_ok] + r_hi[ci_ok] - 1]
            low = np.minimum(low, value)
            high = np.maximum(high, value)
        out[q] = GroupEstimate(value, low, high, n.astype(np.int64))
    return out


@dataclass(frozen=True)
class HajekEstimate(GroupEstimate):
    """A Hájek estimate; ``variance`` is design + superpopulation variance (NaN if undefined).

    ``n_eff`` (proportions only) is the effective number of independent draws behind
    the value, which the judge-error correction needs to resample the observed rate.
    """

    variance: FloatArray
    n_eff: FloatArray | None = None


def _hajek_core(
    codes: np.ndarray, y: np.ndarray, weight: np.ndarray, n_groups: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    weight = np.asarray(weight, dtype=float)
    ok = ~np.isnan(y) & np.isfinite(weight) & (weight > 0)
    c, yy, w = codes[ok], y[ok], weight[ok]
    # Weights are 1/π; a weight below 1 (π > 1) is invalid input, clamp π to 1.
    w = np.maximum(w, 1.0)
    fpc = 1.0 - 1.0 / w
    n = _counts(c, n_groups)
    sw = _counts(c, n_groups, w)
    swy = _counts(c, n_groups, w * yy)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(sw > 0, swy / sw, np.nan)
        e = yy - est[c]
        corr = np.where(n > 1, n / (n - 1), np.nan)
        design = corr * _counts(c, n_groups, fpc * w * w * e * e) / (sw * sw)
        superpop = _counts(c, n_groups, w * e * e) / (sw * sw)
        var = design + superpop
        # 1/n_eff when the variance says nothing (ŷ in {0, 1}, or n = 1).
        inv_kish = _counts(c, n_groups, fpc * w * w) / (sw * sw) + 1.0 / sw
    return est, var, n, sw, inv_kish, c, ok


def hajek_proportion(
    codes: np.ndarray, y: np.ndarray, weight: np.ndarray, n_groups: int, z: float
) -> HajekEstimate:
    """Weighted share of ``y`` (0/1, NaN = unmeasured, excluded) per group."""
    est, var, n, _, inv_kish, _, _ = _hajek_core(codes, y, weight, n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        pq = est * (1.0 - est)
        n_eff = np.where(var > 0, pq / var, np.nan)
        # ŷ in {0, 1} or a single observation: no variance estimate, so the
        # Kish + superpopulation size (finite, >= 1 for n >= 1), never "exact".
        n_eff = np.where((pq == 0) | ~np.isfinite(n_eff), 1.0 / inv_kish, n_eff)
    low, high = wilson_from_effective_n(est, n_eff, z)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return HajekEstimate(est, low, high, n.astype(np.int64), var, np.where(n > 0, n_eff, 0.0))


def hajek_mean(
    codes: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    n_groups: int,
    z: float,
    bounds: tuple[float, float] | None = None,
) -> HajekEstimate:
    """Weighted mean of ``y`` per group, ``ŷ ± z·sqrt(v)`` (clipped to ``bounds``)."""
    est, var, n, _, _, _, _ = _hajek_core(codes, y, weight, n_groups)
    half = z * np.sqrt(var)
    low, high = est - half, est + half
    if bounds is not None:
        low = np.clip(low, *bounds)
        high = np.clip(high, *bounds)
    return HajekEstimate(est, low, high, n.astype(np.int64), var)


def one_sided_two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float:
    """P-value of H1: p1 > p2 (pooled two-proportion z-test); NaN if undefined."""
    if n1 <= 0 or n2 <= 0:
        return float("nan")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0:
        return 1.0 if p1 <= p2 else 0.0
    return float(stats.norm.sf((p1 - p2) / se))


def one_sided_diff_p(v1: float, se1: float, v2: float, se2: float) -> float:
    """P-value of H1: v1 > v2 for two independent estimates with standard errors."""
    se = float(np.hypot(se1, se2))
    if not np.isfinite(se):
        return float("nan")
    if se == 0:
        return 1.0 if v1 <= v2 else 0.0
    return float(stats.norm.sf((v1 - v2) / se))
