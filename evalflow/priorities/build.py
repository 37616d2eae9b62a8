"""Reads for ``issue_priorities``: whichever issue sources exist for the day.

``quality_alerts`` and ``fairness_audit`` are written by other stages and may not
exist yet; a missing table (or column) is an absent source, never an error.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.config.settings import Settings
from evalflow.discovery.inputs import load_day_frame, table_columns
from evalflow.orchestration.metadata import duckdb_types
from evalflow.priorities.scoring import PRIORITY_COLUMNS, compute_issue_priorities
from evalflow.storage.warehouse import Warehouse, ident

ALERT_FIELDS = list(ALERT_COLUMNS)


def _select(con_cols: list[str], wanted: list[str]) -> str:
    return ", ".join(ident(c) if c in con_cols else f"NULL AS {ident(c)}" for c in wanted)


def read_alerts(wh: Warehouse, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(open non-bias alerts of ``day``, open bias alerts of the latest audit ≤ ``day``).

    Bias rows are dated on the audited week's Sunday; the latest such day within
    the last 7 days is used so a weekly audit informs the following week's priorities.
    """
    with wh.connect() as con:
        cols = table_columns(con, "quality_alerts")
        if not {"day", "kind"} <= set(cols):
            return pd.DataFrame(columns=ALERT_FIELDS), pd.DataFrame(columns=ALERT_FIELDS)
        sel = _select(cols, ALERT_FIELDS)
        open_only = "AND coalesce(status, 'open') = 'open'" if "status" in cols else ""
        alerts = con.execute(
            f"SELECT {sel} FROM quality_alerts WHERE day = ? AND kind <> 'bias' {open_only} "
            "ORDER BY alert_id",
            [day],
        ).df()
        bias = con.execute(
            f"SELECT {sel} FROM quality_alerts WHERE kind = 'bias' {open_only} AND day = "
            "(SELECT max(day) FROM quality_alerts WHERE kind = 'bias' AND day BETWEEN ? AND ?) "
            "ORDER BY alert_id",
            [day - dt.timedelta(days=6), day],
        ).df()
    return alerts, bias


def read_fairness(wh: Warehouse, day: dt.date) -> pd.DataFrame:
    """All rows of the latest complete audit week (week_start + 6 ≤ day, ≤ 2 weeks old)."""
    with wh.connect() as con:
        cols = table_columns(con, "fairness_audit")
        need = {"week_start", "attribute", "group_value", "metric", "n", "flagged"}
        if not need <= set(cols):
            return pd.DataFrame()
        return con.execute(
            "SELECT * FROM fairness_audit WHERE week_start = (SELECT max(week_start) FROM "
            "fairness_audit WHERE week_start BETWEEN ? AND ?)",
            [day - dt.timedelta(days=13), day - dt.timedelta(days=6)],
        ).df()


def read_first_seen(wh: Warehouse, day: dt.date) -> dict[str, dt.date]:
    """Earliest ``first_seen`` of every issue on days before ``day``."""
    with wh.connect() as con:
        if not {"issue_id", "first_seen", "day"} <= set(table_columns(con, "issue_priorities")):
            return {}
        rows = con.execute(
            "SELECT issue_id, min(first_seen) FROM issue_priorities WHERE day < ? GROUP BY 1", [day]
        ).fetchall()
    return {str(i): pd.Timestamp(d).date() for i, d in rows if d is not None}


def build_issue_priorities(wh: Warehouse, day: dt.date, settings: Settings) -> pd.DataFrame:
    clusters = wh.read_partition("failure_clusters", day)
    alerts, bias = read_alerts(wh, day)
    fairness = read_fairness(wh, day)
    frame = load_day_frame(wh, day)
    first_seen = read_first_seen(wh, day)
    members = wh.read_partition(
        "failure_cluster_members", day, columns=["interaction_id", "cluster_id"]
    )
    return compute_issue_priorities(
        day=day,
        clusters=clusters,
        alerts=alerts,
        bias_alerts=bias,
        fairness=fairness,
        frame=frame,
        first_seen=first_seen,
        settings=settings,
        members=members,
    )


def write_issue_priorities(wh: Warehouse, day: dt.date, table: pd.DataFrame) -> None:
    wh.replace_partition("issue_priorities", table, day, schema=duckdb_types(PRIORITY_COLUMNS))
