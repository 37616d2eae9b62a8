"""Warehouse reads and writes of the fairness audit.

The week's seven daily partitions of ``raw_interactions``, ``sampled_interactions`` and
``judge_scores`` are read from DuckDB with ``Warehouse.read_range`` (never from the
landing files, which ingest has already validated and deduplicated), selecting only
the columns the audit uses: a week of traffic is millions of rows and the texts are
the bulk of it. Upstream tables or columns that do not exist yet read as empty.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.config.settings import Settings
from evalflow.fairness.audit import JUDGE_COLUMNS, RAW_BASE_COLUMNS, SAMPLE_COLUMNS
from evalflow.fairness.bias_alerts import KIND, WEEK_DAYS
from evalflow.fairness.groups import segment_column
from evalflow.fairness.schema import COLUMNS
from evalflow.orchestration.metadata import duckdb_types
from evalflow.storage.warehouse import Warehouse

AUDIT_TABLE = "fairness_audit"
ALERTS_TABLE = "quality_alerts"


def table_columns(wh: Warehouse, table: str) -> list[str]:
    """Columns of a table in definition order; empty when the table does not exist."""
    df = wh.query_df(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    )
    return [str(c) for c in df["column_name"]]


def audit_keys(settings: Settings) -> list[str]:
    """Every segment key the audit groups by (attributes and both sides of intersections)."""
    keys = list(settings.audit_attributes)
    for pair in settings.fairness.intersections:
        keys.extend(str(k) for k in pair)
    return list(dict.fromkeys(keys))


def _read(
    wh: Warehouse, table: str, wanted: list[str], monday: dt.date, sunday: dt.date
) -> pd.DataFrame:
    have = set(table_columns(wh, table))
    if not {"day", "interaction_id"} <= have:
        return pd.DataFrame(columns=wanted)
    cols = [c for c in wanted if c in have]
    return wh.read_range(table, monday, sunday, columns=cols)


def load_week(
    wh: Warehouse, monday: dt.date, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(raw_interactions, sampled_interactions, judge_scores) rows of Monday..Sunday."""
    sunday = monday + dt.timedelta(days=WEEK_DAYS - 1)
    raw_cols = RAW_BASE_COLUMNS + [segment_column(k) for k in audit_keys(settings)]
    raw = _read(wh, "raw_interactions", raw_cols, monday, sunday)
    sampled = _read(wh, "sampled_interactions", SAMPLE_COLUMNS, monday, sunday)
    judges = _read(wh, "judge_scores", JUDGE_COLUMNS, monday, sunday)
    if judges.empty or not {"criterion", "status", "passed"} <= set(judges.columns):
        judges = pd.DataFrame(columns=JUDGE_COLUMNS)
    if sampled.empty or not {"inclusion_prob", "weight"} & set(sampled.columns):
        sampled = pd.DataFrame(columns=SAMPLE_COLUMNS)
    for col in SAMPLE_COLUMNS:
        if col not in sampled.columns:
            sampled[col] = pd.Series(dtype="float64")
    return raw, sampled, judges


def read_previous_bias_alerts(wh: Warehouse, sunday: dt.date) -> pd.DataFrame:
    """``quality_alerts`` bias rows of the previous audit Sunday (empty if none or no table)."""
    have = table_columns(wh, ALERTS_TABLE)
    if not set(ALERT_COLUMNS) <= set(have):
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    cols = ", ".join(f'"{c}"' for c in ALERT_COLUMNS)
    return wh.query_df(
        f"SELECT {cols} FROM {ALERTS_TABLE} WHERE kind = ? AND day = ?",
        [KIND, sunday - dt.timedelta(days=WEEK_DAYS)],
    )


def write_audit(wh: Warehouse, monday: dt.date, table: pd.DataFrame) -> int:
    return wh.replace_partition(
        AUDIT_TABLE, table, monday, partition_col="week_start", schema=duckdb_types(COLUMNS)
    )


def write_bias_alerts(wh: Warehouse, sunday: dt.date, alerts: pd.DataFrame) -> int:
    """Replace only the ``kind='bias'`` rows of the Sunday; the daily alerts own the rest."""
    return wh.replace_partition(
        ALERTS_TABLE,
        alerts,
        sunday,
        schema=duckdb_types(ALERT_COLUMNS),
        extra_where=("kind = ?", [KIND]),
    )
