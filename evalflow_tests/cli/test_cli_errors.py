from __future__ import annotations

import pytest

from evalflow.cli import _weeks_within, main, run_plan
from evalflow.config import Paths


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--start", "2026-02-30", "--end", "2026-03-01"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_reversed_range_is_refused(home: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--start", "2026-10-05", "--end", "2026-10-01"]) == 2
    assert "before --start" in capsys.readouterr().err


def test_invalid_config_stops_run_without_traceback(
    home: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    home.config_file.write_text("thresholds: {toxicity_rate_max: 2}\n", encoding="utf-8")
    assert main(["run", "--start", "2026-10-05", "--end", "2026-10-05"]) == 2
    err = capsys.readouterr().err
    assert "thresholds.toxicity_rate_max" in err
    assert "Traceback" not in err


def test_weeks_within_whole_weeks_only() -> None:
    import datetime as dt

    weeks = _weeks_within(dt.date(2026, 10, 5), dt.date(2026, 11, 1))
    assert [w.isoformat() for w in weeks] == [
        "2026-10-05",
        "2026-10-12",
        "2026-10-19",
        "2026-10-26",
    ]
    assert _weeks_within(dt.date(2026, 10, 6), dt.date(2026, 10, 12)) == []


def test_run_plan_audits_each_whole_week_right_after_its_sunday() -> None:
    import datetime as dt

    plan = run_plan(dt.date(2026, 10, 8), dt.date(2026, 10, 20))
    keys = [f"{job}:{key}" for job, key in plan]
    assert keys[0] == "daily_evaluation:2026-10-08"
    assert [k for k in keys if k.startswith("weekly")] == ["weekly_audit:2026-10-12"]
    sunday = keys.index("daily_evaluation:2026-10-18")
    assert keys[sunday + 1] == "weekly_audit:2026-10-12"
    assert keys[sunday + 2] == "daily_evaluation:2026-10-19"
    assert sum(k.startswith("daily") for k in keys) == 13
    assert all(
        j == "daily_evaluation"
        for j, _ in run_plan(dt.date(2026, 10, 12), dt.date(2026, 10, 18), weekly=False)
    )
