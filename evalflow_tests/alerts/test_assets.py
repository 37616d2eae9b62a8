"""The ``quality_alerts`` asset materialises on seeded upstream tables and on an empty home."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd

from evalflow.alerts.assets import quality_alerts
from evalflow.alerts.common import COLUMNS
from evalflow.config import Paths
from evalflow.orchestration.metadata import duckdb_types
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse
from evalflow_tests.alerts.fixtures import SEGMENTS, kpi_series, raw_interactions, signals_for

D = dt.date(2026, 10, 5)
RAW_SCHEMA = {"day": "DATE", "timestamp": "TIMESTAMP", "latency_ms": "DOUBLE"}


def _materialize(day: dt.date, instance: dg.DagsterInstance) -> dg.ExecuteInJobResult:
    result = dg.materialize(
        [quality_alerts],
        partition_key=day.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    return result


def _seed(wh: Warehouse) -> str:
    """Eight days of traffic with a queue-mix shift on D, KPIs, signals and a bias row."""
    for back in range(8, 0, -1):
        day = D - dt.timedelta(days=back)
        wh.replace_partition(
            "raw_interactions", raw_interactions(day, 400, seed=back), day, schema=RAW_SCHEMA
        )
    shifted = {
        **SEGMENTS,
        "queue": {
            "billing": 0.05,
            "technical": 0.05,
            "account": 0.05,
            "outage": 0.8,
            "shipping": 0.05,
        },
    }
    today = raw_interactions(D, 400, seed=99, mix=shifted)
    wh.replace_partition("raw_interactions", today, D, schema=RAW_SCHEMA)
    toxic_id = str(today["interaction_id"].iloc[7])
    wh.replace_partition(
        "interaction_signals", signals_for(today, [toxic_id]), D, schema={"day": "DATE"}
    )
    kpis = kpi_series(D, 29, seed=3)
    # The KPI stage did not publish the online toxicity rate: the alert stage derives it.
    kpis = kpis[kpis["metric"] != "toxicity_signal_rate"]
    for day, part in kpis.groupby("day"):
        wh.replace_partition("segment_kpis", part, day, schema={"day": "DATE"})
    bias = pd.DataFrame(
        [
            {
                "alert_id": "bias-lang-fr",
                "day": D,
                "first_seen": D,
                "last_seen": D,
                "kind": "bias",
                "severity": "high",
                "metric": "approval_rate",
                "segment_key": "language",
                "segment_value": "fr",
                "observed": 0.6,
                "expected": 0.8,
                "evidence": "ratio 0.75",
                "consecutive_days": 1,
                "status": "open",
            }
        ]
    )
    wh.replace_partition("quality_alerts", bias, D, schema=duckdb_types(COLUMNS))
    return toxic_id


def test_materialise_keeps_bias_rows_and_is_idempotent(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    wh = Warehouse(home.database)
    toxic_id = _seed(wh)
    result = _materialize(D, instance)
    table = wh.read_partition("quality_alerts", D)
    assert (table["kind"] == "bias").sum() == 1  # fairness_audit's row survives
    ours = table[table["kind"] != "bias"]
    tox = ours[ours["metric"] == "toxicity_signal_rate"]
    assert set(tox["severity"]) == {"critical"}
    overall = tox[tox["segment_key"] == "overall"].iloc[0]
    assert toxic_id in overall["evidence"] and "1 of n=400" in overall["evidence"]
    # One toxic answer is one alert: its segment cells (every key's cell holding the
    # row) cannot show a concentration, so they are folded into the overall evidence.
    assert len(tox) == 1
    assert f"also shows in {len(SEGMENTS)} segment cell(s)" in overall["evidence"]
    mix = ours[(ours["kind"] == "input_drift") & (ours["metric"] == "queue_mix")]
    assert len(mix) == 1 and mix["observed"].iloc[0] > 0.2
    assert ours["alert_id"].is_unique

    meta = result.asset_materializations_for_node("quality_alerts")[0].metadata
    assert meta["open_critical"].value == len(tox)
    assert meta["dagster/row_count"].value == len(ours)
    assert "toxicity_signal_rate" in meta["open_alerts_table"].value

    _materialize(D, instance)  # a rerun replaces, never duplicates, and still spares bias
    again = wh.read_partition("quality_alerts", D)
    assert len(again) == len(table)
    assert (again["kind"] == "bias").sum() == 1

    # The next day has no traffic: freshness fires, the rest is carried, not "resolved".
    _materialize(D + dt.timedelta(days=1), instance)
    nxt = wh.read_partition("quality_alerts", D + dt.timedelta(days=1))
    fresh = nxt[nxt["kind"] == "freshness"]
    assert fresh[["metric", "severity"]].values.tolist() == [["row_count", "high"]]
    carried = nxt[nxt["kind"] != "freshness"]
    assert (carried["status"] == "open").all()
    assert set(carried["alert_id"]) == set(ours["alert_id"])
    assert (carried["consecutive_days"] == 2).all()
    assert (pd.to_datetime(carried["last_seen"]).dt.date == D).all()


def test_materialise_on_an_empty_home(home: Paths, instance: dg.DagsterInstance) -> None:
    _materialize(D, instance)
    wh = Warehouse(home.database)
    table = wh.read_partition("quality_alerts", D)
    assert table[["kind", "metric", "severity", "status"]].values.tolist() == [
        ["freshness", "row_count", "high", "open"]
    ]
    types = dict(
        wh.query_df(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'quality_alerts'"
        ).values.tolist()
    )
    assert types["day"] == "DATE" and types["consecutive_days"] == "INTEGER"
    assert types["observed"] == "DOUBLE"
