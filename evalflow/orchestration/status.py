"""``evalflow status``: the last runs, the open alerts by severity, the latest reports.

WHY read-only and forgiving: an operator runs this to find out what state the home
is in, including a home where nothing ran yet or another process holds the database;
each section says why it is empty instead of failing.
"""

from __future__ import annotations

import datetime as dt

from evalflow.config import Paths
from evalflow.orchestration.progress import elapsed

LATEST_ALERTS_SQL = """
SELECT severity, count(*) AS n FROM (
    SELECT status, severity,
           row_number() OVER (PARTITION BY alert_id ORDER BY day DESC) AS latest
    FROM quality_alerts
) WHERE latest = 1 AND status = 'open'
GROUP BY severity
"""
"""An alert's state is its row of the latest day it has (resolved rows close it)."""


def run_lines(paths: Paths, limit: int) -> list[str]:
    """The ``limit`` most recent runs of the project's Dagster instance, newest first."""
    if not (paths.dagster_home / "dagster.yaml").exists():
        return ["  no runs yet (no Dagster instance in this home)"]
    from evalflow.orchestration.instance import project_instance

    instance = project_instance(paths)
    try:
        records = instance.get_run_records(limit=limit)
    finally:
        instance.dispose()
    if not records:
        return ["  no runs yet"]
    lines = []
    for record in records:
        run = record.dagster_run
        began = record.start_time
        when = dt.datetime.fromtimestamp(began, dt.UTC).strftime("%Y-%m-%d %H:%M") if began else "-"
        took = elapsed(record.end_time - began) if began and record.end_time else "-"
        key = run.tags.get("dagster/partition", "-")
        lines.append(
            f"  {when} UTC  {run.status.value:<9} {run.job_name} {key}  ({took}, run {run.run_id[:8]})"
        )
    return lines


def alert_lines(paths: Paths) -> list[str]:
    """Open alerts counted by severity, worst first."""
    import duckdb

    from evalflow.alerts.common import SEVERITIES
    from evalflow.storage import Warehouse, WarehouseBusyError

    if not paths.database.exists():
        return ["  no warehouse yet"]
    wh = Warehouse(paths.database)
    try:
        if not wh.table_exists("quality_alerts"):
            return ["  no alerts table yet"]
        df = wh.query_df(LATEST_ALERTS_SQL)
    except (WarehouseBusyError, duckdb.Error, OSError) as exc:
        return [f"  (alerts unavailable: {str(exc).splitlines()[0]})"]
    counts = dict(zip(df["severity"], df["n"].astype(int), strict=True))
    if not counts:
        return ["  none open"]
    return [f"  {s}: {counts[s]}" for s in SEVERITIES if counts.get(s)]


def report_lines(paths: Paths) -> list[str]:
    """The newest daily and weekly report files."""
    lines = []
    for sub in ("daily", "weekly"):
        found = sorted((paths.reports / sub).glob("*.html"))
        if found:
            lines.append(f"  {sub}: {found[-1]} ({len(found)} in all)")
    return lines or ["  no reports yet"]


def status_lines(paths: Paths, limit: int = 10) -> list[str]:
    """Everything ``evalflow status`` prints."""
    lines = [f"evalflow home: {paths.home}", f"last {limit} run(s):"]
    lines += run_lines(paths, limit)
    lines += ["open alerts by severity:", *alert_lines(paths)]
    lines += ["latest reports:", *report_lines(paths)]
    return lines


__all__ = ["status_lines"]
