"""compute_signals on hand-made raw rows: columns, NULL semantics, end-to-end flags."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evalflow.config.settings import SlaSettings
from evalflow.signals.bench import bench, synthetic_raw
from evalflow.signals.compute import COLUMNS, compute_signals
from evalflow_tests.signals.fixtures import BASE_ROWS, raw_frame

DAY = dt.date(2026, 10, 5)


def _out() -> pd.DataFrame:
    return compute_signals(raw_frame(BASE_ROWS, DAY), SlaSettings(latency_ms=3000), day=DAY)


def test_columns_and_one_row_per_input() -> None:
    out = _out()
    assert list(out.columns) == list(COLUMNS)
    assert out["interaction_id"].tolist() == [r["interaction_id"] for r in BASE_ROWS]
    assert (out["day"] == DAY).all()


def test_row_level_verdicts() -> None:
    out = _out().set_index("interaction_id")
    ok, halluc = out.loc["ok-1"], out.loc["halluc-1"]
    assert ok["flags"] is None and ok["risk_score"] == 0.0
    assert halluc["unsupported_numbers"] == 1
    assert halluc["grounding_proxy"] < ok["grounding_proxy"]
    assert halluc["risk_score"] > 0.5
    assert {"unsupported_number", "negative_feedback", "negative_comment", "sla_breach"} <= set(
        halluc["flags"].split(",")
    )
    assert out.loc["toxic-1", "toxic"] and "toxicity" in out.loc["toxic-1", "flags"]
    assert out.loc["pii-1", "pii_types"] == "email,phone"
    assert out.loc["refusal-1", "refusal"]
    assert out.loc["error-1", "has_error"] and out.loc["error-1", "sla_breach"]
    # every red-flagged row is riskier than the clean one
    assert (out.drop(index="ok-1")["risk_score"] > ok["risk_score"]).all()


def test_null_semantics() -> None:
    out = _out().set_index("interaction_id")
    assert pd.isna(out.loc["toxic-1", "sla_breach"])  # no latency logged
    assert pd.isna(out.loc["toxic-1", "implicit_negative"])  # edited/retried unknown
    assert out.loc["halluc-1", "implicit_negative"]  # edited=True, retried unknown
    assert not out.loc["pii-1", "implicit_negative"]
    assert pd.isna(out.loc["pii-1", "grounding_proxy"])  # no context
    assert pd.isna(out.loc["pii-1", "unsupported_numbers"])
    assert pd.isna(out.loc["pii-1", "comment_sentiment"])
    assert out.loc["ok-1", "comment_sentiment"] == 1.0
    assert pd.isna(out.loc["toxic-1", "copied"])
    assert out.loc["ok-1", "rating_up"] and not out.loc["ok-1", "rating_down"]


def test_pii_numbers_do_not_count_as_fabricated_facts() -> None:
    row = dict(
        BASE_ROWS[0],
        interaction_id="pii-ctx",
        response=BASE_ROWS[0]["response"] + " The card on file is 4111 1111 1111 1111.",
    )
    out = compute_signals(raw_frame([BASE_ROWS[0], row], DAY))
    assert out["pii_in_response"].tolist() == [False, True]
    assert out["unsupported_numbers"].tolist() == [0, 0]


def test_empty_input_and_context_as_list() -> None:
    empty = compute_signals(pd.DataFrame())
    assert list(empty.columns) == list(COLUMNS) and empty.empty
    raw = raw_frame(BASE_ROWS[:2], DAY)  # "context" as a list column, no context_text
    with_text = raw.assign(context_text=raw["context"].map(" ".join)).drop(columns=["context"])
    a, b = compute_signals(raw), compute_signals(with_text)
    np.testing.assert_allclose(a["grounding_proxy"], b["grounding_proxy"])


def test_synthetic_traffic_and_bench_smoke() -> None:
    raw = synthetic_raw(3000, seed=5)
    out = compute_signals(raw.drop(columns=["context"]))
    hall = raw["hallucinated"].to_numpy()
    assert out["risk_score"][hall].mean() > 2 * out["risk_score"][~hall].mean()
    result = bench(2000)
    assert result["rows"] == 2000 and result["rows_per_s"] > 0
