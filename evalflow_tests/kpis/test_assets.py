"""Materialise segment_kpis through Dagster on seeded upstream tables."""

from __future__ import annotations

import dagster as dg

from evalflow.config import Paths
from evalflow.kpis.assets import composite_terms_measured, segment_kpis
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


OUTCOME = [c for c in tiny_raw().columns if c.startswith("outcome_")]


def _seed(wh: Warehouse, raw) -> None:
    wh.replace_partition("raw_interactions", raw, DAY)
    wh.replace_partition("interaction_signals", tiny_signals(), DAY)
    wh.replace_partition("sampled_interactions", tiny_sampled(), DAY)
    wh.replace_partition("judge_scores", tiny_judges(), DAY)


def _materialize(instance: dg.DagsterInstance) -> dg.ExecuteInJobResult:
    res = dg.materialize(
        [segment_kpis, composite_terms_measured],
        partition_key=str(DAY),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert res.success
    return res


def test_absent_outcome_fields_warn_and_name_the_dropped_terms(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    wh = Warehouse(home.database)
    _seed(wh, tiny_raw().drop(columns=OUTCOME))
    res = _materialize(instance)
    (check,) = res.get_asset_check_evaluations()
    assert check.check_name == "composite_terms_measured"
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    dropped = check.metadata["dropped_terms"].value
    assert dropped == "escalation_precision, sla_hit_rate, override_rate"
    assert check.metadata["used_terms"].value == "rating_up_rate=1.000"
    meta = res.asset_materializations_for_node("segment_kpis")[0].metadata
    assert meta["composite_terms_dropped"].value == dropped
    assert "dropped (unmeasured on every row)" in meta["composite_note"].value
    assert meta["composite_kpi_overall"].value == 0.75  # the thumbs-up rate
    assert "uncorrected" in meta["judge_error:hallucination_rate"].value
    out = wh.query_df(
        "SELECT value, note FROM segment_kpis WHERE metric = 'composite_kpi' "
        "AND segment_key = 'overall'"
    )
    assert out.value.iloc[0] == 0.75 and "sla_hit_rate" in out.note.iloc[0]


def test_full_outcomes_pass_the_check(home: Paths, instance: dg.DagsterInstance) -> None:
    wh = Warehouse(home.database)
    _seed(wh, tiny_raw())
    (check,) = _materialize(instance).get_asset_check_evaluations()
    assert check.passed and check.metadata["dropped_terms"].value == "none"


def test_calibration_on_this_traffic_corrects_the_hallucination_rate(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    import pandas as pd

    wh = Warehouse(home.database)
    _seed(wh, tiny_raw())
    calib = pd.DataFrame(
        {
            "day": [DAY],
            "criterion": ["faithfulness"],
            "backend": ["heuristic"],
            "source": ["production"],
            "n": [50],
            "recall": [0.8],
            "specificity": [0.9],
            "human_positive_rate": [0.2],
        }
    )
    wh.replace_partition("judge_calibration", calib, DAY)
    res = _materialize(instance)
    row = wh.query_df(
        "SELECT value, ci_low, ci_high, judge_correction, note FROM segment_kpis "
        "WHERE metric = 'hallucination_rate' AND segment_key = 'overall'"
    ).iloc[0]
    assert row.judge_correction == "rogan_gladen"
    assert "sensitivity 0.800 (n=10)" in row.note
    assert row.ci_low <= row.value <= row.ci_high and row.ci_high > row.ci_low
    meta = res.asset_materializations_for_node("segment_kpis")[0].metadata
    assert "Rogan–Gladen" in meta["judge_error:hallucination_rate"].value
