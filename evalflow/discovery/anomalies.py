"""Unusual interactions: isolation forest on per-interaction signal vectors.

Clusters find *repeated* failure themes; anomaly detection catches the odd ones
out that no theme explains (a 40-second answer, a 9,000-character response, a
query nothing like the rest). An interaction is flagged when the isolation forest
puts it in the day's most isolated ``anomaly_share`` AND at least one of its
signals is ``anomaly_z`` robust standard deviations from the day's median; the
second condition keeps the count data-driven instead of a fixed quota.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from evalflow.discovery.inputs import stable_order

MIN_ROWS = 50
"""Below this many interactions a day has no meaningful 'usual' to deviate from."""
FEATURES: dict[str, bool] = {
    # feature -> log-transform (heavy-tailed counts and durations)
    "risk_score": False,
    "latency": True,
    "len_query": True,
    "len_response": True,
    "tokens_out": True,
    "relevance_proxy": False,
    "grounding_proxy": False,
    "judge_min_score": False,
}
ANOMALY_COLUMNS = ["interaction_id", "anomaly_score", "is_anomaly", "anomaly_feature"]


def _num(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return pd.to_numeric(frame[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=frame.index, dtype=float)


def signal_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The numeric signal vector of each interaction (NaN where unmeasured)."""
    out = pd.DataFrame(index=frame.index)
    for name, log in FEATURES.items():
        if name == "latency":
            values = _num(frame, "sig_latency_ms").fillna(_num(frame, "raw_latency_ms"))
        else:
            values = _num(frame, name)
        out[name] = np.log1p(values.clip(lower=0)) if log else values
    return out


def robust_z(x: pd.DataFrame) -> pd.DataFrame:
    """(x - median) / (1.4826 * MAD), falling back to IQR/1.349 then std; 0 if constant."""
    med = x.median()
    mad = (x - med).abs().median() * 1.4826
    iqr = (x.quantile(0.75) - x.quantile(0.25)) / 1.349
    scale = mad.where(mad > 0, iqr).where(lambda s: s > 0, x.std()).where(lambda s: s > 0)
    return ((x - med) / scale).fillna(0.0)


def detect_anomalies(
    frame: pd.DataFrame, *, share: float, z_min: float, max_fit_rows: int, seed: int
) -> pd.DataFrame:
    """``interaction_id, anomaly_score, is_anomaly, anomaly_feature`` for every row.

    The forest is fitted on a deterministic sample of at most ``max_fit_rows`` rows
    and scores every row. Features that are unmeasured for the whole day are left
    out; other gaps are imputed with the median plus a missing-indicator column.
    """
    if len(frame) < MIN_ROWS:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(
                    ANOMALY_COLUMNS, ["object", "float64", "bool", "object"], strict=True
                )
            }
        )
    x = signal_matrix(frame)
    x = x.loc[:, x.notna().any()]
    x = x.loc[:, x.nunique(dropna=True) > 1]
    ids = frame["interaction_id"].astype(str).reset_index(drop=True)
    if x.shape[1] == 0:
        return pd.DataFrame(
            {
                "interaction_id": ids,
                "anomaly_score": 0.0,
                "is_anomaly": False,
                "anomaly_feature": None,
            }
        )
    z = robust_z(x)
    missing = x.isna()
    filled = x.fillna(x.median())
    design = np.hstack([filled.to_numpy(), missing.loc[:, missing.any()].to_numpy(dtype=float)])
    order = stable_order(ids)
    fit_rows = np.sort(order[:max_fit_rows])
    forest = IsolationForest(
        n_estimators=100, contamination=share, random_state=seed, n_jobs=1
    ).fit(design[fit_rows])
    flagged = forest.predict(design) == -1
    absz = z.abs()
    extreme = (absz >= z_min).any(axis=1).to_numpy()
    top_feature = absz.idxmax(axis=1).where(absz.max(axis=1) > 0)
    return pd.DataFrame(
        {
            "interaction_id": ids,
            "anomaly_score": -forest.score_samples(design),
            "is_anomaly": flagged & extreme,
            "anomaly_feature": top_feature.reset_index(drop=True),
        }
    )
