"""Find runs whose process died (``kill -9``, OOM, a closed laptop) and release what they held.

A run killed without a chance to clean up stays STARTED in the instance forever and
keeps its slot in the ``duckdb`` concurrency pool (limit 1), so every later run waits
for it ("Step still blocked by limit for pool duckdb"). Dagster's run monitoring can
only tell that a run worker died if the run launcher can check worker health, and the
default launcher cannot. So evalflow records who runs each run and checks it itself:

* ``evalflow run`` tags its runs with its pid, host and process start time
  (``owner_tags``); other runs are found through the pid in their "Started process
  for run" / "Executing steps in process" engine events, on the host their code
  server runs on (daemon runs), or on this machine when the instance is SQLite;
* a run is dead when that host is this machine and the process is gone, a zombie, or a
  different process that started after the pid was recorded (pid reuse);
* ``reap_dead_runs`` marks dead runs failed (CANCELED if they were being canceled) and
  frees their concurrency slots and pending claims; it also frees slots still held by
  runs that already finished. ``evalflow run`` calls it before and while it runs, and
  the daemon's run monitoring does the same through ``LocalRunLauncher``.

A run whose owner cannot be determined, or lives on another host, is left alone: a
run wrongly declared dead would be far worse than one reported late.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import FINISHED_STATUSES, RunRecord
from dagster._core.storage.tags import GRPC_INFO_TAG

PID_TAG = "evalflow/pid"
HOST_TAG = "evalflow/host"
STARTED_TAG = "evalflow/process_started"
"""Epoch seconds the owning process started (Linux ``/proc``), to detect pid reuse."""

WATCHED_STATUSES = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
_CLOCK_SLACK_S = 2.0
"""``/proc`` start times are in clock ticks and boot time in whole seconds."""
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def process_started_at(pid: int) -> float | None:
    """When ``pid`` started (epoch seconds), where ``/proc`` can say."""
    fields, boot = _proc_stat(pid), _boot_time()
    if not fields or boot is None or len(fields) < 20:
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def owner_tags() -> dict[str, str]:
    """Tags ``evalflow run`` puts on its runs so that a later process can tell they died."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    started = process_started_at(os.getpid())
    if started is not None:
        tags[STARTED_TAG] = f"{started:.2f}"
    return tags


@dataclass(frozen=True)
class Owner:
    """The process that runs a run: pid, host, and when the pid was known to be it."""

    pid: int
    host: str
    seen_at: float
    """The process started no later than this (tag: its own start time; event: event time)."""

    @property
    def is_local(self) -> bool:
        return self.host in _LOCAL_NAMES or self.host == socket.gethostname()


def _grpc_host(tags: Mapping[str, str]) -> str | None:
    try:
        info = json.loads(tags[GRPC_INFO_TAG])
    except (KeyError, ValueError):
        return None
    return "localhost" if "socket" in info else info.get("host")


def _pid_from_events(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The newest engine event of the run that names the run worker's pid."""
    for entry in reversed(instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None and str(getattr(pid, "value", "")).isdigit():
            return int(pid.value), entry.timestamp
    return None


def _local_instance(instance: dg.DagsterInstance) -> bool:
    """A SQLite instance lives on this machine's disk, so its runs ran here.

    This covers runs recorded before evalflow tagged them (an older version, or
    ``dagster job execute``), whose pid is only in their engine events.
    """
    from dagster._core.storage.runs import SqliteRunStorage

    return isinstance(instance.run_storage, SqliteRunStorage)


def run_owner(instance: dg.DagsterInstance, record: RunRecord) -> Owner | None:
    """Who runs ``record``'s run, if that can be told at all."""
    tags = record.dagster_run.tags
    if tags.get(PID_TAG, "").isdigit() and tags.get(HOST_TAG):
        started = tags.get(STARTED_TAG)
        seen = float(started) if started else record.create_timestamp.timestamp()
        return Owner(int(tags[PID_TAG]), tags[HOST_TAG], seen)
    host = _grpc_host(tags) or ("localhost" if _local_instance(instance) else None)
    found = _pid_from_events(instance, record.dagster_run.run_id) if host else None
    if host is None or found is None:
        return None
    return Owner(found[0], host, found[1])


def process_gone(owner: Owner) -> str | None:
    """Why the owner is dead ("no process", "zombie", "pid reused"), or None if it lives."""
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return f"process {owner.pid} no longer exists"
    except PermissionError:
        pass  # it exists and belongs to another user
    fields = _proc_stat(owner.pid)
    if fields and fields[0] in {"Z", "X"}:
        return f"process {owner.pid} has exited (zombie)"
    started = process_started_at(owner.pid)
    if started is not None and started > owner.seen_at + _CLOCK_SLACK_S:
        return f"pid {owner.pid} now belongs to a process started after the run"
    return None


@dataclass(frozen=True)
class Reaped:
    """A run whose process was gone (or that had ended), and what was released."""

    run_id: str
    job: str
    partition: str
    status_before: str
    reason: str
    slots_freed: int

    def describe(self) -> str:
        return (
            f"{self.job} {self.partition} (run {self.run_id[:8]}, was {self.status_before}): "
            f"{self.reason}; freed {self.slots_freed} pool slot(s)"
        )


def _claims_of(instance: dg.DagsterInstance, run_id: str) -> tuple[int, int]:
    """(slots the run holds, steps it has queued for a slot) across all pools."""
    storage = instance.event_log_storage
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys()))
    held = {
        (k, c.step_key) for k, i in infos.items() for c in i.claimed_slots if c.run_id == run_id
    }
    queued = {
        (k, c.step_key) for k, i in infos.items() for c in i.pending_steps if c.run_id == run_id
    }
    return len(held), len(queued - held)


