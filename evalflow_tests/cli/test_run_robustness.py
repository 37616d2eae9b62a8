"""``evalflow run`` as a real process: killed runs, stop signals and a foreign DuckDB reader.

Each test runs the CLI in a subprocess on a real Dagster instance under a temporary
``EVALFLOW_HOME`` and bounds it with a subprocess timeout, so a hang fails the test.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from evalflow.cli import main
from evalflow.config import Paths
from evalflow.storage import Warehouse
from evalflow_tests.cli.procs import (
    RUN_TIMEOUT_S,
    instance_of,
    run,
    run_holding_slot,
    start_run,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DAY1, DAY2, DAY3 = "2026-10-05", "2026-10-06", "2026-10-07"


def _simulate(days: int, per_day: int = 30) -> None:
    args = ["simulate", "--start", DAY1, "--days", str(days), "--per-day", str(per_day)]
    assert main([*args, "--seed", "5", "--scenario", "quiet"]) == 0


def _claims(home: Paths) -> list[str]:
    instance = instance_of(home)
    try:
        return [
            c.run_id
            for c in instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
        ]
    finally:
        instance.dispose()


def _statuses(home: Paths) -> dict[str, tuple[str, str]]:
    """run id -> (partition, status)."""
    instance = instance_of(home)
    try:
        return {
            r.run_id: (r.tags.get("dagster/partition", ""), r.status.value)
            for r in instance.get_runs()
        }
    finally:
        instance.dispose()


def test_run_after_kill_9_frees_the_dead_runs_slot(home: Paths, tmp_path: Path) -> None:
    _simulate(days=1)
    first = start_run(home, DAY1, DAY1, tmp_path / "first")
    try:
        dead = str(wait_until(run_holding_slot(home, DAY1), first, RUN_TIMEOUT_S))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the state the issue reproduced: a STARTED run that nobody runs, holding the slot
    assert _statuses(home)[dead] == (DAY1, "STARTED")
    assert _claims(home) == [dead]

    second = run(home, DAY1, DAY1)  # bounded: a wait on the pool fails here, not hangs

    assert second.returncode == 0, second.stdout + second.stderr
    assert f"cleaned up a dead run: daily_evaluation {DAY1} (run {dead[:8]}" in second.stdout
    assert "no longer exists" in second.stdout and "freed 1 pool slot(s)" in second.stdout
    assert f"daily_evaluation {DAY1}: ok" in second.stdout
    assert _statuses(home)[dead] == (DAY1, "FAILURE")
    assert _claims(home) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_stops_the_range_and_says_what_was_done(
    home: Paths, tmp_path: Path, signum: signal.Signals
) -> None:
    _simulate(days=3)
    proc = start_run(home, DAY1, DAY3, tmp_path / "run")
    try:
        wait_until(run_holding_slot(home, DAY2), proc, RUN_TIMEOUT_S)
        proc.send_signal(signum)
        rc = proc.wait(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = (tmp_path / "run.out").read_text()
    err = (tmp_path / "run.err").read_text()
    assert rc == 128 + signum, out + err
    assert f"stopped by {signum.name}" in err
    assert f"done: daily_evaluation {DAY1}" in err
    assert f"not started: daily_evaluation {DAY3}" in err
    assert f"daily_evaluation {DAY2}" in err  # interrupted, or done if it was on its last step
    assert f"evalflow run --start {DAY2}" in err or f"--end {DAY3}" in err
    assert "Traceback" not in out + err
    runs = _statuses(home)
    assert DAY3 not in {p for p, _ in runs.values()}  # no further day was started
    assert all(s in {"SUCCESS", "FAILURE", "CANCELED"} for _, s in runs.values()), runs
    assert _claims(home) == []  # nothing left holding the pool


# -- a notebook holding the database read-only ------------------------------------
_HOLDER = """
import sys, time, duckdb
deadline = time.monotonic() + 600
while True:  # the run connects and disconnects all the time: take the file in a gap
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
        break
    except duckdb.IOException:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print("released", flush=True)
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_run_waits_for_a_reader_that_closes_in_time(home: Paths, tmp_path: Path) -> None:
    _simulate(days=1)
    proc = start_run(home, DAY1, DAY1, tmp_path / "run")
    holder = None
    try:
        # once the run writes, a reader takes the file for 8 s in the middle of the run
        wait_until(run_holding_slot(home, DAY1), proc, RUN_TIMEOUT_S)
        wait_until(lambda: home.database.exists(), proc, RUN_TIMEOUT_S)
        holder = _holder(home.database, 8)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        assert proc.poll() is None  # the reader held the file while the run was running
        rc = proc.wait(timeout=RUN_TIMEOUT_S)
    finally:
        if holder is not None:
            holder.wait(timeout=120)
        if proc.poll() is None:
            proc.kill()
    out = (tmp_path / "run.out").read_text()
    err = (tmp_path / "run.err").read_text()
    assert rc == 0, out + err
    assert f"daily_evaluation {DAY1}: ok" in out
    assert "Traceback" not in out + err


