"""The real daemon's run monitoring fails a run whose process died and frees its pool slot."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

import dagster as dg
import pytest

from evalflow.config import Paths
from evalflow.orchestration.dead_runs import HOST_TAG, PID_TAG
from evalflow.orchestration.instance import ensure_dagster_home
from evalflow_tests.orchestration.daemon import start_daemon, stop_daemon


@pytest.mark.slow
def test_monitoring_daemon_reaps_a_killed_run(home: Paths) -> None:
    folder = ensure_dagster_home(home)
    config = folder / "dagster.yaml"  # shorter intervals than production, same mechanism
    config.write_text(
        config.read_text()
        .replace("poll_interval_seconds: 30", "poll_interval_seconds: 3")
        .replace("free_slots_after_run_end_seconds: 30", "free_slots_after_run_end_seconds: 3"),
        encoding="utf-8",
    )
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_id = str(uuid.uuid4())
    instance = dg.DagsterInstance.from_config(str(folder))
    try:
        instance.add_run(
            dg.DagsterRun(
                job_name="daily_evaluation",
                run_id=run_id,
                status=dg.DagsterRunStatus.STARTED,
                tags={PID_TAG: str(gone.pid), HOST_TAG: socket.gethostname()},
            )
        )
        instance.event_log_storage.set_concurrency_slots("duckdb", 1)
        assert instance.event_log_storage.claim_concurrency_slot("duckdb", run_id, "s").is_claimed
    finally:
        instance.dispose()

    env = {k: v for k, v in os.environ.items()}
    env.update(EVALFLOW_HOME=str(home.home), DAGSTER_HOME=str(folder))
    daemon = start_daemon(env)
    try:
        status, claims = "", ["?"]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            inst = dg.DagsterInstance.from_config(str(folder))
            try:
                run = inst.get_run_by_id(run_id)
                status = run.status.value if run else ""
                info = inst.event_log_storage.get_concurrency_info("duckdb")
                claims = [c.run_id for c in info.claimed_slots]
            finally:
                inst.dispose()
            if status == "FAILURE" and not claims:
                break
            time.sleep(2)
        assert status == "FAILURE", status
        assert claims == [], claims
    finally:
        stop_daemon(daemon)
