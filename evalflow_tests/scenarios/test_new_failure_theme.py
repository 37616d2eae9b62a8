"""A new kind of question the copilot answers badly becomes a top issue within two days.

12 days of ``new_failure_theme`` at 400 interactions a day through Dagster up to
``regression_cases``. Which interactions belong to the theme comes from the
simulator's per-interaction truth, never from the theme's vocabulary.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from evalflow.discovery.clusters import label_coherence
from evalflow.discovery.textspace import normalize_text
from evalflow_tests.scenarios.harness import REGRESSION, ScenarioRun, run_scenario

DAYS = 12
PER_DAY = 400
WINDOW = 2  # days after the onset within which the theme must surface


@pytest.fixture(scope="module")
def theme_run(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    root: Path = tmp_path_factory.mktemp("scenario_theme")
    return run_scenario(root, "new_failure_theme", DAYS, PER_DAY, REGRESSION)


@pytest.fixture(scope="module")
def incident(theme_run: ScenarioRun) -> dict:
    (found,) = theme_run.incidents_of("new_failure_theme")
    return found


@pytest.fixture(scope="module")
def window(theme_run: ScenarioRun, incident: dict) -> list[dt.date]:
    start = incident["start_day"]
    return [start + dt.timedelta(days=i) for i in range(WINDOW + 1)]


@pytest.fixture(scope="module")
def theme_ids(theme_run: ScenarioRun, incident: dict, window: list[dt.date]) -> set[str]:
    truth = theme_run.truth(window)
    return set(truth.loc[truth["theme"] == incident["theme"], "interaction_id"])


@pytest.fixture(scope="module")
def theme_clusters(
    theme_run: ScenarioRun, window: list[dt.date], theme_ids: set[str]
) -> pd.DataFrame:
    """Clusters of the window whose members are mostly the theme's interactions."""
    members = theme_run.query(
        "SELECT day, cluster_id, interaction_id FROM failure_cluster_members "
        "WHERE day BETWEEN ? AND ? AND cluster_id <> 'anomalies'",
        [window[0], window[-1]],
    )
    members["theme"] = members["interaction_id"].isin(theme_ids)
    purity = members.groupby(["day", "cluster_id"])["theme"].agg(["mean", "sum"]).reset_index()
    clusters = theme_run.query(
        "SELECT * FROM failure_clusters WHERE day BETWEEN ? AND ?", [window[0], window[-1]]
    )
    out = clusters.merge(purity, on=["day", "cluster_id"])
    return out[out["mean"] >= 0.5]


def test_the_theme_appears_as_a_new_or_emerging_cluster(theme_clusters: pd.DataFrame) -> None:
    fresh = theme_clusters[theme_clusters["status"].isin(["new", "emerging"])]
    assert len(fresh), theme_clusters[["day", "label", "status", "size", "mean"]].to_string()
    assert (fresh["coherence"] >= 0.5).any()


def test_the_theme_ranks_in_the_top_three(
    theme_run: ScenarioRun, window: list[dt.date], theme_clusters: pd.DataFrame, theme_ids: set[str]
) -> None:
    issues = theme_run.query(
        "SELECT * FROM issue_priorities WHERE day BETWEEN ? AND ? ORDER BY day, rank",
        [window[0], window[-1]],
    )
    fresh = theme_clusters[theme_clusters["status"].isin(["new", "emerging"])]
    wanted = {(d, f"cluster:{c}") for d, c in zip(fresh["day"], fresh["cluster_id"], strict=True)}

    def is_theme(row: pd.Series) -> bool:
        ids = {row["issue_id"], *json.loads(row["merged_issue_ids"] or "[]")}
        return any((row["day"], i) in wanted for i in ids)

    hits = issues[issues.apply(is_theme, axis=1)]
    top = hits[hits["rank"] <= 3]
    summary = issues.groupby("day").head(5)[["day", "rank", "source", "title", "priority"]]
    print(summary.to_string())
    assert len(top), summary.to_string()
    best = top.sort_values(["rank", "day"]).iloc[0]
    examples = json.loads(best["example_ids"])
    assert examples
    # The examples are the theme's interactions, and their queries say what it is about.
    assert sum(e in theme_ids for e in examples) >= (len(examples) + 1) // 2
    queries = theme_run.query(
        "SELECT query FROM raw_interactions WHERE interaction_id IN (SELECT unnest(?))", [examples]
    )["query"]
    cluster = theme_clusters[
        (theme_clusters["day"] == best["day"])
        & ("cluster:" + theme_clusters["cluster_id"] == best["issue_id"])
    ]
    label_terms = cluster["label"].iloc[0].split(" / ") if len(cluster) else []
    assert label_terms and label_coherence(normalize_text(queries), label_terms) >= 0.5


def test_a_day_lists_few_issues(theme_run: ScenarioRun) -> None:
    per_day = theme_run.query("SELECT day, count(*) AS n FROM issue_priorities GROUP BY day")
    print("issues per day:", dict(zip(per_day["day"].astype(str), per_day["n"], strict=True)))
    assert per_day["n"].max() <= 20


def test_rerunning_a_day_does_not_duplicate_regression_cases(
    theme_run: ScenarioRun, incident: dict
) -> None:
    cases = theme_run.home / "regression" / "cases.jsonl"
    before_lines = cases.read_text(encoding="utf-8").splitlines()
    before_rows = theme_run.query("SELECT count(*) AS n FROM regression_cases")["n"].iloc[0]
    assert before_lines and before_rows > 0
    theme_run.materialise(
        [incident["start_day"]], ["failure_clusters", "issue_priorities", "regression_cases"]
    )
    after_lines = cases.read_text(encoding="utf-8").splitlines()
    assert len(after_lines) == len(before_lines)
    assert sorted(after_lines) == sorted(before_lines)
    ids = [json.loads(line)["case_id"] for line in after_lines]
    assert len(ids) == len(set(ids))
    after_rows = theme_run.query("SELECT count(*) AS n FROM regression_cases")["n"].iloc[0]
    assert after_rows == before_rows
