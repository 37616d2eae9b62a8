"""The Great Expectations suites as plain functions (no Dagster)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalflow.config import Settings
from evalflow.ingest.contract import build_suites, failures_markdown, validate
from evalflow.ingest.schema import raw_columns

DAY = dt.date(2026, 10, 5)
SETTINGS = Settings()


def frame(n: int = 4) -> pd.DataFrame:
    cols = raw_columns(SETTINGS.segments)
    df = pd.DataFrame({c: [None] * n for c in cols})
    df["day"] = pd.Timestamp(DAY)
    df["interaction_id"] = [f"i-{k}" for k in range(n)]
    df["timestamp"] = pd.to_datetime([f"2026-10-05 0{k}:00:00" for k in range(n)])
    df["query"], df["response"], df["source_file"] = "q", "r", "f.jsonl"
    df["traffic_share"] = [0.1, 0.25, 0.5, 1.0][:n]
    df["latency_ms"] = [100.0, None, 3.0, 0.0][:n]
    df["turn"] = pd.array([1, None, 2, 3][:n], dtype="Int32")
    df["feedback_rating"] = ["up", None, "down", None][:n]
    df["rollout_arm"] = ["control", "treatment", None, "control"][:n]
    df["context"] = [["a"], None, [], ["b", "c"]][:n]
    return df


def test_suites_cover_the_contract() -> None:
    suites = build_suites(SETTINGS, DAY)
    critical = {
        (e.expectation_type, getattr(e, "column", None)) for e in suites["critical"].expectations
    }
    assert ("expect_column_values_to_be_unique", "interaction_id") in critical
    assert ("expect_column_values_to_not_be_null", "interaction_id") in critical
    assert ("expect_column_values_to_be_between", "timestamp") in critical
    assert {c for t, c in critical if t == "expect_column_to_exist"} == set(
        raw_columns(SETTINGS.segments)
    )
    ranges = {
        (e.expectation_type, getattr(e, "column", None)) for e in suites["ranges"].expectations
    }
    assert ("expect_column_values_to_be_in_set", "rollout_arm") in ranges
    assert ("expect_column_values_to_be_between", "traffic_share") in ranges


def test_clean_day_passes_both_suites() -> None:
    results = validate(frame(), SETTINGS, DAY)
    assert results["critical"].success and results["ranges"].success
    assert "expectations passed" in failures_markdown(results["critical"])


def test_empty_day_passes() -> None:
    results = validate(frame().iloc[:0], SETTINGS, DAY)
    assert results["critical"].success and results["ranges"].success


def test_failures_report_counts_and_samples() -> None:
    df = frame()
    df.loc[1, "interaction_id"] = "i-0"
    df.loc[3, "timestamp"] = pd.Timestamp("2026-10-06 00:00:00")
    df.loc[2, "query"] = None
    df.loc[0, "traffic_share"] = 1.5
    df.loc[2, "latency_ms"] = -4.0
    df.loc[3, "feedback_rating"] = "thumbs-up"
    df.loc[2, "rollout_arm"] = "canary|<b>"
    results = validate(df, SETTINGS, DAY)
    crit = {(o.expectation, o.column): o for o in results["critical"].failures}
    assert crit[("expect_column_values_to_be_unique", "interaction_id")].unexpected_count == 2
    assert crit[("expect_column_values_to_be_unique", "interaction_id")].sample == ["i-0", "i-0"]
    assert crit[("expect_column_values_to_be_between", "timestamp")].unexpected_count == 1
    assert crit[("expect_column_values_to_not_be_null", "query")].unexpected_count == 1
    soft = {(o.expectation, o.column): o for o in results["ranges"].failures}
    assert soft[("expect_column_values_to_be_between", "traffic_share")].sample == [1.5]
    assert soft[("expect_column_values_to_be_between", "latency_ms")].sample == [-4.0]
    assert soft[("expect_column_values_to_be_in_set", "feedback_rating")].sample == ["thumbs-up"]
    assert soft[("expect_column_values_to_be_in_set", "rollout_arm")].unexpected_count == 1
    md = failures_markdown(results["ranges"])
    assert "canary\\|&lt;b&gt;" in md  # hostile text cannot break the table


def test_missing_column_fails_critical() -> None:
    results = validate(frame().drop(columns=["seg_queue"]), SETTINGS, DAY)
    failed = {(o.expectation, o.column) for o in results["critical"].failures}
    assert failed == {("expect_column_to_exist", "seg_queue")}


@pytest.mark.parametrize("arm", ["control", "treatment"])
def test_configured_arms_are_the_known_set(arm: str) -> None:
    df = frame()
    df["rollout_arm"] = arm
    assert validate(df, SETTINGS, DAY)["ranges"].success
