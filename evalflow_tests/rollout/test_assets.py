"""Materialise rollout_decisions (daily) and model_comparison (weekly) through Dagster."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from evalflow.config import Paths
from evalflow.kpis.assets import segment_kpis
from evalflow.resources import EvalflowResource
from evalflow.rollout.assets import model_comparison, rollout_decisions
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.kpis.fixtures import arm_day

MONDAY = dt.date(2026, 10, 5)


def _seed(wh: Warehouse, day: dt.date, arms: dict) -> None:
    frames = arm_day(day, arms, override_every={a: 10 for a in arms})
    for table, key in (
        ("raw_interactions", "raw"),
        ("interaction_signals", "signals"),
        ("sampled_interactions", "sampled"),
        ("judge_scores", "judges"),
    ):
        wh.replace_partition(table, frames[key], day)


def _run(assets: list, key: str, instance: dg.DagsterInstance) -> None:
    res = dg.materialize(
        assets, partition_key=key, resources={"evalflow": EvalflowResource()}, instance=instance
    )
    assert res.success


def test_rollout_assets(home: Paths, instance: dg.DagsterInstance) -> None:
    wh = Warehouse(home.database)
    tuesday = MONDAY + dt.timedelta(days=1)
    _seed(wh, MONDAY, {"control": ("copilot-v1", 300, None)})  # no treatment that day
    _seed(wh, tuesday, {"control": ("copilot-v1", 300, 0.1), "treatment": ("copilot-v2", 250, 0.1)})

    _run([segment_kpis, rollout_decisions], str(MONDAY), instance)
    # A day without treatment still writes its (empty, typed) partition.
    assert wh.table_exists("rollout_decisions")
    assert wh.query_df("SELECT count(*) AS n FROM rollout_decisions")["n"][0] == 0

    _run([segment_kpis, rollout_decisions], str(tuesday), instance)
    _run(
        [segment_kpis, rollout_decisions], str(MONDAY + dt.timedelta(days=2)), instance
    )  # empty day
    dec = wh.query_df("SELECT * FROM rollout_decisions")
    assert len(dec) == 1
    row = dec.iloc[0]
    assert row.decision == "GO", row.reasons
    assert row.next_phase == 0.25 and row.traffic_share == 0.1
    assert isinstance(json.loads(row.reasons), list)

    _run([model_comparison], str(MONDAY), instance)
    mc = wh.query_df("SELECT * FROM model_comparison")
    assert set(mc["week_start"].dt.date) == {MONDAY}
    m = mc.set_index("metric")
    assert m.loc["volume", "n_baseline"] == 600 and m.loc["volume", "n_new"] == 250
    assert set(mc["recommendation"]) == {"expand"}

    # A week with no traffic still writes an empty partition.
    _run([model_comparison], "2026-10-12", instance)
    assert len(wh.query_df("SELECT * FROM model_comparison")) == len(mc)
