"""Input drift (PSI, chi-square, KS) and freshness: real shifts alert, the same mix does not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalflow.alerts.drift import select_significant
from evalflow.alerts.freshness import freshness_alerts
from evalflow.alerts.input_drift import mix_drift_tests, numeric_drift_tests, psi
from evalflow_tests.alerts.fixtures import SEGMENTS, raw_interactions

D = dt.date(2026, 10, 5)
LABEL = "7-day baseline"


def _counts(raw: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for key in SEGMENTS:
        vc = raw[f"seg_{key}"].value_counts()
        parts.append(pd.DataFrame({"dimension": key, "category": vc.index, "n": vc.to_numpy()}))
    pair = (raw["seg_queue"] + "×" + raw["seg_channel"]).value_counts()
    parts.append(
        pd.DataFrame({"dimension": "queue×channel", "category": pair.index, "n": pair.to_numpy()})
    )
    return pd.concat(parts, ignore_index=True)


def _numeric(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "query_length": raw["query"].str.len(),
            "response_length": raw["response"].str.len(),
            "latency_ms": raw["latency_ms"],
        }
    )


def _baseline(**kwargs: object) -> pd.DataFrame:
    return pd.concat(
        [
            raw_interactions(D - dt.timedelta(days=i), 3000, seed=100 + i, **kwargs)  # type: ignore[arg-type]
            for i in range(1, 8)
        ],
        ignore_index=True,
    )


def test_psi_basics() -> None:
    assert psi(np.array([50, 50]), np.array([500, 500])) == pytest.approx(0.0)
    shifted = psi(np.array([50, 30, 20]), np.array([20, 30, 50]))
    assert shifted > 0.5
    # A category that vanishes keeps PSI finite.
    assert np.isfinite(psi(np.array([10, 10]), np.array([20, 0])))


def test_unshifted_traffic_raises_no_input_drift() -> None:
    base, today = _baseline(), raw_interactions(D, 3000, seed=1)
    tests = pd.concat(
        [
            mix_drift_tests(_counts(today), _counts(base), LABEL, 0.2, 30),
            numeric_drift_tests(_numeric(today), _numeric(base), LABEL, 0.2, 30),
        ],
        ignore_index=True,
    )
    assert set(tests["metric"]) >= {"queue_mix", "queue×channel_mix", "query_length", "latency_ms"}
    assert (tests["effect"] < 0.05).all()
    assert select_significant(tests, 0.01).empty


def test_shifted_mix_and_lengths_are_detected() -> None:
    mix = {
        **SEGMENTS,
        "queue": {"billing": 0.1, "technical": 0.1, "account": 0.1, "outage": 0.6, "shipping": 0.1},
    }
    base = _baseline()
    today = raw_interactions(D, 3000, seed=1, mix=mix, query_words=24.0, latency_ms=1250.0)
    tests = pd.concat(
        [
            mix_drift_tests(_counts(today), _counts(base), LABEL, 0.2, 30),
            numeric_drift_tests(_numeric(today), _numeric(base), LABEL, 0.2, 30),
        ],
        ignore_index=True,
    )
    alerts = select_significant(tests, 0.01)
    assert set(alerts["metric"]) == {"queue_mix", "queue×channel_mix", "query_length"}
    queue = alerts[alerts["metric"] == "queue_mix"].iloc[0]
    assert queue["kind"] == "input_drift" and queue["severity"] == "medium"
    assert queue["observed"] > 0.4 and queue["expected"] == 0.2
    assert "outage +" in queue["evidence"] and "chi-square" in queue["evidence"]
    # Latency moved 4%: KS notices on 3000 rows, but PSI says it is not worth an alert.
    latency = tests[tests["metric"] == "latency_ms"].iloc[0]
    assert latency["p_value"] < 0.01 and not latency["effect_ok"]


def test_too_few_rows_are_not_tested() -> None:
    base, today = _baseline(), raw_interactions(D, 12, seed=1)
    assert mix_drift_tests(_counts(today), _counts(base), LABEL, 0.2, 30).empty
    assert numeric_drift_tests(_numeric(today), _numeric(base), LABEL, 0.2, 30).empty


def test_empty_day_raises_a_high_freshness_alert() -> None:
    history = pd.Series({D - dt.timedelta(days=i): 4000 + i for i in range(1, 8)})
    found = freshness_alerts(D, 0, history)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["kind"], row["metric"], row["severity"]) == ("freshness", "row_count", "high")
    assert row["observed"] == 0 and row["expected"] == pytest.approx(4004)
    assert "0 rows" in row["evidence"]
    # With no history at all an empty day still alerts.
    assert freshness_alerts(D, 0, pd.Series(dtype="int64"))["severity"].tolist() == ["high"]


def test_volume_drop_alerts_by_ratio_and_needs_a_baseline() -> None:
    history = pd.Series({D - dt.timedelta(days=i): 4000 for i in range(1, 8)})
    assert freshness_alerts(D, 3000, history).empty
    assert freshness_alerts(D, 1500, history)["severity"].tolist() == ["medium"]
    assert freshness_alerts(D, 400, history)["severity"].tolist() == ["high"]
    assert freshness_alerts(D, 400, history.iloc[:2]).empty  # 2 baseline days are too few
