"""Throughput benchmark of the simulator (``make bench``): one big day, generated and written.

The simulator has to be fast enough that a realistic production volume (a million
interactions a day) can be produced for load-testing the ingest stage; this measures
generation and the JSONL write separately so a regression shows where it is.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from evalflow.simulate.generator import generate
from evalflow.simulate.world import Period, pools
from evalflow.simulate.writer import write_table

BENCH_DAY = dt.date(2026, 10, 7)  # a Wednesday: full weekday volume


def bench(per_day: int = 1_000_000, seed: int = 7, scenario: str = "demo") -> dict[str, float]:
    """Generate one weekday of ``per_day`` interactions and write it as JSONL.

    Returns ``records``, ``generate_seconds``, ``write_seconds``, ``seconds`` (total,
    including the one-off user population and fragment pools), ``records_per_second``
    and ``bytes_written``.
    """
    began = time.perf_counter()
    pools()
    period = Period(BENCH_DAY, 1, per_day, seed, scenario)
    _ = period.users
    t_gen = time.perf_counter()
    batch = generate(period, 0)
    t_write = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="evalflow-bench-") as tmp:
        path = Path(tmp) / "part-0.jsonl"
        write_table(batch.records, path, "jsonl")
        size = path.stat().st_size
    done = time.perf_counter()
    records = batch.records.num_rows
    total = done - began
    return {
        "records": float(records),
        "setup_seconds": round(t_gen - began, 3),
        "generate_seconds": round(t_write - t_gen, 3),
        "write_seconds": round(done - t_write, 3),
        "seconds": round(total, 3),
        "records_per_second": round(records / total, 1) if total > 0 else 0.0,
        "bytes_written": float(size),
    }
