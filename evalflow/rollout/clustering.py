"""Standard errors that respect conversations: the gate's rates are not independent rows.

``segment_kpis`` intervals treat every interaction as an independent draw. Outcomes
are not: an escalation, an SLA miss or an analyst override belongs to a ticket, and
every turn of its conversation carries it. At a 10 % rollout phase the treatment arm
is a handful of users, so "10 escalations, 5 correct" may be four conversations —
the row-level interval is two to three times too narrow, and a healthy model was
rolled back on one bad conversation (the quiet scenario did exactly that).

For the outcome rates below (the same definitions as ``evalflow.kpis.metrics``),
the gate therefore uses a cluster-robust (sandwich) standard error with the
conversation as the cluster — the user when conversations are not logged, the row
when neither is: for ``p = Σ y_c / Σ m_c`` over clusters ``c`` (``y`` successes,
``m`` known rows), ``V = C/(C−1) · Σ (y_c − p·m_c)² / (Σ m_c)²``. It never goes
below the row-level binomial variance. Other metrics keep their KPI intervals.

The aggregation runs in DuckDB (one row per arm); column names come from the fixed
mapping below, dates and arms are parameters.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd

from evalflow.storage.warehouse import Warehouse, ident

OUTCOME_RATES: dict[str, tuple[str, str | None]] = {
    "override_rate": ("outcome_analyst_override", None),
    "escalation_rate": ("outcome_escalated", None),
    "escalation_precision": ("outcome_escalation_correct", "outcome_escalated"),
    "incident_miss_rate": ("outcome_incident_missed", None),
    "resolved_rate": ("outcome_resolved", None),
    "sla_hit_rate": ("outcome_sla_met", None),
    "copied_rate": ("feedback_copied", None),
    "edited_rate": ("feedback_edited", None),
    "retried_rate": ("feedback_retried", None),
}
"""Metric -> (flag column, column that must be true for the row to count, if any)."""

CLUSTER_KEYS: tuple[str, ...] = ("user_id", "conversation_id")


def clustered_sql(metrics: Sequence[str], columns: set[str]) -> tuple[str, list[str]] | None:
    """The aggregation query (parameters: arm list, then the days) and the metrics it covers."""
    covered = [
        m
        for m in metrics
        if m in OUTCOME_RATES
        and OUTCOME_RATES[m][0] in columns
        and (OUTCOME_RATES[m][1] is None or OUTCOME_RATES[m][1] in columns)
    ]
    if not covered or "rollout_arm" not in columns:
        return None
    keys = [ident(k) for k in CLUSTER_KEYS if k in columns] + ["interaction_id"]
    cluster = f"coalesce({', '.join(keys)})" if len(keys) > 1 else keys[0]
    per_cluster, per_arm, out = [], [], []
    for i, metric in enumerate(covered):
        flag, condition = OUTCOME_RATES[metric]
        known = f"{ident(flag)} IS NOT NULL"
        if condition:
            known += f" AND coalesce({ident(condition)}, false)"
        per_cluster.append(
            f"count_if({known}) AS m{i}, count_if({known} AND {ident(flag)}) AS y{i}"
        )
        per_arm.append(f"sum(y{i}) / nullif(sum(m{i}), 0) AS p{i}")
        out.append(
            f"sum((y{i} - p{i} * m{i}) ^ 2) AS ss{i}, sum(m{i}) AS n{i}, "
            f"count_if(m{i} > 0) AS k{i}, any_value(p{i}) AS v{i}"
        )
    sql = (
        f"WITH c AS (SELECT rollout_arm AS arm, {cluster} AS cl, {', '.join(per_cluster)} "
        f"FROM raw_interactions WHERE rollout_arm IN (SELECT unnest(?)) "
        f"AND day IN (SELECT unnest(?)) GROUP BY 1, 2), "
        f"p AS (SELECT arm, {', '.join(per_arm)} FROM c GROUP BY arm) "
        f"SELECT c.arm, {', '.join(out)} FROM c JOIN p USING (arm) GROUP BY c.arm"
    )
    return sql, covered


def clustered_se(frame: pd.DataFrame, covered: Sequence[str]) -> dict[str, dict[str, float]]:
    """Arm -> metric -> cluster-robust standard error (at least the binomial one)."""
    out: dict[str, dict[str, float]] = {}
    for row in frame.to_dict("records"):
        ses: dict[str, float] = {}
        for i, metric in enumerate(covered):
            n, k, ss, p = row.get(f"n{i}"), row.get(f"k{i}"), row.get(f"ss{i}"), row.get(f"v{i}")
            if n is None or k is None or ss is None or p is None or pd.isna(p):
                continue
            n, k, ss, p = float(n), float(k), float(ss), float(p)
            if n <= 0:
                continue
            binomial = p * (1.0 - p) / n
            sandwich = (k / (k - 1.0)) * ss / n**2 if k > 1 else binomial
            ses[metric] = math.sqrt(max(sandwich, binomial))
        out[str(row["arm"])] = ses
    return out


def read_clustered_se(
    wh: Warehouse, days: Sequence[dt.date], arms: Sequence[str], metrics: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Cluster-robust standard errors of ``metrics`` per arm over ``days`` (``{}`` if none)."""
    if not days or not wh.table_exists("raw_interactions"):
        return {}
    cols = set(
        wh.query_df(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            ["raw_interactions"],
        )["column_name"].astype(str)
    )
    built = clustered_sql(metrics, cols)
    if built is None:
        return {}
    sql, covered = built
    frame = wh.query_df(sql, [list(arms), list(days)])
    return clustered_se(frame, covered)
