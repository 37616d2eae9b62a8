"""Trailing baselines for thresholds the user did not set, and knowing which were set."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalflow.config import load_settings
from evalflow.config.settings import Settings, parse_settings
from evalflow.kpis.baseline import baseline_limit, trailing_baselines
from evalflow.kpis.stats import wilson_interval, z_value

Z = z_value(0.95)
DAY = dt.date(2026, 10, 20)
REPO = Path(__file__).resolve().parents[2]


def _history(days: int, x: int = 5, n: int = 100, cell: str = "overall") -> pd.DataFrame:
    rows = []
    for d in range(1, days + 1):
        day = DAY - dt.timedelta(days=d)
        p, lo, hi = wilson_interval(np.array([x]), np.array([n]), Z)
        for metric, value, low, high, nn in (
            ("volume", n, np.nan, np.nan, n),
            ("error_rate", p[0], lo[0], hi[0], n),
        ):
            rows.append(
                {
                    "day": day,
                    "segment_key": "overall" if cell == "overall" else "queue",
                    "segment_value": cell,
                    "metric": metric,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "se": (high - low) / (2 * Z),
                    "n": nn,
                }
            )
    return pd.DataFrame(rows)


def test_baseline_pools_the_trailing_days_and_excludes_the_day_itself() -> None:
    hist = _history(20)
    today = _history(1).assign(day=DAY, value=0.9)  # today's own value must not count
    out = trailing_baselines(
        pd.concat([hist, today]), DAY, days=14, min_days=7, z=Z, metrics=["error_rate"]
    )
    row = out.iloc[0]
    assert row.metric == "error_rate" and row.baseline_days == 14
    p, lo, hi = wilson_interval(np.array([5 * 14]), np.array([100 * 14]), Z)
    assert row.baseline_value == pytest.approx(p[0])
    assert (row.baseline_ci_low, row.baseline_ci_high) == pytest.approx((lo[0], hi[0]))
    assert baseline_limit(out, "max")[0] == pytest.approx(hi[0])
    assert baseline_limit(out, "min")[0] == pytest.approx(lo[0])


def test_too_few_trailing_days_means_no_baseline() -> None:
    out = trailing_baselines(_history(6), DAY, days=14, min_days=7, z=Z)
    assert out.empty
    assert trailing_baselines(pd.DataFrame(), DAY, days=14, min_days=7, z=Z).empty


def test_baselines_are_per_cell() -> None:
    hist = pd.concat([_history(10, x=2), _history(10, x=20, cell="billing")])
    out = trailing_baselines(hist, DAY, days=14, min_days=7, z=Z, metrics=["error_rate"])
    by_cell = dict(zip(out.segment_value, out.baseline_value, strict=True))
    assert by_cell["overall"] == pytest.approx(0.02)
    assert by_cell["billing"] == pytest.approx(0.20)


def test_explicitly_set_thresholds_are_known() -> None:
    s = parse_settings({"thresholds": {"hallucination_rate_max": 0.1}})
    assert s.thresholds.is_explicit("hallucination_rate_max")
    assert not s.thresholds.is_explicit("error_rate_max")
    assert not Settings().thresholds.is_explicit("hallucination_rate_max")
    with pytest.raises(KeyError):
        s.thresholds.is_explicit("halucination_rate_max")


def test_committed_config_leaves_thresholds_to_the_baseline() -> None:
    s = load_settings(REPO / "data" / "evalflow.yaml")
    assert not any(
        s.thresholds.is_explicit(k)
        for k in ("toxicity_rate_max", "hallucination_rate_max", "error_rate_max")
    )
    assert s.kpis.baseline_days == 14
    assert s.kpis.composite == Settings().kpis.composite


def test_baseline_min_days_cannot_exceed_days() -> None:
    from evalflow.config import ConfigError

    with pytest.raises(ConfigError):
        parse_settings({"kpis": {"baseline_days": 5, "baseline_min_days": 7}})


def test_read_kpi_history_returns_only_the_trailing_days(tmp_path: Path) -> None:
    from evalflow.kpis.io import read_kpi_history
    from evalflow.storage.warehouse import Warehouse

    wh = Warehouse(tmp_path / "w.duckdb")
    hist = _history(20)
    for day, part in pd.concat([hist, _history(1).assign(day=DAY)]).groupby("day"):
        wh.replace_partition("segment_kpis", part, day)
    got = read_kpi_history(wh, DAY, 14)
    days = set(pd.to_datetime(got["day"]).dt.date)
    assert days == {DAY - dt.timedelta(days=d) for d in range(1, 15)}
