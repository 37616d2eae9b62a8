"""Last write wins across days: an id re-sent dated another day leaves its old day (#17 item 3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from evalflow.config import Paths, load_settings
from evalflow.definitions import defs
from evalflow.orchestration.landing import landing_day_requests
from evalflow.storage import Warehouse
from evalflow_tests.cli.procs import run

DAY1, DAY2 = "2026-10-05", "2026-10-06"


def _write(path: Path, records: list[tuple[str, str]], mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "interaction_id": iid,
                "timestamp": ts,
                "query": f"how do I reset my password ({iid})?",
                "response": "Open Settings, choose Security, then Reset password.",
            }
        )
        for iid, ts in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))


def _first_file(home: Paths) -> None:
    """Day 1 has d-0..49; day 2 has e-0..29 of its own."""
    day1 = [(f"d-{i}", f"{DAY1}T10:{i:02d}:00+00:00") for i in range(50)]
    day2 = [(f"e-{i}", f"{DAY2}T09:{i:02d}:00+00:00") for i in range(30)]
    _write(home.landing / "batch-1.jsonl", day1 + day2, mtime=1_790_000_000)


def _resend(home: Paths) -> None:
    """A later file re-sends d-0..9 with a timestamp on the next day."""
    again = [(f"d-{i}", f"{DAY2}T15:{i:02d}:00+00:00") for i in range(10)]
    _write(home.landing / "batch-2.jsonl", again, mtime=1_790_100_000)


def _keys(home: Paths) -> dict[str, str]:
    return {
        r.day.isoformat(): r.run_key
        for r in landing_day_requests(home, load_settings(home.config_file))
    }


def test_resend_changes_the_run_key_of_the_day_the_id_left(home: Paths) -> None:
    _first_file(home)
    before = _keys(home)
    _resend(home)
    after = _keys(home)
    assert set(after) == {DAY1, DAY2}
    assert after[DAY2] != before[DAY2]
    assert after[DAY1] != before[DAY1]  # day 1 has no record in the new file, yet it reruns
    assert _keys(home) == after  # unchanged folder: same keys, nothing runs twice


def test_unrelated_new_file_does_not_rerun_other_days(home: Paths) -> None:
    _first_file(home)
    before = _keys(home)
    _write(
        home.landing / "batch-3.jsonl",
        [("z-1", f"{DAY2}T12:00:00+00:00")],
        mtime=1_790_200_000,
    )
    after = _keys(home)
    assert after[DAY1] == before[DAY1] and after[DAY2] != before[DAY2]


@pytest.mark.e2e
@pytest.mark.slow
def test_resent_ids_end_on_exactly_one_day(home: Paths, instance: dg.DagsterInstance) -> None:
    _first_file(home)
    both = run(home, DAY1, DAY2)
    assert both.returncode == 0, both.stdout + both.stderr
    sensor = next(s for s in defs.sensors if s.name == "landing_files_sensor")

    def requested() -> dict[str, str]:
        context = dg.build_sensor_context(
            instance=instance, repository_def=defs.get_repository_def()
        )
        result = sensor(context)
        return {r.partition_key: r.run_key for r in result.run_requests}

    first_look = requested()
    _resend(home)
    second_look = requested()
    # the sensor asks for both days again: day 2 gained the ids, day 1 lost them
    assert {DAY1, DAY2} <= set(second_look)
    assert second_look[DAY1] != first_look[DAY1] and second_look[DAY2] != first_look[DAY2]

    # an operator who only runs the new day: `evalflow run` reruns the day the ids left
    rerun = run(home, DAY2, DAY2)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{DAY1}: 10 interaction(s) were re-sent dated another day; rerunning it" in rerun.stdout
    assert f"daily_evaluation {DAY1}: ok" in rerun.stdout

    wh = Warehouse(home.database)
    days = wh.query_df(
        "SELECT interaction_id, count(DISTINCT day) AS n_days, min(day) AS day "
        "FROM raw_interactions GROUP BY interaction_id"
    )
    assert len(days) == 80 and (days["n_days"] == 1).all()
    moved = days[days["interaction_id"].isin([f"d-{i}" for i in range(10)])]
    assert {str(d)[:10] for d in moved["day"]} == {DAY2}
    assert len(days[days["day"].astype(str).str[:10] == DAY1]) == 40
