"""Composite KPI: normalisation, direction, renormalised weights, NULL rule, CI propagation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import CompositeTerm
from evalflow.kpis.composite import (
    NORMALISATION_BOUNDS,
    TermValue,
    composite_from_terms,
    composite_rows,
    normalise,
    validate_terms,
)
from evalflow.kpis.stats import z_value

Z = z_value(0.95)
TERMS = [
    CompositeTerm(metric="escalation_precision", weight=0.40, direction="higher"),
    CompositeTerm(metric="sla_hit_rate", weight=0.35, direction="higher"),
    CompositeTerm(metric="override_rate", weight=0.25, direction="lower"),
]


def test_rates_used_as_is_or_flipped() -> None:
    norm, se = normalise("sla_hit_rate", "higher", np.array([0.9]), np.array([0.01]))
    assert norm[0] == pytest.approx(0.9) and se[0] == pytest.approx(0.01)
    norm, _ = normalise("override_rate", "lower", np.array([0.1]), np.array([0.01]))
    assert norm[0] == pytest.approx(0.9)


def test_min_max_for_non_rates() -> None:
    lo, hi = NORMALISATION_BOUNDS["latency_ms_p95"]
    norm, se = normalise(
        "latency_ms_p95", "lower", np.array([lo + 0.25 * (hi - lo)]), np.array([300.0])
    )
    assert norm[0] == pytest.approx(0.75)
    assert se[0] == pytest.approx(300.0 / (hi - lo))
    clipped, _ = normalise("latency_ms_p95", "lower", np.array([hi * 3]), np.array([1.0]))
    assert clipped[0] == 0.0


def test_direction_matters() -> None:
    good = composite_from_terms(
        {"override_rate": TermValue(0.1, 0.0, 100)},
        [CompositeTerm(metric="override_rate", weight=1.0, direction="lower")],
        Z,
    )
    bad = composite_from_terms(
        {"override_rate": TermValue(0.1, 0.0, 100)},
        [CompositeTerm(metric="override_rate", weight=1.0, direction="higher")],
        Z,
    )
    assert good.value == pytest.approx(0.9)
    assert bad.value == pytest.approx(0.1)


def test_weighted_sum_and_ci_propagation() -> None:
    vals = {
        "escalation_precision": TermValue(0.8, 0.02, 500),
        "sla_hit_rate": TermValue(0.9, 0.01, 900),
        "override_rate": TermValue(0.1, 0.03, 800),
    }
    res = composite_from_terms(vals, TERMS, Z)
    assert res.value == pytest.approx(0.4 * 0.8 + 0.35 * 0.9 + 0.25 * 0.9)
    se = math.sqrt((0.4 * 0.02) ** 2 + (0.35 * 0.01) ** 2 + (0.25 * 0.03) ** 2)
    assert res.se == pytest.approx(se)
    assert (res.ci_low, res.ci_high) == pytest.approx((res.value - Z * se, res.value + Z * se))
    assert res.n == 500
    assert res.present_weight == pytest.approx(1.0)


def test_missing_term_renormalises_weights() -> None:
    vals = {
        "escalation_precision": TermValue(0.8, 0.0, 10),
        "sla_hit_rate": TermValue(0.9, 0.0, 10),
    }
    res = composite_from_terms(vals, TERMS, Z)
    assert res.value == pytest.approx((0.4 * 0.8 + 0.35 * 0.9) / 0.75)
    assert res.present_weight == pytest.approx(0.75)
    assert res.terms["override_rate"] is None


def test_less_than_half_the_weight_is_unmeasured() -> None:
    res = composite_from_terms({"sla_hit_rate": TermValue(0.9, 0.01, 10)}, TERMS, Z)
    assert res.value is None and res.ci_low is None
    res = composite_from_terms(
        {
            "escalation_precision": TermValue(0.9, 0.01, 10),
            "override_rate": TermValue(0.1, 0.01, 10),
        },
        TERMS,
        Z,
    )
    assert res.value is not None  # 0.65 of the weight is present


def test_validate_terms() -> None:
    validate_terms(TERMS)
    validate_terms(
        [
            CompositeTerm(metric="judge_pass_rate:helpfulness", weight=0.5),
            CompositeTerm(metric="latency_ms_p95", weight=0.5, direction="lower"),
        ]
    )
    with pytest.raises(ValueError, match="volume"):
        validate_terms([CompositeTerm(metric="volume", weight=1.0)])
    with pytest.raises(ValueError, match="no_such_metric"):
        validate_terms([CompositeTerm(metric="no_such_metric", weight=1.0)])


def test_composite_rows_per_cell() -> None:
    rows = []
    for cell, (esc, sla, ovr) in {"a": (0.8, 0.9, 0.1), "b": (np.nan, np.nan, 0.2)}.items():
        for metric, v in (
            ("escalation_precision", esc),
            ("sla_hit_rate", sla),
            ("override_rate", ovr),
            ("volume", 50.0),
        ):
            rows.append(
                {
                    "segment_key": "queue",
                    "segment_value": cell,
                    "metric": metric,
                    "value": v,
                    "se": 0.01,
                    "n": 50,
                    "estimator": "census",
                }
            )
    out = composite_rows(pd.DataFrame(rows), TERMS, Z, min_cell_count=30).set_index("segment_value")
    assert out.loc["a", "value"] == pytest.approx(0.4 * 0.8 + 0.35 * 0.9 + 0.25 * 0.9)
    assert np.isnan(out.loc["b", "value"])  # only 25 % of the weight measured
    assert out.loc["a", "estimator"] == "census"
    assert not out.loc["a", "low_count"]
