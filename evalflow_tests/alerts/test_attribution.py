"""Root-cause attribution: one breach is the overall alert plus the cells it concentrates in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalflow.alerts.attribution import AttributionRule, Overlap, attribute_alerts
from evalflow.alerts.common import CANDIDATE_COLUMNS
from evalflow.alerts.pipeline import AlertInputs, build_alerts
from evalflow.alerts.thresholds import threshold_alerts
from evalflow.config.settings import Settings, ThresholdSettings
from evalflow_tests.alerts.fixtures import SEGMENTS, aggregate_kpis, traffic_rows

D = dt.date(2026, 10, 5)
RULE = AttributionRule()
KEYS = [*SEGMENTS, "model_version", "rollout_arm"]


def _day(seed: int, n: int = 3000) -> pd.DataFrame:
    """A day of rows where latam is mostly Spanish-speaking (as in real traffic)."""
    rng = np.random.default_rng(seed)
    rows = traffic_rows(D, rng, n, sample_rows=n)
    latam = (rows["region"] == "latam").to_numpy()
    rows.loc[latam & (rng.random(n) < 0.8), "language"] = "es"
    rows["model_version"] = np.where(rng.random(n) < 0.3, "copilot-v2", "copilot-v1")
    rows["rollout_arm"] = np.where(rows["model_version"] == "copilot-v2", "treatment", "control")
    rows["toxicity_signal_rate"] = 0.0
    return rows


def _kpis(rows: pd.DataFrame) -> pd.DataFrame:
    """segment_kpis of the rows, with the arm cells and volumes the attribution reads."""
    with_arms = rows.copy()
    parts = [aggregate_kpis(with_arms)]
    for key in ("model_version", "rollout_arm"):
        swapped = with_arms.assign(queue=with_arms[key])
        arm = aggregate_kpis(swapped)
        parts.append(arm[arm["segment_key"] == "queue"].assign(segment_key=key))
    kpis = pd.concat(parts, ignore_index=True)
    volume = [("overall", "overall", len(rows))] + [
        (key, str(v), int(c)) for key in KEYS for v, c in rows[key].value_counts().items()
    ]
    vol = pd.DataFrame(volume, columns=["segment_key", "segment_value", "value"]).assign(
        day=D,
        metric="volume",
        n=lambda f: f["value"],
        ci_low=np.nan,
        ci_high=np.nan,
        estimator="census",
        low_count=False,
    )
    return pd.concat([kpis, vol], ignore_index=True)


def _joint(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.groupby(KEYS).size().rename("n").reset_index()


def _attributed(rows: pd.DataFrame, joint: bool = True) -> pd.DataFrame:
    kpis = _kpis(rows)
    found = threshold_alerts(kpis, ThresholdSettings(), min_cell_count=30)
    return attribute_alerts(found, kpis, None, _joint(rows) if joint else None, RULE)


def _cells(frame: pd.DataFrame, metric: str) -> set[tuple[str, str]]:
    hit = frame[frame["metric"] == metric]
    return set(zip(hit["segment_key"], hit["segment_value"], strict=True))


def test_burst_in_one_language_is_overall_plus_that_language_not_its_region() -> None:
    rows = _day(seed=1)
    es = np.flatnonzero((rows["language"] == "es").to_numpy())
    rows.loc[es[::12], "toxicity_signal_rate"] = 1.0  # ~8% of Spanish answers are toxic
    out = _attributed(rows)
    assert _cells(out, "toxicity_signal_rate") == {("overall", "overall"), ("language", "es")}
    overall = out[(out["metric"] == "toxicity_signal_rate") & (out["segment_key"] == "overall")]
    evidence = overall["evidence"].iloc[0]
    # latam looks special on its own (it is mostly Spanish) but es explains it.
    assert "region=latam" in evidence and "folded into this alert" in evidence
    es_row = out[(out["metric"] == "toxicity_signal_rate") & (out["segment_key"] == "language")]
    assert es_row["severity"].iloc[0] == "critical"
    assert "concentrated here" in es_row["evidence"].iloc[0]
    assert "Fisher p=" in es_row["evidence"].iloc[0]


def test_without_joint_counts_correlated_cells_are_not_explained_away() -> None:
    """The overlap is what tells es from latam; without it both may look concentrated."""
    rows = _day(seed=1)
    es = np.flatnonzero((rows["language"] == "es").to_numpy())
    rows.loc[es[::12], "toxicity_signal_rate"] = 1.0
    with_joint = _cells(_attributed(rows), "toxicity_signal_rate")
    without = _cells(_attributed(rows, joint=False), "toxicity_signal_rate")
    assert ("language", "es") in without and with_joint < without


def test_one_toxic_answer_is_one_alert() -> None:
    rows = _day(seed=2)
    rows.loc[17, "toxicity_signal_rate"] = 1.0
    out = _attributed(rows)
    assert _cells(out, "toxicity_signal_rate") == {("overall", "overall")}
    assert "also shows in 8 segment cell(s)" in out["evidence"].iloc[0]


def test_two_independent_causes_are_both_kept() -> None:
    rows = _day(seed=3)
    es = np.flatnonzero((rows["language"] == "es").to_numpy())
    billing_en = np.flatnonzero(
        ((rows["queue"] == "billing") & (rows["language"] == "en")).to_numpy()
    )
    rows.loc[es[::10], "toxicity_signal_rate"] = 1.0
    rows.loc[billing_en[::20], "toxicity_signal_rate"] = 1.0
    cells = _cells(_attributed(rows), "toxicity_signal_rate")
    assert {("overall", "overall"), ("language", "es"), ("queue", "billing")} <= cells
    assert ("region", "latam") not in cells


def test_identical_cells_are_one_alert() -> None:
    """rollout_arm=treatment and model_version=copilot-v2 are the same rows."""
    rows = _day(seed=4)
    treated = np.flatnonzero((rows["rollout_arm"] == "treatment").to_numpy())
    rows.loc[treated[::15], "toxicity_signal_rate"] = 1.0
    cells = _cells(_attributed(rows), "toxicity_signal_rate")
    arm_cells = cells & {("rollout_arm", "treatment"), ("model_version", "copilot-v2")}
    assert len(arm_cells) == 1 and ("overall", "overall") in cells


def test_without_an_overall_breach_the_strongest_cell_represents_the_rest() -> None:
    cand = pd.DataFrame(
        [
            {
                "kind": "threshold",
                "severity": "low",
                "metric": "error_rate",
                "segment_key": "queue",
                "segment_value": "outage",
                "observed": 0.09,
                "expected": 0.05,
                "evidence": "outage",
                "p_value": np.nan,
            },
            {
                "kind": "threshold",
                "severity": "low",
                "metric": "error_rate",
                "segment_key": "urgency",
                "segment_value": "critical",
                "observed": 0.08,
                "expected": 0.05,
                "evidence": "critical",
                "p_value": np.nan,
            },
        ]
    )
    kpis = pd.DataFrame(
        [
            {
                "segment_key": "overall",
                "segment_value": "overall",
                "metric": "error_rate",
                "value": 0.012,
                "n": 4000,
            },
            {
                "segment_key": "queue",
                "segment_value": "outage",
                "metric": "error_rate",
                "value": 0.09,
                "n": 400,
            },
            {
                "segment_key": "urgency",
                "segment_value": "critical",
                "metric": "error_rate",
                "value": 0.08,
                "n": 410,
            },
        ]
    )
    # Outage tickets are almost all critical: the two cells are the same rows.
    joint = pd.DataFrame(
        {
            "queue": ["outage", "outage", "billing", "billing"],
            "urgency": ["critical", "low", "critical", "low"],
            "n": [380, 20, 30, 3570],
        }
    )
    out = attribute_alerts(cand, kpis, None, joint, RULE)
    assert out["segment_value"].tolist() == ["outage"]
    assert "urgency=critical" in out["evidence"].iloc[0]
    assert list(out.columns) == CANDIDATE_COLUMNS


def test_drift_moves_are_kept_only_where_they_concentrate() -> None:
    rows = pd.DataFrame(
        [
            ("overall", "overall", 0.16, 0.10, 1e-9),
            ("rollout_arm", "treatment", 0.30, 0.10, 1e-9),
            ("model_version", "copilot-v2", 0.30, 0.10, 1e-9),
            ("channel", "chat", 0.17, 0.10, 1e-4),
        ],
        columns=["segment_key", "segment_value", "observed", "expected", "p_value"],
    )
    cand = rows.assign(kind="drift", severity="medium", metric="override_rate", evidence="moved")[
        CANDIDATE_COLUMNS
    ]
    volumes = pd.DataFrame(
        [
            ("overall", "overall", 1000),
            ("rollout_arm", "treatment", 300),
            ("model_version", "copilot-v2", 300),
            ("channel", "chat", 500),
        ],
        columns=["segment_key", "segment_value", "value"],
    ).assign(metric="volume", n=lambda f: f["value"])
    joint = pd.DataFrame(
        {
            "rollout_arm": ["treatment", "treatment", "control", "control"],
            "model_version": ["copilot-v2", "copilot-v2", "copilot-v1", "copilot-v1"],
            "channel": ["chat", "email", "chat", "email"],
            "n": [150, 150, 350, 350],
        }
    )
    out = attribute_alerts(cand, volumes, None, joint, RULE)
    kept = set(zip(out["segment_key"], out["segment_value"], strict=True))
    assert ("overall", "overall") in kept and ("channel", "chat") not in kept
    assert len(kept & {("rollout_arm", "treatment"), ("model_version", "copilot-v2")}) == 1


def test_overlap_falls_back_to_independence() -> None:
    overlap = Overlap(None)
    assert overlap.share_inside(("language", "es"), ("region", "latam"), 0.2) == 0.2
    assert overlap.share_inside(("language", "es"), ("language", "en"), 0.2) == 0.0
    assert overlap.share_inside(("language", "es"), ("language", "es"), 0.2) == 1.0


def test_build_alerts_attributes_and_reports_in_the_evidence() -> None:
    rows = _day(seed=5)
    es = np.flatnonzero((rows["language"] == "es").to_numpy())
    rows.loc[es[::12], "toxicity_signal_rate"] = 1.0
    run = build_alerts(
        AlertInputs(
            day=D, kpis=_kpis(rows), raw_counts=pd.Series({D: len(rows)}), joint=_joint(rows)
        ),
        Settings(),
    )
    tox = run.alerts[run.alerts["metric"] == "toxicity_signal_rate"]
    assert sorted(tox["segment_key"]) == ["language", "overall"]
    assert tox["alert_id"].is_unique


@pytest.mark.parametrize("min_events", [3, 500])
def test_min_events_is_respected(min_events: int) -> None:
    rows = _day(seed=6)
    es = np.flatnonzero((rows["language"] == "es").to_numpy())
    rows.loc[es[::12], "toxicity_signal_rate"] = 1.0
    kpis = _kpis(rows)
    found = threshold_alerts(kpis, ThresholdSettings(), min_cell_count=30)
    out = attribute_alerts(found, kpis, None, _joint(rows), AttributionRule(min_events=min_events))
    has_es = ("language", "es") in _cells(out, "toxicity_signal_rate")
    assert has_es == (min_events == 3)
