"""Runs whose process died are failed and their pool slots freed; live and remote ones are not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import dagster as dg
import pytest
from dagster._core.storage.tags import GRPC_INFO_TAG

from evalflow.config import Paths
from evalflow.orchestration.dead_runs import (
    HOST_TAG,
    PID_TAG,
    STARTED_TAG,
    LocalRunLauncher,
    owner_tags,
    process_gone,
    reap_dead_runs,
    run_owner,
)
from evalflow.orchestration.instance import DAGSTER_YAML, ensure_dagster_home

POOL = "duckdb"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run(instance: dg.DagsterInstance, tags: dict[str, str], claim: bool = True) -> str:
    """A STARTED run with ``tags`` that holds the pool's only slot."""
    run_id = str(uuid.uuid4())
    instance.add_run(
        dg.DagsterRun(
            job_name="daily_evaluation",
            run_id=run_id,
            status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "2026-10-05", **tags},
        )
    )
    if claim:
        storage = instance.event_log_storage
        storage.set_concurrency_slots(POOL, 1)
        assert storage.claim_concurrency_slot(POOL, run_id, "ingest_interactions").is_claimed
    return run_id


def _claims(instance: dg.DagsterInstance) -> list[str]:
    return [c.run_id for c in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots]


def _status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return run.status


def test_dead_local_run_is_failed_and_its_slot_freed(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, {PID_TAG: str(_dead_pid()), HOST_TAG: socket.gethostname()})
    assert _claims(instance) == [run_id]
    reaped = reap_dead_runs(instance)
    assert [r.run_id for r in reaped] == [run_id]
    assert reaped[0].slots_freed == 1 and "no longer exists" in reaped[0].reason
    assert _status(instance, run_id) == dg.DagsterRunStatus.FAILURE
    assert _claims(instance) == []
    # the slot can be claimed again by the next run
    assert instance.event_log_storage.claim_concurrency_slot(POOL, "next", "s").is_claimed
    assert reap_dead_runs(instance, skip={"next"}) == []  # nothing left to do


def test_live_and_remote_runs_are_left_alone(instance: dg.DagsterInstance) -> None:
    alive = _run(instance, owner_tags())
    remote = _run(
        instance, {PID_TAG: str(_dead_pid()), HOST_TAG: "other-host.example"}, claim=False
    )
    unknown = _run(instance, {}, claim=False)
    assert reap_dead_runs(instance) == []
    for run_id in (alive, remote, unknown):
        assert _status(instance, run_id) == dg.DagsterRunStatus.STARTED
    assert _claims(instance) == [alive]


def test_reused_pid_counts_as_dead(instance: dg.DagsterInstance) -> None:
    """Our own pid, but recorded as a process that started long before this one did."""
    if not os.path.exists(f"/proc/{os.getpid()}/stat"):
        pytest.skip("needs /proc to tell process start times")
    tags = {**owner_tags(), STARTED_TAG: "1000.0"}
    record = instance.get_run_record_by_id(_run(instance, tags, claim=False))
    assert record is not None
    owner = run_owner(instance, record)
    assert owner is not None and "started after the run" in (process_gone(owner) or "")


def test_finished_run_still_holding_a_slot_is_released(instance: dg.DagsterInstance) -> None:
    run_id = _run(instance, owner_tags())
    run = instance.get_run_by_id(run_id)
    assert run is not None
    instance.report_run_failed(run, "failed from the UI")  # the slot stays claimed
    assert _claims(instance) == [run_id]
    reaped = reap_dead_runs(instance)
    assert [(r.run_id, r.slots_freed) for r in reaped] == [(run_id, 1)]
    assert _claims(instance) == []


def test_daemon_runs_are_judged_by_their_engine_event_pid(instance: dg.DagsterInstance) -> None:
    from dagster._core.events import EngineEventData

    run_id = _run(instance, {GRPC_INFO_TAG: '{"host": "localhost", "port": 4000}'})
    run = instance.get_run_by_id(run_id)
    assert run is not None
    pid = _dead_pid()
    instance.report_engine_event(
        f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid)
    )
    record = instance.get_run_record_by_id(run_id)
    assert record is not None
    owner = run_owner(instance, record)
    assert owner is not None and owner.pid == pid and owner.is_local
    launcher = LocalRunLauncher()
    launcher.register_instance(instance)
    health = launcher.check_run_worker_health(run)
    assert health.status.value == "FAILED"
    assert [r.run_id for r in reap_dead_runs(instance)] == [run_id]


def test_project_instance_config_enables_run_monitoring(home: Paths) -> None:
    """New and old dagster.yaml files both get the launcher and run monitoring."""
    folder = home.dagster_home
    folder.mkdir(parents=True)
    (folder / "dagster.yaml").write_text(DAGSTER_YAML.split("run_launcher")[0], encoding="utf-8")
    ensure_dagster_home(home)
    instance = dg.DagsterInstance.from_config(str(folder))
    try:
        assert isinstance(instance.run_launcher, LocalRunLauncher)
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert "MONITORING" in instance.get_required_daemon_types()
    finally:
        instance.dispose()
    before = (folder / "dagster.yaml").read_text()
    ensure_dagster_home(home)  # idempotent
    assert (folder / "dagster.yaml").read_text() == before


def test_untagged_run_of_a_local_instance_is_judged_by_its_executor_pid(
    instance: dg.DagsterInstance,
) -> None:
    """A run killed under an older evalflow (no owner tags) must not block the pool forever."""
    from dagster._core.events import EngineEventData

    run_id = _run(instance, {})
    run = instance.get_run_by_id(run_id)
    assert run is not None
    pid = _dead_pid()
    instance.report_engine_event(
        f"Executing steps in process (pid: {pid})", run, EngineEventData.in_process(pid)
    )
    reaped = reap_dead_runs(instance)
    assert [(r.run_id, r.slots_freed) for r in reaped] == [(run_id, 1)]
    assert _claims(instance) == []