def test_reader_past_the_timeout_fails_in_one_clear_line(home: Paths, tmp_path: Path) -> None:
    _simulate(days=2)
    Warehouse(home.database).execute("CREATE TABLE IF NOT EXISTS notebook_scratch (x INTEGER)")
    holder = _holder(home.database, 600)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        done = run(home, DAY1, DAY2, EVALFLOW_DB_BUSY_TIMEOUT="1")
    finally:
        holder.kill()
        holder.wait()
    text = done.stdout + done.stderr
    assert done.returncode == 1, text
    assert "Traceback" not in text
    assert f"held open by process {holder.pid}" in done.stderr
    assert "Close that connection" in done.stderr
    assert f"not started: daily_evaluation {DAY2}" in done.stderr  # it did not try every day
    assert f"to finish: evalflow run --start {DAY1} --end {DAY2}" in done.stderr
    assert "row counts unavailable" in done.stdout


def test_stop_signal_while_blocked_on_the_pool_still_exits(home: Paths, tmp_path: Path) -> None:
    """The issue's "SIGTERM ignored": the run waits for a slot a live run holds."""
    import uuid

    import dagster as dg

    from evalflow.orchestration.dead_runs import owner_tags
    from evalflow.orchestration.instance import ensure_dagster_home

    _simulate(days=2)
    ensure_dagster_home(home)
    holder_id = str(uuid.uuid4())
    instance = instance_of(home)
    try:  # a live run (this test process) holds the pool's only slot
        instance.add_run(
            dg.DagsterRun(
                job_name="daily_evaluation",
                run_id=holder_id,
                status=dg.DagsterRunStatus.STARTED,
                tags=owner_tags(),
            )
        )
        instance.event_log_storage.set_concurrency_slots("duckdb", 1)
        assert instance.event_log_storage.claim_concurrency_slot(
            "duckdb", holder_id, "busy_step"
        ).is_claimed
    finally:
        instance.dispose()
    proc = start_run(home, DAY1, DAY2, tmp_path / "run", EVALFLOW_STOP_GRACE_S="3")

    def waiting_run() -> str | None:
        inst = instance_of(home)
        try:
            pending = inst.event_log_storage.get_concurrency_info("duckdb").pending_steps
            return next((p.run_id for p in pending if p.run_id != holder_id), None)
        finally:
            inst.dispose()

    try:
        blocked = str(wait_until(waiting_run, proc, RUN_TIMEOUT_S))
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = (tmp_path / "run.err").read_text()
    assert rc == 143, err
    assert f"interrupted (its step was aborted; rerun it): daily_evaluation {DAY1}" in err
    assert f"not started: daily_evaluation {DAY2}" in err
    runs = _statuses(home)
    assert runs[blocked][1] == "CANCELED"
    assert _claims(home) == [holder_id]  # the live run keeps its slot, the canceled one left
