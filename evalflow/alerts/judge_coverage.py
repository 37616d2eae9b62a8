"""``judge_coverage`` alerts: a day the judges did not measure is itself an incident.

Without this, a judge endpoint that is down makes every judge-based KPI empty and
every judge-based detector silent, which reads as "all good". The rules are the
``judge_coverage`` asset check's (:mod:`evalflow.judges.coverage`): its ERROR
findings raise a **high** alert, its WARN findings a **medium** one; one alert per
day (metric ``judge_coverage``, whole day), so it ages and resolves like the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalflow.alerts.common import CANDIDATE_COLUMNS, OVERALL, empty_candidates
from evalflow.judges.coverage import coverage_of


def judge_coverage_alerts(scores: pd.DataFrame) -> pd.DataFrame:
    """Candidates from the day's ``judge_scores`` ``status``/``verdict`` columns."""
    cov = coverage_of(scores)
    findings = cov.findings()
    if not findings:
        return empty_candidates()
    row = {
        "kind": "judge_coverage",
        "severity": "high" if findings[0][0] == "error" else "medium",
        "metric": "judge_coverage",
        "segment_key": OVERALL,
        "segment_value": OVERALL,
        "observed": cov.coverage,
        "expected": 1.0,
        "evidence": "; ".join(f for _, f in findings)
        + f" (coverage {cov.coverage:.0%} of {cov.applicable} applicable judgements)",
        "p_value": np.nan,
    }
    return pd.DataFrame([row])[CANDIDATE_COLUMNS]