def _release(instance: dg.DagsterInstance, run_id: str) -> int:
    """Free the run's slots and queued claims; how many slots it held."""
    if not instance.event_log_storage.supports_global_concurrency_limits:
        return 0
    held, queued = _claims_of(instance, run_id)
    if held or queued:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return held


def _mark_dead(instance: dg.DagsterInstance, record: RunRecord, reason: str) -> Reaped:
    run = record.dagster_run
    message = f"evalflow: the run's process died without reporting an end ({reason})"
    if run.status == dg.DagsterRunStatus.CANCELING:
        instance.report_run_canceled(run, message)
    else:
        instance.report_run_failed(run, message)
    return Reaped(
        run.run_id,
        run.job_name,
        run.tags.get("dagster/partition", "-"),
        run.status.value,
        reason,
        _release(instance, run.run_id),
    )


def release_run(instance: dg.DagsterInstance, run_id: str, message: str) -> int:
    """Cancel a run this process owns but must abandon, and free what it holds."""
    run = instance.get_run_by_id(run_id)
    if run is not None and run.status not in FINISHED_STATUSES:
        instance.report_run_canceled(run, message)
    return _release(instance, run_id)


def reap_dead_runs(instance: dg.DagsterInstance, skip: set[str] | None = None) -> list[Reaped]:
    """End runs whose local process is gone and free every slot a finished run still holds.

    ``skip``: run ids the caller owns and knows to be alive (its own current run).
    """
    skip = skip or set()
    reaped: list[Reaped] = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=WATCHED_STATUSES)):
        if record.dagster_run.run_id in skip:
            continue
        owner = run_owner(instance, record)
        if owner is None or not owner.is_local:
            continue
        reason = process_gone(owner)
        if reason:
            reaped.append(_mark_dead(instance, record, reason))
    reaped.extend(_free_finished(instance, skip))
    return reaped


def _free_finished(instance: dg.DagsterInstance, skip: set[str]) -> list[Reaped]:
    """Slots held by runs that already ended (e.g. failed from the UI without cleanup)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    holders = storage.get_concurrency_run_ids() - skip
    if not holders:
        return []
    out = []
    for record in instance.get_run_records(
        dg.RunsFilter(run_ids=sorted(holders), statuses=FINISHED_STATUSES)
    ):
        run = record.dagster_run
        freed = _release(instance, run.run_id)
        if freed:
            out.append(
                Reaped(
                    run.run_id,
                    run.job_name,
                    run.tags.get("dagster/partition", "-"),
                    run.status.value,
                    "run had ended but still held its slots",
                    freed,
                )
            )
    return out


class LocalRunLauncher(DefaultRunLauncher):
    """The default launcher, plus a worker health check from the run's pid.

    With it, Dagster's run monitoring (``run_monitoring`` in ``dagster.yaml``) marks a
    run failed when its run worker, or the ``evalflow run`` process that executes it,
    has died; the monitoring daemon then frees the run's pool slots
    (``free_slots_after_run_end_seconds``). A run it cannot judge counts as running.
    """

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        record = self._instance.get_run_record_by_id(run.run_id) if self.has_instance else None
        owner = run_owner(self._instance, record) if record else None
        if owner is None or not owner.is_local:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "owner unknown or remote")
        reason = process_gone(owner)
        if reason:
            return CheckRunHealthResult(WorkerStatus.FAILED, reason)
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"process {owner.pid} alive")
