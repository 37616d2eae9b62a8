"""What the landing folder asks to be (re)run: each day, and the files that feed it.

A day's run key is a hash of the content hashes of every file with records on
that day. A new file, or a changed one, changes the key of exactly the days it
touches (late data for an old day reruns that day), while an unchanged folder
produces the same keys, which Dagster never launches twice.

Deduplication is global (last write wins, even across days), so a day's rows also
depend on files with no record on that day: a file that re-sends an id of day 1
dated day 2 moves the id out of day 1. Such a file therefore joins the key of every
day that holds one of its ids, and day 1 is rerun along with day 2.
``days_with_moved_ids`` is the check ``evalflow run`` makes on the warehouse for
days outside its range.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pyarrow as pa

from evalflow.config import Paths, Settings
from evalflow.ingest.normalize import Limits
from evalflow.ingest.staging import StagingState, memory_connection, staging_lock, sync_staging
from evalflow.storage import Warehouse

FileRef = tuple[str, str]
"""(relative path, content hash) of a landing file."""


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
    by_day: dict[dt.date, set[FileRef]] = {}
    for staged in state.files:
        days = {dt.date.fromisoformat(d) for d in staged.meta.get("days", {})}
        for day in days:
            by_day.setdefault(day, set()).add((staged.file.rel, staged.content_hash))
    for day, refs in id_sharing_files(state).items():
        by_day.setdefault(day, set()).update(refs)
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


_SHARING_CACHE: dict[tuple[FileRef, ...], dict[dt.date, set[FileRef]]] = {}


def id_sharing_files(state: StagingState) -> dict[dt.date, set[FileRef]]:
    """Per day: the files holding a valid write, on another day, of an id valid on that day.

    Computed from the staged Parquet copies (ids only) and cached for the current set
    of staged files, so a sensor tick over an unchanged folder costs nothing.
    """
    refs = tuple(sorted((s.file.rel, s.content_hash) for s in state.files))
    if len(refs) < 2:
        return {}
    if refs in _SHARING_CACHE:
        return _SHARING_CACHE[refs]
    manifest = pa.table(
        {
            "staged_path": [str(p) for s in state.files for p in s.parts],
            "source_file": [s.file.rel for s in state.files for _ in s.parts],
            "content_hash": [s.content_hash for s in state.files for _ in s.parts],
        }
    )
    con = memory_connection()
    try:
        con.register("manifest", manifest)
        rows = con.execute(
            """
            WITH recs AS (
                SELECT DISTINCT m.source_file, m.content_hash, s.day, s.interaction_id
                FROM read_parquet(?, filename = true) s
                JOIN manifest m ON s.filename = m.staged_path
                WHERE s.reason IS NULL AND s.interaction_id IS NOT NULL
            )
            SELECT DISTINCT a.day, b.source_file, b.content_hash
            FROM recs a JOIN recs b ON a.interaction_id = b.interaction_id AND a.day <> b.day
            """,
            [manifest.column("staged_path").to_pylist()],
        ).fetchall()
    finally:
        con.close()
    out: dict[dt.date, set[FileRef]] = {}
    for day, rel, content_hash in rows:
        out.setdefault(day, set()).add((rel, content_hash))
    _SHARING_CACHE.clear()
    _SHARING_CACHE[refs] = out
    return out


def days_with_moved_ids(wh: Warehouse) -> dict[dt.date, int]:
    """Days of ``raw_interactions`` holding an id that is also on another day, with counts.

    Global last-write-wins allows an id on one day only; an id on two days means one
    of them was materialised before the id was re-sent and must be rerun.
    """
    if not wh.table_exists("raw_interactions"):
        return {}
    found = wh.query_df(
        """
        SELECT day, count(*) AS n FROM raw_interactions
        WHERE interaction_id IN (
            SELECT interaction_id FROM raw_interactions
            GROUP BY interaction_id HAVING count(DISTINCT day) > 1
        )
        GROUP BY day ORDER BY day
        """
    )
    return {_as_date(d): int(n) for d, n in zip(found["day"], found["n"], strict=True)}


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
