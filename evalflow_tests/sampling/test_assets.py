"""interaction_signals -> sampled_interactions through Dagster, including an empty day."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from evalflow.config import Paths
from evalflow.resources import EvalflowResource
from evalflow.sampling.assets import sampled_interactions
from evalflow.sampling.design import OUTPUT_COLUMNS
from evalflow.signals.assets import interaction_signals
from evalflow.storage import Warehouse
from evalflow_tests.signals.fixtures import BASE_ROWS, RAW_SCHEMA, raw_frame

DAY = dt.date(2026, 10, 5)


def _rows(n_clean: int) -> list[dict]:
    clean = [
        dict(
            BASE_ROWS[0],
            interaction_id=f"clean-{i:03d}",
            seg_urgency=["low", "medium", "high"][i % 3],
            seg_queue=["billing", "technical"][i % 2],
        )
        for i in range(n_clean)
    ]
    return BASE_ROWS + clean


def _materialize(instance: dg.DagsterInstance, day: dt.date) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [interaction_signals, sampled_interactions],
        partition_key=day.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )


def test_sample_materialises_with_must_review_rows(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    wh = Warehouse(home.database)
    wh.replace_partition("raw_interactions", raw_frame(_rows(60), DAY), DAY, schema=RAW_SCHEMA)
    result = _materialize(instance, DAY)
    assert result.success
    sample = wh.read_partition("sampled_interactions", DAY)
    assert set(OUTPUT_COLUMNS) <= set(sample.columns)
    by_id = sample.set_index("interaction_id")
    # toxic, PII, thumbs-down with comment, analyst override, error: all must-review
    expected = {
        "toxic-1": "must_review:toxicity",
        "pii-1": "must_review:pii",
        "halluc-1": "must_review:negative_feedback",
        "refusal-1": "must_review:analyst_override",
        "error-1": "must_review:error",
    }
    for iid, reason in expected.items():
        assert by_id.loc[iid, "reason"] == reason
        assert by_id.loc[iid, "inclusion_prob"] == 1.0
    assert ((sample["inclusion_prob"] > 0) & (sample["inclusion_prob"] <= 1)).all()
    assert len(sample) <= 600
    meta = result.asset_materializations_for_node("sampled_interactions")[0].metadata
    assert meta["dagster/row_count"].value == len(sample)
    assert meta["budget_usd_used"].value <= meta["budget_usd"].value
    assert "must_review:toxicity" in meta["rows_by_reason"].value

    # a rerun draws the same sample (seed + day) and replaces the partition
    assert _materialize(instance, DAY).success
    again = wh.read_partition("sampled_interactions", DAY)
    assert sorted(again["interaction_id"]) == sorted(sample["interaction_id"])


def test_empty_day_writes_an_empty_typed_partition(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    result = _materialize(instance, DAY)
    assert result.success
    wh = Warehouse(home.database)
    assert wh.table_exists("sampled_interactions")
    assert wh.read_partition("sampled_interactions", DAY).empty
    types = dict(
        wh.query_df(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            ["sampled_interactions"],
        ).itertuples(index=False)
    )
    assert types["inclusion_prob"] == "DOUBLE" and types["day"] == "DATE"
