"""``evalflow run``'s engine: execute a range of partitions in this process, safely.

Runs execute in this process (one DuckDB writer) but are recorded in the project's
Dagster instance, so they show in the UI. Around the plain loop over the plan:

* before the first run, and every ``REAP_INTERVAL_S`` while running, runs whose
  process died are failed and their pool slots freed (``dead_runs``), so a killed
  earlier run cannot make this one wait forever;
* SIGINT/SIGTERM stop the range: the step in progress is aborted (Dagster), no
  further run starts, and the report says which partitions were done, interrupted
  or not started (``stopping``);
* a day that fails because another process holds the database stops the range (the
  next days would only wait and fail the same way);
* days outside the range that still hold ids which moved to a day of the range
  (last write wins across days) are rerun at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from evalflow.config import Paths, load_settings
from evalflow.orchestration.dead_runs import Reaped, owner_tags, reap_dead_runs
from evalflow.orchestration.plan import run_plan
from evalflow.orchestration.progress import LiveSteps, elapsed
from evalflow.orchestration.stopping import StopSignals

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
REAP_INTERVAL_S = float(os.environ.get("EVALFLOW_REAP_INTERVAL_S", "30"))
BUSY_ERROR = "WarehouseBusyError"
STEP_POLL_S = 1.0
"""How often the step lines of the run in progress are read from its event log."""


@dataclass
class Outcome:
    """What became of one planned (job, partition)."""

    job: str
    key: str
    status: str
    """``ok``, ``FAILED``, ``interrupted`` or ``not started``."""
    run_id: str = ""
    detail: str = ""

    def line(self) -> str:
        run = f" (run {self.run_id[:8]})" if self.run_id else ""
        return f"{self.job} {self.key}: {self.status}{run}{self.detail}"


@dataclass
class RangeReport:
    outcomes: list[Outcome] = field(default_factory=list)
    reaped: list[Reaped] = field(default_factory=list)
    stopped_by: str = ""
    exit_code: int = 0
    busy: str = ""
    """The one-line reason when another process held the warehouse."""
    seconds: float = 0.0
    """Wall time of the whole range."""

    def days(self) -> list[dt.date]:
        """The days this range ran a daily partition of (whose alerts to show)."""
        from evalflow.orchestration.jobs import DAILY_JOB

        return sorted({dt.date.fromisoformat(o.key) for o in self.outcomes if o.job == DAILY_JOB})

    def summary(self) -> str:
        """``Finished 9 run(s) in 3 min 05 s: 8 ok, 1 FAILED``."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in counts.items())
        return f"Finished {len(self.outcomes)} run(s) in {elapsed(self.seconds)}: {parts or 'nothing to run'}"

    @property
    def failures(self) -> list[str]:
        return [o.line() for o in self.outcomes if o.status in {"FAILED", "interrupted"}]

    def stop_summary(self) -> list[str]:
        """What was and was not done, for a range that stopped early."""
        groups: dict[str, list[str]] = {}
        for o in self.outcomes:
            groups.setdefault(o.status, []).append(f"{o.job} {o.key}")
        lines = []
        for status, label in (
            ("ok", "done"),
            ("FAILED", "failed"),
            ("interrupted", "interrupted (its step was aborted; rerun it)"),
            ("not started", "not started"),
        ):
            if groups.get(status):
                lines.append(f"  {label}: {', '.join(groups[status])}")
        todo = [o.key for o in self.outcomes if o.status != "ok"]
        if todo:
            lines.append(f"  to finish: evalflow run --start {min(todo)} --end {max(todo)}")
        return lines


def _innermost_error(event: dg.DagsterEvent) -> tuple[str, str]:
    """(class name, first message line) of the user error under a step failure."""
    error = event.step_failure_data.error
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "", ""
    text = error.message.strip().splitlines()[0] if error.message.strip() else ""
    cls = error.cls_name or ""
    at = text.find(f"{cls}: ") if cls else -1
    if 0 <= at <= 40:  # "Cls: msg" or "module.Cls: msg"
        text = text[at + len(cls) + 2 :]
    return cls, text


def _outcome(job: str, key: str, result: dg.ExecuteInProcessResult) -> tuple[Outcome, str]:
    """The run's outcome, and the busy-warehouse message if that is why it failed."""
    failed = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    failed_checks = [
        f"{c.asset_key.to_user_string()}:{c.check_name}"
        for c in result.get_asset_check_evaluations()
        if not c.passed and c.severity.value == "ERROR"
    ]
    detail, busy = "", ""
    if failed:
        detail += f" failed steps: {', '.join(e.step_key or '?' for e in failed)}"
        cls, message = _innermost_error(failed[0])
        if message:
            detail += f" ({cls}: {message})" if cls else f" ({message})"
        busy = message if cls == BUSY_ERROR else ""
    if failed_checks:
        detail += f" failed checks: {', '.join(failed_checks)}"
    status = "ok" if result.success and not failed_checks else "FAILED"
    return Outcome(job, key, status, result.run_id, detail), busy


class _Periodic:
    """Reap dead runs on a background thread while this process runs its own."""

    def __init__(self, instance: dg.DagsterInstance, current: Callable[[], set[str]]) -> None:
        self.instance, self.current = instance, current
        self.found: list[Reaped] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="evalflow-reaper", daemon=True)

    def __enter__(self) -> _Periodic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(REAP_INTERVAL_S):
            try:
                self.found.extend(reap_dead_runs(self.instance, skip=self.current()))
            except Exception as exc:  # never let housekeeping kill the run
                print(f"  (dead-run check failed: {exc})", file=sys.stderr, flush=True)


