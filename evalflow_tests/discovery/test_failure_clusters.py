from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import DiscoverySettings, Settings
from evalflow.discovery.anomalies import detect_anomalies
from evalflow.discovery.build import (
    MEMBERS_TABLE,
    build_failure_clusters,
    write_failure_clusters,
)
from evalflow.discovery.clusters import ANOMALY_CLUSTER_ID, CLUSTER_COLUMNS
from evalflow.discovery.inputs import add_reasons, load_day_frame
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.discovery.fixtures import NEW_THEME_DAY, START, days_from, make_day, seed_days

DAYS = days_from(START, 6)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict[dt.date, pd.DataFrame]]:
    """Six days of fixture traffic, clustered day by day in order."""
    wh = Warehouse(Path(tmp_path_factory.mktemp("disc")) / "db.duckdb")
    seed_days(wh, DAYS)
    out = {}
    for d in DAYS:
        result = build_failure_clusters(wh, d, Settings())
        write_failure_clusters(wh, d, result)
        out[d] = result.clusters
    return wh, out


def _loyalty(clusters: pd.DataFrame) -> pd.DataFrame:
    return clusters[clusters["label"].str.contains("loyalty|points")]


def test_new_theme_appears_as_new_then_emerging(run) -> None:
    _, out = run
    for d in DAYS:
        if d < NEW_THEME_DAY:
            assert _loyalty(out[d]).empty, f"no loyalty theme before {NEW_THEME_DAY}"
    day5 = _loyalty(out[NEW_THEME_DAY])
    assert len(day5) >= 1 and set(day5["status"]) == {"new"}
    assert (day5["first_seen"] == NEW_THEME_DAY).all()
    day6 = _loyalty(out[NEW_THEME_DAY + dt.timedelta(days=1)])
    assert len(day6) >= 1
    assert set(day6["status"]) <= {"new", "emerging"}
    # At least one of day 6's loyalty themes continues a day-5 theme (same id).
    assert set(day6["cluster_id"]) & set(day5["cluster_id"])


def test_recurring_theme_keeps_its_id(run) -> None:
    _, out = run
    ids = []
    for d in DAYS:
        refund = out[d][out[d]["label"].str.contains("refund|duplicate|charge")]
        assert len(refund) >= 1
        ids.append(set(refund["cluster_id"]))
    common = set.intersection(*ids)
    assert common, "the duplicate-charge theme must keep one id across all days"
    cid = sorted(common)[0]
    firsts = {out[d].loc[out[d]["cluster_id"] == cid, "first_seen"].iloc[0] for d in DAYS}
    assert firsts == {START}
    later = out[DAYS[-1]].loc[out[DAYS[-1]]["cluster_id"] == cid, "status"].iloc[0]
    assert later in ("stable", "growing", "shrinking", "emerging")


def test_cluster_rows_follow_the_contract(run) -> None:
    wh, out = run
    d = NEW_THEME_DAY
    c = out[d]
    assert list(c.columns) == list(CLUSTER_COLUMNS)
    themes = c[~c["is_anomaly_cluster"].astype(bool)]
    frame = load_day_frame(wh, d)
    users_day = frame["user_id"].nunique()
    for r in themes.to_dict("records"):
        ex = json.loads(r["example_ids"])
        assert 1 <= len(ex) <= 5
        assert set(ex) <= set(frame.loc[frame["failing"], "interaction_id"])
        assert r["users_affected"] <= r["size"]
        assert r["share_users"] == pytest.approx(r["users_affected"] / users_day)
        assert r["share_traffic"] == pytest.approx(r["size"] / len(frame))
        assert json.loads(r["top_terms"]) and r["label"]
        assert 1 <= r["severity"] <= 5
    # The duplicate-charge theme is a hallucination theme -> severity 4.
    refund = themes[themes["label"].str.contains("refund|duplicate|charge")]
    assert (refund["severity"] == 4).all()
    # Members: every themed failing row is stored once per theme.
    members = wh.read_partition(MEMBERS_TABLE, d)
    sized = members[members["cluster_id"] != ANOMALY_CLUSTER_ID].groupby("cluster_id").size()
    assert sized.to_dict() == dict(zip(themes["cluster_id"], themes["size"], strict=True))


def test_anomaly_row_flags_the_extreme_interaction(run) -> None:
    _wh, out = run
    c = out[DAYS[0]]
    anom = c[c["is_anomaly_cluster"].astype(bool)]
    assert len(anom) == 1 and anom["cluster_id"].iloc[0] == ANOMALY_CLUSTER_ID
    # The fixture's first interaction of each day takes 45 s to answer.
    assert "i1001-0000" in json.loads(anom["example_ids"].iloc[0])


