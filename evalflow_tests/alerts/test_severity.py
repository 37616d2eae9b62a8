"""Alert severity from evidence: an unvalidated judge never pages above medium."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalflow.alerts.pipeline import AlertInputs, build_alerts
from evalflow.alerts.severity import severity_from_evidence, validity_lookup
from evalflow.calibration.validity import ValiditySettings, validity_rows
from evalflow.config.settings import Settings
from evalflow_tests.alerts.fixtures import Spike, kpi_series

D = dt.date(2026, 10, 5)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"broad": True, "escalated": False, "established": True, "validated": True}, "high"),
        ({"broad": False, "escalated": False, "established": True, "validated": True}, "medium"),
        ({"broad": True, "escalated": False, "established": True, "validated": False}, "medium"),
        ({"broad": True, "escalated": False, "established": False, "validated": True}, "medium"),
        ({"broad": False, "escalated": True, "established": True, "validated": True}, "high"),
        ({"broad": True, "escalated": True, "established": True, "validated": False}, "medium"),
    ],
)
def test_severity_table(kwargs: dict, expected: str) -> None:
    assert severity_from_evidence("high", "medium", **kwargs) == expected


def test_caps_never_raise_a_mild_finding() -> None:
    low = {"broad": True, "escalated": False, "established": False, "validated": False}
    assert severity_from_evidence("low", "low", **low) == "low"
    crit = {"broad": False, "escalated": False, "established": True, "validated": True}
    assert severity_from_evidence("critical", "critical", **crit) == "critical"


def _judged(seed: int, agreeing: bool, n: int = 1500) -> pd.DataFrame:
    """A week of faithfulness verdicts with thumbs: scores follow the thumbs, or are noise."""
    rng = np.random.default_rng(seed)
    down = rng.random(n) < 0.2
    score = rng.random(n)
    if agreeing:
        score = np.clip(np.where(down, 0.35, 0.7) + rng.normal(0, 0.2, n), 0, 1)
    none = pd.array([pd.NA] * n, dtype="boolean")
    return pd.DataFrame(
        {
            "criterion": "faithfulness",
            "backend": "heuristic",
            "score": score,
            "thumbs": pd.array(down, dtype="boolean"),
            "retried": none,
            "edited": none,
            "escalated": none,
            "override": none,
        }
    )


def _alerts(judged: pd.DataFrame) -> pd.DataFrame:
    """A big hallucination jump in billing, severity decided by the judge's validity."""
    table = pd.DataFrame(validity_rows(judged, pd.DataFrame(), D, [], ValiditySettings()))
    status = table[table["reference"] == "any"]
    kpis = kpi_series(
        D, 29, seed=9, spikes=[Spike(D, "queue", "billing", "hallucination_rate", 0.4)]
    )
    inputs = AlertInputs(day=D, kpis=kpis, raw_counts=pd.Series({D: 4000}), validity=status)
    alerts = build_alerts(inputs, Settings()).alerts
    return alerts[(alerts["metric"] == "hallucination_rate") & (alerts["status"] == "open")]


def test_random_judge_yields_at_most_medium_even_on_a_big_shift() -> None:
    hall = _alerts(_judged(1, agreeing=False))
    assert len(hall) and set(hall["kind"]) >= {"threshold"}
    assert set(hall["severity"]) <= {"medium", "low"}, hall[["segment_value", "severity"]]
    billing = hall[hall["segment_value"] == "billing"].iloc[0]
    assert billing["observed"] > 0.3
    assert "judge unvalidated on this traffic: AUC 0." in billing["evidence"]
    assert "vs thumbs" in billing["evidence"]


def test_validated_judge_still_pages_high() -> None:
    hall = _alerts(_judged(2, agreeing=True))
    billing = hall[hall["segment_value"] == "billing"].iloc[0]
    assert billing["severity"] == "high"
    assert "faithfulness judge validated on this traffic" in billing["evidence"]


def test_no_calibration_means_unvalidated_not_trusted() -> None:
    lookup = validity_lookup(None, D)
    mv = lookup("hallucination_rate")
    assert not mv.validated and "not validated on this traffic on 2026-10-05" in str(mv.reason)
    assert lookup("toxicity_signal_rate").validated  # a code signal
    assert lookup("error_rate").validated  # a recorded fact
    assert not lookup("relevance_proxy_mean").validated  # a heuristic proxy
