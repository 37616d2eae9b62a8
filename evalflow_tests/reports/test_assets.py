"""Materialising ``daily_report`` and ``weekly_report`` through Dagster."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from evalflow.config import Paths
from evalflow.reports.assets import daily_report, weekly_report
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx


def _metadata(result: dg.ExecuteInProcessResult, key: str) -> dict:
    mats = result.asset_materializations_for_node(key)
    assert len(mats) == 1
    return mats[0].metadata


def test_daily_and_weekly_report_assets(seeded_home: Paths, instance: dg.DagsterInstance) -> None:
    res = {"evalflow": EvalflowResource()}
    daily = dg.materialize(
        [daily_report], partition_key=fx.DAY.isoformat(), resources=res, instance=instance
    )
    weekly = dg.materialize(
        [weekly_report], partition_key=fx.WEEK.isoformat(), resources=res, instance=instance
    )
    assert daily.success and weekly.success
    d_path = seeded_home.reports / "daily" / "2026-10-05.html"
    w_path = seeded_home.reports / "weekly" / "2026-10-05.html"
    assert d_path.exists() and w_path.exists()

    meta = _metadata(daily, "daily_report")
    assert meta["path"] == dg.MetadataValue.path(str(d_path))
    assert meta["size_bytes"].value == d_path.stat().st_size
    assert set(meta["sections"].value.values()) == {"rendered"}
    assert meta["headline/rollout_decision"].value == "HOLD"
    assert meta["headline/open_alerts"].value == 2
    assert "headline/composite_kpi" in meta

    wmeta = _metadata(weekly, "weekly_report")
    assert wmeta["headline/recommendation"].value == "pause"
    assert wmeta["sections_without_data"].value == "none"

    wh = Warehouse(seeded_home.database)
    row = wh.read_partition("daily_report", fx.DAY)
    assert len(row) == 1 and row.loc[0, "path"] == str(d_path)
    wrow = wh.read_partition("weekly_report", fx.WEEK, partition_col="week_start")
    assert json.loads(wrow.loc[0, "sections"])["fairness"] == "rendered"


def test_reports_of_an_unprocessed_day_and_week_still_succeed(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    res = {"evalflow": EvalflowResource()}
    day = dt.date(2026, 11, 2)
    daily = dg.materialize(
        [daily_report], partition_key=day.isoformat(), resources=res, instance=instance
    )
    weekly = dg.materialize(
        [weekly_report], partition_key=day.isoformat(), resources=res, instance=instance
    )
    assert daily.success and weekly.success
    meta = _metadata(daily, "daily_report")
    assert set(meta["sections"].value.values()) == {"no_data"}
    assert meta["sections_rendered"].value == "none"
    html = (home.reports / "daily" / "2026-11-02.html").read_text()
    assert html.count("no data for this section") >= 7
    assert (home.reports / "weekly" / "2026-11-02.html").exists()
