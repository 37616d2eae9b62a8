"""The partition set's start comes from configuration; a date outside it is one clear line."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from evalflow.cli import main
from evalflow.config import Paths, load_settings
from evalflow.partitions import PARTITIONS_START, range_problem
from evalflow_tests.cli.procs import env_for

PRINT_START = (
    "from evalflow.partitions import daily_partitions as d; print(d.get_first_partition_key())"
)


def _first_partition(home: Paths, **env: str) -> str:
    """The first daily partition as a fresh process (as Dagster's code server) sees it."""
    proc = subprocess.run(
        [sys.executable, "-c", PRINT_START],
        env=env_for(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _set_start(home: Paths, day: str) -> None:
    text = home.config_file.read_text(encoding="utf-8")
    assert "partitions_start: null" in text
    text = text.replace("partitions_start: null", f"partitions_start: {day}")
    home.config_file.write_text(text, encoding="utf-8")


def test_run_before_the_partition_start_names_the_setting(
    home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    first = dt.date.fromisoformat(PARTITIONS_START)
    before = (first - dt.timedelta(days=3)).isoformat()
    assert main(["run", "--start", before, "--end", before]) == 2
    err = capsys.readouterr().err
    assert "EVALFLOW_PARTITIONS_START" in err
    assert "Traceback" not in err and "DagsterUnknownPartitionError" not in err
    assert len(err.strip().splitlines()) == 1


def test_run_in_the_future_is_one_line(home: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    later = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)).isoformat()
    assert main(["run", "--start", later, "--end", later]) == 2
    err = capsys.readouterr().err
    assert "in the future" in err and len(err.strip().splitlines()) == 1


def test_range_problem_accepts_today_and_the_first_day() -> None:
    today = dt.date(2026, 12, 4)
    first = dt.date.fromisoformat(PARTITIONS_START)
    assert range_problem(first, today, today=today) is None
    assert range_problem(first, today + dt.timedelta(days=1), today=today) is not None


def test_partition_start_from_the_config_file(home: Paths) -> None:
    _set_start(home, "2026-09-01")
    assert load_settings(home.config_file).partitions_start == dt.date(2026, 9, 1)
    assert _first_partition(home) == "2026-09-01"


def test_environment_wins_over_the_config_file(home: Paths) -> None:
    _set_start(home, "2026-09-01")
    assert _first_partition(home, EVALFLOW_PARTITIONS_START="2024-06-01") == "2024-06-01"


def test_partition_start_defaults_without_setting(home: Paths) -> None:
    assert _first_partition(home) == "2025-01-01"
