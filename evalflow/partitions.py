"""The two time grains of evalflow: a day of traffic and a Monday-to-Sunday week."""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

# History can be backfilled from this date; override for older logs.
PARTITIONS_START = os.environ.get("EVALFLOW_PARTITIONS_START", "2025-01-01")

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
