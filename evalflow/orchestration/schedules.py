"""Schedules: yesterday's daily evaluation every morning, last week's audit on Mondays.

Hand-written rather than ``build_schedule_from_partitioned_job`` because the daily
partitions include today (``end_offset=1``, so late-arriving data and manual runs of
today work), while the schedule must always target the completed day before.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from evalflow.config import ConfigError, load_settings
from evalflow.config.settings import ScheduleSettings
from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB


def daily_partition_for(tick: dt.datetime) -> str:
    """The partition a tick at ``tick`` evaluates: the previous calendar day."""
    return (tick.date() - dt.timedelta(days=1)).isoformat()


def weekly_partition_for(tick: dt.datetime) -> str:
    """The Monday of the last completed Monday-to-Sunday week before ``tick``."""
    this_monday = tick.date() - dt.timedelta(days=tick.weekday())
    return (this_monday - dt.timedelta(days=7)).isoformat()


def _configured_schedule() -> ScheduleSettings:
    """Schedule hours from the config; an invalid file must not stop the UI from loading."""
    try:
        return load_settings().schedules
    except ConfigError:
        return ScheduleSettings()


def build_schedules(settings: ScheduleSettings | None = None) -> list[dg.ScheduleDefinition]:
    sched = settings or _configured_schedule()

    @dg.schedule(
        name="daily_evaluation_schedule",
        cron_schedule=f"0 {sched.daily_hour} * * *",
        execution_timezone=sched.timezone,
        job_name=DAILY_JOB,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Evaluates yesterday's traffic every morning.",
    )
    def daily_evaluation_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = daily_partition_for(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"daily:{key}", partition_key=key)

    @dg.schedule(
        name="weekly_audit_schedule",
        cron_schedule=f"0 {sched.weekly_hour} * * 1",
        execution_timezone=sched.timezone,
        job_name=WEEKLY_JOB,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Audits last week (fairness, model comparison, weekly report) on Mondays.",
    )
    def weekly_audit_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        key = weekly_partition_for(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"weekly:{key}", partition_key=key)

    return [daily_evaluation_schedule, weekly_audit_schedule]
