"""Column contracts of the ingest tables and the vocabulary of quarantine reasons.

The raw_interactions columns depend on configuration (one ``seg_<key>`` column per
configured segment key), so the schema is a function of the segment list; the
module-level ``RAW_COLUMNS`` uses the default segments for the static metadata the
Dagster UI shows before anything has run.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalflow.config.settings import Settings
from evalflow.config.settings import segment_column as _safe_segment_column
from evalflow.storage.warehouse import ident

ColumnSpec = dict[str, tuple[str, str]]

# Quarantine reasons: a closed vocabulary so counts by reason are stable and alertable.
UNDECODABLE = "undecodable bytes"
OVERSIZED_RECORD = "oversized record"
OVERSIZED_FIELD = "oversized field"
TRUNCATED = "truncated last line"
INVALID_JSON = "invalid JSON"
NOT_OBJECT = "not a JSON object"
DUPLICATE_KEY = "duplicate JSON key"
MALFORMED_CSV = "malformed CSV row"
UNREADABLE_FILE = "unreadable file"
UNREADABLE_DIR = "unreadable directory"
"""A folder under landing/ that cannot be listed: its files are unknown, so it is one record."""
CHANGED_DURING_READ = "changed during read"
"""The file kept changing while it was read (bounded retries): never half-counted."""
MISSING = "missing required field"
EMPTY = "empty required field"
MISTYPED = "mistyped field"
UNPARSEABLE_TS = "unparseable timestamp"
IMPOSSIBLE_TS = "impossible timestamp"
TS_OUT_OF_RANGE = "timestamp out of range"
NAIVE_TS = "timestamp without offset"
EMPTY_RESPONSE = "empty response without error"
UNPROCESSABLE = "unprocessable record"
"""The record broke the vectorised parser itself; it is isolated and filed here."""

REASONS = (
    UNDECODABLE,
    OVERSIZED_RECORD,
    OVERSIZED_FIELD,
    TRUNCATED,
    INVALID_JSON,
    NOT_OBJECT,
    DUPLICATE_KEY,
    MALFORMED_CSV,
    UNREADABLE_FILE,
    UNREADABLE_DIR,
    CHANGED_DURING_READ,
    MISSING,
    EMPTY,
    MISTYPED,
    UNPARSEABLE_TS,
    IMPOSSIBLE_TS,
    TS_OUT_OF_RANGE,
    NAIVE_TS,
    EMPTY_RESPONSE,
    UNPROCESSABLE,
)

RAW_MAX_CHARS = 2000
"""Quarantined records keep at most this many characters of the original text."""

_HEAD: ColumnSpec = {
    "day": ("DATE", "UTC day of `timestamp` (the partition)"),
    "interaction_id": ("VARCHAR", "Unique id of the interaction (last write wins)"),
    "timestamp": ("TIMESTAMP", "When the response was sent, UTC (naive)"),
    "query": ("VARCHAR", "The user's message, byte-exact as logged"),
    "response": ("VARCHAR", "The application's answer (may be empty when `error` is set)"),
    "conversation_id": ("VARCHAR", "Multi-turn grouping; NULL when not logged"),
    "turn": ("INTEGER", "Turn number within the conversation"),
    "user_id": ("VARCHAR", "Pseudonymous user"),
    "model_version": ("VARCHAR", "Model that produced the answer"),
    "prompt_version": ("VARCHAR", "Prompt template version"),
    "rollout_arm": ("VARCHAR", "Rollout arm, e.g. control / treatment"),
    "traffic_share": ("DOUBLE", "Treatment's rollout phase (0-1) when the record was logged"),
    "segment_json": ("VARCHAR", "The whole `segment` object as JSON"),
}
_TAIL: ColumnSpec = {
    "context": ("VARCHAR[]", "Retrieved passages (a string input becomes a one-item list)"),
    "latency_ms": ("DOUBLE", "Response latency in milliseconds"),
    "tokens_in": ("DOUBLE", "Prompt tokens"),
    "tokens_out": ("DOUBLE", "Completion tokens"),
    "cost_usd": ("DOUBLE", "Cost of the call in USD"),
    "feedback_rating": ("VARCHAR", "`up`, `down` or NULL"),
    "feedback_comment": ("VARCHAR", "Free-text user comment"),
    "feedback_copied": ("BOOLEAN", "User copied the answer"),
    "feedback_edited": ("BOOLEAN", "User edited the answer"),
    "feedback_retried": ("BOOLEAN", "User asked again"),
    "outcome_escalated": ("BOOLEAN", "Case was escalated"),
    "outcome_escalation_correct": ("BOOLEAN", "The escalation decision was right"),
    "outcome_analyst_override": ("BOOLEAN", "An analyst overrode the answer"),
    "outcome_resolved": ("BOOLEAN", "Case resolved"),
    "outcome_sla_met": ("BOOLEAN", "Resolution met its SLA"),
    "outcome_incident_missed": ("BOOLEAN", "An incident was missed"),
    "outcome_resolution_minutes": ("DOUBLE", "Minutes to resolution"),
    "error": ("VARCHAR", "Application error, if any"),
    "extra_json": ("VARCHAR", "Every unknown field as a JSON object (NULL if none)"),
    "source_file": ("VARCHAR", "Landing file, relative to the landing folder"),
    "source_line": ("BIGINT", "1-based line (JSONL), record (CSV, header = 1) or row (Parquet)"),
}


def segment_column(key: str) -> str:
    """``seg_<key>`` made safe (``app-version`` -> ``seg_app_version``), checked to be a
    plain identifier (segment keys come from config); see ``config.segment_column``."""
    name = _safe_segment_column(key)
    ident(name)
    return name


def raw_columns(segments: Sequence[str]) -> ColumnSpec:
    """raw_interactions columns in table order for a given list of segment keys."""
    segs = {segment_column(k): ("VARCHAR", f"segment `{k}`; NULL when absent") for k in segments}
    return {**_HEAD, **segs, **_TAIL}


RAW_COLUMNS: ColumnSpec = raw_columns(Settings().segments)

QUARANTINE_COLUMNS: ColumnSpec = {
    "day": (
        "DATE",
        "Day of the record's timestamp; else the file's earliest valid day, "
        "else the file's modification day (UTC)",
    ),
    "source_file": ("VARCHAR", "Landing file, relative to the landing folder"),
    "source_line": (
        "BIGINT",
        "1-based line / record / row; NULL when the whole file is unreadable",
    ),
    "reason": ("VARCHAR", "Why the record could not be used (closed vocabulary)"),
    "field": ("VARCHAR", "The offending field, when one is to blame"),
    "raw": ("VARCHAR", f"The original text, truncated to {RAW_MAX_CHARS} characters"),
}

LANDING_FILES_COLUMNS: ColumnSpec = {
    "source_file": ("VARCHAR", "Landing file, relative to the landing folder"),
    "content_hash": ("VARCHAR", "sha256 of the file's bytes"),
    "size_bytes": ("BIGINT", "File size"),
    "records_read": ("BIGINT", "Non-blank lines / rows read"),
    "kept": ("BIGINT", "Records that are the last write of their interaction_id"),
    "quarantined": ("BIGINT", "Records quarantined with a reason"),
    "duplicates": ("BIGINT", "Valid records superseded by a later write of the same id"),
    "days": ("VARCHAR", "Comma-separated UTC days the file's records fall on"),
    "ingested_at": ("TIMESTAMP", "When these totals were computed (UTC)"),
    "format": ("VARCHAR", "jsonl, jsonl.gz, csv or parquet"),
    "modified_at": ("TIMESTAMP", "File modification time (UTC): orders last-write-wins"),
    "blank_lines": ("BIGINT", "Blank lines skipped (not records)"),
    "naive_timestamps": ("BIGINT", "Timestamps without offset read as UTC"),
}

RECONCILIATION_COLUMNS: ColumnSpec = {
    "day": ("DATE", "The partition"),
    "source_file": ("VARCHAR", "Landing file with records on this day"),
    "records_read": ("BIGINT", "Records of this file filed under this day"),
    "kept": ("BIGINT", "Written to raw_interactions"),
    "quarantined": ("BIGINT", "Written to quarantined_records"),
    "duplicates": ("BIGINT", "Folded into a later write of the same interaction_id"),
    "balanced": ("BOOLEAN", "records_read = kept + quarantined + duplicates"),
}

# Fields of the input contract; everything else goes to extra_json.
KNOWN_FIELDS = (
    "interaction_id",
    "timestamp",
    "query",
    "response",
    "conversation_id",
    "turn",
    "user_id",
    "model_version",
    "prompt_version",
    "rollout_arm",
    "traffic_share",
    "segment",
    "context",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "feedback",
    "outcome",
    "error",
)
FEEDBACK_FIELDS = ("rating", "comment", "copied", "edited", "retried")
OUTCOME_BOOL_FIELDS = (
    "escalated",
    "escalation_correct",
    "analyst_override",
    "resolved",
    "sla_met",
    "incident_missed",
)
OUTCOME_FIELDS = (*OUTCOME_BOOL_FIELDS, "resolution_minutes")
NESTED_OBJECTS = ("segment", "feedback", "outcome")
"""Objects that CSV/Parquet may carry as JSON text or as dotted columns (``segment.queue``)."""
