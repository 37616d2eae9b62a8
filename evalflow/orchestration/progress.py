"""What ``evalflow run`` prints: dbt-style step lines, a timed summary, the open alerts.

WHY a module of its own: the range runner only decides what to run; turning a run's
Dagster event log into lines a person reads is plain, testable formatting.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
}
STATUS_OF = {"STEP_SUCCESS": "OK", "STEP_FAILURE": "ERROR", "STEP_SKIPPED": "SKIP"}
ALERT_FLOOR = "medium"


@dataclass(frozen=True)
class StepLine:
    step: str
    status: str
    seconds: float | None


def step_lines(records: Iterable[dg.EventLogEntry]) -> list[StepLine]:
    """One line per finished step, in the order steps finished (from the run's event log)."""
    started: dict[str, float] = {}
    lines: list[StepLine] = []
    for record in sorted(records, key=lambda r: r.timestamp):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in STATUS_OF:
            begun = started.get(event.step_key)
            seconds = record.timestamp - begun if begun is not None else None
            lines.append(StepLine(event.step_key, STATUS_OF[event.event_type_value], seconds))
    return lines


def run_step_lines(instance: dg.DagsterInstance, run_id: str, total: int) -> list[str]:
    """``3 of 17 OK segment_kpis in 5.6 s`` for every finished step of ``run_id``."""
    records = instance.all_logs(run_id, of_type=STEP_EVENTS)
    out = []
    for i, line in enumerate(step_lines(records), start=1):
        took = f" in {line.seconds:.1f} s" if line.seconds is not None else ""
        out.append(f"    {i} of {total} {line.status} {line.step}{took}")
    return out


def elapsed(seconds: float) -> str:
    """``42.0 s``, ``3 min 05 s`` or ``1 h 02 min``: the unit a person expects."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _shorten(text: str, width: int = 110) -> str:
    """The first line of ``text``, cut at a word boundary (never mid-word)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return textwrap.shorten(first, width=width, placeholder=" …")


def open_alert_lines(database: Path, days: list[dt.date], floor: str = ALERT_FLOOR) -> list[str]:
    """Open alerts of ``days`` at or above ``floor``, worst first; a line saying why if unread.

    WHY: an empty day's pipeline succeeds, so its "ok" would hide the freshness alert
    that says the day had no traffic.
    """
    import duckdb
    import pandas as pd

    from evalflow.alerts.common import SEVERITIES, SEVERITY_RANK
    from evalflow.storage import Warehouse, WarehouseBusyError

    wanted = list(SEVERITIES[: SEVERITY_RANK[floor] + 1])
    wh = Warehouse(database)
    try:
        if not wh.table_exists("quality_alerts") or not days:
            return []
        df = wh.query_df(
            "SELECT day, severity, kind, metric, segment_key, segment_value, evidence "
            "FROM quality_alerts WHERE status = 'open' AND day BETWEEN ? AND ? "
            "ORDER BY day, kind, metric",
            [min(days), max(days)],
        )
    except (WarehouseBusyError, duckdb.Error, OSError) as exc:
        return [f"  (open alerts unavailable: {str(exc).splitlines()[0]})"]
    df["day"] = pd.to_datetime(df["day"]).dt.date
    df = df[df["day"].isin(set(days)) & df["severity"].isin(wanted)]
    df = df.assign(_rank=df["severity"].map(SEVERITY_RANK)).sort_values(["_rank", "day"])
    lines = []
    for row in df.itertuples():
        shown = row.segment_key and row.segment_key != "overall"
        segment = f" [{row.segment_key}={row.segment_value}]" if shown else ""
        evidence = _shorten(str(row.evidence or ""))
        lines.append(
            f"  {row.severity.upper():8} {row.day} {row.kind} {row.metric}{segment}: {evidence}"
        )
    return lines


class LiveSteps:
    """Print a run's step lines while it runs (polling its event log), then the rest.

    WHY polling: ``execute_in_process`` returns only when the run ends; the event log
    is written as steps finish, so a background reader can show them as they happen.
    """

    def __init__(
        self, instance: dg.DagsterInstance, run_id: str, total: int, interval_s: float = 1.0
    ) -> None:
        import threading

        self.instance, self.run_id, self.total, self.interval_s = (
            instance,
            run_id,
            total,
            interval_s,
        )
        self.shown = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="evalflow-steps", daemon=True)

    def flush(self) -> None:
        """Print the finished steps not printed yet (thread-safe, never twice)."""
        lines = run_step_lines(self.instance, self.run_id, self.total)
        with self._lock:
            for line in lines[self.shown :]:
                print(line, flush=True)
            self.shown = max(self.shown, len(lines))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.flush()
            except Exception:  # the run's log is not created yet; the final flush catches up
                continue

    def __enter__(self) -> LiveSteps:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:  # printing progress must never fail the run it describes
            print(f"    (step progress unavailable: {exc})", flush=True)
