"""Bias findings as quality_alerts rows: which findings, ids, severity and the weekly lifecycle."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.config import load_settings
from evalflow.fairness import build_bias_alerts, compute_fairness_audit
from evalflow.fairness.bias_alerts import severity
from evalflow_tests.conftest import DEFAULT_CONFIG
from evalflow_tests.fairness.fixtures import BIASED_TIERS, MONDAY, SUNDAY, WeekModel, make_week

SETTINGS = load_settings(DEFAULT_CONFIG)
PREV_SUNDAY = SUNDAY - dt.timedelta(days=7)


def expected_id(metric: str, attribute: str, group: str) -> str:
    blob = "\x1f".join(["bias", metric, attribute, group])
    return "al_" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def audit_row(
    group: str,
    metric: str,
    rate: float,
    ref_rate: float,
    *,
    flagged: bool = True,
    significant: bool | None = True,
    attribute: str = "customer_tier",
) -> dict:
    return {
        "week_start": MONDAY,
        "attribute": attribute,
        "group_value": group,
        "reference_group": "enterprise",
        "metric": metric,
        "direction": "lower" if metric in ("override_rate", "hallucination_rate") else "higher",
        "estimator": "census",
        "group_n": 900,
        "n": 880,
        "rate": rate,
        "reference_n": 400,
        "reference_rate": ref_rate,
        "disparity_ratio": rate / ref_rate if ref_rate else None,
        "disparity_diff": rate - ref_rate,
        "test": "chi2",
        "p_value": 1e-5,
        "p_adjusted": 2e-4 if significant else (0.3 if significant is False else None),
        "significant": significant,
        "flagged": flagged,
        "small_group": significant is None,
    }


def frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    df["significant"] = df["significant"].astype("boolean")
    return df


def previous_alert(
    metric: str, group: str, status: str = "open", first_seen: dt.date | None = None, days: int = 7
) -> dict:
    return {
        "alert_id": expected_id(metric, "customer_tier", group),
        "day": PREV_SUNDAY,
        "first_seen": first_seen or PREV_SUNDAY,
        "last_seen": PREV_SUNDAY,
        "kind": "bias",
        "severity": "medium",
        "metric": metric,
        "segment_key": "customer_tier",
        "segment_value": group,
        "observed": 0.5,
        "expected": 0.7,
        "evidence": "earlier evidence",
        "consecutive_days": days,
        "status": status,
    }


def test_only_flagged_and_significant_findings_become_alerts() -> None:
    week = make_week(WeekModel(tiers=BIASED_TIERS, seed=3))
    audit = compute_fairness_audit(MONDAY, week.raw, week.sampled, week.judges, SETTINGS).table
    alerts = build_bias_alerts(audit, pd.DataFrame(), MONDAY, SETTINGS)
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    findings = audit[audit["flagged"] & audit["significant"].fillna(False)]
    ids = {
        expected_id(m, a, g)
        for m, a, g in zip(
            findings["metric"], findings["attribute"], findings["group_value"], strict=True
        )
    }
    assert set(alerts["alert_id"]) <= ids
    # Every finding is an alert, or an intersection named in its parent group's alert.
    marginal = findings[~findings["attribute"].str.contains("×")]
    assert len(marginal) and {
        expected_id(m, a, g)
        for m, a, g in zip(
            marginal["metric"], marginal["attribute"], marginal["group_value"], strict=True
        )
    } <= set(alerts["alert_id"])
    evidence = " ".join(alerts["evidence"])
    for r in findings.to_dict("records"):
        if expected_id(r["metric"], r["attribute"], r["group_value"]) not in set(
            alerts["alert_id"]
        ):
            assert "×" in r["attribute"]
            assert f"{r['attribute']}={r['group_value']} " in evidence
    assert (alerts["kind"] == "bias").all() and (alerts["status"] == "open").all()
    assert (alerts["day"] == SUNDAY).all() and (alerts["first_seen"] == SUNDAY).all()
    assert (alerts["last_seen"] == SUNDAY).all() and (alerts["consecutive_days"] == 7).all()
    row = alerts[
        (alerts["segment_key"] == "customer_tier")
        & (alerts["segment_value"] == "free")
        & (alerts["metric"] == "override_rate")
    ].iloc[0]
    src = findings[
        (findings["attribute"] == "customer_tier")
        & (findings["group_value"] == "free")
        & (findings["metric"] == "override_rate")
    ].iloc[0]
    assert row["observed"] == pytest.approx(src["rate"])
    assert row["expected"] == pytest.approx(src["reference_rate"])
    assert (
        f"n={src['n']}" in row["evidence"]
        and f"ratio {src['disparity_ratio']:.2f}" in row["evidence"]
    )
    assert f"BH-adjusted p={src['p_adjusted']:.3g}" in row["evidence"]
    assert row["severity"] == ("high" if src["disparity_ratio"] > 1.67 else "medium")


@pytest.mark.parametrize(
    "metric,ratio,rate,ref,expected",
    [
        ("resolved_rate", 0.7, 0.49, 0.7, "medium"),
        ("resolved_rate", 0.55, 0.385, 0.7, "high"),
        ("override_rate", 1.5, 0.15, 0.1, "medium"),
        ("override_rate", 1.8, 0.18, 0.1, "high"),
        ("override_rate", None, 0.1, 0.0, "high"),
        ("hallucination_rate", 1.3, 0.13, 0.1, "high"),
        ("judge_pass_rate:relevance", 0.79, 0.7, 0.886, "high"),
    ],
)
def test_severity(metric: str, ratio: float | None, rate: float, ref: float, expected: str) -> None:
    assert severity(metric, ratio, rate, ref, SETTINGS.fairness.severe_ratio_bounds) == expected


def test_lifecycle_carry_resolve_and_not_evaluated() -> None:
    audit = frame(
        audit_row("free", "resolved_rate", 0.45, 0.7),  # still firing: carried
        audit_row("free", "override_rate", 0.11, 0.1, flagged=False, significant=False),  # cleared
        audit_row("pro", "resolved_rate", 0.3, 0.7),  # new this week
        audit_row("vip", "resolved_rate", 0.1, 0.7, flagged=False, significant=None),  # too small
        audit_row("pro", "override_rate", 0.3, 0.1, significant=False),  # flagged, not significant
    )
    previous = pd.DataFrame(
        [
            previous_alert(
                "resolved_rate", "free", first_seen=PREV_SUNDAY - dt.timedelta(days=7), days=14
            ),
            previous_alert("override_rate", "free"),
            previous_alert("resolved_rate", "vip"),
            previous_alert("sla_hit_rate", "pro", status="resolved"),
            dict(previous_alert("resolved_rate", "pro"), day=PREV_SUNDAY - dt.timedelta(days=7)),
            dict(previous_alert("error_rate", "pro"), kind="threshold"),
        ]
    )
    alerts = build_bias_alerts(audit, previous, MONDAY, SETTINGS).set_index("alert_id")
    assert len(alerts) == 4
    carried = alerts.loc[expected_id("resolved_rate", "customer_tier", "free")]
    assert carried["status"] == "open" and carried["consecutive_days"] == 21
    assert carried["first_seen"] == PREV_SUNDAY - dt.timedelta(days=7)
    assert carried["last_seen"] == SUNDAY
    cleared = alerts.loc[expected_id("override_rate", "customer_tier", "free")]
    assert cleared["status"] == "resolved" and cleared["day"] == SUNDAY
    assert cleared["last_seen"] == PREV_SUNDAY and cleared["consecutive_days"] == 7
    assert cleared["observed"] == 0.5 and "earlier evidence" in cleared["evidence"]
    unevaluated = alerts.loc[expected_id("resolved_rate", "customer_tier", "vip")]
    assert unevaluated["status"] == "open" and unevaluated["last_seen"] == PREV_SUNDAY
    assert unevaluated["consecutive_days"] == 14 and "not re-evaluated" in unevaluated["evidence"]
    new = alerts.loc[expected_id("resolved_rate", "customer_tier", "pro")]
    assert new["first_seen"] == SUNDAY and new["consecutive_days"] == 7  # last alert 2 weeks ago
    assert new["severity"] == "high"  # ratio 0.43


def test_nothing_to_report() -> None:
    out = build_bias_alerts(pd.DataFrame(), pd.DataFrame(), MONDAY, SETTINGS)
    assert out.empty and list(out.columns) == list(ALERT_COLUMNS)


def _cell(group: str, metric: str, rate: float, n: int, attribute: str) -> dict:
    return audit_row(group, metric, rate, 0.1, attribute=attribute) | {"n": n}


def test_an_intersection_its_parent_explains_is_folded_into_the_parent() -> None:
    audit = frame(
        _cell("free", "override_rate", 0.23, 2000, "customer_tier"),
        _cell("es×free", "override_rate", 0.24, 400, "language×customer_tier"),
        _cell("en×free", "override_rate", 0.22, 1200, "language×customer_tier"),
    )
    alerts = build_bias_alerts(audit, pd.DataFrame(), MONDAY, SETTINGS)
    assert list(alerts["segment_value"]) == ["free"]
    evidence = alerts["evidence"].iloc[0]
    assert "2 intersection(s) it explains" in evidence
    assert "language×customer_tier=es×free 24.0% (n=400)" in evidence
    assert "language×customer_tier=en×free 22.0% (n=1200)" in evidence


def test_an_intersection_worse_than_its_parent_stays_an_alert() -> None:
    audit = frame(
        _cell("free", "override_rate", 0.23, 2000, "customer_tier"),
        _cell("de×free", "override_rate", 0.45, 300, "language×customer_tier"),
        _cell("de×pro", "override_rate", 0.30, 300, "language×customer_tier"),  # no parent firing
    )
    alerts = build_bias_alerts(audit, pd.DataFrame(), MONDAY, SETTINGS).set_index("segment_value")
    assert set(alerts.index) == {"free", "de×free", "de×pro"}
    assert "worse than customer_tier=free as a whole (23.0%)" in alerts.loc["de×free", "evidence"]
    assert "intersection(s) it explains" not in alerts.loc["free", "evidence"]
    assert "worse than" not in alerts.loc["de×pro", "evidence"]


def test_a_previously_open_intersection_now_explained_is_resolved_as_folded() -> None:
    audit = frame(
        _cell("free", "override_rate", 0.23, 2000, "customer_tier"),
        _cell("es×free", "override_rate", 0.24, 400, "language×customer_tier"),
    )
    earlier = previous_alert("override_rate", "es×free") | {
        "alert_id": expected_id("override_rate", "language×customer_tier", "es×free"),
        "segment_key": "language×customer_tier",
    }
    alerts = build_bias_alerts(audit, pd.DataFrame([earlier]), MONDAY, SETTINGS)
    folded = alerts.set_index("alert_id").loc[earlier["alert_id"]]
    assert folded["status"] == "resolved"
    assert "folded on 2026-10-11 into the customer_tier=free alert" in folded["evidence"]
