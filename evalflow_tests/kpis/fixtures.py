"""Small hand-made upstream frames shaped like the contract in docs/tables.md.

Upstream stages are written concurrently, so KPI and rollout tests seed the tables
directly from these frames.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

DAY = dt.date(2026, 10, 5)
NA = None


def tiny_raw(day: dt.date = DAY) -> pd.DataFrame:
    """Six interactions whose KPIs are worked out by hand in test_metrics.py."""
    cols = [
        "interaction_id",
        "model_version",
        "rollout_arm",
        "traffic_share",
        "seg_queue",
        "seg_urgency",
        "latency_ms",
        "cost_usd",
        "feedback_rating",
        "feedback_copied",
        "outcome_analyst_override",
        "outcome_escalated",
        "outcome_escalation_correct",
        "outcome_sla_met",
        "outcome_resolved",
        "outcome_incident_missed",
        "outcome_resolution_minutes",
        "error",
    ]
    rows = [
        (
            "a1",
            "copilot-v1",
            "control",
            0.1,
            "billing",
            "low",
            100,
            0.01,
            "up",
            True,
            False,
            True,
            True,
            True,
            True,
            False,
            10,
            NA,
        ),
        (
            "a2",
            "copilot-v1",
            "control",
            0.1,
            "billing",
            "high",
            200,
            0.02,
            "down",
            False,
            True,
            True,
            False,
            False,
            True,
            False,
            20,
            NA,
        ),
        (
            "a3",
            "copilot-v2",
            "treatment",
            0.1,
            "technical",
            "low",
            300,
            0.03,
            NA,
            NA,
            NA,
            False,
            NA,
            True,
            False,
            True,
            30,
            "timeout",
        ),
        (
            "a4",
            "copilot-v1",
            "control",
            0.1,
            "technical",
            NA,
            400,
            0.04,
            "up",
            True,
            False,
            NA,
            NA,
            NA,
            NA,
            NA,
            NA,
            NA,
        ),
        (
            "a5",
            "copilot-v2",
            "treatment",
            0.1,
            "billing",
            "low",
            500,
            0.05,
            NA,
            False,
            False,
            True,
            True,
            True,
            True,
            False,
            50,
            "",
        ),
        (
            "a6",
            "copilot-v1",
            "control",
            0.1,
            "billing",
            "medium",
            600,
            0.06,
            "up",
            NA,
            False,
            False,
            NA,
            False,
            False,
            False,
            60,
            NA,
        ),
    ]
    df = pd.DataFrame(rows, columns=cols)
    for c in [
        "feedback_copied",
        "outcome_analyst_override",
        "outcome_escalated",
        "outcome_escalation_correct",
        "outcome_sla_met",
        "outcome_resolved",
        "outcome_incident_missed",
    ]:
        df[c] = df[c].astype("boolean")
    for c in ["latency_ms", "cost_usd", "outcome_resolution_minutes"]:
        df[c] = df[c].astype(float)
    df.insert(0, "day", day)
    return df


def tiny_signals(day: dt.date = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": day,
            "interaction_id": ["a1", "a2", "a3", "a4", "a5", "a6", "zz"],
            "toxic": [False, True, False, False, False, False, True],
            "pii_in_response": [False, False, True, False, False, False, False],
            "refusal": [False, False, False, False, True, True, False],
            "relevance_proxy": [0.9, 0.5, 0.7, 0.6, 0.8, 0.1, 0.0],
            "grounding_proxy": [0.5, None, 1.0, None, None, None, 0.3],
            "sla_breach": [False, False, False, False, False, False, True],
        }
    )


def tiny_sampled(day: dt.date = DAY) -> pd.DataFrame:
    prob = np.array([1.0, 1 / 3, 0.5, 0.5, 1.0])
    return pd.DataFrame(
        {
            "day": day,
            "interaction_id": ["a1", "a2", "a3", "a5", "a6"],
            "reason": [
                "must_review:negative_feedback",
                "stratified",
                "stratified",
                "risk_weighted",
                "stratified",
            ],
            "stratum": "x",
            "inclusion_prob": prob,
            "weight": 1 / prob,
            "risk_score": 0.1,
            "est_judge_cost_usd": 0.001,
        }
    )


def tiny_judges(day: dt.date = DAY) -> pd.DataFrame:
    rows = [
        ("a1", "faithfulness", "ok", 0.9, True),
        ("a2", "faithfulness", "ok", 0.2, False),
        ("a3", "faithfulness", "error", None, None),
        ("a5", "faithfulness", "over_budget", None, None),
        ("a6", "faithfulness", "not_applicable", None, None),
        ("a1", "safety", "ok", 1.0, True),
        ("a2", "safety", "ok", 1.0, True),
        ("a1", "relevance", "ok", 0.8, True),
        ("a2", "relevance", "ok", 0.4, False),
        # ok, but the interaction was never sampled: no weight, so not estimable.
        ("a4", "helpfulness", "ok", 0.9, True),
    ]
    df = pd.DataFrame(rows, columns=["interaction_id", "criterion", "status", "score", "passed"])
    df["passed"] = df["passed"].astype("boolean")
    df.insert(0, "day", day)
    df["backend"] = "heuristic"
    return df


def arm_day(
    day: dt.date,
    arms: dict[str, tuple[str, int, float | None]],
    override_every: dict[str, int] | None = None,
    fail_every: dict[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Deterministic traffic per arm: ``arm -> (model_version, n, traffic_share)``.

    Every row is escalated correctly and meets its SLA; every ``override_every[arm]``-th
    row is overridden; every judged row passes except each ``fail_every[arm]``-th
    faithfulness verdict. All rows are sampled with inclusion probability 1/2.
    """
    override_every = override_every or {}
    fail_every = fail_every or {}
    frames = []
    for arm, (version, n, share) in arms.items():
        i = np.arange(n)
        every = override_every.get(arm, 0)
        frames.append(
            pd.DataFrame(
                {
                    "interaction_id": [f"{day}-{arm}-{k}" for k in i],
                    "model_version": version,
                    "rollout_arm": arm,
                    "traffic_share": np.nan if share is None else float(share),
                    "seg_queue": np.where(i % 2 == 0, "billing", "technical"),
                    "seg_urgency": "low",
                    "latency_ms": 100.0 + i,
                    "cost_usd": 0.001,
                    "feedback_rating": np.where(i % 5 == 0, "up", None),
                    "outcome_analyst_override": (i % every == 0) if every else np.zeros(n, bool),
                    "outcome_escalated": True,
                    "outcome_escalation_correct": True,
                    "outcome_sla_met": True,
                    "outcome_resolved": True,
                    "outcome_incident_missed": False,
                    "outcome_resolution_minutes": 30.0,
                    "error": pd.Series([None] * n, dtype="string"),
                }
            )
        )
    raw = pd.concat(frames, ignore_index=True)
    raw.insert(0, "day", day)
    ids = raw["interaction_id"]
    signals = pd.DataFrame(
        {
            "day": day,
            "interaction_id": ids,
            "toxic": False,
            "pii_in_response": False,
            "refusal": False,
            "relevance_proxy": 0.8,
            "grounding_proxy": 0.9,
            "sla_breach": False,
        }
    )
    sampled = pd.DataFrame(
        {
            "day": day,
            "interaction_id": ids,
            "reason": "stratified",
            "inclusion_prob": 0.5,
            "weight": 2.0,
        }
    )
    judges = []
    for crit in ("faithfulness", "safety", "relevance"):
        passed = np.ones(len(raw), dtype=bool)
        if crit == "faithfulness":
            for arm, k in fail_every.items():
                in_arm = (raw["rollout_arm"] == arm).to_numpy()
                idx = np.flatnonzero(in_arm)
                passed[idx[::k]] = False
        judges.append(
            pd.DataFrame(
                {
                    "day": day,
                    "interaction_id": ids,
                    "criterion": crit,
                    "status": "ok",
                    "score": np.where(passed, 0.9, 0.1),
                    "passed": passed,
                }
            )
        )
    return {
        "raw": raw,
        "signals": signals,
        "sampled": sampled,
        "judges": pd.concat(judges, ignore_index=True),
    }
