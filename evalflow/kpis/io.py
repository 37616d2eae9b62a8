"""Reading upstream tables defensively: only the columns that exist, never the text.

Upstream stages evolve independently; a column this stage can live without (an
optional signal, a segment key the logs never carried) is read as NULL instead of
failing the run. Missing tables read as empty frames (``Warehouse`` does that).
"""

from __future__ import annotations

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
