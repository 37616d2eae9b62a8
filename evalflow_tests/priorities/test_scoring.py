from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import Settings
from evalflow.discovery.inputs import add_reasons
from evalflow.priorities.scoring import (
    PRIORITY_COLUMNS,
    business_weight,
    compute_issue_priorities,
    effect_size,
    fairness_issue_id,
)

D = dt.date(2026, 10, 5)


def tiny_frame() -> pd.DataFrame:
    """100 interactions, 50 users: billing 40 rows/20 users, technical 30/15, account 30/15."""
    k = np.arange(100)
    queue = np.where(k < 40, "billing", np.where(k < 70, "technical", "account"))
    user = np.where(k < 40, k % 20, np.where(k < 70, 20 + k % 15, 35 + k % 15))
    language = np.where((k < 10) | ((k >= 20) & (k < 30)), "es", "en")
    frame = pd.DataFrame(
        {
            "interaction_id": [f"i{j:03d}" for j in k],
            "user_id": [f"u{u}" for u in user],
            "seg_queue": queue,
            "seg_language": language,
            "feedback_rating": np.where(k % 10 == 0, "down", None),
            "judge_failed": np.where(k < 5, "faithfulness", None),
            "toxic": k == 45,
            "risk_score": k / 100.0,
        }
    )
    return add_reasons(frame)


def cluster_row(**kw: object) -> dict:
    row = {
        "day": D,
        "cluster_id": "cl-abc",
        "label": "refund / duplicate",
        "top_terms": "[]",
        "size": 10,
        "users_affected": 8,
        "share_users": 8 / 50,
        "example_ids": json.dumps(["i000", "i001"]),
        "first_seen": D,
        "last_seen": D,
        "status": "new",
        "is_anomaly_cluster": False,
        "share_traffic": 0.1,
        "severity": 4,
        "failure_mix": json.dumps({"judge:faithfulness": 10, "rating_down": 3}),
        "segment_mix": json.dumps({"queue": {"billing": 7, "technical": 3}}),
        "centroid_json": None,
        "match_similarity": None,
    }
    row.update(kw)
    return row


def alert_row(
    alert_id: str,
    kind: str,
    metric: str,
    key: str | None,
    value: str | None,
    observed: float,
    expected: float,
    severity: str,
) -> dict:
    return {
        "alert_id": alert_id,
        "day": D,
        "first_seen": D - dt.timedelta(days=2),
        "last_seen": D,
        "kind": kind,
        "severity": severity,
        "metric": metric,
        "segment_key": key,
        "segment_value": value,
        "observed": observed,
        "expected": expected,
        "evidence": "",
        "consecutive_days": 1,
        "status": "open",
    }


def score(clusters=None, alerts=None, bias=None, fairness=None, first_seen=None, frame=None):
    return compute_issue_priorities(
        day=D,
        clusters=pd.DataFrame(clusters or []),
        alerts=pd.DataFrame(alerts or []),
        bias_alerts=pd.DataFrame(bias or []),
        fairness=pd.DataFrame(fairness or []),
        frame=tiny_frame() if frame is None else frame,
        first_seen=first_seen or {},
        settings=Settings(),
    ).set_index("issue_id")


