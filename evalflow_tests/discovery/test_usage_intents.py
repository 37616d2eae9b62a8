from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from evalflow.config import Paths
from evalflow.config.settings import DiscoverySettings, Settings
from evalflow.discovery.assets import failure_clusters, usage_intents
from evalflow.discovery.build import write_usage_intents
from evalflow.discovery.inputs import load_day_frame, read_history, read_queries
from evalflow.discovery.intents import INTENT_COLUMNS, compute_usage_intents, outcome_columns
from evalflow.resources import EvalflowResource
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.discovery.fixtures import NEW_THEME_DAY, NORMAL, days_from, seed_days


def test_outcome_definitions() -> None:
    frame = pd.DataFrame(
        {
            "outcome_resolved": [True, True, False, False, False, None],
            "feedback_rating": ["up", "down", None, "up", "up", None],
            "feedback_retried": [False, False, False, True, False, True],
        }
    )
    o = outcome_columns(frame)
    assert o["known"].tolist() == [1, 1, 1, 1, 1, 0]
    assert o["success"].tolist() == [1, 0, 0, 0, 0, 0]  # resolved and not rated down
    # Not resolved and (retried or no rating); unknown resolution never counts.
    assert o["dropoff"].tolist() == [0, 0, 1, 1, 0, 0]
    assert o["rated"].tolist() == [1, 1, 0, 1, 1, 0]


def test_intent_rates_per_segment_by_hand() -> None:
    q = [
        "reset my password",
        "reset password link",
        "password reset please",
        "track my parcel",
        "where is my parcel",
        "parcel tracking number",
    ] * 3
    n = len(q)
    queries = pd.DataFrame({"interaction_id": [f"i{k}" for k in range(n)], "query": q})
    is_pw = np.array(["password" in t for t in q])
    frame = pd.DataFrame(
        {
            "interaction_id": queries["interaction_id"],
            "user_id": [f"u{k % 4}" for k in range(n)],
            "seg_queue": np.where(is_pw, "account", "shipping"),
            "outcome_resolved": np.where(is_pw, False, True),
            "feedback_rating": [None] * n,
            "feedback_retried": [False] * n,
        }
    )
    settings = DiscoverySettings(intent_k_min=2, intent_k_max=4)
    table, assign = compute_usage_intents(
        queries, frame, pd.DataFrame(), dt.date(2026, 10, 5), settings
    )
    assert list(table.columns) == list(INTENT_COLUMNS)
    overall = table[table["segment_key"] == "overall"].set_index("label")
    assert len(overall) == 2
    pw = overall[overall.index.str.contains("password")].iloc[0]
    parcel = overall[overall.index.str.contains("parcel")].iloc[0]
    assert pw["volume"] == 9 and parcel["volume"] == 9
    assert pw["success_rate"] == 0.0 and pw["dropoff_rate"] == 1.0
    assert parcel["success_rate"] == 1.0 and parcel["dropoff_rate"] == 0.0
    assert pd.isna(pw["negative_feedback_rate"])  # nobody rated
    assert pw["share"] == pytest.approx(0.5) and pw["status"] == "new"
    by_queue = table[table["segment_key"] == "queue"]
    assert set(by_queue["segment_value"]) == {"account", "shipping"}
    assert (by_queue["share"] == 1.0).all()  # each queue holds exactly one intent
    assert assign["intent_id"].nunique() == 2 and len(assign) == n


def test_intent_ids_are_stable_across_days(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "db.duckdb")
    days = days_from(NEW_THEME_DAY - dt.timedelta(days=1), 2)
    seed_days(wh, days)
    settings = Settings().discovery
    tables, majority = {}, {}
    for d in days:
        history = read_history(wh, "usage_intents", d, 14, where="segment_key = 'overall'")
        tables[d], assign = compute_usage_intents(
            read_queries(wh, d), load_day_frame(wh, d), history, d, settings
        )
        write_usage_intents(wh, d, tables[d])
        q = read_queries(wh, d).merge(assign, on="interaction_id")
        # The intent most queries of each ordinary template were assigned to.
        templates = [t for texts in NORMAL.values() for t in texts]
        majority[d] = {
            t: q.loc[q["query"].str.startswith(t), "intent_id"].mode().iloc[0] for t in templates
        }
    same = [t for t in majority[days[0]] if majority[days[0]][t] == majority[days[1]][t]]
    assert len(same) >= 0.6 * len(majority[days[0]])
    first, second = (tables[d][tables[d]["segment_key"] == "overall"] for d in days)
    kept = second[second["intent_id"].isin(first["intent_id"])]
    assert (kept["first_seen"] == days[0]).all() and (kept["status"] != "new").all()
    loyalty = second[second["label"].str.contains("loyalty")]
    assert len(loyalty) >= 1 and (loyalty["status"] == "new").all()
    assert loyalty["success_rate"].max() == 0.0


def test_materialise_discovery_assets(home: Paths, instance: dg.DagsterInstance) -> None:
    d = NEW_THEME_DAY
    wh = Warehouse(home.database)
    seed_days(wh, [d])
    result = dg.materialize(
        [failure_clusters, usage_intents],
        partition_key=d.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    clusters = wh.read_partition("failure_clusters", d)
    intents = wh.read_partition("usage_intents", d)
    assert len(clusters) >= 2 and len(intents) >= 4
    mats = result.asset_materializations_for_node("failure_clusters")
    assert mats[0].metadata["dagster/row_count"].value == len(clusters)
    # An empty day still writes its (empty) partitions and succeeds.
    empty = dg.materialize(
        [failure_clusters, usage_intents],
        partition_key="2026-10-20",
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert empty.success
    assert wh.read_partition("usage_intents", dt.date(2026, 10, 20)).empty
