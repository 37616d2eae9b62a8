"""The length/latency sample is the hash-ordered prefix, with or without the cut-off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from evalflow.alerts.sources import numeric_sample
from evalflow.storage.warehouse import Warehouse

DAY = dt.date(2026, 10, 5)


def _seed(tmp_path: Path, n: int) -> Warehouse:
    wh = Warehouse(tmp_path / "w.duckdb")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "day": DAY,
            "interaction_id": [f"i-{i}" for i in range(n)],
            "query": ["q" * int(k) for k in rng.integers(1, 200, n)],
            "response": ["r" * int(k) for k in rng.integers(1, 900, n)],
            "latency_ms": rng.integers(100, 5000, n),
        }
    )
    wh.replace_partition("raw_interactions", frame, DAY)
    return wh


def _reference(wh: Warehouse, max_rows: int) -> pd.DataFrame:
    return wh.query_df(
        "SELECT length(query) AS query_length, length(response) AS response_length, "
        "CAST(latency_ms AS DOUBLE) AS latency_ms FROM raw_interactions "
        "WHERE day BETWEEN ? AND ? ORDER BY hash(interaction_id) LIMIT ?",
        [DAY, DAY, max_rows],
    )


def test_cut_off_keeps_exactly_the_rows_of_the_full_sort(tmp_path: Path) -> None:
    wh = _seed(tmp_path, 6000)
    got = numeric_sample(wh, DAY, DAY, 400)  # 6000 > 1.5 x 400: the cut-off path
    assert len(got) == 400
    pd.testing.assert_frame_equal(got, _reference(wh, 400), check_dtype=False)


def test_small_windows_take_every_row_or_the_full_sort(tmp_path: Path) -> None:
    wh = _seed(tmp_path, 500)
    assert len(numeric_sample(wh, DAY, DAY, 1000)) == 500
    pd.testing.assert_frame_equal(
        numeric_sample(wh, DAY, DAY, 400), _reference(wh, 400), check_dtype=False
    )
    assert numeric_sample(wh, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2), 10).empty