class RangeRunner:
    """Execute a plan of (job, partition) runs; see the module docstring."""

    def __init__(
        self,
        paths: Paths,
        quiet: bool = False,
        after_day: Callable[[dt.date], None] | None = None,
    ) -> None:
        from evalflow.definitions import defs
        from evalflow.orchestration.instance import project_instance

        self.paths, self.quiet, self.after_day = paths, quiet, after_day
        load_settings(paths.config_file)  # fail fast on a bad config, before any run
        self.defs = defs
        self.instance = project_instance(paths)
        self.report = RangeReport()
        self.current: tuple[str, str, str] | None = None
        self.pending: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def run_one(self, job_name: str, key: str) -> Outcome:
        job = self.defs.resolve_job_def(job_name)
        run_id = str(uuid.uuid4())
        began = time.monotonic()
        self.say(f"{job_name} {key}: {len(job.graph.nodes)} steps")
        with self._lock:
            self.current = (job_name, key, run_id)
        live = LiveSteps(self.instance, run_id, len(job.graph.nodes), STEP_POLL_S)
        try:
            with live if not self.quiet else contextlib.nullcontext():
                result = self._execute(job, key, run_id)
        finally:
            with self._lock:
                self.current = None
        outcome, busy = _outcome(job_name, key, result)
        self.report.busy = self.report.busy or busy
        self.report.outcomes.append(outcome)
        self.say(f"  {outcome.line()} in {elapsed(time.monotonic() - began)}")
        return outcome

    def _execute(self, job: dg.JobDefinition, key: str, run_id: str) -> dg.ExecuteInProcessResult:
        return job.execute_in_process(
            partition_key=key,
            instance=self.instance,
            raise_on_error=False,
            run_id=run_id,
            tags=owner_tags(),
            run_config=QUIET_LOGS,  # the full event log is in the UI; the terminal a summary
        )

    def current_ids(self) -> set[str]:
        with self._lock:
            return {self.current[2]} if self.current else set()

    # -- the loop ------------------------------------------------------------
    def execute(self, plan: list[tuple[str, str]], stop: StopSignals) -> None:
        """Run ``plan`` in order until done, stopped by a signal, or the warehouse is busy."""
        from evalflow.orchestration.jobs import DAILY_JOB

        self.pending = list(plan)
        while self.pending:
            if stop.requested or self.report.busy:
                break
            job_name, key = self.pending.pop(0)
            stop.busy(True)
            try:
                outcome = self.run_one(job_name, key)
            finally:
                stop.busy(False)
            if stop.requested:
                if outcome.status != "ok":
                    outcome.status = "interrupted"
                break
            if job_name == DAILY_JOB and self.after_day is not None:
                self.after_day(dt.date.fromisoformat(key))
        self.report.outcomes.extend(Outcome(j, k, "not started") for j, k in self.pending)
        self.pending = []
        if stop.requested:
            self.report.stopped_by = stop.name
            self.report.exit_code = stop.exit_code

    def force_stop(self, signum: int) -> None:
        """The run did not end after the signal: release it, report, exit (watchdog thread)."""
        from evalflow.orchestration.dead_runs import release_run

        name = signal.Signals(signum).name
        with self._lock:
            current = self.current
        if current is not None:
            job, key, run_id = current
            release_run(self.instance, run_id, f"evalflow: stopped by {name}")
            self.report.outcomes.append(
                Outcome(job, key, "interrupted", run_id, " (did not stop in time; canceled)")
            )
        self.report.outcomes.extend(Outcome(j, k, "not started") for j, k in self.pending)
        print(f"\nevalflow: stopped by {name}", file=sys.stderr)
        for line in self.report.stop_summary():
            print(line, file=sys.stderr)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(128 + signum)

    def moved_id_days(self, done: set[str]) -> list[tuple[str, str]]:
        """Daily runs for days outside ``done`` that still hold ids re-sent onto another day."""
        from evalflow.orchestration.jobs import DAILY_JOB
        from evalflow.orchestration.landing import days_with_moved_ids
        from evalflow.storage import Warehouse

        stale = days_with_moved_ids(Warehouse(self.paths.database))
        extra = [(d, n) for d, n in stale.items() if d.isoformat() not in done]
        for day, n in extra:
            self.say(f"  {day}: {n} interaction(s) were re-sent dated another day; rerunning it")
        return [(DAILY_JOB, d.isoformat()) for d, _ in extra]


def run_range(
    paths: Paths,
    start: dt.date,
    end: dt.date,
    quiet: bool = False,
    after_day: Callable[[dt.date], None] | None = None,
) -> RangeReport:
    """Materialise every daily partition in the range, each whole week after its Sunday."""
    from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB

    began = time.monotonic()
    runner = RangeRunner(paths, quiet=quiet, after_day=after_day)
    runner.report.reaped = reap_dead_runs(runner.instance)
    for reaped in runner.report.reaped:
        runner.say(f"  cleaned up a dead run: {reaped.describe()}")
    has_weekly = any(j.name == WEEKLY_JOB for j in runner.defs.jobs or [])
    plan = run_plan(start, end, weekly=has_weekly)
    with (
        StopSignals(on_force=runner.force_stop) as stop,
        _Periodic(runner.instance, runner.current_ids) as periodic,
    ):
        runner.execute(plan, stop)
        if not runner.report.stopped_by and not runner.report.busy:
            done = {k for j, k in plan if j == DAILY_JOB}
            runner.execute(runner.moved_id_days(done), stop)
    runner.report.reaped.extend(periodic.found)
    for reaped in periodic.found:
        runner.say(f"  cleaned up a dead run: {reaped.describe()}")
    runner.report.seconds = time.monotonic() - began
    return runner.report
