"""Unit tests of the record normaliser: one JSON record in, a typed row or one reason out."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from evalflow.config.settings import IngestSettings
from evalflow.ingest import schema as S
from evalflow.ingest.normalize import Limits, normalize_records
from evalflow.ingest.readers import RECORD_SCHEMA

LIMITS = Limits.from_settings(IngestSettings())
BASE = {"interaction_id": "i-1", "timestamp": "2026-10-05T10:00:00Z", "query": "q", "response": "r"}


def run(
    texts: list[str], lenient: bool = False, limits: Limits = LIMITS, last_terminated: bool = True
) -> pd.DataFrame:
    n = len(texts)
    table = pa.Table.from_pydict(
        {
            "source_line": list(range(1, n + 1)),
            "b": [t.encode() for t in texts],
            "raw": [None] * n,
            "nbytes": [len(t.encode()) for t in texts],
            "terminated": [True] * (n - 1) + [last_terminated],
            "skip": [False] * n,
            "pre_reason": [None] * n,
            "pre_field": [None] * n,
        },
        schema=RECORD_SCHEMA,
    )
    return normalize_records(table, limits, lenient).to_pandas()


def one(record: dict[str, Any] | str, **kw: Any) -> pd.Series:
    text = record if isinstance(record, str) else json.dumps(record)
    return run([text], **kw).iloc[0]


def with_(**changes: Any) -> dict[str, Any]:
    rec = dict(BASE)
    for k, v in changes.items():
        if v is ...:
            rec.pop(k)
        else:
            rec[k] = v
    return rec


@pytest.mark.parametrize(
    ("ts", "utc"),
    [
        ("2026-10-05T23:30:00-05:00", "2026-10-06 04:30:00"),
        ("2026-10-06T01:30:00+02:00", "2026-10-05 23:30:00"),
        ("2026-10-05T10:00:00Z", "2026-10-05 10:00:00"),
        ("2026-10-05t10:00:00z", "2026-10-05 10:00:00"),
        ("2026-10-05 10:00:00+0530", "2026-10-05 04:30:00"),
        ("2026-10-05T10:00:00+05", "2026-10-05 05:00:00"),
        ("2026-10-05T10:00Z", "2026-10-05 10:00:00"),
        ("2026-10-05T10:00:00,5Z", "2026-10-05 10:00:00.5"),
        ("2026-10-05T10:00:00.123456789Z", "2026-10-05 10:00:00.123456"),
        ("2026-10-05T10:00:00", "2026-10-05 10:00:00"),
        (1791194400, "2026-10-05 10:00:00"),
        (1791194400.25, "2026-10-05 10:00:00.25"),
        ("1791194400", "2026-10-05 10:00:00"),
        ("  1791194400  ", "2026-10-05 10:00:00"),
        (1.7911944e9, "2026-10-05 10:00:00"),
        ("2028-02-29T12:00:00Z", "2028-02-29 12:00:00"),
    ],
)
def test_timestamps_become_utc(ts: object, utc: str) -> None:
    row = one(with_(timestamp=ts))
    assert row["reason"] is None
    assert row["timestamp"] == pd.Timestamp(utc)
    assert row["day"] == pd.Timestamp(utc).date()


def test_naive_timestamp_is_flagged_or_quarantined() -> None:
    row = one(with_(timestamp="2026-10-05 10:00:00"))
    assert row["naive_ts"] and row["reason"] is None
    strict = Limits.from_settings(IngestSettings(naive_timestamps="quarantine"))
    row = one(with_(timestamp="2026-10-05 10:00:00"), limits=strict)
    assert (row["reason"], row["field"]) == (S.NAIVE_TS, "timestamp")
    assert not one(with_(timestamp="2026-10-05T10:00:00Z"))["naive_ts"]


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        ("2026-02-30T10:00:00Z", S.IMPOSSIBLE_TS),
        ("2026-02-29T10:00:00Z", S.IMPOSSIBLE_TS),
        ("2026-13-01T10:00:00Z", S.IMPOSSIBLE_TS),
        ("2026-10-05T24:00:00Z", S.IMPOSSIBLE_TS),
        ("2026-10-05T10:60:00Z", S.IMPOSSIBLE_TS),
        ("2026-10-05T10:00:61Z", S.IMPOSSIBLE_TS),
        ("2026-10-05T10:00:00+19:00", S.IMPOSSIBLE_TS),
        ("2026-10-05T10:00:00+05:75", S.IMPOSSIBLE_TS),
        ("3026-10-05T10:00:00Z", S.TS_OUT_OF_RANGE),
        ("0000-01-01T00:00:00Z", S.TS_OUT_OF_RANGE),
        ("1999-12-31T23:59:59Z", S.TS_OUT_OF_RANGE),
        ("2100-12-31T23:00:00-05:00", S.TS_OUT_OF_RANGE),  # 2101 in UTC
        (0, S.TS_OUT_OF_RANGE),
        (1791194400000, S.TS_OUT_OF_RANGE),  # milliseconds, not seconds
        (-5, S.TS_OUT_OF_RANGE),
        ("yesterday", S.UNPARSEABLE_TS),
        ("2026-10-05", S.UNPARSEABLE_TS),
        ("05/10/2026 10:00", S.UNPARSEABLE_TS),
        ("", S.UNPARSEABLE_TS),
        (True, S.MISTYPED),
        ({"t": 1}, S.MISTYPED),
        ([1], S.MISTYPED),
        (None, S.MISSING),
        (..., S.MISSING),
    ],
)
def test_bad_timestamps(ts: object, reason: str) -> None:
    row = one(with_(timestamp=ts))
    assert (row["reason"], row["field"]) == (reason, "timestamp")
    assert pd.isna(row["day"])


def test_nan_and_infinite_timestamps() -> None:
    rows = run(
        [
            '{"interaction_id":"a","timestamp":NaN,"query":"q","response":"r"}',
            '{"interaction_id":"a","timestamp":1e999,"query":"q","response":"r"}',
        ]
    )
    assert rows["reason"].tolist() == [S.UNPARSEABLE_TS, S.UNPARSEABLE_TS]


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"interaction_id": ...}, S.MISSING, "interaction_id"),
        ({"interaction_id": None}, S.MISSING, "interaction_id"),
        ({"interaction_id": 42}, S.MISTYPED, "interaction_id"),
        ({"interaction_id": "  "}, S.EMPTY, "interaction_id"),
        ({"query": ...}, S.MISSING, "query"),
        ({"query": ""}, S.EMPTY, "query"),
        ({"query": ["q"]}, S.MISTYPED, "query"),
        ({"response": ...}, S.MISSING, "response"),
        ({"response": 3}, S.MISTYPED, "response"),
        ({"response": ""}, S.EMPTY_RESPONSE, "response"),
        ({"response": "", "error": ""}, S.EMPTY_RESPONSE, "response"),
        ({"error": {"code": 500}}, S.MISTYPED, "error"),
        ({"conversation_id": 12345}, S.MISTYPED, "conversation_id"),
        ({"turn": 2.5}, S.MISTYPED, "turn"),
        ({"turn": "2"}, S.MISTYPED, "turn"),
        ({"turn": 1e12}, S.MISTYPED, "turn"),
        ({"latency_ms": "12"}, S.MISTYPED, "latency_ms"),
        ({"traffic_share": True}, S.MISTYPED, "traffic_share"),
        ({"cost_usd": "0.1"}, S.MISTYPED, "cost_usd"),
        ({"segment": "billing"}, S.MISTYPED, "segment"),
        ({"segment": {"queue": 5}}, S.MISTYPED, "segment"),
        ({"segment": {"queue": {"x": 1}}}, S.MISTYPED, "segment"),
        ({"context": 7}, S.MISTYPED, "context"),
        ({"context": ["ok", 1]}, S.MISTYPED, "context"),
        ({"context": ["ok", {"doc": 1}]}, S.MISTYPED, "context"),
        ({"feedback": "up"}, S.MISTYPED, "feedback"),
        ({"feedback": {"rating": 1}}, S.MISTYPED, "feedback.rating"),
        ({"feedback": {"copied": "true"}}, S.MISTYPED, "feedback.copied"),
        ({"feedback": {"retried": 1}}, S.MISTYPED, "feedback.retried"),
        ({"outcome": [True]}, S.MISTYPED, "outcome"),
        ({"outcome": {"escalated": "no"}}, S.MISTYPED, "outcome.escalated"),
        ({"outcome": {"resolution_minutes": "5"}}, S.MISTYPED, "outcome.resolution_minutes"),
        ({"query": "x" * 100_001}, S.OVERSIZED_FIELD, "query"),
        ({"response": "é" * 50_001}, S.OVERSIZED_FIELD, "response"),  # bytes, not characters
        ({"context": ["ok", "y" * 100_001]}, S.OVERSIZED_FIELD, "context"),
        ({"feedback": {"comment": "z" * 100_001}}, S.OVERSIZED_FIELD, "feedback.comment"),
    ],
)
def test_field_problems(changes: dict[str, Any], reason: str, field: str) -> None:
    row = one(with_(**changes))
    assert (row["reason"], row["field"]) == (reason, field)
    assert row["day"] == pd.Timestamp("2026-10-05").date()  # timestamp was fine: filed on its day


def test_first_problem_wins_in_a_fixed_order() -> None:
    row = one(with_(interaction_id=1, query="", latency_ms="x"))
    assert (row["reason"], row["field"]) == (S.MISTYPED, "interaction_id")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"interaction_id": "a", ', S.INVALID_JSON),
        ("not json at all", S.INVALID_JSON),
        ('{"a": "\\ud800"}', S.INVALID_JSON),
        ('{"a": "ctrl \x01 char"}', S.INVALID_JSON),
        ("[1, 2, 3]", S.NOT_OBJECT),
        ('"just a string"', S.NOT_OBJECT),
        ("null", S.NOT_OBJECT),
        (
            '{"interaction_id":"a","interaction_id":"b","timestamp":"2026-10-05T10:00:00Z","query":"q","response":"r"}',
            S.DUPLICATE_KEY,
        ),
        (
            '{"interaction_id":"a","x":1,"x":2,"timestamp":"2026-10-05T10:00:00Z","query":"q","response":"r"}',
            S.DUPLICATE_KEY,
        ),
    ],
)
def test_record_level_problems(text: str, reason: str) -> None:
    row = one(text)
    assert row["reason"] == reason and row["field"] is None
    assert row["raw"] == text


def test_duplicate_key_inside_feedback() -> None:
    text = json.dumps(BASE)[:-1] + ', "feedback": {"rating": "up", "rating": "down"}}'
    assert (one(text)["reason"], one(text)["field"]) == (S.DUPLICATE_KEY, "feedback")


def test_truncated_last_line_versus_valid_unterminated_line() -> None:
    rows = run([json.dumps(BASE), '{"interaction_id": "b", "timest'], last_terminated=False)
    assert rows["reason"].tolist() == [None, S.TRUNCATED]
    rows = run([json.dumps(BASE)], last_terminated=False)
    assert rows["reason"].tolist() == [None]


def test_oversized_record_is_not_parsed() -> None:
    small = Limits.from_settings(IngestSettings(max_record_bytes=200))
    row = one(with_(query="x" * 300), limits=small)
    assert (row["reason"], row["field"]) == (S.OVERSIZED_RECORD, None)
    assert len(row["raw"]) <= S.RAW_MAX_CHARS


def test_values_optional_fields_and_extras() -> None:
    row = one(
        with_(
            conversation_id="c-1",
            turn=3,
            user_id="u",
            model_version="copilot-v2",
            prompt_version="p7",
            rollout_arm="treatment",
            traffic_share=0.25,
            segment={"queue": "billing", "custom": "x"},
            context=["a", None, "b"],
            latency_ms=812.5,
            tokens_in=10,
            tokens_out=20,
            cost_usd=0.001,
            feedback={"rating": "down", "comment": "meh", "edited": True, "extra": [1]},
            outcome={"escalated": True, "sla_met": False, "resolution_minutes": 9, "queue_hops": 2},
            error=None,
            client={"os": "ios"},
            tags=["a", "b"],
        )
    )
    assert row["reason"] is None
    assert (row["conversation_id"], row["turn"], row["rollout_arm"]) == ("c-1", 3, "treatment")
    assert json.loads(row["segment_json"]) == {"queue": "billing", "custom": "x"}
    assert list(row["context"]) == ["a", None, "b"]
    assert (row["latency_ms"], row["tokens_in"], row["tokens_out"]) == (812.5, 10.0, 20.0)
    assert (row["feedback_rating"], row["feedback_comment"], row["feedback_edited"]) == (
        "down",
        "meh",
        True,
    )
    assert pd.isna(row["feedback_copied"])
    assert row["outcome_escalated"] and not row["outcome_sla_met"]
    assert row["outcome_resolution_minutes"] == 9.0
    assert json.loads(row["extra_json"]) == {
        "client": {"os": "ios"},
        "tags": ["a", "b"],
        "feedback": {"extra": [1]},
        "outcome": {"queue_hops": 2},
    }


def test_null_is_absent_and_nan_is_missing() -> None:
    rows = run(
        [
            json.dumps(with_(latency_ms=None, segment=None, context=None, feedback=None)),
            '{"interaction_id":"a","timestamp":"2026-10-05T10:00:00Z","query":"q","response":"r",'
            '"latency_ms":NaN,"cost_usd":-0.0}',
            '{"interaction_id":"a","timestamp":"2026-10-05T10:00:00Z","query":"q","response":"r",'
            '"latency_ms":Infinity}',
        ]
    )
    assert rows["reason"].tolist() == [None, None, S.MISTYPED]
    assert rows["latency_ms"].isna()[:2].all()
    assert rows.loc[0, "context"] is None and rows.loc[0, "segment_json"] is None
    assert pd.isna(rows.loc[0, "extra_json"])


def test_hostile_text_is_kept_byte_exact() -> None:
    texts = [
        "Robert'); DROP TABLE raw_interactions;--",
        "<img src=x onerror=alert(1)>",
        "emoji 🧑🏽‍💻 and zwj, RTL \u202e text, NUL-free \\u0000 escape",
        "tabs\tand\nnewlines\r\n",
        '{"looks": "like json"}',
        "$1 ? :param %s {0}",
    ]
    rows = run([json.dumps(with_(query=t, response=t[::-1])) for t in texts])
    assert rows["reason"].isna().all()
    assert rows["query"].tolist() == texts
    assert rows["response"].tolist() == [t[::-1] for t in texts]


def test_string_context_becomes_one_item_list() -> None:
    assert list(one(with_(context="only passage"))["context"]) == ["only passage"]
    assert list(one(with_(context=[]))["context"]) == []
    many = [f"p{i}" for i in range(20)]  # longer than the passages typed in the first pass
    assert list(one(with_(context=many))["context"]) == many
    bad = [*many[:15], 3]
    assert one(with_(context=bad))["reason"] == S.MISTYPED


def test_csv_text_is_coerced_only_when_lenient() -> None:
    rec = with_(
        latency_ms="12.5",
        turn="3",
        feedback='{"rating": "up", "copied": "true"}',
        outcome={"escalated": "yes", "resolution_minutes": "4"},
        segment='{"queue": "billing"}',
        context='["a", "b"]',
    )
    row = one(rec, lenient=True)
    assert row["reason"] is None
    assert (row["latency_ms"], row["turn"]) == (12.5, 3)
    assert (row["feedback_rating"], row["feedback_copied"]) == ("up", True)
    assert (row["outcome_escalated"], row["outcome_resolution_minutes"]) == (True, 4.0)
    assert json.loads(row["segment_json"]) == {"queue": "billing"}
    assert list(row["context"]) == ["a", "b"]
    assert one(with_(latency_ms="fast"), lenient=True)["reason"] == S.MISTYPED
    assert one(with_(segment="billing"), lenient=True)["field"] == "segment"
    assert list(one(with_(context="[not json"), lenient=True)["context"]) == ["[not json"]
    assert one(rec)["reason"] == S.MISTYPED  # the same record from JSON is mistyped
