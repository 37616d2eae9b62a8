"""Run ``evalflow`` as a real process and watch its Dagster instance from the test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from evalflow.config import Paths

EVALFLOW = str(Path(sys.executable).with_name("evalflow"))
RUN_TIMEOUT_S = 1200
"""A bound on one ``evalflow run`` subprocess: a hang fails the test instead of blocking it."""


def env_for(home: Paths, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(EVALFLOW_HOME=str(home.home), **extra)
    return env


def start_run(home: Paths, start: str, end: str, out: Path, **extra: str) -> subprocess.Popen[str]:
    """``evalflow run`` in the background, stdout and stderr to ``out``.{out,err}."""
    return subprocess.Popen(
        [EVALFLOW, "run", "--start", start, "--end", end],
        env=env_for(home, **extra),
        stdout=open(out.with_suffix(".out"), "w"),
        stderr=open(out.with_suffix(".err"), "w"),
        text=True,
    )


def run(home: Paths, start: str, end: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``evalflow run`` to completion (bounded by ``RUN_TIMEOUT_S``)."""
    return subprocess.run(
        [EVALFLOW, "run", "--start", start, "--end", end],
        env=env_for(home, **extra),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def instance_of(home: Paths) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home.dagster_home))


def wait_until(
    check: Callable[[], object], proc: subprocess.Popen[str] | None, seconds: float
) -> object:
    """Poll ``check`` until it returns something truthy; fail if ``proc`` ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"evalflow ended (rc {proc.returncode}) before the condition")
        try:
            found = check()
        except Exception:  # the instance or warehouse is not created yet
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("condition not reached in time")


def run_holding_slot(home: Paths, partition: str) -> Callable[[], str | None]:
    """A check: the id of a STARTED run of ``partition`` that holds a ``duckdb`` pool slot."""

    def check() -> str | None:
        if not (home.dagster_home / "storage").exists():
            return None
        instance = instance_of(home)
        try:
            claims = instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
            for claim in claims:
                run = instance.get_run_by_id(claim.run_id)
                if (
                    run is not None
                    and run.status == dg.DagsterRunStatus.STARTED
                    and run.tags.get("dagster/partition") == partition
                ):
                    return run.run_id
            return None
        finally:
            instance.dispose()

    return check
