"""Ingest throughput benchmark: our parser next to DuckDB's own ``read_json``.

``read_json`` is the floor: it parses the same file but validates nothing, keeps no
line numbers and stops at the first bad line. Our ingest does strictly more work
(per-line UTF-8 checks, typed validation with reasons, timestamp normalisation,
staging, dedup); the goal is to stay within 3x of the floor. Each measurement runs
in a fresh process so peak RSS (``ru_maxrss``) belongs to that measurement alone.

Run: ``python -m evalflow.ingest.bench [N ...]``; results go to docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BENCH_DAY = dt.date(2026, 10, 5)
DOC_START = "<!-- ingest:start -->"
DOC_END = "<!-- ingest:end -->"

_WORDS = ["account", "billing", "invoice", "refund", "charge", "card", "payment", "password", "reset", "login", "outage", "service", "region", "latency", "error", "timeout", "shipping", "order", "parcel", "delivery", "tracking", "address", "customer", "subscription", "plan", "upgrade", "downgrade", "enterprise", "support", "ticket", "escalate", "policy", "credit", "update", "network", "router", "restart", "cache", "browser", "mobile", "app", "settings", "email", "verify", "code", "please", "thanks", "help", "urgent", "since", "yesterday", "cannot", "working", "broken", "again", "why", "how", "when"]
_SEGMENTS = {
    "queue": ["billing", "technical", "account", "outage", "shipping"],
    "urgency": ["low", "medium", "high", "critical"],
    "region": ["na", "emea", "apac", "latam"],
    "language": ["en", "es", "de", "fr"],
    "channel": ["chat", "email", "web"],
    "customer_tier": ["free", "pro", "enterprise"],
}


def _sentence_pool(rng: np.random.Generator, size: int, lo: int, hi: int) -> pa.Array:
    """A pool of random sentences; records pick from it so text generation stays vectorised."""
    words = np.array(_WORDS)
    lengths = rng.integers(lo, hi, size=size)
    return pa.array([" ".join(rng.choice(words, n)) for n in lengths])


def _pick(pool: pa.Array, rng: np.random.Generator, n: int) -> pa.Array:
    return pool.take(pa.array(rng.integers(0, len(pool), size=n)))


def generate_records(n: int, day: dt.date = BENCH_DAY, seed: int = 7) -> pa.Table:
    """``n`` realistic interaction records for ``day`` as an Arrow table (nested columns)."""
    rng = np.random.default_rng(seed)
    short = _sentence_pool(rng, 4096, 6, 25)
    long = _sentence_pool(rng, 4096, 30, 120)
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()
    secs = np.sort(rng.uniform(0, 86_400, size=n)) + start
    ts = pc.strftime(
        pa.array((secs * 1e6).astype("int64"), pa.timestamp("us", tz="UTC")),
        format="%Y-%m-%dT%H:%M:%SZ",
    )
    ids = pc.binary_join_element_wise("int-", pa.array(np.arange(n).astype(str)), "")
    arm = rng.random(n) < 0.25
    segment = pa.StructArray.from_arrays(
        [pa.array(np.array(v)[rng.integers(0, len(v), n)]) for v in _SEGMENTS.values()],
        names=list(_SEGMENTS),
    )
    rating = np.where(rng.random(n) < 0.7, None, np.where(rng.random(n) < 0.8, "up", "down"))
    feedback = pa.StructArray.from_arrays(
        [
            pa.array(rating.tolist(), pa.string()),
            pa.array(np.where(rng.random(n) < 0.95, None, "not helpful").tolist(), pa.string()),
            pa.array(rng.random(n) < 0.3),
            pa.array(rng.random(n) < 0.1),
            pa.array(rng.random(n) < 0.05),
        ],
        names=["rating", "comment", "copied", "edited", "retried"],
    )
    outcome = pa.StructArray.from_arrays(
        [
            pa.array(rng.random(n) < 0.2),
            pa.array(rng.random(n) < 0.8),
            pa.array(rng.random(n) < 0.05),
            pa.array(rng.random(n) < 0.7),
            pa.array(rng.random(n) < 0.9),
            pa.array(rng.random(n) < 0.01),
            pa.array(np.round(rng.gamma(2.0, 30.0, n), 1)),
        ],
        names=[
            "escalated",
            "escalation_correct",
            "analyst_override",
            "resolved",
            "sla_met",
            "incident_missed",
            "resolution_minutes",
        ],
    )
    offsets = pa.array(np.arange(0, 3 * n + 1, 3, dtype=np.int32))
    context = pa.ListArray.from_arrays(offsets, _pick(long, rng, 3 * n))
    tokens_in = rng.integers(200, 2000, n)
    tokens_out = rng.integers(50, 600, n)
    return pa.table(
        {
            "interaction_id": ids,
            "timestamp": ts,
            "query": _pick(short, rng, n),
            "response": _pick(long, rng, n),
            "conversation_id": pc.binary_join_element_wise(
                "conv-", pa.array((np.arange(n) // 3).astype(str)), ""
            ),
            "turn": pa.array(np.arange(n) % 3 + 1),
            "user_id": pc.binary_join_element_wise(
                "user-", pa.array(rng.integers(0, n // 5 + 1, n).astype(str)), ""
            ),
            "model_version": pa.array(np.where(arm, "copilot-v2", "copilot-v1")),
            "prompt_version": pa.array(np.where(arm, "p7", "p6")),
            "rollout_arm": pa.array(np.where(arm, "treatment", "control")),
            "traffic_share": pa.array(np.full(n, 0.25)),
            "segment": segment,
            "context": context,
            "latency_ms": pa.array(np.round(rng.lognormal(7.0, 0.5, n), 1)),
            "tokens_in": pa.array(tokens_in),
            "tokens_out": pa.array(tokens_out),
            "cost_usd": pa.array(np.round(tokens_in * 1.5e-7 + tokens_out * 6e-7, 8)),
            "feedback": feedback,
            "outcome": outcome,
            "error": pa.nulls(n, pa.string()),
        }
    )


def sql_string(text: str) -> str:
    """A SQL string literal for a path we created ourselves (COPY cannot take parameters)."""
    return "'" + text.replace("'", "''") + "'"


def write_jsonl(table: pa.Table, path: Path) -> Path:
    """Write records as JSON Lines with DuckDB (vectorised, no Python loop per record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.register("records", table)
        con.execute(f"COPY (SELECT * FROM records) TO {sql_string(str(path))} (FORMAT json)")
    finally:
        con.close()
    return path
