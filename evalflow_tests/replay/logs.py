"""Turn labelled rows into production log records, the way an application would write them.

Nothing in a record carries the human label: the truth stays in a side map keyed by
``interaction_id`` that only the tests read. Records have no ``outcome`` block (real
chat and RAG traffic rarely logs one), and user feedback is present only on the share
of turns where people would leave a thumb.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) from the parts: reproducible shuffles and choices."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:12], 16) / float(16**12)


@dataclass
class Replay:
    """Records spread over ``days`` days, plus what the tests know about each one."""

    start: dt.date
    days: int
    records: list[dict[str, Any]] = field(default_factory=list)
    truth: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, day_index: int, record: dict[str, Any], **truth: Any) -> None:
        n = sum(1 for r in self.records if r["_day"] == day_index)
        when = dt.datetime.combine(self.start + dt.timedelta(days=day_index), dt.time(8))
        when += dt.timedelta(seconds=37 * n)
        record = {"timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), **record, "_day": day_index}
        self.records.append(record)
        self.truth[record["interaction_id"]] = {"day": when.date(), **truth}

    def write(self, landing: Path, name: str) -> Path:
        landing.mkdir(parents=True, exist_ok=True)
        path = landing / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for record in self.records:
                clean = {k: v for k, v in record.items() if not k.startswith("_")}
                fh.write(json.dumps(clean, ensure_ascii=False) + "\n")
        return path


def spread(items: Sequence[Any], days: int, key: str) -> Iterable[tuple[int, Any]]:
    """Each item with a day index, in a stable pseudo-random order (no day is special)."""
    ordered = sorted(range(len(items)), key=lambda i: unit_hash(key, i))
    for rank, i in enumerate(ordered):
        yield rank * days // len(items), items[i]


def feedback_from_rating(rating_0_1: float, seed: str, share: float = 0.4) -> dict | None:
    """A thumb on ``share`` of turns: people who liked the reply tend to say so.

    The probability of a thumbs-up follows the human rating, so feedback is noisy
    evidence about quality, as it is from real users, not a copy of the label.
    """
    if unit_hash("rated", seed) >= share:
        return None
    return {"rating": "up" if unit_hash("thumb", seed) < rating_0_1 else "down"}
