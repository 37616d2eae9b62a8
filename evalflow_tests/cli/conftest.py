"""Fixtures of the CLI tests: one small simulated-and-run home shared by several files."""

from __future__ import annotations

import subprocess

import pytest

from evalflow.config import Paths
from evalflow_tests.cli.procs import EVALFLOW, env_for, run


@pytest.fixture(scope="session")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, subprocess.CompletedProcess[str]]:
    """A 50-interaction day followed by a day without traffic, run by the real CLI."""
    root = tmp_path_factory.mktemp("home")
    home = Paths(root)
    sim = subprocess.run(
        [EVALFLOW, "simulate", "--start", "2026-10-05", "--days", "1", "--per-day", "50"],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sim.returncode == 0, sim.stderr
    return home, run(home, "2026-10-05", "2026-10-06")
