"""Reading upstream tables defensively: only the columns that exist, never the text.

Upstream stages evolve independently; a column this stage can live without (an
optional signal, a segment key the logs never carried) is read as NULL instead of
failing the run. Missing tables read as empty frames (``Warehouse`` does that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from evalflow.storage.warehouse import Warehouse


def existing_columns(wh: Warehouse, table: str) -> list[str]:
    cols = wh.query_df(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    )
    return cols["column_name"].tolist()


def read_columns(
    wh: Warehouse,
    table: str,
    day: Any,
    wanted: Sequence[str],
    partition_col: str = "day",
    end: Any = None,
) -> pd.DataFrame:
    """``wanted`` columns of one partition (or of ``day..end``); absent columns are NULL."""
    have = set(existing_columns(wh, table))
    if not have:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in wanted})
    cols = [c for c in wanted if c in have]
    if end is None:
        df = wh.read_partition(table, day, partition_col=partition_col, columns=cols)
    else:
        df = wh.read_range(table, day, end, partition_col=partition_col, columns=cols)
    for c in wanted:
        if c not in df.columns:
            df[c] = None
    return df[list(wanted)]


CALIBRATION_COLUMNS = [
    "day",
    "criterion",
    "backend",
    "source",
    "n",
    "recall",
    "specificity",
    "human_positive_rate",
]


def read_judge_calibration(wh: Warehouse, day: Any) -> pd.DataFrame:
    """``judge_calibration`` rows of this traffic (source 'production') up to ``day``.

    Only judge backends (not the inter-rater 'human' rows); an absent table or column
    reads as no calibration, so KPIs are then reported uncorrected (and say so).
    """
    have = set(existing_columns(wh, "judge_calibration"))
    if not set(CALIBRATION_COLUMNS) <= have:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CALIBRATION_COLUMNS})
    return wh.query_df(
        "SELECT day, criterion, backend, source, n, recall, specificity, human_positive_rate "
        "FROM judge_calibration WHERE day <= ? AND source = 'production' AND backend <> 'human' "
        "ORDER BY day",
        [day],
    )


def read_kpi_history(wh: Warehouse, day: Any, days: int) -> pd.DataFrame:
    """``segment_kpis`` rows of the ``days`` days before ``day`` (for trailing baselines)."""
    d = pd.Timestamp(day).date()
    start, end = d - dt.timedelta(days=days), d - dt.timedelta(days=1)
    return wh.read_range("segment_kpis", start, end)
