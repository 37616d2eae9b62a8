"""De-duplication across days: one alert id that ages, then resolves; no data is not a recovery."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evalflow.alerts.common import make_alert_id
from evalflow.alerts.dedup import finalize_alerts, merge_candidates
from evalflow.alerts.pipeline import AlertInputs, build_alerts
from evalflow.config.settings import Settings
from evalflow_tests.alerts.fixtures import Spike, kpi_series

D = dt.date(2026, 10, 5)


def _cand(
    kind: str,
    metric: str,
    key: str,
    value: str,
    severity: str = "medium",
    p: float = np.nan,
    evidence: str = "ev",
) -> dict[str, object]:
    return {
        "kind": kind,
        "severity": severity,
        "metric": metric,
        "segment_key": key,
        "segment_value": value,
        "observed": 0.1,
        "expected": 0.05,
        "evidence": evidence,
        "p_value": p,
    }


def test_alert_id_is_stable_and_specific() -> None:
    a = make_alert_id("threshold", "error_rate", "queue", "billing")
    assert a == make_alert_id("threshold", "error_rate", "queue", "billing")
    assert a != make_alert_id("drift", "error_rate", "queue", "billing")
    assert a != make_alert_id("threshold", "error_rate", "queue", "outage")
    # The separator keeps ("a b", "c") and ("a", "b c") apart.
    assert make_alert_id("drift", "m", "a b", "c") != make_alert_id("drift", "m", "a", "b c")


def test_same_day_findings_merge_worst_severity_first() -> None:
    merged = merge_candidates(
        pd.DataFrame(
            [
                _cand("drift", "error_rate", "overall", "overall", "low", 1e-3, "28-day"),
                _cand("drift", "error_rate", "overall", "overall", "medium", 1e-2, "7-day"),
                _cand("drift", "error_rate", "overall", "overall", "medium", 1e-5, "ewma"),
            ]
        )
    )
    assert len(merged) == 1
    assert merged["severity"].iloc[0] == "medium"
    assert merged["p_value"].iloc[0] == 1e-5
    assert merged["evidence"].iloc[0] == "ewma | 7-day | 28-day"


def test_consecutive_days_keep_one_alert_then_resolve() -> None:
    day1, day2, day3 = D - dt.timedelta(days=2), D - dt.timedelta(days=1), D
    cands = pd.DataFrame([_cand("threshold", "hallucination_rate", "queue", "billing", "high")])
    first = finalize_alerts(cands, pd.DataFrame(), day1)
    second = finalize_alerts(cands, first, day2)
    assert first["alert_id"].tolist() == second["alert_id"].tolist()
    row = second.iloc[0]
    assert row["first_seen"] == day1 and row["last_seen"] == day2
    assert row["consecutive_days"] == 2 and row["status"] == "open"

    third = finalize_alerts(cands.iloc[0:0], second, day3)
    assert len(third) == 1
    gone = third.iloc[0]
    assert gone["status"] == "resolved" and gone["day"] == day3
    assert gone["alert_id"] == row["alert_id"]
    assert gone["first_seen"] == day1 and gone["last_seen"] == day2
    assert gone["consecutive_days"] == 2
    assert gone["evidence"].startswith(f"resolved on {day3}")

    # Firing again after the resolution starts a new run under the same id.
    fourth = finalize_alerts(cands, third, day3 + dt.timedelta(days=1))
    assert fourth["first_seen"].iloc[0] == day3 + dt.timedelta(days=1)
    assert fourth["consecutive_days"].iloc[0] == 1


def test_a_gap_day_restarts_the_run() -> None:
    cands = pd.DataFrame([_cand("drift", "error_rate", "overall", "overall")])
    old = finalize_alerts(cands, pd.DataFrame(), D - dt.timedelta(days=3))
    now = finalize_alerts(cands, old, D)  # old rows are not of D-1
    assert now["first_seen"].iloc[0] == D and now["consecutive_days"].iloc[0] == 1


def test_unevaluated_kinds_are_carried_not_resolved_and_bias_is_ignored() -> None:
    prev = finalize_alerts(
        pd.DataFrame(
            [
                _cand("drift", "error_rate", "overall", "overall"),
                _cand("threshold", "sla_hit_rate", "queue", "outage"),
            ]
        ),
        pd.DataFrame(),
        D - dt.timedelta(days=1),
    )
    bias = prev.iloc[[0]].assign(kind="bias", alert_id="bias-1", metric="approval_rate")
    prev = pd.concat([prev, bias], ignore_index=True)
    out = finalize_alerts(pd.DataFrame(), prev, D, unevaluated_kinds=["drift"])
    by_kind = out.set_index("kind")
    assert set(out["kind"]) == {"drift", "threshold"}  # bias belongs to fairness_audit
    assert by_kind.loc["drift", "status"] == "open"
    assert by_kind.loc["drift", "last_seen"] == D - dt.timedelta(days=1)
    assert by_kind.loc["drift", "consecutive_days"] == 2
    assert "not re-evaluated" in by_kind.loc["drift", "evidence"]
    assert by_kind.loc["threshold", "status"] == "resolved"


def test_spike_over_two_days_through_the_detectors() -> None:
    day1 = D - dt.timedelta(days=1)
    spikes = [Spike(d, "queue", "outage", "error_rate", 0.12) for d in (day1, D)]
    kpis = kpi_series(D + dt.timedelta(days=1), 31, seed=5, spikes=spikes)
    settings = Settings()
    previous = pd.DataFrame()
    runs = []
    for day in (day1, D, D + dt.timedelta(days=1)):
        window = kpis[(kpis["day"] >= day - dt.timedelta(days=28)) & (kpis["day"] <= day)]
        run = build_alerts(
            AlertInputs(day=day, kpis=window, raw_counts=pd.Series({day: 4000}), previous=previous),
            settings,
        )
        previous = run.alerts
        runs.append(run.alerts)
    ids = {make_alert_id("threshold", "error_rate", "queue", "outage")}
    assert set(runs[0]["alert_id"]) == ids and set(runs[1]["alert_id"]) == ids
    assert runs[1]["consecutive_days"].iloc[0] == 2
    assert runs[1]["first_seen"].iloc[0] == day1
    assert runs[2]["status"].tolist() == ["resolved"]
