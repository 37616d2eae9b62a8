"""``evalflow run`` shows dbt-style step progress, a timed summary and the open alerts."""

from __future__ import annotations

import re
import subprocess

import pytest

from evalflow.config import Paths
from evalflow.orchestration.progress import elapsed, step_lines

STEP_LINE = re.compile(r"^\s+(\d+) of (\d+) (OK|ERROR|SKIP) (\w+) in \d+\.\d s$")


def test_every_step_gets_a_numbered_line(
    ran: tuple[Paths, subprocess.CompletedProcess[str]],
) -> None:
    _, proc = ran
    assert proc.returncode == 0, proc.stderr
    lines = [m for m in map(STEP_LINE.match, proc.stdout.splitlines()) if m]
    totals = {int(m.group(2)) for m in lines}
    assert len(totals) == 1
    total = totals.pop()
    assert len(lines) == 2 * total  # both days, every step
    assert [int(m.group(1)) for m in lines[:total]] == list(range(1, total + 1))
    steps = {m.group(4) for m in lines}
    assert {"segment_kpis", "quality_alerts", "daily_report"} <= steps


def test_summary_has_the_elapsed_time(ran: tuple[Paths, subprocess.CompletedProcess[str]]) -> None:
    _, proc = ran
    assert re.search(r"^Finished 2 run\(s\) in [\d. minhs]+: 2 ok$", proc.stdout, re.M)


def test_an_empty_day_shows_its_freshness_alert(
    ran: tuple[Paths, subprocess.CompletedProcess[str]],
) -> None:
    _, proc = ran
    assert "open alert(s) at or above medium severity" in proc.stdout
    alerts = [line for line in proc.stdout.splitlines() if " 2026-10-06 freshness " in line]
    assert alerts and alerts[0].split()[0] in {"CRITICAL", "HIGH", "MEDIUM"}


def test_no_alert_below_the_floor_is_printed(
    ran: tuple[Paths, subprocess.CompletedProcess[str]],
) -> None:
    _, proc = ran
    assert not [line for line in proc.stdout.splitlines() if line.startswith("  LOW ")]


def test_elapsed_uses_the_unit_a_person_expects() -> None:
    assert elapsed(5.61) == "5.6 s"
    assert elapsed(185) == "3 min 05 s"
    assert elapsed(3725) == "1 h 02 min"


def test_step_lines_time_each_step_from_its_start() -> None:
    from types import SimpleNamespace

    def record(kind: str, step: str, at: float) -> SimpleNamespace:
        event = SimpleNamespace(event_type_value=kind, step_key=step)
        return SimpleNamespace(timestamp=at, dagster_event=event)

    records = [
        record("STEP_START", "a", 10.0),
        record("STEP_SUCCESS", "a", 15.6),
        record("STEP_START", "b", 16.0),
        record("STEP_FAILURE", "b", 17.0),
        record("STEP_SKIPPED", "c", 17.5),
    ]
    lines = step_lines(reversed(records))  # type: ignore[arg-type]
    assert [(s.step, s.status) for s in lines] == [("a", "OK"), ("b", "ERROR"), ("c", "SKIP")]
    assert lines[0].seconds == pytest.approx(5.6)
    assert lines[2].seconds is None


def test_live_steps_print_each_finished_step_once(capsys: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    from evalflow.orchestration.progress import LiveSteps

    def record(kind: str, step: str, at: float) -> SimpleNamespace:
        return SimpleNamespace(
            timestamp=at, dagster_event=SimpleNamespace(event_type_value=kind, step_key=step)
        )

    log = [record("STEP_START", "a", 1.0), record("STEP_SUCCESS", "a", 2.0)]

    class Instance:
        def all_logs(self, run_id: str, of_type: object = None) -> list[SimpleNamespace]:
            return list(log)

    live = LiveSteps(Instance(), "r", total=2, interval_s=60)  # type: ignore[arg-type]
    live.flush()
    log += [record("STEP_START", "b", 2.0), record("STEP_SUCCESS", "b", 3.5)]
    with live:
        pass  # the exit flush prints what finished since
    out = capsys.readouterr().out.splitlines()
    assert out == ["    1 of 2 OK a in 1.0 s", "    2 of 2 OK b in 1.5 s"]
