"""``fairness_audit`` through Dagster: a seeded week, an empty week, the partition mapping,
and the simulator's bias scenario through the real upstream assets."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.config import Paths
from evalflow.fairness.assets import fairness_audit
from evalflow.fairness.schema import COLUMNS
from evalflow.partitions import daily_partitions, weekly_partitions
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse
from evalflow_tests.fairness.fixtures import (
    BIASED_TIERS,
    MONDAY,
    SUNDAY,
    GroupModel,
    WeekModel,
    make_week,
    seed_week,
)
from evalflow_tests.fairness.test_bias_alerts import expected_id


def _materialize(instance: dg.DagsterInstance, key: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [fairness_audit],
        partition_key=key,
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )


def _table_types(wh: Warehouse, table: str) -> dict[str, str]:
    df = wh.query_df(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return dict(zip(df["column_name"], df["data_type"], strict=True))


def test_weekly_partition_reads_its_seven_days_and_writes_bias_alerts(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    wh = Warehouse(home.database)
    week = make_week(WeekModel(tiers=BIASED_TIERS, seed=3))
    seed_week(wh, week)
    # neighbouring days must not leak into the week
    outside = make_week(
        WeekModel(tiers={"free": GroupModel(300, resolved=0.99)}, seed=9),
        monday=MONDAY - dt.timedelta(days=7),
    )
    outside.raw["interaction_id"] = "out-" + outside.raw["interaction_id"]
    for day in (MONDAY - dt.timedelta(days=1), SUNDAY + dt.timedelta(days=1)):
        rows = outside.raw.assign(day=day, interaction_id=outside.raw["interaction_id"] + str(day))
        wh.replace_partition("raw_interactions", rows.drop(columns=["tier"]), day)
    # the daily alerts asset's rows on the Sunday, and last week's open bias alert
    other = {c: None for c in ALERT_COLUMNS} | {
        "alert_id": "al_threshold",
        "day": SUNDAY,
        "first_seen": SUNDAY,
        "last_seen": SUNDAY,
        "kind": "threshold",
        "severity": "high",
        "metric": "error_rate",
        "segment_key": "overall",
        "segment_value": "overall",
        "consecutive_days": 1,
        "status": "open",
    }
    carried_id = expected_id("resolved_rate", "customer_tier", "free")
    earlier = other | {
        "alert_id": carried_id,
        "day": SUNDAY - dt.timedelta(days=7),
        "first_seen": SUNDAY - dt.timedelta(days=7),
        "last_seen": SUNDAY - dt.timedelta(days=7),
        "kind": "bias",
        "metric": "resolved_rate",
        "segment_key": "customer_tier",
        "segment_value": "free",
        "consecutive_days": 7,
    }
    wh.append(
        "quality_alerts",
        pd.DataFrame([other, earlier]),
        schema={c: t for c, (t, _) in ALERT_COLUMNS.items()},
    )

    result = _materialize(instance, MONDAY.isoformat())
    assert result.success
    audit = wh.read_partition("fairness_audit", MONDAY, partition_col="week_start")
    assert list(audit.columns) == list(COLUMNS)
    tiers = audit[(audit["attribute"] == "customer_tier") & (audit["metric"] == "resolved_rate")]
    assert int(tiers["group_n"].sum()) == len(week.raw)  # exactly the seven days
    assert (
        dict(zip(tiers["group_value"], tiers["group_n"], strict=True))
        == week.raw["seg_customer_tier"].value_counts().to_dict()
    )
    free = audit[(audit["attribute"] == "customer_tier") & (audit["group_value"] == "free")]
    hits = set(free.loc[free["flagged"] & free["significant"].fillna(False), "metric"])
    assert {"resolved_rate", "override_rate"} <= hits

    alerts = wh.query_df("SELECT * FROM quality_alerts WHERE day = ? ORDER BY alert_id", [SUNDAY])
    assert "al_threshold" in set(alerts["alert_id"])  # other kinds untouched
    bias = alerts[alerts["kind"] == "bias"].set_index("alert_id")
    findings = audit[audit["flagged"] & audit["significant"].fillna(False)]
    n_findings = len(findings)
    # Intersections the free tier explains are lines of its alert, not alerts of their own.
    evidence = " ".join(bias["evidence"])
    folded = [
        r
        for r in findings.to_dict("records")
        if "×" in r["attribute"] and f"{r['attribute']}={r['group_value']} " in evidence
    ]
    assert len(folded) and len(bias) + len(folded) == n_findings
    assert pd.Timestamp(bias.loc[carried_id, "first_seen"]).date() == SUNDAY - dt.timedelta(days=7)
    assert bias.loc[carried_id, "consecutive_days"] == 14
    mat = result.asset_materializations_for_node("fairness_audit")[0]
    assert mat.metadata["dagster/row_count"].value == len(audit)
    assert mat.metadata["flagged_and_significant"].value == n_findings
    assert mat.metadata["bias_alert_rows"].value == len(bias)

    # a rerun replaces, never duplicates, and still leaves the other kinds alone
    assert _materialize(instance, MONDAY.isoformat()).success
    assert len(wh.read_partition("fairness_audit", MONDAY, partition_col="week_start")) == len(
        audit
    )
    again = (
        wh.query_df(
            "SELECT kind, count(*) AS n FROM quality_alerts WHERE day = ? GROUP BY 1", [SUNDAY]
        )
        .set_index("kind")["n"]
        .to_dict()
    )
    assert again == {"threshold": 1, "bias": len(bias)}


def test_empty_week_writes_an_empty_typed_partition(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    wh = Warehouse(home.database)
    assert _materialize(instance, "2026-10-12").success
    assert wh.read_partition(
        "fairness_audit", dt.date(2026, 10, 12), partition_col="week_start"
    ).empty
    types = _table_types(wh, "fairness_audit")
    assert types == {c: t for c, (t, _) in COLUMNS.items()}
    assert wh.query_df("SELECT count(*) AS n FROM quality_alerts")["n"].iloc[0] == 0
    assert set(_table_types(wh, "quality_alerts")) == set(ALERT_COLUMNS)


def test_each_upstream_maps_to_the_weeks_seven_daily_partitions() -> None:
    deps = {
        key.to_user_string(): fairness_audit.get_partition_mapping(key)
        for key in fairness_audit.dependency_keys
    }
    assert set(deps) == {"raw_interactions", "sampled_interactions", "judge_scores"}
    for mapping in deps.values():
        assert isinstance(mapping, dg.TimeWindowPartitionMapping)
        upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
            weekly_partitions.subset_with_partition_keys(["2026-10-05"]),
            weekly_partitions,
            daily_partitions,
        ).partitions_subset.get_partition_keys()
        assert sorted(upstream) == [f"2026-10-{d:02d}" for d in range(5, 12)]
    assert fairness_audit.partitions_def == weekly_partitions
    assert fairness_audit.group_names_by_key[fairness_audit.key] == "audits"


@pytest.mark.slow
@pytest.mark.e2e
def test_simulated_bias_scenario_is_flagged_end_to_end(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    """Simulator ``bias`` scenario → ingest → signals → sampling → judges → fairness_audit."""
    from evalflow.ingest.assets import ingest_interactions
    from evalflow.judges.assets import RESOURCES, judge_scores
    from evalflow.sampling.assets import sampled_interactions
    from evalflow.signals.assets import interaction_signals
    from evalflow.simulate import read_incidents, simulate

    simulate(start=MONDAY, days=7, per_day=400, seed=11, scenario="bias", out_dir=home.landing)
    resources = {"evalflow": EvalflowResource(), **RESOURCES}
    for i in range(7):
        day = (MONDAY + dt.timedelta(days=i)).isoformat()
        result = dg.materialize(
            [ingest_interactions, interaction_signals, sampled_interactions, judge_scores],
            partition_key=day,
            resources=resources,
            instance=instance,
        )
        assert result.success, day
    assert _materialize(instance, MONDAY.isoformat()).success

    incidents = read_incidents(home.landing)
    bias = incidents[incidents["kind"] == "bias"]
    truth = set(zip(bias["segment_key"], bias["segment_value"], strict=True))
    assert truth == {("customer_tier", "free")}
    wh = Warehouse(home.database)
    audit = wh.read_partition("fairness_audit", MONDAY, partition_col="week_start")
    hits = audit[audit["flagged"] & audit["significant"].fillna(False)]
    single = hits[hits["attribute"].isin(["language", "region", "customer_tier"])]
    assert set(zip(single["attribute"], single["group_value"], strict=True)) == truth
    assert {"resolved_rate", "override_rate"} <= set(single["metric"])
    alerts = wh.query_df(
        "SELECT segment_key, segment_value FROM quality_alerts WHERE kind = 'bias' AND day = ?",
        [SUNDAY],
    )
    assert ("customer_tier", "free") in set(
        zip(alerts["segment_key"], alerts["segment_value"], strict=True)
    )
