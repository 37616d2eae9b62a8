"""Input drift: has the traffic itself changed (who asks, what, how long), not just our KPIs?

A KPI can move because the model got worse or because different users now ask
different things; input drift tells the two apart. Compared, day D against each
trailing baseline window of ``raw_interactions``:

* **Mix of each segment key** (queue, urgency, region, ...) and of the coarse topic
  proxy ``queue×channel``: PSI plus a chi-square test on the 2×k count table.
* **Query length, response length and latency**: a two-sample KS test (on at most
  ``MAX_SAMPLE_ROWS`` rows per side) plus PSI over the baseline's deciles.

PSI is the effect size, the test is the noise guard: a test joins the day's
Benjamini–Hochberg family (see ``drift.select_significant``) and alerts only when
significant after BH *and* PSI > ``drift.psi_threshold``. A large sample makes any
tiny shift significant, and a small day makes PSI jumpy; requiring both avoids
alerting on either. Severity: medium when PSI is at least twice the threshold,
low otherwise. Everything here is deterministic (fixed buckets, hash-ordered samples).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalflow.alerts.common import OVERALL, fmt_p
from evalflow.alerts.drift import TEST_COLUMNS, empty_tests

MAX_SAMPLE_ROWS = 50_000
"""Rows per side for the KS tests: plenty of power, bounded time."""

NUMERIC_FEATURES: tuple[str, ...] = ("query_length", "response_length", "latency_ms")
PSI_EPS = 1e-4
"""Floor for empty buckets so PSI stays finite when a category appears or vanishes."""


def psi(expected_counts: np.ndarray, actual_counts: np.ndarray, eps: float = PSI_EPS) -> float:
    """Population stability index of two count vectors over the same buckets.

    ``sum((a - e) * ln(a / e))`` over bucket shares; < 0.1 stable, 0.1–0.2 moderate,
    > 0.2 a real shift (the usual reading).
    """
    e = np.asarray(expected_counts, dtype="float64")
    a = np.asarray(actual_counts, dtype="float64")
    if e.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    e = np.maximum(e / e.sum(), eps)
    a = np.maximum(a / a.sum(), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def mix_drift_tests(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    window_label: str,
    psi_threshold: float,
    min_rows: int,
) -> pd.DataFrame:
    """PSI + chi-square per mix dimension, D vs one pooled baseline window.

    ``current`` and ``baseline`` have columns ``dimension, category, n`` (counts,
    baseline summed over its days). Dimensions with fewer than ``min_rows`` rows on
    day D, or a single category, are not tested.
    """
    if current.empty or baseline.empty:
        return empty_tests()
    rows: list[dict[str, object]] = []
    cur_g = current.groupby(["dimension", "category"])["n"].sum()
    base_g = baseline.groupby(["dimension", "category"])["n"].sum()
    for dimension in sorted(set(cur_g.index.get_level_values(0))):
        if dimension not in base_g.index.get_level_values(0):
            continue
        table = pd.concat(
            [cur_g.loc[dimension].rename("cur"), base_g.loc[dimension].rename("base")], axis=1
        ).fillna(0.0)
        table = table[(table["cur"] + table["base"]) > 0]
        n_cur, n_base = float(table["cur"].sum()), float(table["base"].sum())
        if len(table) < 2 or n_cur < min_rows or n_base < min_rows:
            continue
        value = psi(table["base"].to_numpy(), table["cur"].to_numpy())
        chi2, p_value, dof, _ = stats.chi2_contingency(
            table[["cur", "base"]].to_numpy().T, correction=False
        )
        shares = (table["cur"] / n_cur - table["base"] / n_base).sort_values()
        movers = ", ".join(
            f"{cat} {delta * 100:+.1f} pts"
            for cat, delta in pd.concat([shares.head(1), shares.tail(1)]).items()
            if abs(delta) > 0
        )
        rows.append(
            _test_row(
                metric=f"{dimension}_mix",
                psi_value=value,
                p_value=float(p_value),
                psi_threshold=psi_threshold,
                evidence=(
                    f"{dimension} mix on the day (n={int(n_cur)}) vs {window_label} "
                    f"(n={int(n_base)}): PSI={value:.3f}; chi-square={chi2:.1f}, dof={dof}, "
                    f"p={fmt_p(float(p_value))}; largest share changes: {movers or 'none'}"
                ),
            )
        )
    return pd.DataFrame(rows)[TEST_COLUMNS] if rows else empty_tests()


def numeric_drift_tests(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    window_label: str,
    psi_threshold: float,
    min_rows: int,
    features: Sequence[str] = NUMERIC_FEATURES,
    bins: int = 10,
) -> pd.DataFrame:
    """KS test + decile PSI per numeric feature, D's sample vs one baseline sample."""
    rows: list[dict[str, object]] = []
    for feature in features:
        if feature not in current.columns or feature not in baseline.columns:
            continue
        cur = pd.to_numeric(current[feature], errors="coerce").dropna().to_numpy("float64")
        base = pd.to_numeric(baseline[feature], errors="coerce").dropna().to_numpy("float64")
        if len(cur) < min_rows or len(base) < min_rows:
            continue
        ks = stats.ks_2samp(cur, base)
        edges = np.unique(np.quantile(base, np.linspace(0, 1, bins + 1)[1:-1]))
        base_counts = np.bincount(
            np.searchsorted(edges, base, side="right"), minlength=len(edges) + 1
        )
        cur_counts = np.bincount(
            np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1
        )
        value = psi(base_counts, cur_counts) if len(edges) else 0.0
        rows.append(
            _test_row(
                metric=feature,
                psi_value=value,
                p_value=float(ks.pvalue),
                psi_threshold=psi_threshold,
                evidence=(
                    f"{feature} on the day: median {np.median(cur):.4g}, p90 "
                    f"{np.quantile(cur, 0.9):.4g} (n={len(cur)}) vs {window_label}: median "
                    f"{np.median(base):.4g}, p90 {np.quantile(base, 0.9):.4g} (n={len(base)}); "
                    f"KS D={ks.statistic:.3f}, p={fmt_p(float(ks.pvalue))}; "
                    f"PSI over baseline deciles={value:.3f}"
                ),
            )
        )
    return pd.DataFrame(rows)[TEST_COLUMNS] if rows else empty_tests()


def _test_row(
    metric: str, psi_value: float, p_value: float, psi_threshold: float, evidence: str
) -> dict[str, object]:
    effect_ok = bool(np.isfinite(psi_value) and psi_value > psi_threshold)
    return {
        "kind": "input_drift",
        "severity": "medium" if effect_ok and psi_value >= 2 * psi_threshold else "low",
        "metric": metric,
        "segment_key": OVERALL,
        "segment_value": OVERALL,
        "observed": psi_value,
        "expected": psi_threshold,
        "evidence": evidence,
        "p_value": p_value,
        "effect": psi_value,
        "effect_ok": effect_ok,
    }
