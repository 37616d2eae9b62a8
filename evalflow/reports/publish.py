"""Write a rendered report where readers find it, and record it in the warehouse.

The file is written to a temporary name in the same folder and renamed over the
final path, so a reader (or a web server) never sees half a report and a failed
run leaves the previous version intact.

Unless ``reports.self_contained`` is set, plotly.js is not inlined: one copy of the
bundle shipped inside the installed ``plotly`` package is written once to
``reports/assets/plotly-<version>.min.js`` and every report loads it relatively
(still offline, ~4.8 MB saved per report). After each publish the report's
previous/next links, its neighbours' links and ``reports/index.html`` are rewritten
(``evalflow.reports.index``).
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
from plotly.offline import get_plotlyjs

from evalflow.orchestration.metadata import duckdb_types
from evalflow.reports import index
from evalflow.reports.render import Report, plotly_asset_name
from evalflow.storage.warehouse import Warehouse

_COMMON: dict[str, tuple[str, str]] = {
    "path": ("VARCHAR", "absolute path of the HTML file"),
    "generated_at": ("TIMESTAMP", "UTC time the report was rendered"),
    "sections": ("VARCHAR", "JSON {section: rendered|no_data}, in report order"),
    "size_bytes": (
        "BIGINT",
        "size of the HTML file (plotly.js inlined only when reports.self_contained is set)",
    ),
    "headline": ("VARCHAR", "JSON of the headline numbers (NULL values are unmeasured)"),
    "run_id": ("VARCHAR", "Dagster run that rendered the report (NULL outside Dagster)"),
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


def ensure_plotly_asset(reports_dir: Path) -> str:
    """Write the shared plotly.js once; return its URL relative to a daily/weekly report."""
    name = plotly_asset_name()
    target = reports_dir / "assets" / name
    bundle = get_plotlyjs()
    if not target.exists() or target.stat().st_size != len(bundle.encode("utf-8")):
        write_atomic(target, bundle)
    return f"../assets/{name}"


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


def report_row(
    report: Report,
    path: Path,
    size: int,
    generated_at: dt.datetime,
    run_id: str | None = None,
) -> pd.DataFrame:
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
                "run_id": run_id,
            }
        ]
    )


def publish(
    report: Report,
    reports_dir: Path,
    wh: Warehouse,
    generated_at: dt.datetime,
    run_id: str | None = None,
) -> Published:
    """Write the file, replace the report's row, then refresh the pager and the index."""
    path = report_path(reports_dir, report.kind, report.key)
    table, key_col = index.KINDS[report.kind]
    entries = _entries_with(index.list_reports(wh, report.kind), report, run_id)
    html = index.splice_nav(report.html, index.nav_html(entries, report.key)) or report.html
    size = write_atomic(path, html)
    row = report_row(report, path, size, generated_at, run_id)
    schema = DAILY_COLUMNS if report.kind == "daily" else WEEKLY_COLUMNS
    wh.replace_partition(table, row, report.key, partition_col=key_col, schema=duckdb_types(schema))
    _refresh_neighbours(reports_dir, wh, entries, report.key)
    write_index(reports_dir, wh, generated_at)
    return Published(path, size, row)


def _entries_with(
    entries: list[index.Entry], report: Report, run_id: str | None
) -> list[index.Entry]:
    """The recorded reports with this one added or replaced, oldest first."""
    mine = index.Entry(report.kind, report.key, report.headline, run_id)
    return sorted([e for e in entries if e.key != report.key] + [mine], key=lambda e: e.key)


def _refresh_neighbours(
    reports_dir: Path, wh: Warehouse, entries: list[index.Entry], key: dt.date
) -> None:
    """Rewrite the pager of the reports just before and after ``key`` (and their sizes)."""
    keys = [e.key for e in entries]
    i = keys.index(key)
    for j in (i - 1, i + 1):
        if not 0 <= j < len(entries):
            continue
        other = entries[j]
        path = report_path(reports_dir, other.kind, other.key)
        if not path.exists():
            continue
        html = index.splice_nav(
            path.read_text(encoding="utf-8"), index.nav_html(entries, other.key)
        )
        if html is None:  # written before the pager existed: leave it as it is
            continue
        size = write_atomic(path, html)
        table, key_col = index.KINDS[other.kind]
        wh.execute(f'UPDATE "{table}" SET size_bytes = ? WHERE "{key_col}" = ?', [size, other.key])


def write_index(reports_dir: Path, wh: Warehouse, generated_at: dt.datetime) -> Path:
    """``reports/index.html`` listing every recorded daily and weekly report."""
    html = index.index_html(
        index.list_reports(wh, "daily"), index.list_reports(wh, "weekly"), generated_at
    )
    target = reports_dir / "index.html"
    write_atomic(target, html)
    return target