def test_priority_formula_by_hand() -> None:
    out = score(
        clusters=[cluster_row()],
        alerts=[
            alert_row(
                "a1", "threshold", "hallucination_rate", "queue", "billing", 0.08, 0.05, "high"
            ),
            alert_row("a2", "drift", "relevance_mean", "overall", "all", 0.55, 0.70, "low"),
        ],
    )
    c = out.loc["cluster:cl-abc"]
    # F = 10/100 traffic, U = 8/50 users, S = 4 (hallucination), B = 1.5 (billing), E = 3.
    assert c["frequency"] == pytest.approx(10.0)
    assert c["user_impact"] == pytest.approx(16.0)
    assert (c["severity"], c["business_weight"], c["effort"]) == (4.0, 1.5, 3.0)
    assert c["priority"] == pytest.approx(10 * 16 * 4 * 1.5 / 3)
    assert c["source"] == "cluster" and c["suggested_improvement"] == "knowledge_update"
    a1 = out.loc["alert:a1"]
    # Billing: 40 interactions, 20 users; effect = observed failure rate 0.08.
    assert a1["frequency"] == pytest.approx(100 * 40 * 0.08 / 100)
    assert a1["user_impact"] == pytest.approx(100 * 20 * 0.08 / 50)
    assert a1["severity"] == 4.0 and a1["business_weight"] == 1.5 and a1["effort"] == 2.0
    assert a1["priority"] == pytest.approx(3.2 * 3.2 * 4 * 1.5 / 2)
    assert a1["source"] == "kpi_alert" and a1["first_seen"] == D - dt.timedelta(days=2)
    # Examples of a hallucination alert are the billing rows the faithfulness judge failed.
    assert set(json.loads(a1["example_ids"])) <= {f"i{j:03d}" for j in range(5)}
    a2 = out.loc["alert:a2"]
    # Overall drift on a [0, 1] metric: effect = |0.55 - 0.70|, whole day exposed.
    assert a2["frequency"] == pytest.approx(15.0) and a2["user_impact"] == pytest.approx(15.0)
    assert a2["severity"] == 3.0 and a2["source"] == "drift"
    assert a2["priority"] == pytest.approx(15 * 15 * 3 * 1.0 / 2)
    assert a2["suggested_improvement"] == "prompt_optimisation"
    ranked = out.sort_values("rank")
    assert ranked.index.tolist() == ["alert:a2", "cluster:cl-abc", "alert:a1"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert (
        ranked["impact"]
        == ranked["frequency"]
        * ranked["user_impact"]
        * ranked["severity"]
        * ranked["business_weight"]
    ).all()


def test_categories() -> None:
    out = score(
        clusters=[
            cluster_row(),  # high impact, effort 3 -> strategic
            # F 1 x U 2 x S 1 x B 1.5 = 3 < high_impact_min 4; effort 3 -> research
            cluster_row(cluster_id="cl-small", size=1, users_affected=1, severity=1),
            cluster_row(
                cluster_id="anomalies",
                is_anomaly_cluster=True,
                size=2,
                users_affected=2,
                severity=2,
                label="anomalies: x",
            ),
        ],
        alerts=[
            alert_row(
                "a1", "threshold", "hallucination_rate", "queue", "billing", 0.08, 0.05, "high"
            ),
            alert_row(
                "a3", "threshold", "toxicity_rate", "queue", "technical", 0.001, 0.0, "critical"
            ),
            alert_row("a4", "input_drift", "query_length_psi", "overall", "all", 0.9, 0.2, "high"),
        ],
    )
    assert out.loc["cluster:cl-abc", "category"] == "strategic"
    assert out.loc["cluster:cl-small", "category"] == "research"
    assert out.loc["cluster:anomalies", "category"] == "research"  # unknown cause
    assert out.loc["cluster:anomalies", "suggested_improvement"] == "investigation"
    assert out.loc["alert:a1", "category"] == "quick_win"
    assert out.loc["alert:a3", "category"] == "maintenance"  # tiny share, low effort
    assert out.loc["alert:a3", "severity"] == 5.0
    assert out.loc["alert:a3", "suggested_improvement"] == "safety_filter"
    assert out.loc["alert:a4", "category"] == "research"  # input drift: cause unknown


def test_fairness_gaps_from_audit_and_bias_alerts() -> None:
    audit = [
        {
            "week_start": D - dt.timedelta(days=7),
            "attribute": "language",
            "group_value": "es",
            "reference_group": "en",
            "metric": "resolution_rate",
            "n": 20,
            "rate": 0.5,
            "reference_rate": 0.8,
            "disparity_ratio": 0.625,
            "flagged": True,
            "significant": True,
        },
        {
            "week_start": D - dt.timedelta(days=7),
            "attribute": "language",
            "group_value": "en",
            "reference_group": "en",
            "metric": "resolution_rate",
            "n": 80,
            "rate": 0.8,
            "reference_rate": 0.8,
            "disparity_ratio": 1.0,
            "flagged": False,
            "significant": False,
        },
    ]
    out = score(fairness=audit)
    fid = fairness_issue_id("language", "es", "resolution_rate")
    f = out.loc[fid]
    # share 20/100 of the audited traffic x gap 0.3; users: 10 of 50 x 0.3.
    assert f["frequency"] == pytest.approx(6.0)
    assert f["user_impact"] == pytest.approx(6.0)
    assert (f["severity"], f["effort"]) == (4.0, 5.0)
    assert f["priority"] == pytest.approx(6 * 6 * 4 / 5)
    assert f["category"] == "strategic" and f["suggested_improvement"] == "fine_tuning_data"
    assert len(out) == 1  # the unflagged reference group is no issue
    # The same gap also reported as a bias alert is counted once.
    bias = [alert_row("b1", "bias", "resolution_rate", "language", "es", 0.5, 0.8, "medium")]
    both = score(fairness=audit, bias=bias)
    assert len(both) == 1 and both.index[0] == fid and both.iloc[0]["source"] == "fairness"

    # An intersection its flagged parent explains is the parent's gap, not a second issue;
    # one worse than its parent is listed.
    def cross(group: str, n: int, rate: float) -> dict:
        return audit[0] | {
            "attribute": "language×customer_tier",
            "group_value": group,
            "reference_group": "en×pro",
            "n": n,
            "rate": rate,
            "direction": "higher",
        }

    audit[0] |= {"n": 400, "rate": 0.5, "direction": "higher"}
    nested = score(fairness=[*audit, cross("es×free", 100, 0.48), cross("es×pro", 100, 0.2)])
    listed = set(nested["segment_value"])
    assert "es" in listed and "es×pro" in listed and "es×free" not in listed


def test_first_seen_carried_and_no_sources() -> None:
    out = score(clusters=[cluster_row()], first_seen={"cluster:cl-abc": D - dt.timedelta(days=9)})
    assert out.loc["cluster:cl-abc", "first_seen"] == D - dt.timedelta(days=9)
    empty = compute_issue_priorities(
        day=D,
        clusters=pd.DataFrame(),
        alerts=pd.DataFrame(),
        bias_alerts=pd.DataFrame(),
        fairness=pd.DataFrame(),
        frame=add_reasons(pd.DataFrame({"interaction_id": []})),
        first_seen={},
        settings=Settings(),
    )
    assert empty.empty and list(empty.columns) == list(PRIORITY_COLUMNS)


def test_unresolvable_segment_and_helpers() -> None:
    out = score(
        alerts=[alert_row("a9", "threshold", "error_rate", "planet", "mars", 0.2, 0.05, "medium")]
    )
    a = out.loc["alert:a9"]
    assert a["frequency"] == pytest.approx(20.0)  # whole day exposed, effect 0.2
    assert "not found" in a["rationale"]
    assert effect_size("latency_p95_ms", 1500, 1000) == pytest.approx(0.5)
    assert effect_size("composite_kpi", None, 0.7) == 1.0
    assert business_weight({"queue": {"outage": 2.0}}, "queue×region", "outage×na") == 2.0
    assert business_weight({"queue": {"outage": 2.0}}, "region", "na") == 1.0


def test_a_theme_is_pinned_only_to_a_segment_it_concentrates_in() -> None:
    from evalflow.priorities.scoring import _dominant_segment

    spread = json.dumps({"queue": {"billing": 30, "shipping": 35, "account": 35}})
    assert _dominant_segment(spread, {}, ["queue"]) == (None, None, 1.0)
    mostly_echo = json.dumps({"bot": {"echo": 80, "aria": 20}, "queue": {"unknown": 100}})
    assert _dominant_segment(mostly_echo, {}, ["bot"]) == ("bot", "echo", 1.0)
    weighted = json.dumps({"queue": {"outage": 60, "billing": 40}, "bot": {"aria": 90, "x": 10}})
    assert _dominant_segment(weighted, {"queue": {"outage": 2.0}}, ["bot"])[:2] == (
        "queue",
        "outage",
    )
