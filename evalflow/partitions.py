"""The two time grains of evalflow: a day of traffic and a Monday-to-Sunday week."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

DEFAULT_PARTITIONS_START = "2025-01-01"
START_SETTING = "EVALFLOW_PARTITIONS_START (or partitions_start in evalflow.yaml)"


def configured_start() -> str:
    """The first partition day: ``EVALFLOW_PARTITIONS_START``, else the config, else a default.

    WHY not the first landed day: the landing folder can hold thousands of files of
    any format, and this runs every time Dagster loads the definitions, so reading it
    here is not cheap. An invalid config falls back to the default here; every command
    that runs the pipeline validates the config itself and names the bad key.
    """
    env = os.environ.get("EVALFLOW_PARTITIONS_START")
    if env:
        return env
    from evalflow.config import ConfigError, load_settings

    try:
        start = load_settings().partitions_start
    except ConfigError:
        start = None
    return start.isoformat() if start else DEFAULT_PARTITIONS_START


# History can be backfilled from this date; set it to where your logs begin.
PARTITIONS_START = configured_start()

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
"""One partition per UTC day; ``end_offset=1`` lets today's partial day be run too."""

weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=PARTITIONS_START, day_offset=1, end_offset=0
)
"""Weeks start on Monday (the spec names weekly reports by their Monday)."""


def day_of(partition_key: str) -> dt.date:
    return dt.date.fromisoformat(partition_key)


def week_days(week_key: str) -> list[dt.date]:
    monday = dt.date.fromisoformat(week_key)
    return [monday + dt.timedelta(days=i) for i in range(7)]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def range_problem(start: dt.date, end: dt.date, today: dt.date | None = None) -> str | None:
    """Why ``start..end`` is not inside the daily partition set, or None when it is.

    WHY: Dagster answers an unknown partition with a raw traceback; the user needs to
    know which setting moves the start.
    """
    first = dt.date.fromisoformat(PARTITIONS_START)
    last = today or dt.datetime.now(dt.UTC).date()  # end_offset=1: today's partial day
    if start < first:
        return (
            f"--start {start} is before the first partition day {first}; "
            f"set {START_SETTING} to {start} or earlier"
        )
    if end > last:
        return f"--end {end} is in the future: the last day that can run is today, {last}"
    return None
