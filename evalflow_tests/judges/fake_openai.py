"""The OpenAI-compatible test server and hand-made upstream fixtures for judge tests.

The server itself lives in ``evalflow.judges.testing_server`` so the throughput
benchmark can use it too; this module re-exports it and seeds the two upstream
tables (``raw_interactions``, ``sampled_interactions``) the way their stages write
them, because those stages are developed concurrently.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from evalflow.judges.testing_server import Action, FakeOpenAIServer
from evalflow.storage.warehouse import Warehouse

__all__ = ["DAY", "Action", "FakeOpenAIServer", "raw_row", "seed_upstream"]

DAY = dt.date(2026, 10, 5)

RAW_TYPES = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "query": "VARCHAR",
    "response": "VARCHAR",
    "conversation_id": "VARCHAR",
    "turn": "INTEGER",
    "user_id": "VARCHAR",
    "model_version": "VARCHAR",
    "rollout_arm": "VARCHAR",
    "segment_json": "VARCHAR",
    "seg_queue": "VARCHAR",
    "seg_language": "VARCHAR",
    "context": "VARCHAR[]",
    "latency_ms": "DOUBLE",
    "error": "VARCHAR",
}
SAMPLED_TYPES = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "reason": "VARCHAR",
    "stratum": "VARCHAR",
    "inclusion_prob": "DOUBLE",
    "weight": "DOUBLE",
    "risk_score": "DOUBLE",
    "est_judge_cost_usd": "DOUBLE",
}


def raw_row(
    iid: str,
    query: str,
    response: str,
    context: list[str] | None = None,
    conversation_id: str | None = None,
    turn: int | None = None,
    minute: int = 0,
    queue: str = "billing",
    language: str = "en",
) -> dict[str, Any]:
    return {
        "day": DAY,
        "interaction_id": iid,
        "timestamp": dt.datetime(2026, 10, 5, 9, minute),
        "query": query,
        "response": response,
        "conversation_id": conversation_id,
        "turn": turn,
        "user_id": "u1",
        "model_version": "copilot-v1",
        "rollout_arm": "control",
        "segment_json": json.dumps({"queue": queue, "language": language}),
        "seg_queue": queue,
        "seg_language": language,
        "context": context,
        "latency_ms": 800.0,
        "error": None,
    }


def seed_upstream(
    wh: Warehouse, rows: list[dict[str, Any]], sampled_ids: Iterable[str] | None = None
) -> None:
    """Write the day's raw rows and the sample (default: every row) like upstream would."""
    raw = pd.DataFrame(rows, columns=list(RAW_TYPES))
    wh.replace_partition("raw_interactions", raw, DAY, schema=RAW_TYPES)
    ids = list(sampled_ids) if sampled_ids is not None else [r["interaction_id"] for r in rows]
    sampled = pd.DataFrame(
        {
            "day": [DAY] * len(ids),
            "interaction_id": ids,
            "reason": ["stratified"] * len(ids),
            "stratum": ["billing|low"] * len(ids),
            "inclusion_prob": [0.5] * len(ids),
            "weight": [2.0] * len(ids),
            "risk_score": [0.1] * len(ids),
            "est_judge_cost_usd": [0.001] * len(ids),
        },
        columns=list(SAMPLED_TYPES),
    )
    wh.replace_partition("sampled_interactions", sampled, DAY, schema=SAMPLED_TYPES)
