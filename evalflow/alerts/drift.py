"""KPI drift: is day D's KPI different from what the trailing weeks said it should be?

Two detectors over ``segment_kpis``, whose p-values join one Benjamini–Hochberg
family with the input-drift tests of the day (``select_significant``):

1. **Two-sample z-test per (metric, segment cell) and baseline window.** For each
   window in ``drift.baseline_days`` (7 and 28 by default) the baseline is the days
   ``D-w … D-1`` that exist; a baseline with fewer than ``MIN_BASELINE_DAYS`` days is
   not used. Rates (``*_rate`` …) are compared with a two-proportion z-test on counts
   ``value × n`` against the pooled baseline; 0–1 score means (``*_score``,
   ``*_proxy_mean``, ``composite_kpi``) with a z-test whose standard errors come from
   the cells' confidence intervals. For rates the p-value is the larger of the z-test's
   and an exact binomial test's, because the normal tail is far too thin for a handful
   of events in a small cell. Real KPIs wobble from day to day by more than
   binomial noise (traffic mix, sampling design), so the between-day variance the
   baseline shows beyond sampling noise (``tau²``, method of moments) is added to the
   test variance; without it a quiet month on large traffic raises alerts daily.
   Because ``tau²`` is estimated from a few days, the p-value comes from a t
   distribution with Welch–Satterthwaite degrees of freedom (``satterthwaite_df``).
   Cells marked ``low_count`` on day D are not tested. Pass rates that are the
   complement of a named failure rate (``common.COMPLEMENTS``) are not tested twice.
2. **EWMA on the overall series** catches slow shifts no single day shows: the last
   ``long // 4`` days and D are standardised against a reference period (the older
   part of the longest window), smoothed with ``lambda = EWMA_LAMBDA``, and the EWMA's
   z-score is turned into a p-value.

A test becomes an alert only if its BH-adjusted p-value is at most
``drift.fdr_alpha`` AND its absolute change is at least ``drift.min_effect``.
Severity: ``medium`` when the metric moved in its bad direction, ``low`` when it
improved or its direction is unknown. Drift never rates above medium: fixed limits
(``thresholds``) decide when a level is dangerous; drift says something changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalflow.alerts.common import (
    CANDIDATE_COLUMNS,
    COMPLEMENTS,
    MIN_BASELINE_DAYS,
    OVERALL,
    as_dates,
    day_span,
    fmt_p,
    fmt_value,
    is_proportion,
    is_score,
    metric_direction,
    num_col,
)

EWMA_LAMBDA = 0.3
"""Weight of the newest day in the EWMA; 0.2–0.3 is the usual range for small shifts."""

TEST_COLUMNS: list[str] = [*CANDIDATE_COLUMNS, "effect", "effect_ok"]
"""Drift tests before FDR control: candidates plus the effect size and whether it is big enough."""

_Z = float(stats.norm.ppf(0.975))
_KEY = ["metric", "segment_key", "segment_value"]


def empty_tests() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in TEST_COLUMNS})
    for col in ("observed", "expected", "p_value", "effect"):
        frame[col] = frame[col].astype("float64")
    frame["effect_ok"] = frame["effect_ok"].astype(bool)
    return frame


def _prepare(kpis: pd.DataFrame, min_cell_count: int) -> pd.DataFrame:
    """Testable rows only: rate or score metrics with a value and a positive n."""
    if kpis.empty:
        return kpis.iloc[0:0]
    metrics = kpis["metric"].astype(str)
    keep = metrics.map(lambda m: is_proportion(m) or is_score(m)).to_numpy(dtype=bool)
    present = set(metrics)
    twins = [m for m, named in COMPLEMENTS.items() if named in present]
    keep &= ~metrics.isin(twins).to_numpy(dtype=bool)
    df = kpis.loc[keep].copy()
    df["day"] = as_dates(df["day"])
    df["value"] = num_col(df, "value")
    df["n"] = num_col(df, "n")
    df = df[np.isfinite(df["value"]) & (df["n"] > 0)].copy()
    df["segment_key"] = df["segment_key"].astype(str)
    df["segment_value"] = df["segment_value"].astype(str)
    df["proportion"] = df["metric"].map(is_proportion).astype(bool)
    # Standard error from the CI (scores); NaN when the cell has no interval.
    df["se"] = (num_col(df, "ci_high") - num_col(df, "ci_low")) / (2.0 * _Z)
    low_flag = (
        df["low_count"].astype("boolean")
        if "low_count" in df.columns
        else pd.Series(pd.NA, index=df.index, dtype="boolean")
    )
    df["low"] = low_flag.fillna(pd.Series(df["n"] < min_cell_count, index=df.index)).astype(bool)
    return df


def _baseline_stats(base: pd.DataFrame) -> pd.DataFrame:
    """Per cell: days, pooled mean, and the between-day variance beyond sampling noise."""
    base = base.assign(
        x=base["value"] * base["n"],
        inv_n=1.0 / base["n"],
        se2=base["se"] ** 2,
        n2se2=(base["n"] ** 2) * (base["se"] ** 2),
    )
    g = base.groupby(_KEY, sort=False).agg(
        k=("day", "nunique"),
        n_b=("n", "sum"),
        x_b=("x", "sum"),
        var_days=("value", "var"),
        inv_n_mean=("inv_n", "mean"),
        se2_mean=("se2", "mean"),
        n2se2_sum=("n2se2", "sum"),
    )
    g = g.reset_index()
    g["p_b"] = g["x_b"] / g["n_b"]
    g["var_days"] = g["var_days"].fillna(0.0)
    return g


def kpi_drift_tests(
    kpis: pd.DataFrame,
    day: dt.date,
    baseline_days: Sequence[int],
    min_effect: float,
    min_cell_count: int,
) -> pd.DataFrame:
    """z-tests of day D against each trailing baseline, for every rate/score cell.

    ``kpis`` is ``segment_kpis`` over ``D - max(baseline_days) … D``. Returns
    ``TEST_COLUMNS`` (unadjusted p-values); pass it to ``select_significant``.
    """
    df = _prepare(kpis, min_cell_count)
    if df.empty:
        return empty_tests()
    cur = df[(df["day"] == day) & ~df["low"]]
    if cur.empty:
        return empty_tests()
    frames: list[pd.DataFrame] = []
    for window in sorted(set(baseline_days)):
        start, end = day_span(day, window)
        base = df[(df["day"] >= start) & (df["day"] <= end)]
        if base.empty:
            continue
        g = _baseline_stats(base)
        g = g[g["k"] >= MIN_BASELINE_DAYS]
        m = cur.merge(g, on=_KEY, how="inner")
        if m.empty:
            continue
        frames.append(_z_tests(m, window, min_effect))
    if not frames:
        return empty_tests()
    return pd.concat(frames, ignore_index=True)


def _z_tests(m: pd.DataFrame, window: int, min_effect: float) -> pd.DataFrame:
    p_d = m["value"].to_numpy(dtype="float64")
    n_d = m["n"].to_numpy(dtype="float64")
    n_b = m["n_b"].to_numpy(dtype="float64")
    p_b = m["p_b"].to_numpy(dtype="float64")
    k = m["k"].to_numpy(dtype="float64")
    prop = m["proportion"].to_numpy(dtype=bool)

    # Rates: pooled two-proportion variance; tau² = daily variance minus binomial part.
    pooled = (p_d * n_d + m["x_b"].to_numpy()) / (n_d + n_b)
    var_prop = pooled * (1 - pooled) * (1 / n_d + 1 / n_b)
    tau2_prop = np.maximum(0.0, m["var_days"] - p_b * (1 - p_b) * m["inv_n_mean"]).to_numpy()
    # Scores: CI-derived standard errors of D and of the n-weighted baseline mean.
    se_d = m["se"].to_numpy(dtype="float64")
    var_base_mean = m["n2se2_sum"].to_numpy(dtype="float64") / n_b**2
    var_score = se_d**2 + var_base_mean
    tau2_score = np.maximum(0.0, (m["var_days"] - m["se2_mean"]).to_numpy(dtype="float64"))

    known = np.where(prop, var_prop, var_score)
    between = np.where(prop, tau2_prop, tau2_score) * (1 + 1 / k)
    var = known + between
    diff = p_d - p_b
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, diff / np.sqrt(var), np.where(diff == 0, 0.0, np.nan))
    p_value = 2 * stats.t.sf(np.abs(z), satterthwaite_df(known, between, k))
    # The normal tail is far too thin for a few events in a small cell (7 failures in 53
    # where 1.6 are expected: z says 3e-5, the binomial says 1e-3). For rates, keep the
    # larger of the z-test p and an exact binomial test of D's count against the
    # baseline rate: each is valid, so the maximum is too, and it is right in both regimes.
    p_value = np.where(prop, np.maximum(p_value, _exact_binomial_p(p_d, n_d, p_b, n_b)), p_value)
    testable = np.isfinite(p_value)
    m = m.assign(z=z, p_value=p_value, diff=diff)[testable]
    if m.empty:
        return empty_tests()

    out = pd.DataFrame(
        {
            "kind": "drift",
            "metric": m["metric"].to_numpy(),
            "segment_key": m["segment_key"].to_numpy(),
            "segment_value": m["segment_value"].to_numpy(),
            "observed": m["value"].to_numpy(dtype="float64"),
            "expected": m["p_b"].to_numpy(dtype="float64"),
            "p_value": m["p_value"].to_numpy(dtype="float64"),
            "effect": m["diff"].to_numpy(dtype="float64"),
        }
    )
    out["effect_ok"] = np.abs(out["effect"]) >= min_effect
    out["severity"] = _drift_severity(out["metric"], out["effect"])
    out["evidence"] = [
        f"{r.metric} {_where(r.segment_key, r.segment_value)}: {fmt_value(r.metric, r.value)} "
        f"(n={int(r.n)}) vs {window}-day baseline {fmt_value(r.metric, r.p_b)} "
        f"(n={int(r.n_b)} over {int(r.k)} days); change {_fmt_change(r.metric, r.diff)}; "
        f"{'two-proportion' if r.proportion else 'mean'} z={r.z:.2f}, p={fmt_p(r.p_value)}"
        for r in m.itertuples(index=False)
    ]
    return out[TEST_COLUMNS]


def satterthwaite_df(
    known: np.ndarray | float, between: np.ndarray | float, k: np.ndarray | float
) -> np.ndarray:
    """Degrees of freedom of a variance that is partly estimated from ``k`` baseline days.

    ``known`` is sampling variance computed from counts or intervals (exact for the
    test's purpose); ``between`` is the day-to-day variance estimated from only ``k``
    days, which has ``k - 1`` degrees of freedom. Welch–Satterthwaite:
    ``df = (known + between)² / (between² / (k - 1))``, infinite when nothing was
    estimated. With 3 baseline days and an interval of zero width (a fully judged
    day) the test is a t-test with 2 df instead of a z-test that treats a variance
    seen over 3 days as exact, which put a 3-point move of a judged score at z = 7.
    """
    known = np.asarray(known, dtype="float64")
    between = np.asarray(between, dtype="float64")
    k = np.asarray(k, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (known + between) ** 2 / (between**2 / np.maximum(k - 1, 1))
    return np.where(between > 0, df, np.inf)


def _exact_binomial_p(
    p_d: np.ndarray, n_d: np.ndarray, p_b: np.ndarray, n_b: np.ndarray
) -> np.ndarray:
    """Two-sided exact binomial p of D's count under the baseline rate (vectorised).

    The baseline rate is kept half an event away from 0 and 1, so a first-ever event
    after a spotless baseline gets a finite, honest p instead of zero.
    """
    x = np.rint(p_d * n_d)
    n = np.rint(n_d).astype("int64")
    p0 = np.clip(p_b, 0.5 / n_b, 1 - 0.5 / n_b)
    lower = stats.binom.cdf(x, n, p0)
    upper = stats.binom.sf(x - 1, n, p0)
    return np.minimum(1.0, 2 * np.minimum(lower, upper))


def ewma_tests(
    kpis: pd.DataFrame,
    day: dt.date,
    baseline_days: Sequence[int],
    min_effect: float,
    min_cell_count: int,
    lam: float = EWMA_LAMBDA,
) -> pd.DataFrame:
    """EWMA detector for slow shifts of each overall rate/score KPI, as tests for BH.

    Reference: days ``D-long … D-span-1`` (``long = max(baseline_days)``,
    ``span = max(1, long // 4)``); monitored: ``D-span … D``. Needs at least
    ``MIN_BASELINE_DAYS`` reference days and a measured, non-low-count day D.
    """
    df = _prepare(kpis, min_cell_count)
    if df.empty or not baseline_days:
        return empty_tests()
    df = df[df["segment_key"] == OVERALL]
    long = max(baseline_days)
    span = max(1, long // 4)
    ref_start, ref_end = day - dt.timedelta(days=long), day - dt.timedelta(days=span + 1)
    mon_start = day - dt.timedelta(days=span)
    rows: list[dict[str, object]] = []
    for metric, series in df.groupby("metric", sort=True):
        today = series[series["day"] == day]
        if today.empty or bool(today["low"].iloc[0]):
            continue
        ref = series[(series["day"] >= ref_start) & (series["day"] <= ref_end)]
        if ref["day"].nunique() < MIN_BASELINE_DAYS:
            continue
        mon = series[(series["day"] >= mon_start) & (series["day"] <= day)].sort_values("day")
        row = _ewma_one(str(metric), ref, mon, lam, min_effect, day)
        if row is not None:
            rows.append(row)
    if not rows:
        return empty_tests()
    return pd.DataFrame(rows)[TEST_COLUMNS]


def _ewma_one(
    metric: str,
    ref: pd.DataFrame,
    mon: pd.DataFrame,
    lam: float,
    min_effect: float,
    day: dt.date,
) -> dict[str, object] | None:
    n_ref = float(ref["n"].sum())
    mu0 = float((ref["value"] * ref["n"]).sum() / n_ref)
    var_days = float(ref["value"].var()) if len(ref) > 1 else 0.0
    if is_proportion(metric):
        # Keep the reference away from 0/1 so one event after a spotless month is finite.
        mu_v = min(max(mu0, 0.5 / n_ref), 1 - 0.5 / n_ref)
        tau2 = max(0.0, var_days - mu_v * (1 - mu_v) * float((1 / ref["n"]).mean()))
        sigma2 = mu_v * (1 - mu_v) / mon["n"].to_numpy(dtype="float64") + tau2
    else:
        se2 = mon["se"].to_numpy(dtype="float64") ** 2
        tau2 = max(0.0, var_days - float((ref["se"] ** 2).mean()))
        sigma2 = se2 + tau2
    values = mon["value"].to_numpy(dtype="float64")
    ok = np.isfinite(sigma2) & (sigma2 > 0)
    if not ok.any() or not ok[-1]:
        return None
    known = (sigma2 - tau2)[ok]
    values, sigma = values[ok], np.sqrt(sigma2[ok])
    e_z, e_x = 0.0, mu0
    for v, s in zip(values, sigma, strict=True):
        e_z = lam * (v - mu0) / s + (1 - lam) * e_z
        e_x = lam * v + (1 - lam) * e_x
    t = len(values)
    sd = np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    z = e_z / sd
    k_ref = float(ref["day"].nunique())
    df = float(satterthwaite_df(float(np.mean(known)), tau2, k_ref))
    p_value = float(2 * stats.t.sf(abs(z), df))
    effect = e_x - mu0
    first, last = ref["day"].min(), ref["day"].max()
    return {
        "kind": "drift",
        "metric": metric,
        "segment_key": OVERALL,
        "segment_value": OVERALL,
        "observed": e_x,
        "expected": mu0,
        "p_value": p_value,
        "effect": effect,
        "effect_ok": abs(effect) >= min_effect,
        "severity": _drift_severity(pd.Series([metric]), pd.Series([effect])).iloc[0],
        "evidence": (
            f"{metric} overall: EWMA (lambda={lam}) over {t} days to {day} is "
            f"{fmt_value(metric, e_x)} vs reference {fmt_value(metric, mu0)} "
            f"({ref['day'].nunique()} days {first}..{last}, n={int(n_ref)}); "
            f"change {_fmt_change(metric, effect)}; z={z:.2f}, p={fmt_p(p_value)}"
        ),
    }


def benjamini_hochberg(p_values: np.ndarray | pd.Series) -> np.ndarray:
    """BH-adjusted p-values (the smallest FDR at which each test is a discovery).

    NaN stays NaN and is not counted as a test.
    """
    p = np.asarray(p_values, dtype="float64")
    adjusted = np.full(p.shape, np.nan)
    mask = np.isfinite(p)
    m = int(mask.sum())
    if m == 0:
        return adjusted
    pv = np.clip(p[mask], 0.0, 1.0)
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    adjusted[mask] = out
    return adjusted


def select_significant(tests: pd.DataFrame, fdr_alpha: float) -> pd.DataFrame:
    """Apply BH across ALL the day's tests, keep those significant with a real effect.

    Returns candidates whose ``p_value`` is the BH-adjusted one; the evidence states
    both the raw and the adjusted p-value and the family size.
    """
    if tests.empty:
        return tests.reindex(columns=CANDIDATE_COLUMNS)
    tests = tests.reset_index(drop=True)
    adjusted = benjamini_hochberg(tests["p_value"])
    family = int(np.isfinite(adjusted).sum())
    keep = (adjusted <= fdr_alpha) & tests["effect_ok"].astype(bool).to_numpy()
    out = tests.loc[keep].copy()
    out["p_value"] = adjusted[keep]
    out["evidence"] = [
        f"{ev}; BH-adjusted p={fmt_p(pa)} over {family} tests (FDR {fdr_alpha})"
        for ev, pa in zip(out["evidence"], adjusted[keep], strict=True)
    ]
    return out[CANDIDATE_COLUMNS].reset_index(drop=True)


def _drift_severity(metrics: pd.Series, effects: pd.Series) -> pd.Series:
    direction = metrics.map(metric_direction)
    worse = ((direction == "lower") & (effects > 0)) | ((direction == "higher") & (effects < 0))
    return pd.Series(np.where(worse, "medium", "low"), index=metrics.index, dtype="object")


def _where(segment_key: str, segment_value: str) -> str:
    return OVERALL if segment_key == OVERALL else f"{segment_key}={segment_value}"


def _fmt_change(metric: str, diff: float) -> str:
    if is_proportion(metric):
        return f"{diff * 100:+.2f} points"
    return f"{diff:+.4g}"
