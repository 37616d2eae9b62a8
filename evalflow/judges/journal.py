"""A write-ahead journal of judge requests, so the daily budget survives ``kill -9``.

``judge_calls`` is written once, at the end of the step, in one short DuckDB
connection (the judge never holds the warehouse across network calls: DuckDB has
one writer per file). A run killed half-way therefore used to leave no trace of the
requests it had already paid for, and the rerun spent the whole budget again.

The journal is a plain append-only JSON-lines file per partition day under
``$EVALFLOW_HOME/judge_journal/`` (beside the warehouse). Every HTTP attempt is
appended and ``fsync``-ed *before* it is sent; a finished call appends its trace row,
and a successful judgement its cache row. It needs no DuckDB connection, so it
respects the single-writer rule, and a torn last line (killed mid-write) is skipped
and counted, never fatal.

The next run folds the journal into ``judge_calls`` / ``judge_cache`` (idempotent by
``call_id`` and cache key) before counting what the day has spent. A request that was
journaled but never answered counts as an ``interrupted`` call charged its reserved
worst-case cost: the budget errs on the side of having spent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INTERRUPTED = "interrupted"
"""``judge_calls.status`` of a call whose run ended before its reply was recorded."""


def journal_dir(database: Path) -> Path:
    """Where the journals live: next to the warehouse file, under ``$EVALFLOW_HOME``."""
    return database.with_name("judge_journal")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


class CallJournal:
    """Append-only, fsync-per-record journal of one partition day's judge traffic.

    Thread-safe (one lock around open/write/fsync); the file is opened in append
    mode per record, so several processes appending whole lines never interleave
    inside a line (POSIX ``O_APPEND`` writes below PIPE_BUF are atomic in practice,
    and each record is a single ``write``).
    """

    def __init__(self, directory: Path, day: dt.date):
        self.path = directory / f"{day.isoformat()}.jsonl"
        self._lock = threading.Lock()

    def _append(self, record: dict[str, Any]) -> None:
        data = (
            json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False) + "\n"
        ).encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)

    def request(self, call: dict[str, Any], attempt: int, worst_usd: float) -> None:
        """Record one HTTP attempt before it is sent (the write-ahead part)."""
        self._append(
            {
                "kind": "request",
                "attempt": attempt,
                "worst_usd": worst_usd,
                "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                **call,
            }
        )

    def call(self, row: dict[str, Any]) -> None:
        """Record a finished logical call: its ``judge_calls`` row."""
        self._append({"kind": "call", "row": {k: _jsonable(v) for k, v in row.items()}})

    def verdict(self, row: dict[str, Any]) -> None:
        """Record a successful judgement: its ``judge_cache`` row (a rerun reuses it)."""
        self._append({"kind": "verdict", "row": {k: _jsonable(v) for k, v in row.items()}})


@dataclass
class Replay:
    """What a journal says happened: call rows (finished or interrupted) and verdicts."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    torn_lines: int = 0

    @property
    def interrupted(self) -> int:
        return sum(1 for c in self.calls if c["status"] == INTERRUPTED)


def replay(path: Path) -> Replay:
    """Read a journal back into ``judge_calls`` and ``judge_cache`` rows."""
    out = Replay()
    if not path.exists():
        return out
    requests: dict[str, list[dict[str, Any]]] = {}
    finished: dict[str, dict[str, Any]] = {}
    with path.open("rb") as fh:
        for raw in fh:
            try:
                rec = json.loads(raw)
                kind = rec["kind"]
            except (ValueError, KeyError, TypeError):
                out.torn_lines += 1  # a kill mid-write leaves at most a partial last line
                continue
            if kind == "request":
                requests.setdefault(str(rec["call_id"]), []).append(rec)
            elif kind == "call":
                finished[str(rec["row"]["call_id"])] = rec["row"]
            elif kind == "verdict":
                out.verdicts.append(rec["row"])
    out.calls.extend(finished.values())
    for call_id, reqs in requests.items():
        if call_id not in finished:
            out.calls.append(_interrupted_row(call_id, reqs))
    return out


def _interrupted_row(call_id: str, reqs: list[dict[str, Any]]) -> dict[str, Any]:
    """A call that was sent but whose outcome was never recorded: charged as worst case."""
    first, last = reqs[0], reqs[-1]
    return {
        "call_id": call_id,
        "day": first.get("day"),
        "interaction_id": first.get("interaction_id"),
        "criterion": first.get("criterion"),
        "model": first.get("model"),
        "purpose": first.get("purpose"),
        "status": INTERRUPTED,
        "attempts": len(reqs),
        "http_status": None,
        "tokens_in": None,
        "tokens_out": None,
        "cost_usd": float(first.get("worst_usd") or 0.0),
        "latency_ms": None,
        "error": (
            "the run ended before this call's reply was recorded (crash or kill); "
            "charged its reserved worst-case cost"
        ),
        "request_sha256": first.get("request_sha256"),
        "created_at": last.get("at"),
    }
