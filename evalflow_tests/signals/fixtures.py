"""Hand-made ``raw_interactions`` rows (the ingest stage is written concurrently)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

RAW_SCHEMA: dict[str, str] = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "query": "VARCHAR",
    "response": "VARCHAR",
    "conversation_id": "VARCHAR",
    "turn": "INTEGER",
    "user_id": "VARCHAR",
    "model_version": "VARCHAR",
    "prompt_version": "VARCHAR",
    "rollout_arm": "VARCHAR",
    "traffic_share": "DOUBLE",
    "segment_json": "VARCHAR",
    "seg_queue": "VARCHAR",
    "seg_urgency": "VARCHAR",
    "seg_region": "VARCHAR",
    "seg_language": "VARCHAR",
    "seg_channel": "VARCHAR",
    "seg_customer_tier": "VARCHAR",
    "context": "VARCHAR[]",
    "latency_ms": "DOUBLE",
    "tokens_in": "DOUBLE",
    "tokens_out": "DOUBLE",
    "cost_usd": "DOUBLE",
    "feedback_rating": "VARCHAR",
    "feedback_comment": "VARCHAR",
    "feedback_copied": "BOOLEAN",
    "feedback_edited": "BOOLEAN",
    "feedback_retried": "BOOLEAN",
    "outcome_escalated": "BOOLEAN",
    "outcome_escalation_correct": "BOOLEAN",
    "outcome_analyst_override": "BOOLEAN",
    "outcome_resolved": "BOOLEAN",
    "outcome_sla_met": "BOOLEAN",
    "outcome_incident_missed": "BOOLEAN",
    "outcome_resolution_minutes": "DOUBLE",
    "error": "VARCHAR",
    "extra_json": "VARCHAR",
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
}

REFUND_CONTEXT = [
    "Refund policy: approved refunds are returned to the original payment method within 5 business days.",
    "Invoices are issued on the 1st of each month.",
]

BASE_ROWS: list[dict[str, Any]] = [
    {
        "interaction_id": "ok-1",
        "query": "How long does a refund take for order 48213?",
        "response": "Refunds for order 48213 reach your original payment method within 5 business days.",
        "context": REFUND_CONTEXT,
        "seg_queue": "billing",
        "seg_urgency": "low",
        "seg_language": "en",
        "latency_ms": 900.0,
        "feedback_rating": "up",
        "feedback_comment": "Thanks, very helpful!",
        "feedback_copied": True,
        "feedback_edited": False,
        "feedback_retried": False,
    },
    {
        "interaction_id": "halluc-1",
        "query": "How long does a refund take for order 48213?",
        "response": "Refunds for order 48213 reach your original payment method within 30 business days.",
        "context": REFUND_CONTEXT,
        "seg_queue": "billing",
        "seg_urgency": "high",
        "seg_language": "en",
        "latency_ms": 4200.0,
        "feedback_rating": "down",
        "feedback_comment": "Wrong, not helpful",
        "feedback_copied": False,
        "feedback_edited": True,
        "feedback_retried": None,
    },
    {
        "interaction_id": "toxic-1",
        "query": "¿Cuánto tarda el reembolso?",
        "response": "Sinceramente, eres un idiota. Lee la documentación tú mismo.",
        "context": ["Los reembolsos aprobados se devuelven en 5 días hábiles."],
        "seg_queue": "billing",
        "seg_urgency": "medium",
        "seg_language": "es",
        "latency_ms": None,
        "feedback_rating": None,
        "feedback_comment": None,
        "feedback_copied": None,
        "feedback_edited": None,
        "feedback_retried": None,
    },
    {
        "interaction_id": "pii-1",
        "query": "Wer ist der Kontoinhaber?",
        "response": "Das Konto gehört maria.lopez@example.com, Telefon +49 30 901820.",
        "context": None,
        "seg_queue": "account",
        "seg_urgency": "low",
        "seg_language": "de",
        "latency_ms": 1200.0,
        "feedback_rating": None,
        "feedback_comment": None,
        "feedback_copied": None,
        "feedback_edited": False,
        "feedback_retried": False,
    },
    {
        "interaction_id": "refusal-1",
        "query": "Le tableau de bord est en panne ?",
        "response": "Je ne peux pas vous aider avec cela. Veuillez contacter le service client.",
        "context": ["Panne du tableau de bord : rétablissement prévu sous 4 heures."],
        "seg_queue": "outage",
        "seg_urgency": "critical",
        "seg_language": "fr",
        "latency_ms": 800.0,
        "feedback_rating": None,
        "feedback_comment": None,
        "feedback_copied": None,
        "feedback_edited": False,
        "feedback_retried": True,
        "outcome_analyst_override": True,
    },
    {
        "interaction_id": "error-1",
        "query": "Where is my package?",
        "response": "",
        "context": ["Standard shipping takes 3 days."],
        "seg_queue": "shipping",
        "seg_urgency": "low",
        "seg_language": "en",
        "latency_ms": 30000.0,
        "feedback_rating": None,
        "feedback_comment": None,
        "feedback_copied": None,
        "feedback_edited": None,
        "feedback_retried": None,
        "error": "upstream timeout",
    },
]


def raw_frame(rows: list[dict[str, Any]], day: dt.date) -> pd.DataFrame:
    """Rows completed to the full raw_interactions shape (missing fields NULL)."""
    full = []
    for i, row in enumerate(rows):
        rec: dict[str, Any] = {c: None for c in RAW_SCHEMA}
        rec.update(
            day=day,
            timestamp=pd.Timestamp(day) + pd.Timedelta(minutes=i),
            source_file="app/part-0.jsonl",
            source_line=i + 1,
            model_version="copilot-v1",
            rollout_arm="control",
        )
        rec.update(row)
        full.append(rec)
    df = pd.DataFrame(full, columns=list(RAW_SCHEMA))
    for col, typ in RAW_SCHEMA.items():
        if typ == "BOOLEAN":
            df[col] = df[col].astype("boolean")
        elif typ == "DOUBLE":
            df[col] = pd.to_numeric(df[col]).astype(float)
    return df
