"""Pool one cell's daily ``segment_kpis`` rows into a multi-day estimate.

Used for the weekly baseline-vs-new comparison and for the historical control of a
rollout day at 100 % traffic. Days are independent samples of traffic, so:

* counts (``volume``, ``judge_unmeasured``) add up;
* census rates are recombined exactly: successes ``Σ value_d·n_d`` over ``Σ n_d``,
  with a fresh Wilson interval;
* census means and percentiles are ``n``-weighted averages of the daily values with
  ``se = sqrt(Σ n_d² se_d²) / Σ n_d`` (for percentiles this is an approximation of
  the multi-day percentile; the weekly comparison replaces them with exact values
  computed from ``raw_interactions``);
* sample-based (Hájek) estimates are averaged with the day's cell volume as weight —
  each day's estimate targets that day's population, so the population size (known
  from the census) is the right weight, not the number of judged rows — with
  ``se = sqrt(Σ N_d² se_d²) / Σ N_d`` and interval ``± z·se`` clipped to [0, 1].

``composite_kpi`` rows are dropped: callers recompute the composite from the pooled
terms with ``evalflow.kpis.composite``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalflow.kpis import catalogue
from evalflow.kpis.stats import wilson_interval

POOLED_COLUMNS = ["metric", "value", "ci_low", "ci_high", "se", "n", "estimator", "days"]


def pool_days(rows: pd.DataFrame, z: float) -> pd.DataFrame:
    """One pooled row per metric from the daily rows of ONE cell (columns of segment_kpis)."""
    if rows.empty:
        return pd.DataFrame(columns=POOLED_COLUMNS)
    rows = rows[rows["metric"] != catalogue.COMPOSITE]
    vol = rows[rows["metric"] == "volume"].groupby("day")["value"].sum()
    out = []
    for metric, g in rows.groupby("metric", sort=True):
        g = g[g["value"].notna()]
        kind = catalogue.metric_kind(str(metric))
        estimator = "horvitz_thompson" if catalogue.is_sample_based(str(metric)) else "census"
        rec = {
            "metric": metric,
            "value": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "se": np.nan,
            "n": int(g["n"].sum()) if len(g) else 0,
            "estimator": estimator,
            "days": int(g["day"].nunique()),
        }
        if g.empty:
            out.append(rec)
            continue
        v = g["value"].to_numpy(float)
        se = g["se"].to_numpy(float)
        nn = g["n"].to_numpy(float)
        if kind == "count":
            rec["value"] = float(v.sum())
        elif kind == "rate" and estimator == "census":
            p, lo, hi = wilson_interval(np.array([np.sum(v * nn)]), np.array([nn.sum()]), z)
            rec.update(
                value=float(p[0]),
                ci_low=float(lo[0]),
                ci_high=float(hi[0]),
                se=float((hi[0] - lo[0]) / (2 * z)),
            )
        else:
            w = g["day"].map(vol).to_numpy(float) if estimator == "horvitz_thompson" else nn
            w = np.where(np.isnan(w), 0.0, w)
            if w.sum() <= 0:
                out.append(rec)
                continue
            val = float(np.sum(w * v) / w.sum())
            s = float(np.sqrt(np.sum((w * se) ** 2)) / w.sum())
            lo, hi = val - z * s, val + z * s
            if catalogue.is_unit_interval(str(metric)):
                lo, hi = max(lo, 0.0), min(hi, 1.0)
            rec.update(value=val, se=s, ci_low=lo, ci_high=hi)
        out.append(rec)
    return pd.DataFrame(out, columns=POOLED_COLUMNS)
