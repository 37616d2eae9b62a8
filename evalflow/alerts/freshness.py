"""Freshness and volume alerts: a day without (enough) data is itself an incident.

Every other detector is silent on a day without traffic, which reads as "all good".
So an empty ``raw_interactions`` partition raises ``kind='freshness'``,
``metric='row_count'``, severity **high**; and a day whose volume is far below the
trailing median of the days that had data (``metric='volume'``) raises a drop
alert: **medium** below ``VOLUME_DROP_RATIO`` of the median, **high** below
``VOLUME_SEVERE_RATIO``. Volume needs at least ``MIN_BASELINE_DAYS`` baseline days;
the empty-day alert needs none (no data is never normal).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evalflow.alerts.common import (
    CANDIDATE_COLUMNS,
    MIN_BASELINE_DAYS,
    OVERALL,
    empty_candidates,
)

VOLUME_DROP_RATIO = 0.5
VOLUME_SEVERE_RATIO = 0.2


def freshness_alerts(
    day: dt.date,
    day_rows: int,
    baseline_counts: pd.Series,
    drop_ratio: float = VOLUME_DROP_RATIO,
    severe_ratio: float = VOLUME_SEVERE_RATIO,
) -> pd.DataFrame:
    """Candidates for an empty day or a volume drop.

    ``baseline_counts`` maps each earlier day that had data to its row count (days
    without rows are simply absent: they are not evidence of normal volume).
    """
    counts = pd.to_numeric(baseline_counts, errors="coerce").dropna()
    counts = counts[counts > 0]
    k = len(counts)
    median = float(np.median(counts.to_numpy())) if k else float("nan")
    window = f"{min(counts.index)}..{max(counts.index)}" if k else ""
    if day_rows <= 0:
        baseline_txt = (
            f"; the previous {k} days with data had a median of {median:.0f} rows ({window})"
            if k
            else "; no earlier day has data either"
        )
        row = {
            "kind": "freshness",
            "severity": "high",
            "metric": "row_count",
            "segment_key": OVERALL,
            "segment_value": OVERALL,
            "observed": 0.0,
            "expected": median if k else np.nan,
            "evidence": f"raw_interactions has 0 rows for {day}: no logs arrived or ingestion failed"
            + baseline_txt,
            "p_value": np.nan,
        }
        return pd.DataFrame([row])[CANDIDATE_COLUMNS]
    if k < MIN_BASELINE_DAYS or median <= 0:
        return empty_candidates()
    ratio = day_rows / median
    if ratio >= drop_ratio:
        return empty_candidates()
    row = {
        "kind": "freshness",
        "severity": "high" if ratio < severe_ratio else "medium",
        "metric": "volume",
        "segment_key": OVERALL,
        "segment_value": OVERALL,
        "observed": float(day_rows),
        "expected": median,
        "evidence": (
            f"{day_rows} rows on {day} = {ratio:.0%} of the trailing median {median:.0f} "
            f"({k} days with data, {window}); alert below {drop_ratio:.0%}: "
            f"missing files, a broken logger or an outage upstream"
        ),
        "p_value": np.nan,
    }
    return pd.DataFrame([row])[CANDIDATE_COLUMNS]
