"""Write a rendered report where readers find it, and record it in the warehouse.

The file is written to a temporary name in the same folder and renamed over the
final path, so a reader (or a web server) never sees half a report and a failed
run leaves the previous version intact.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalflow.orchestration.metadata import duckdb_types
from evalflow.reports.render import Report
from evalflow.storage.warehouse import Warehouse

_COMMON: dict[str, tuple[str, str]] = {
    "path": ("VARCHAR", "absolute path of the HTML file"),
    "generated_at": ("TIMESTAMP", "UTC time the report was rendered"),
    "sections": ("VARCHAR", "JSON {section: rendered|no_data}, in report order"),
    "size_bytes": ("BIGINT", "size of the HTML file (plotly.js is inlined once)"),
    "headline": ("VARCHAR", "JSON of the headline numbers (NULL values are unmeasured)"),
}
DAILY_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day the report covers (the partition)"),
    **_COMMON,
}
WEEKLY_COLUMNS: dict[str, tuple[str, str]] = {
    "week_start": ("DATE", "Monday of the week the report covers (the partition)"),
    **_COMMON,
}


@dataclass(frozen=True)
class Published:
    path: Path
    size_bytes: int
    row: pd.DataFrame


def report_path(reports_dir: Path, kind: str, key: dt.date) -> Path:
    """``reports/daily/YYYY-MM-DD.html`` or ``reports/weekly/YYYY-MM-DD.html`` (the Monday)."""
    if kind not in ("daily", "weekly"):
        raise ValueError(f"unknown report kind {kind!r}")
    return reports_dir / kind / f"{key.isoformat()}.html"


def write_atomic(path: Path, text: str) -> int:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def report_row(report: Report, path: Path, size: int, generated_at: dt.datetime) -> pd.DataFrame:
    key_col = "day" if report.kind == "daily" else "week_start"
    return pd.DataFrame(
        [
            {
                key_col: report.key,
                "path": str(path),
                "generated_at": pd.Timestamp(generated_at),
                "sections": json.dumps(report.section_status),
                "size_bytes": size,
                "headline": json.dumps(report.headline, default=_json_default, sort_keys=True),
            }
        ]
    )


def publish(
    report: Report, reports_dir: Path, wh: Warehouse, generated_at: dt.datetime
) -> Published:
    """Write the file, then replace the report's row in ``daily_report``/``weekly_report``."""
    path = report_path(reports_dir, report.kind, report.key)
    size = write_atomic(path, report.html)
    row = report_row(report, path, size, generated_at)
    if report.kind == "daily":
        wh.replace_partition("daily_report", row, report.key, schema=duckdb_types(DAILY_COLUMNS))
    else:
        wh.replace_partition(
            "weekly_report",
            row,
            report.key,
            partition_col="week_start",
            schema=duckdb_types(WEEKLY_COLUMNS),
        )
    return Published(path, size, row)
