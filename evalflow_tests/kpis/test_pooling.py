"""Pooling daily rows into a multi-day estimate."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalflow.kpis.pooling import pool_days
from evalflow.kpis.stats import z_value

Z = z_value(0.95)
D1, D2 = dt.date(2026, 10, 5), dt.date(2026, 10, 6)


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"day": D1, "metric": "volume", "value": 100.0, "se": None, "n": 100},
            {"day": D2, "metric": "volume", "value": 300.0, "se": None, "n": 300},
            {"day": D1, "metric": "override_rate", "value": 0.10, "se": 0.03, "n": 50},
            {"day": D2, "metric": "override_rate", "value": 0.20, "se": 0.02, "n": 150},
            {"day": D1, "metric": "hallucination_rate", "value": 0.02, "se": 0.01, "n": 40},
            {"day": D2, "metric": "hallucination_rate", "value": 0.06, "se": 0.02, "n": 10},
            {"day": D1, "metric": "composite_kpi", "value": 0.8, "se": 0.01, "n": 40},
            {"day": D2, "metric": "escalation_precision", "value": None, "se": None, "n": 0},
        ]
    )


def test_pool_days() -> None:
    out = pool_days(_rows(), Z).set_index("metric")
    assert out.loc["volume", "value"] == 400
    # Census rate: successes recombined exactly (5 + 30) / 200.
    assert out.loc["override_rate", "value"] == pytest.approx(35 / 200)
    assert out.loc["override_rate", "n"] == 200
    # Judge estimate: weighted by the day's population (volume), not by judged rows.
    assert out.loc["hallucination_rate", "value"] == pytest.approx((100 * 0.02 + 300 * 0.06) / 400)
    assert out.loc["hallucination_rate", "se"] == pytest.approx(
        ((100 * 0.01) ** 2 + (300 * 0.02) ** 2) ** 0.5 / 400
    )
    assert out.loc["hallucination_rate", "estimator"] == "horvitz_thompson"
    assert "composite_kpi" not in out.index  # recomputed by callers from pooled terms
    assert pd.isna(out.loc["escalation_precision", "value"])
    assert out.loc["override_rate", "days"] == 2
