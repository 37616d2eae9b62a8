"""The order ``evalflow run`` executes a date range in (plain Python, no Dagster import)."""

from __future__ import annotations

import datetime as dt


def weeks_within(start: dt.date, end: dt.date) -> list[dt.date]:
    """Mondays of the weeks that lie entirely inside [start, end]."""
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    weeks = []
    while monday + dt.timedelta(days=6) <= end:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


def run_plan(start: dt.date, end: dt.date, weekly: bool = True) -> list[tuple[str, str]]:
    """(job, partition) in the order the schedules would have run them.

    Every day in order; a whole week's audit right after its Sunday, so the following
    days' issue lists and reports see its findings (as in production, where the weekly
    schedule runs on Monday).
    """
    from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB

    week_after = {m + dt.timedelta(days=6): m for m in weeks_within(start, end)}
    plan: list[tuple[str, str]] = []
    day = start
    while day <= end:
        plan.append((DAILY_JOB, day.isoformat()))
        if weekly and day in week_after:
            plan.append((WEEKLY_JOB, week_after[day].isoformat()))
        day += dt.timedelta(days=1)
    return plan
