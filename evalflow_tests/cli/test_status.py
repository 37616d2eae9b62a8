"""``evalflow status`` reads the home: last runs, open alerts by severity, latest reports."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from evalflow.cli import main
from evalflow.config import Paths
from evalflow_tests.cli.procs import EVALFLOW, env_for


def _status(home: Paths, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVALFLOW, "status", *extra],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_status_after_a_run(ran: tuple[Paths, subprocess.CompletedProcess[str]]) -> None:
    home, done = ran
    assert done.returncode == 0, done.stderr
    proc = _status(home)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    runs = [line for line in out.splitlines() if "SUCCESS" in line and "daily_evaluation" in line]
    assert len(runs) == 2
    assert "2026-10-06" in runs[0] and "2026-10-05" in runs[1]  # newest first
    alerts = out.split("open alerts by severity:")[1].split("latest reports:")[0]
    assert "high:" in alerts  # the empty day's freshness alert at least
    assert str(home.reports / "daily" / "2026-10-06.html") in out


def test_status_limit_bounds_the_runs_listed(
    ran: tuple[Paths, subprocess.CompletedProcess[str]],
) -> None:
    home, _ = ran
    out = _status(home, "--limit", "1").stdout
    assert len([line for line in out.splitlines() if "daily_evaluation" in line]) == 1


def test_status_on_an_empty_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVALFLOW_HOME", str(tmp_path))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "no runs yet" in out and "no warehouse yet" in out and "no reports yet" in out
    assert not (tmp_path / "dagster_home").exists()  # status does not create an instance