def test_rerun_replaces_the_partition(run) -> None:
    wh, out = run
    d = DAYS[2]
    again = build_failure_clusters(wh, d, Settings())
    write_failure_clusters(wh, d, again)
    stored = wh.read_partition("failure_clusters", d)
    assert len(stored) == len(out[d])
    assert sorted(stored["cluster_id"]) == sorted(out[d]["cluster_id"])


def test_only_raw_interactions_present(tmp_path: Path) -> None:
    """Signals and judges absent: ratings, retries and overrides still define failures."""
    wh = Warehouse(tmp_path / "db.duckdb")
    d = NEW_THEME_DAY
    wh.replace_partition("raw_interactions", make_day(d)["raw_interactions"], d)
    result = build_failure_clusters(wh, d, Settings())
    themes = result.clusters[~result.clusters["is_anomaly_cluster"].astype(bool)]
    assert len(themes) >= 2
    assert themes["label"].str.contains("loyalty|points|refund|charge|password").any()
    mix = json.loads(themes["failure_mix"].iloc[0])
    assert not any(k.startswith("judge:") for k in mix)


def test_empty_day_and_missing_tables(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "db.duckdb")
    d = dt.date(2026, 10, 5)
    result = build_failure_clusters(wh, d, Settings())  # no tables at all
    assert result.clusters.empty and result.members.empty
    write_failure_clusters(wh, d, result)
    assert wh.table_exists("failure_clusters") and wh.table_exists(MEMBERS_TABLE)
    cols = wh.query_df(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'failure_clusters'"
    )
    types = dict(zip(cols["column_name"], cols["data_type"], strict=True))
    assert (
        types["day"] == "DATE"
        and types["size"] == "BIGINT"
        and types["is_anomaly_cluster"] == "BOOLEAN"
    )


def test_cap_bounds_fitting_but_assigns_every_failure(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "db.duckdb")
    d = NEW_THEME_DAY
    seed_days(wh, [d], n_loyalty=40)
    settings = Settings(discovery=DiscoverySettings(max_cluster_rows=50, min_cluster_size=1))
    result = build_failure_clusters(wh, d, settings)
    frame = load_day_frame(wh, d)
    themes = result.clusters[~result.clusters["is_anomaly_cluster"].astype(bool)]
    assert frame["failing"].sum() > 50
    assert themes["size"].sum() == frame["failing"].sum()


def test_reasons_are_derived_from_every_signal() -> None:
    frame = pd.DataFrame(
        {
            "interaction_id": ["a", "b", "c", "d", "e"],
            "toxic": [True, None, False, False, False],
            "pii_in_response": [False, False, None, False, False],
            "refusal": [False, True, False, False, False],
            "feedback_rating": [None, "down", None, "up", None],
            "outcome_analyst_override": [None, None, True, False, None],
            "feedback_retried": [False, False, False, False, None],
            "raw_error": [False, False, False, False, True],
            "judge_failed": [None, "relevance", None, "faithfulness,safety", None],
        }
    )
    out = add_reasons(frame)
    assert out["reasons"].tolist() == [
        "toxicity",
        "refusal,rating_down,judge:relevance",
        "override",
        "judge:faithfulness,judge:safety",
        "error",
    ]
    assert out["severity"].tolist() == [5, 3, 3, 5, 3]
    assert out["failing"].all()


def test_detect_anomalies_needs_an_extreme_signal() -> None:
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "interaction_id": [f"i{k}" for k in range(n)],
            "raw_latency_ms": rng.normal(1000, 50, n),
            "len_query": rng.integers(30, 60, n),
            "len_response": rng.integers(200, 300, n),
            "risk_score": rng.uniform(0, 0.2, n),
        }
    )
    frame.loc[7, "raw_latency_ms"] = 60000
    frame.loc[9, "len_response"] = 20000
    out = detect_anomalies(frame, share=0.01, z_min=3.5, max_fit_rows=1000, seed=1)
    flagged = set(out.loc[out["is_anomaly"], "interaction_id"])
    assert {"i7", "i9"} <= flagged
    assert len(flagged) <= 4
    assert out.loc[out["interaction_id"] == "i7", "anomaly_feature"].iloc[0] == "latency"
    small = detect_anomalies(frame.head(10), share=0.01, z_min=3.5, max_fit_rows=1000, seed=1)
    assert small.empty
