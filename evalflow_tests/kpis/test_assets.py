"""Materialise segment_kpis through Dagster on seeded upstream tables."""

from __future__ import annotations

import dagster as dg

from evalflow.config import Paths
from evalflow.kpis.assets import segment_kpis
from evalflow.kpis.metrics import COLUMNS
from evalflow.resources import EvalflowResource
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.kpis.fixtures import DAY, tiny_judges, tiny_raw, tiny_sampled, tiny_signals


def test_segment_kpis_materialises_and_handles_an_empty_day(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    wh = Warehouse(home.database)
    wh.replace_partition("raw_interactions", tiny_raw(), DAY)
    wh.replace_partition("interaction_signals", tiny_signals(), DAY)
    wh.replace_partition("sampled_interactions", tiny_sampled(), DAY)
    wh.replace_partition("judge_scores", tiny_judges(), DAY)
    for key in (str(DAY), "2026-10-06"):  # the second day has no upstream rows at all
        res = dg.materialize(
            [segment_kpis],
            partition_key=key,
            resources={"evalflow": EvalflowResource()},
            instance=instance,
        )
        assert res.success
    out = wh.query_df("SELECT * FROM segment_kpis ORDER BY day")
    assert set(out["day"].dt.date) == {DAY}
    assert list(out.columns) == list(COLUMNS)
    vol = out[(out.segment_key == "overall") & (out.metric == "volume")]
    assert vol.value.tolist() == [6]
    # Rerunning replaces the partition instead of duplicating it.
    dg.materialize(
        [segment_kpis],
        partition_key=str(DAY),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert len(wh.query_df("SELECT * FROM segment_kpis")) == len(out)
    types = dict(
        wh.query_df(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'segment_kpis'"
        ).itertuples(index=False)
    )
    assert types["low_count"] == "BOOLEAN" and types["n"] == "BIGINT"
