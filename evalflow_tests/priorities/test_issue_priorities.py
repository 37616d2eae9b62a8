from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from evalflow.config import Paths
from evalflow.config.settings import Settings
from evalflow.discovery.assets import failure_clusters
from evalflow.discovery.build import build_failure_clusters, write_failure_clusters
from evalflow.priorities.assets import issue_priorities
from evalflow.priorities.build import build_issue_priorities, write_issue_priorities
from evalflow.resources import EvalflowResource
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.discovery.fixtures import NEW_THEME_DAY, days_from, seed_days

DAYS = days_from(NEW_THEME_DAY - dt.timedelta(days=2), 4)  # days 3..6 of the story
ALERT_DAY = DAYS[-1]


def _alerts(day: dt.date) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "alert_id": "al-relevance-billing",
                "day": day,
                "first_seen": day - dt.timedelta(days=1),
                "last_seen": day,
                "kind": "threshold",
                "severity": "medium",
                "metric": "relevance_mean",
                "segment_key": "queue",
                "segment_value": "billing",
                "observed": 0.52,
                "expected": 0.6,
                "evidence": "{}",
                "consecutive_days": 2,
                "status": "open",
            },
            {
                "alert_id": "al-closed",
                "day": day,
                "first_seen": day,
                "last_seen": day,
                "kind": "threshold",
                "severity": "critical",
                "metric": "toxicity_rate",
                "segment_key": "overall",
                "segment_value": "all",
                "observed": 0.2,
                "expected": 0.0,
                "evidence": "{}",
                "consecutive_days": 1,
                "status": "resolved",
            },
        ]
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict[dt.date, pd.DataFrame]]:
    wh = Warehouse(Path(tmp_path_factory.mktemp("prio")) / "db.duckdb")
    seed_days(wh, DAYS)
    wh.replace_partition("quality_alerts", _alerts(ALERT_DAY), ALERT_DAY)
    out = {}
    for d in DAYS:
        write_failure_clusters(wh, d, build_failure_clusters(wh, d, Settings()))
        table = build_issue_priorities(wh, d, Settings())
        write_issue_priorities(wh, d, table)
        out[d] = table
    return wh, out


def test_new_theme_ranks_in_top_three(run) -> None:
    _, out = run
    hits = []
    for d in (NEW_THEME_DAY, NEW_THEME_DAY + dt.timedelta(days=1)):
        top3 = out[d][out[d]["rank"] <= 3]
        loyal = top3[
            top3["title"].str.contains("loyalty|points") & top3["status"].isin(["new", "emerging"])
        ]
        hits.append(len(loyal))
        if len(loyal):
            row = loyal.iloc[0]
            assert row["source"] == "cluster" and row["suggested_improvement"] == "capability_gap"
            assert row["business_weight"] == 1.5  # billing queue
            assert row["first_seen"] == NEW_THEME_DAY
    assert sum(hits) >= 1
    before = out[DAYS[0]]
    assert not before["title"].str.contains("loyalty").any()


def test_issue_ids_stable_and_first_seen_carried(run) -> None:
    _, out = run
    refund = [
        set(t.loc[t["title"].str.contains("refund|duplicate|charge"), "issue_id"])
        for t in out.values()
    ]
    common = set.intersection(*refund)
    assert common
    iid = sorted(common)[0]
    firsts = {t.loc[t["issue_id"] == iid, "first_seen"].iloc[0] for t in out.values()}
    assert len(firsts) == 1 and next(iter(firsts)) <= DAYS[0]


def test_alerts_join_the_ranking(run) -> None:
    _, out = run
    t = out[ALERT_DAY].set_index("issue_id")
    assert "alert:al-relevance-billing" in t.index
    assert "alert:al-closed" not in t.index  # resolved alerts are not issues
    a = t.loc["alert:al-relevance-billing"]
    assert a["source"] == "kpi_alert" and a["category"] in ("quick_win", "maintenance")
    assert a["first_seen"] == ALERT_DAY - dt.timedelta(days=1)
    assert json.loads(a["example_ids"])  # failing billing interactions about relevance
    assert sorted(t["rank"]) == list(range(1, len(t) + 1))
    assert not any(v.startswith("alert:") for v in out[DAYS[0]]["issue_id"])


def test_materialise_with_absent_upstream_tables(home: Paths, instance: dg.DagsterInstance) -> None:
    """No quality_alerts, no fairness_audit: priorities come from clusters alone."""
    d = NEW_THEME_DAY
    wh = Warehouse(home.database)
    seed_days(wh, [d])
    result = dg.materialize(
        [failure_clusters, issue_priorities],
        partition_key=d.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    table = wh.read_partition("issue_priorities", d)
    assert len(table) >= 2 and set(table["source"]) == {"cluster"}
    assert not wh.table_exists("quality_alerts") and not wh.table_exists("fairness_audit")
    empty = dg.materialize(
        [issue_priorities],
        partition_key="2026-10-21",
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert empty.success and wh.read_partition("issue_priorities", dt.date(2026, 10, 21)).empty
