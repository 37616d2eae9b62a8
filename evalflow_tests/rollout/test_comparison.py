"""Weekly baseline-vs-new comparison and its recommendation."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import RolloutSettings, Settings
from evalflow.kpis.metrics import compute_segment_kpis
from evalflow.rollout.comparison import COLUMNS, build_model_comparison, weekly_recommendation
from evalflow_tests.kpis.fixtures import arm_day

WEEK = dt.date(2026, 10, 5)
SETTINGS = Settings(rollout=RolloutSettings(min_samples=50))
ARMS = {"control": ("copilot-v1", 300, 0.25), "treatment": ("copilot-v2", 100, 0.25)}


def _week(start: dt.date, arms: dict, **kw: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    kpis, counts, raw = [], [], []
    for i in range(7):
        d = start + dt.timedelta(days=i)
        f = arm_day(d, arms, **kw)
        kpis.append(
            compute_segment_kpis(
                f["raw"],
                f["signals"],
                f["sampled"],
                f["judges"],
                segments=["queue"],
                criteria=["faithfulness"],
                kpi=SETTINGS.kpis,
                day=d,
            ).frame
        )
        counts.append(
            f["raw"]
            .groupby(["rollout_arm", "model_version", "traffic_share"], dropna=False)
            .size()
            .rename("n")
            .reset_index()
        )
        raw.append(f["raw"])
    return pd.concat(kpis), pd.concat(counts), {"raw": pd.concat(raw)}


def _decisions(*decisions: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [WEEK + dt.timedelta(days=i) for i in range(len(decisions))],
            "decision": list(decisions),
            "reasons": [json.dumps([f"reason {i} with 1.0%"]) for i in range(len(decisions))],
        }
    )


def _composite(diff: float, lo: float, hi: float) -> pd.Series:
    return pd.Series(
        {
            "diff": diff,
            "diff_ci_low": lo,
            "diff_ci_high": hi,
            "new_value": 0.8 + diff,
            "baseline_value": 0.8,
        }
    )


@pytest.mark.parametrize(
    ("decisions", "composite", "expected"),
    [
        (("GO", "GO", "GO"), (0.0, -0.01, 0.01), "expand"),
        (("GO", "GO", "HOLD"), (0.0, -0.01, 0.01), "pause"),
        (("GO", "ROLLBACK", "GO"), (0.0, -0.01, 0.01), "pause"),
        (("GO", "HOLD", "ROLLBACK"), (0.0, -0.01, 0.01), "rollback"),
        (("GO", "GO"), (-0.08, -0.10, -0.06), "rollback"),
        (("GO", "GO"), (-0.01, -0.04, 0.02), "pause"),
        ((), (0.0, -0.01, 0.01), "expand"),
    ],
)
def test_weekly_recommendation(
    decisions: tuple[str, ...], composite: tuple[float, ...], expected: str
) -> None:
    rec, reasons = weekly_recommendation(
        _decisions(*decisions), _composite(*composite), SETTINGS.rollout
    )
    assert rec == expected, reasons
    assert any("weekly composite KPI" in r for r in reasons)


def test_unmeasured_composite_pauses() -> None:
    rec, reasons = weekly_recommendation(_decisions("GO"), None, SETTINGS.rollout)
    assert rec == "pause" and "unmeasured" in reasons[-1]


def test_build_model_comparison() -> None:
    kpis, counts, raw = _week(WEEK, ARMS, override_every={"control": 10, "treatment": 5})

    def fetch(version: str, days: list[dt.date]) -> pd.DataFrame:
        r = raw["raw"]
        return r[(r.model_version == version) & r.day.isin(days)][
            ["latency_ms", "outcome_resolution_minutes"]
        ]

    out = build_model_comparison(
        WEEK, kpis, counts, _decisions("GO", "GO"), SETTINGS, fetch_percentiles=fetch
    )
    assert list(out.columns) == list(COLUMNS)
    m = out.set_index("metric")
    assert set(m["baseline_version"]) == {"copilot-v1"} and set(m["new_version"]) == {"copilot-v2"}
    ovr = m.loc["override_rate"]
    assert ovr.baseline_value == pytest.approx(210 / 2100)  # 30 of 300 per day × 7
    assert ovr.new_value == pytest.approx(140 / 700)
    assert ovr["diff"] == pytest.approx(0.1)
    assert ovr.diff_ci_low > 0 and bool(ovr.significant)
    assert ovr.rel_change == pytest.approx(1.0)
    assert (ovr.n_baseline, ovr.n_new) == (2100, 700)
    assert m.loc["volume", "diff"] == 700 - 2100 and np.isnan(m.loc["volume", "diff_ci_low"])
    # Exact weekly percentile from raw: latency is 100 + row index within an arm each day.
    assert m.loc["latency_ms_p50", "new_value"] == pytest.approx(
        np.quantile(100 + np.arange(100), 0.5)
    )
    assert out["metric"].iloc[-1] == "composite_kpi"
    # Only overrides differ between the arms: the diff is the override term's weight x 0.1.
    w_override = next(t.weight for t in SETTINGS.kpis.composite if t.metric == "override_rate")
    assert m.loc["composite_kpi", "diff"] == pytest.approx(-w_override * 0.1)
    # The composite is not non-inferior (−0.025 < −0.02): pause despite two GO days.
    assert set(out["recommendation"]) == {"pause"}
    assert "weekly composite" in out["recommendation_reasons"].iloc[0]


def test_no_new_model_no_rows() -> None:
    kpis, counts, _ = _week(WEEK, {"control": ("copilot-v1", 100, None)})
    assert build_model_comparison(WEEK, kpis, counts, _decisions(), SETTINGS).empty


def test_full_rollout_week_uses_previous_baseline() -> None:
    hist_kpis, hist_counts, _ = _week(WEEK - dt.timedelta(days=7), ARMS)
    kpis, counts, _ = _week(WEEK, {"treatment": ("copilot-v2", 400, 1.0)})
    out = build_model_comparison(
        WEEK,
        kpis,
        counts,
        _decisions("GO"),
        SETTINGS,
        kpis_history=hist_kpis,
        counts_history=hist_counts,
    )
    m = out.set_index("metric")
    assert set(m["baseline_version"]) == {"copilot-v1"}
    assert m.loc["volume", "baseline_value"] == 7 * 300
    assert "before/after" in out["recommendation_reasons"].iloc[0]
    assert set(out["recommendation"]) == {"expand"}
