"""Reading tables that are old, partial or hostile; writing the file atomically."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from evalflow.reports import render
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.reports.publish import publish, report_path, write_atomic
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx


def test_missing_columns_read_as_null_and_missing_key_columns_are_reported(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "evalflow.duckdb")
    old = fx.quality_alerts().drop(columns=["evidence", "consecutive_days"])
    wh.replace_partition("quality_alerts", old, fx.DAY)
    wh.replace_partition(
        "rollout_decisions", pd.DataFrame({"when": [fx.DAY]}), fx.DAY, partition_col="when"
    )
    ctx = load_daily_context(wh, fx.DAY)
    assert len(ctx["alerts"]) == 3 and ctx["alerts"]["evidence"].isna().all()
    assert ctx["rollout"].empty
    assert any("rollout_decisions lacks column(s) day" in e for e in ctx["load_errors"])
    html = render.render_daily(ctx)  # the report still renders, and says what it could not read
    assert "rollout_decisions lacks column(s) day" in html


def test_example_lookup_is_parameterised(tmp_path: Path) -> None:
    """Ids are data: a quote or SQL in an id is matched literally, never executed."""
    wh = Warehouse(tmp_path / "evalflow.duckdb")
    raw = fx.raw_interactions()
    raw.loc[1, "interaction_id"] = "x') OR 1=1 --"
    wh.replace_partition("raw_interactions", raw, fx.DAY)
    issues = fx.issue_priorities([fx.DAY]).assign(example_ids=json.dumps(["x') OR 1=1 --", "nope"]))
    wh.replace_partition("issue_priorities", issues, fx.DAY)
    ctx = load_daily_context(wh, fx.DAY)
    assert ctx["examples"] == {"x') OR 1=1 --": raw.loc[1, "query"]}


def test_weekly_reads_only_its_week_and_history(seeded_db: Path) -> None:
    ctx = load_weekly_context(Warehouse(seeded_db), fx.WEEK)
    days = set(ctx["kpis_overall"]["day"])
    assert min(days) == fx.WEEK - dt.timedelta(days=7)
    assert max(days) == fx.WEEK + dt.timedelta(days=6)
    assert set(ctx["issues"]["day"]) <= {fx.WEEK + dt.timedelta(days=i) for i in range(7)}
    # calibration_weeks=4 reaches 21 days back; the seed starts 14 days back
    assert min(ctx["calibration"]["day"]) == fx.WEEK - dt.timedelta(days=14)
    assert max(ctx["calibration"]["day"]) == fx.WEEK + dt.timedelta(days=6)


def test_report_paths(tmp_path: Path) -> None:
    assert report_path(tmp_path, "daily", fx.DAY) == tmp_path / "daily" / "2026-10-05.html"
    assert report_path(tmp_path, "weekly", fx.WEEK) == tmp_path / "weekly" / "2026-10-05.html"
    with pytest.raises(ValueError):
        report_path(tmp_path, "monthly", fx.DAY)


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "daily" / "2026-10-05.html"
    write_atomic(target, "old")
    assert write_atomic(target, "new é") == len("new é".encode())
    assert target.read_text(encoding="utf-8") == "new é"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_failed_write_keeps_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.html"
    write_atomic(target, "previous")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("evalflow.reports.publish.os.replace", boom)
    with pytest.raises(OSError):
        write_atomic(target, "half")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_publish_writes_file_and_replaces_row(seeded_db: Path, tmp_path: Path) -> None:
    ctx = load_daily_context(Warehouse(seeded_db), fx.DAY)
    report = render.daily_report(ctx)
    wh = Warehouse(tmp_path / "out.duckdb")
    for _ in range(2):  # a rerun replaces, never duplicates
        out = publish(report, tmp_path / "reports", wh, ctx["generated_at"])
    rows = wh.query_df("SELECT * FROM daily_report")
    assert len(rows) == 1
    assert rows.loc[0, "path"] == str(out.path) and out.path.exists()
    assert rows.loc[0, "size_bytes"] == out.path.stat().st_size
    assert json.loads(rows.loc[0, "sections"]) == report.section_status
    assert json.loads(rows.loc[0, "headline"])["rollout_decision"] == "HOLD"
