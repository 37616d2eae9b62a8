"""Hand-made multi-day traffic for the improvement stages (discovery, priorities, regression).

Upstream stages are written concurrently, so these tests seed ``raw_interactions``,
``interaction_signals`` and ``judge_scores`` directly, following docs/tables.md.
The story: ordinary support traffic every day, two recurring failure themes
(duplicate-charge refunds answered with made-up policy, password-reset mails that
never arrive) and, from ``NEW_THEME_DAY`` on, a new failing theme about transferring
loyalty points that the assistant refuses or fumbles.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from evalflow.storage.warehouse import Warehouse

START = dt.date(2026, 10, 1)
NEW_THEME_DAY = dt.date(2026, 10, 5)

NORMAL: dict[str, list[str]] = {
    "billing": [
        "how do I update my billing address",
        "can I get an invoice copy for my last payment",
        "change my payment method to paypal",
        "what is included in the premium plan price",
    ],
    "technical": [
        "the app crashes when I open the settings screen",
        "cannot connect to wifi after the latest update",
        "error when uploading large files from my laptop",
        "how do I enable dark mode on android",
    ],
    "account": [
        "how do I delete my account permanently",
        "change the email address on my profile",
        "add a second user to my team workspace",
    ],
    "shipping": [
        "where is my package tracking number",
        "my delivery is late by three days",
        "change the shipping address for my order",
    ],
    "outage": [
        "is the service down in my region",
        "status page says degraded performance what does it mean",
    ],
}
THEME_REFUND = [
    "I was charged twice and need a refund for the duplicate charge",
    "duplicate charge on my card please refund the double payment",
    "refund the double charge from yesterday order",
    "why did you charge me twice I want the duplicate refunded",
]
THEME_PASSWORD = [
    "password reset email never arrives in my inbox",
    "I requested a password reset link but no email came",
    "reset password email not received after many tries",
]
THEME_LOYALTY = [
    "how do I transfer my loyalty points to my partner account",
    "loyalty points transfer failed with an error",
    "can I move loyalty points between two accounts",
    "transfer loyalty points to family member",
]
FILLER = ["", "", "please", "asap", "thanks", "urgent", "hi", "hello team"]


def _variant(rng: np.random.Generator, text: str) -> str:
    extra = rng.choice(FILLER)
    num = f" order {rng.integers(1000, 99999)}" if rng.random() < 0.4 else ""
    return f"{text}{num} {extra}".strip()


def make_day(
    day: dt.date,
    *,
    n_normal: int = 160,
    n_refund: int = 12,
    n_password: int = 10,
    n_loyalty: int | None = None,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """``raw_interactions``, ``interaction_signals`` and ``judge_scores`` for one day."""
    rng = np.random.default_rng(seed + day.toordinal())
    if n_loyalty is None:
        n_loyalty = 0 if day < NEW_THEME_DAY else 18 + 8 * (day - NEW_THEME_DAY).days
    rows: list[dict] = []
    queues = list(NORMAL)
    for i in range(n_normal):
        queue = queues[i % len(queues)]
        rows.append(
            {
                "kind": "normal",
                "queue": queue,
                "query": _variant(rng, str(rng.choice(NORMAL[queue]))),
            }
        )
    for kind, n, texts, queue in (
        ("refund", n_refund, THEME_REFUND, "billing"),
        ("password", n_password, THEME_PASSWORD, "account"),
        ("loyalty", n_loyalty, THEME_LOYALTY, "billing"),
    ):
        for _ in range(n):
            rows.append(
                {"kind": kind, "queue": queue, "query": _variant(rng, str(rng.choice(texts)))}
            )
    df = pd.DataFrame(rows)
    n = len(df)
    tag = day.strftime("%m%d")
    df["interaction_id"] = [f"i{tag}-{k:04d}" for k in range(n)]
    df["user_id"] = [f"u{int(u):03d}" for u in rng.integers(0, 120, size=n)]
    kind = df["kind"].to_numpy()
    failing = kind != "normal"
    # A little background noise: some ordinary interactions are rated down too.
    noise_down = (kind == "normal") & (rng.random(n) < 0.03)
    rating = np.where(failing & (rng.random(n) < 0.8), "down", None)
    rating = np.where(noise_down, "down", rating)
    rating = np.where((rating == None) & (rng.random(n) < 0.3), "up", rating)  # noqa: E711
    resolved = np.where(failing, False, rng.random(n) < 0.85)
    retried = (kind == "password") | ((kind == "loyalty") & (rng.random(n) < 0.5))
    refusal = (kind == "loyalty") & (rng.random(n) < 0.7)
    responses = np.where(
        kind == "refund",
        "Per our policy you get a 200% refund credited within one hour.",
        np.where(
            refusal,
            "I'm sorry, I can't help with that request.",
            "Here is how to do that: open settings and follow the steps.",
        ),
    )
    ts = [dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=3 * k) for k in range(n)]
    latency = rng.normal(1200, 150, size=n).clip(300)
    latency[0] = 45000.0  # one wildly slow answer: an anomaly candidate
    raw = pd.DataFrame(
        {
            "day": day,
            "interaction_id": df["interaction_id"],
            "timestamp": ts,
            "query": df["query"],
            "response": responses,
            "conversation_id": [f"c{tag}-{k // 2:04d}" for k in range(n)],
            "turn": [k % 2 + 1 for k in range(n)],
            "user_id": df["user_id"],
            "model_version": "copilot-v1",
            "prompt_version": "p1",
            "rollout_arm": "control",
            "traffic_share": 1.0,
            "segment_json": [json.dumps({"queue": q}) for q in df["queue"]],
            "seg_queue": df["queue"],
            "seg_urgency": "medium",
            "seg_region": "na",
            "seg_language": "en",
            "seg_channel": "chat",
            "seg_customer_tier": "pro",
            "context": [["Refunds are issued once per duplicate charge within 5 days."]] * n,
            "latency_ms": latency,
            "tokens_in": 120.0,
            "tokens_out": rng.normal(80, 10, size=n).clip(5),
            "cost_usd": 0.001,
            "feedback_rating": rating,
            "feedback_comment": np.where(kind == "refund", "the refund policy is wrong", None),
            "feedback_copied": False,
            "feedback_edited": False,
            "feedback_retried": retried,
            "outcome_escalated": False,
            "outcome_escalation_correct": None,
            "outcome_analyst_override": (kind == "refund") & (rng.random(n) < 0.3),
            "outcome_resolved": resolved,
            "outcome_sla_met": True,
            "outcome_incident_missed": False,
            "outcome_resolution_minutes": 5.0,
            "error": None,
            "extra_json": None,
            "source_file": "fixture.jsonl",
            "source_line": np.arange(1, n + 1),
        }
    )
    signals = pd.DataFrame(
        {
            "day": day,
            "interaction_id": df["interaction_id"],
            "toxicity_score": 0.0,
            "toxic": False,
            "toxicity_terms": None,
            "pii_in_response": False,
            "pii_types": None,
            "refusal": refusal,
            "relevance_proxy": np.where(failing, 0.35, 0.8),
            "grounding_proxy": np.where(kind == "refund", 0.1, 0.7),
            "latency_ms": latency,
            "sla_breach": latency > 3000,
            "rating_up": rating == "up",
            "rating_down": rating == "down",
            "comment_sentiment": np.where(kind == "refund", -0.6, np.nan),
            "implicit_negative": retried,
            "copied": False,
            "has_error": False,
            "risk_score": np.where(failing, 0.7, 0.1),
            "flags": np.where(
                refusal, "refusal,negative_feedback", np.where(failing, "negative_feedback", None)
            ),
        }
    )
    judged = df.index[failing | (rng.random(n) < 0.2)]
    jrows = []
    for idx in judged:
        k = kind[idx]
        for crit in ("faithfulness", "relevance", "safety", "helpfulness"):
            fail = (k == "refund" and crit == "faithfulness") or (
                k == "loyalty" and crit == "helpfulness"
            )
            score = 0.2 if fail else 0.9
            jrows.append(
                {
                    "day": day,
                    "interaction_id": df.at[idx, "interaction_id"],
                    "criterion": crit,
                    "backend": "heuristic",
                    "model": "heuristic",
                    "judge_version": "h1",
                    "status": "ok",
                    "score": score,
                    "passed": not fail,
                    "label": "fail" if fail else "pass",
                    "rationale": (
                        f"{crit}: the answer invents a refund policy"
                        if fail and crit == "faithfulness"
                        else f"{crit}: the answer does not help"
                        if fail
                        else f"{crit}: fine"
                    ),
                    "content_hash": f"h{idx}",
                    "cached": False,
                    "tokens_in": 0,
                    "tokens_out": 0,
                    "cost_usd": 0.0,
                    "latency_ms": 1.0,
                    "attempts": 1,
                    "error": None,
                    "call_id": None,
                    "noise_std": None,
                }
            )
    judges = pd.DataFrame(jrows)
    return {"raw_interactions": raw, "interaction_signals": signals, "judge_scores": judges}


def seed_days(
    wh: Warehouse,
    days: list[dt.date],
    tables: tuple[str, ...] = ("raw_interactions", "interaction_signals", "judge_scores"),
    **kwargs: object,
) -> dict:
    """Write fixture tables for each day; returns ``{day: {table: frame}}``."""
    out = {}
    for d in days:
        data = make_day(d, **kwargs)  # type: ignore[arg-type]
        for t in tables:
            wh.replace_partition(t, data[t], d)
        out[d] = data
    return out


def days_from(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]
