"""interaction_signals materialises through Dagster, including an empty day."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from evalflow.config import Paths
from evalflow.resources import EvalflowResource
from evalflow.signals.assets import interaction_signals
from evalflow.signals.compute import COLUMNS
from evalflow.storage import Warehouse
from evalflow_tests.signals.fixtures import BASE_ROWS, RAW_SCHEMA, raw_frame

DAY = dt.date(2026, 10, 5)


def test_materialises_day_and_empty_day(home: Paths, instance: dg.DagsterInstance) -> None:
    wh = Warehouse(home.database)
    wh.replace_partition("raw_interactions", raw_frame(BASE_ROWS, DAY), DAY, schema=RAW_SCHEMA)
    result = dg.materialize(
        [interaction_signals],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    table = wh.read_partition("interaction_signals", DAY)
    assert len(table) == len(BASE_ROWS)
    assert set(COLUMNS) <= set(table.columns)
    meta = result.asset_materializations_for_node("interaction_signals")[0].metadata
    assert meta["dagster/row_count"].value == len(BASE_ROWS)
    assert meta["rate_toxicity"].value > 0
    assert "risk_histogram" in meta
    types = dict(
        wh.query_df(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            ["interaction_signals"],
        ).itertuples(index=False)
    )
    assert types["toxic"] == "BOOLEAN" and types["day"] == "DATE"
    assert (
        wh.query_df("SELECT count(*) AS n FROM interaction_signals WHERE grounding_proxy IS NULL")[
            "n"
        ][0]
        >= 1
    )

    # rerun: replaced, not duplicated
    again = dg.materialize(
        [interaction_signals],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert again.success
    assert len(wh.read_partition("interaction_signals", DAY)) == len(BASE_ROWS)

    empty_day = DAY + dt.timedelta(days=1)
    empty = dg.materialize(
        [interaction_signals],
        partition_key=empty_day.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert empty.success
    assert wh.read_partition("interaction_signals", empty_day).empty


def test_materialises_before_ingest_ever_ran(home: Paths, instance: dg.DagsterInstance) -> None:
    result = dg.materialize(
        [interaction_signals],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    assert Warehouse(home.database).table_exists("interaction_signals")
