"""What the landing folder asks to be (re)run: each day, and the files that feed it.

A day's run key is a hash of the content hashes of every file with records on
that day. A new file, or a changed one, changes the key of exactly the days it
touches (late data for an old day reruns that day), while an unchanged folder
produces the same keys, which Dagster never launches twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from evalflow.config import Paths, Settings
from evalflow.ingest.normalize import Limits
from evalflow.ingest.staging import staging_lock, sync_staging


@dataclass(frozen=True)
class DayRequest:
    day: dt.date
    run_key: str
    files: tuple[str, ...]


def landing_day_requests(paths: Paths, settings: Settings) -> list[DayRequest]:
    """Stage new or changed files (the run reuses the staged copy) and group them by day."""
    if not paths.landing.exists():
        return []
    with staging_lock(paths):
        state = sync_staging(paths, Limits.from_settings(settings.ingest))
    by_day: dict[dt.date, list[tuple[str, str]]] = {}
    for staged in state.files:
        days = {dt.date.fromisoformat(d) for d in staged.meta.get("days", {})}
        for day in days:
            by_day.setdefault(day, []).append((staged.file.rel, staged.content_hash))
    requests = []
    for day, files in sorted(by_day.items()):
        digest = hashlib.sha256(
            "\n".join(f"{rel}\t{h}" for rel, h in sorted(files)).encode()
        ).hexdigest()[:16]
        requests.append(
            DayRequest(
                day=day,
                run_key=f"landing:{day.isoformat()}:{digest}",
                files=tuple(sorted(rel for rel, _ in files)),
            )
        )
    return requests
