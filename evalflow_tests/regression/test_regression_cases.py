from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pandas as pd

from evalflow.config import Paths
from evalflow.config.settings import RegressionSettings
from evalflow.discovery.assets import failure_clusters
from evalflow.priorities.assets import issue_priorities
from evalflow.regression.assets import regression_cases
from evalflow.regression.curation import (
    CASE_COLUMNS,
    case_id,
    curate,
    dedupe_for_dataset,
    select_candidates,
)
from evalflow.resources import EvalflowResource
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.discovery.fixtures import NEW_THEME_DAY, seed_days

D = dt.date(2026, 10, 5)


def _raw(ids: list[str], queries: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interaction_id": ids,
            "query": queries,
            "response": ["bad answer"] * len(ids),
            "context": [["passage one", "passage two"]] * len(ids),
            "feedback_comment": [None] * len(ids),
            "conversation_id": [f"c-{i}" for i in ids],
            "turn": [2] * len(ids),
            "timestamp": [pd.Timestamp("2026-10-05 10:00")] * len(ids),
        }
    )


def test_candidates_dedupe_cap_and_balance() -> None:
    priorities = pd.DataFrame(
        [
            {
                "issue_id": "cluster:cl-a",
                "rank": 1,
                "cluster_id": "cl-a",
                "example_ids": json.dumps(["a1", "a2", "a3", "a4"]),
            },
            {
                "issue_id": "alert:x",
                "rank": 2,
                "cluster_id": None,
                "example_ids": json.dumps(["x1", "a1"]),
            },
        ]
    )
    members = pd.DataFrame(
        {
            "interaction_id": ["a1", "a2", "a3", "a4", "b1", "b2", "x1"],
            "cluster_id": ["cl-a"] * 4 + ["cl-b", "cl-b", "anomalies"],
        }
    )
    failures = pd.DataFrame(
        {"interaction_id": ["b1", "b2", "z9", "a2"], "min_score": [0.1, 0.3, 0.2, 0.0]}
    )
    settings = RegressionSettings(max_per_cluster=2, max_cases_per_day=5, top_issues=5)
    cand = select_candidates(priorities, members, failures, settings)
    assert cand["interaction_id"].tolist() == ["a1", "a2", "a3", "a4", "x1", "b1", "z9", "b2"]
    # An alert example carries the theme its interaction belongs to (here the anomaly group).
    assert cand.set_index("interaction_id").loc["x1", "cluster_id"] == "anomalies"
    b1 = cand.set_index("interaction_id").loc["b1"]
    assert (
        b1["cluster_id"] == "cl-b" and b1["source"] == "judge_failure" and pd.isna(b1["issue_id"])
    )

    ids = cand["interaction_id"].tolist()
    queries = {
        "a1": "Refund order 123!",
        "a2": "refund order 456",
        "a3": "refund status",
        "a4": "refund policy",
        "x1": "bad relevance",
        "b1": "points",
        "z9": "other",
        "b2": "points transfer",
    }
    raw = _raw(ids, [queries[i] for i in ids])
    verdicts = pd.DataFrame(
        [
            {
                "interaction_id": "a1",
                "criterion": "faithfulness",
                "status": "ok",
                "score": 0.1,
                "passed": False,
                "label": "fail",
                "rationale": "made up",
            }
        ]
    )
    reasons = pd.DataFrame(
        {"interaction_id": ["a1"], "reasons": ["judge:faithfulness,rating_down"]}
    )
    history = pd.DataFrame(
        {
            "interaction_id": ["h1", "h2"],
            "conversation_id": ["c-a1", "c-a1"],
            "turn": [1, 3],
            "query": ["earlier q", "later q"],
            "response": ["earlier r", "later r"],
            "timestamp": [pd.Timestamp("2026-10-05 09:00")] * 2,
        }
    )
    cases = curate(cand, raw, verdicts, reasons, history, D, settings)
    assert list(cases.columns) == list(CASE_COLUMNS)
    got = cases["interaction_id"].tolist()
    assert "a2" not in got  # same normalised query as a1 -> collapsed into the first
    assert len(cases) == 5  # total cap
    per_theme = cases["cluster_id"].fillna(cases["issue_id"]).fillna("unclustered").value_counts()
    assert per_theme.max() <= 2  # per-theme cap
    assert {"a1", "x1", "b1", "z9"} <= set(got)  # round-robin reaches every theme
    a1 = cases.set_index("interaction_id").loc["a1"]
    assert a1["case_id"] == case_id("a1") and a1["case_id"].startswith("rc-")
    assert "faithfulness failed: made up" in a1["failure"] and "rating_down" in a1["failure"]
    assert json.loads(a1["judge_verdicts"])["faithfulness"]["passed"] is False
    assert json.loads(a1["context"]) == ["passage one", "passage two"]
    assert json.loads(a1["history"]) == [{"turn": 1, "query": "earlier q", "response": "earlier r"}]


def test_dataset_keeps_each_query_once() -> None:
    df = pd.DataFrame(
        {
            "case_id": ["rc-2", "rc-1", "rc-3"],
            "day": [D, D - dt.timedelta(days=1), D],
            "query_hash": ["h", "h", "k"],
        }
    )
    out = dedupe_for_dataset(df)
    assert out["case_id"].tolist() == ["rc-1", "rc-3"]


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_reruns_never_duplicate_cases(home: Paths, instance: dg.DagsterInstance) -> None:
    wh = Warehouse(home.database)
    seed_days(wh, [NEW_THEME_DAY])
    assets = [failure_clusters, issue_priorities, regression_cases]
    res = {"evalflow": EvalflowResource()}
    assert dg.materialize(
        assets, partition_key=NEW_THEME_DAY.isoformat(), resources=res, instance=instance
    ).success
    all_file = home.regression / "cases.jsonl"
    first = _lines(all_file)
    assert first
    records = [json.loads(x) for x in first]
    assert [r["case_id"] for r in records] == sorted(r["case_id"] for r in records)
    assert len({r["case_id"] for r in records}) == len(records)
    assert len({r["query_hash"] for r in records}) == len(records)
    assert isinstance(records[0]["judge_verdicts"], dict) and isinstance(
        records[0]["context"], list
    )
    day_file = home.regression / f"{NEW_THEME_DAY.isoformat()}.jsonl"
    day_lines = _lines(day_file)
    stored = wh.read_partition("regression_cases", NEW_THEME_DAY)
    assert len(day_lines) == len(stored) > 0
    assert stored["issue_id"].notna().any() and stored["cluster_id"].notna().any()
    # Rerun the same day: the table partition and both files are unchanged.
    assert dg.materialize(
        [regression_cases],
        partition_key=NEW_THEME_DAY.isoformat(),
        resources=res,
        instance=instance,
    ).success
    assert _lines(all_file) == first
    assert _lines(day_file) == day_lines
    again = wh.read_partition("regression_cases", NEW_THEME_DAY)
    assert sorted(again["case_id"]) == sorted(stored["case_id"])
    total = wh.query_df("SELECT count(*) AS n, count(DISTINCT case_id) AS u FROM regression_cases")
    assert total["n"].iloc[0] == total["u"].iloc[0]
    # An empty day writes an empty partition and an empty day file, keeps the dataset.
    assert dg.materialize(
        [regression_cases], partition_key="2026-10-22", resources=res, instance=instance
    ).success
    assert _lines(home.regression / "2026-10-22.jsonl") == []
    assert _lines(all_file) == first
