"""Each landing file is parsed once into a staged Parquet file keyed by its content.

``$EVALFLOW_HOME/staging/<sha256[:32]>-<parser fingerprint>/`` holds ``records-NNNNN.parquet``
parts (every record of the file, kept or quarantined, with its line number) and
``meta.json`` (what the reader counted, days present, notes). The key depends on
the file's bytes and on the parser settings only, so:

* a rerun, or a day that needs the file again, reuses the staged copy;
* a changed file (new bytes) or changed limits get a new key and are re-parsed;
* two landing files with identical bytes share one staged copy.

``index.json`` remembers (size, mtime, inode, ctime) -> hash per path so unchanged
files are neither read nor hashed on later runs; a new or changed file is read once,
hashed while it is parsed. Small files are staged many at a time (``batch``). A
file that changes while it is read is read again (``stageio``). Everything happens
under ``staging/.lock``: processes that ingest different days at the same time parse
each new file once, and no process prunes staged files another one is reading.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from evalflow.config import Paths
from evalflow.ingest import batch as B
from evalflow.ingest import normalize as N
from evalflow.ingest import readers as R
from evalflow.ingest.stageio import (
    PARSER_VERSION,
    READ_ATTEMPTS,
    STAGE_SCHEMA,
    FileRead,
    ReconciliationError,
    build_meta,
    changed_read,
    content_key,
    fingerprint,
    isolating,
    memory_connection,
    part_name,
    publish,
    read_was_stable,
    read_whole,
)

__all__ = [
    "PARSER_VERSION",
    "STAGE_SCHEMA",
    "ReconciliationError",
    "StagedFile",
    "StagingState",
    "fingerprint",
    "memory_connection",
    "parse_file",
    "staging_lock",
    "sync_staging",
]

GROUP_BYTES = 128 * 1024 * 1024
"""Records are normalised in groups of about this many bytes (one Parquet part each)."""
CHUNK_ROWS = 8192
"""Rows per Arrow batch inside a group: the unit DuckDB hands to its threads."""
SMALL_FILE_BYTES = 4 * 1024 * 1024
"""Files up to this size are read whole and staged in batches (``batch``)."""
BATCH_BYTES = 64 * 1024 * 1024
BATCH_FILES = 2000
"""A batch of small files is staged when it holds this many bytes or files."""
LOCK_TIMEOUT_S = float(os.environ.get("EVALFLOW_STAGING_LOCK_TIMEOUT", "1800"))


@dataclass(frozen=True)
class StagedFile:
    """A landing file and its parsed, staged copy."""

    file: R.LandingFile
    content_hash: str | None
    """sha256 of the bytes parsed; None when the file's content could not be read."""
    key: str
    parts: list[Path]
    """The staged Parquet files holding the file's records (at least one, maybe empty)."""
    meta: dict[str, Any]

    @property
    def records_read(self) -> int:
        return int(self.meta["records_read"])


@dataclass
class StagingState:
    """The landing folder as staged: files in last-write order plus what was skipped."""

    files: list[StagedFile]
    ignored: dict[str, str] = field(default_factory=dict)
    """Paths under landing/ that were not read -> why (see ``discover``)."""
    parsed: list[str] = field(default_factory=list)
    """Files parsed in this call (new or changed); the others were reused."""


@contextmanager
def staging_lock(paths: Paths) -> Iterator[None]:
    paths.staging.mkdir(parents=True, exist_ok=True)
    with FileLock(str(paths.staging / ".lock"), timeout=LOCK_TIMEOUT_S):
        yield


def _grouped_parse(
    lf: R.LandingFile, limits: N.Limits, out_dir: Path, stats: R.ReadStats
) -> list[str]:
    """The fast path: blocks of records, about ``GROUP_BYTES`` at a time, through one query each.

    Each group is an in-memory Arrow table of many small batches, which DuckDB scans
    with all its threads, and is written as one Parquet part; memory stays bounded by
    the group size. The readers use a second connection (CSV/Parquet rows become JSON
    there) so their work never interleaves with a running query.
    """
    sql = N.build_sql("_records", lenient=lf.fmt == "csv")
    params = limits.params()
    con, reader_con = memory_connection(), memory_connection()
    parts: list[str] = []
    pending: list[pa.Table] = []

    def flush() -> None:
        batches = [b for t in pending for b in t.to_batches(max_chunksize=CHUNK_ROWS)]
        con.register("_records", pa.Table.from_batches(batches, schema=R.RECORD_SCHEMA))
        try:
            name = part_name(len(parts))
            con.sql(sql, params=params).write_parquet(str(out_dir / name), compression="snappy")
            parts.append(name)
        finally:
            con.unregister("_records")
        pending.clear()

    try:
        size = 0
        for table in R.read_records(lf, reader_con, stats):
            pending.append(table)
            size += table.nbytes
            if size >= GROUP_BYTES:
                flush()
                size = 0
        if pending or not parts:
            flush()
    finally:
        con.close()
        reader_con.close()
    return parts


def _careful_parse(
    lf: R.LandingFile, limits: N.Limits, out_dir: Path, stats: R.ReadStats
) -> list[str]:
    """The slow path, after the fast one failed: block by block, isolating bad records."""
    for old in out_dir.glob("records-*.parquet"):
        old.unlink()
    con = memory_connection()
    try:
        with pq.ParquetWriter(out_dir / part_name(0), STAGE_SCHEMA, compression="snappy") as writer:
            for table in R.read_records(lf, con, stats):
                for part in isolating(table, limits, lf.fmt == "csv"):
                    writer.write_table(part)
    finally:
        con.close()
    return [part_name(0)]


def parse_file(
    lf: R.LandingFile, limits: N.Limits, out_dir: Path
) -> tuple[dict[str, Any], R.ReadStats]:
    """Parse one landing file into Parquet parts under ``out_dir``; return (metadata, stats).

    Normally one query per group of blocks (bounded memory). Should a record ever
    make that query fail (hostile input meeting a parser bug), the file is parsed
    again block by block, bisecting failing blocks, so that only the offending
    records end up quarantined as ``unprocessable record`` and every other record
    still counts. Raises ``ReconciliationError`` if the rows written differ from the
    records the reader counted.
    """
    stats = R.ReadStats()
    try:
        parts = _grouped_parse(lf, limits, out_dir, stats)
    except duckdb.Error as exc:
        stats = R.ReadStats(
            notes=[f"fast parser failed ({type(exc).__name__}); parsed record by record"]
        )
        parts = _careful_parse(lf, limits, out_dir, stats)
    con = memory_connection()
    try:
        summary = con.execute(
            """
            SELECT CAST(day AS VARCHAR) AS day,
                   count(*) FILTER (WHERE reason IS NULL) AS valid,
                   count(*) FILTER (WHERE reason IS NOT NULL) AS quarantined,
                   count(*) FILTER (WHERE reason IS NULL AND naive_ts) AS naive
            FROM read_parquet(?)
            GROUP BY ALL ORDER BY day NULLS FIRST
            """,
            [[str(out_dir / p) for p in parts]],
        ).fetchall()
    finally:
        con.close()
    return build_meta(lf, stats, summary, parts), stats


StageOutcome = tuple[R.LandingFile, str | None, str] | FileRead
"""A staged file (file as read, content hash, key), or a read still to stage in a batch."""


def _stage_large(lf: R.LandingFile, root: Path, limits: N.Limits) -> StageOutcome:
    """Parse a large file streaming into a temporary folder, then move it to its key.

    The readers hash the bytes they parse, so the file is read once. A file that
    changed during the read is parsed again (bounded); one that keeps changing is
    returned as a ``changed during read`` record for the batch path to stage.
    """
    fp = fingerprint(limits)
    for _ in range(READ_ATTEMPTS):
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            meta, stats = parse_file(lf, limits, tmp)
            if read_was_stable(lf, stats):
                content_hash, key = content_key(lf, stats, fp)
                publish(tmp, root, key, meta)
                return lf, content_hash, key
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        try:
            lf = R.restat(lf)
        except OSError:
            break
    return changed_read(lf, READ_ATTEMPTS)


def _stage_all(
    todo: list[R.LandingFile], root: Path, limits: N.Limits
) -> list[tuple[R.LandingFile, str | None, str]]:
    """Stage new or changed files: small ones read whole and batched, large ones streamed."""
    fp = fingerprint(limits)
    done: list[tuple[R.LandingFile, str | None, str]] = []
    pending: list[FileRead] = []
    con = memory_connection()
    try:

        def flush() -> None:
            done.extend(B.stage_batch(pending, root, limits, fp, con))
            pending.clear()

        size = 0
        for lf in sorted(todo, key=lambda f: f.size > SMALL_FILE_BYTES):
            if lf.size > SMALL_FILE_BYTES and lf.fmt != R.DIRECTORY:
                outcome = _stage_large(lf, root, limits)
                if not isinstance(outcome, FileRead):
                    done.append(outcome)
                    continue
                fr = outcome
            else:
                fr = read_whole(lf, con)
            pending.append(fr)
            size += fr.stats.bytes_read
            if size >= BATCH_BYTES or len(pending) >= BATCH_FILES:
                flush()
                size = 0
        if pending:
            flush()
    finally:
        con.close()
    return done


def _load_index(root: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((root / "index.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _index_entry(lf: R.LandingFile, content_hash: str) -> dict[str, Any]:
    return {
        "size": lf.size,
        "mtime_ns": lf.mtime_ns,
        "inode": lf.inode,
        "ctime_ns": lf.ctime_ns,
        "hash": content_hash,
    }


def _reusable(entry: dict[str, Any] | None, lf: R.LandingFile, root: Path, fp: str) -> str | None:
    """The staging key of an unchanged, already staged file (stat only, nothing read)."""
    if not entry or lf.fmt == R.DIRECTORY or not entry.get("hash"):
        return None
    if {k: entry.get(k) for k in ("size", "mtime_ns", "inode", "ctime_ns")} != {
        "size": lf.size,
        "mtime_ns": lf.mtime_ns,
        "inode": lf.inode,
        "ctime_ns": lf.ctime_ns,
    }:
        return None
    key = f"{entry['hash'][:32]}-{fp}"
    return key if (root / key / "meta.json").exists() else None


def sync_staging(paths: Paths, limits: N.Limits) -> StagingState:
    """Stage every landing file that is new or changed; drop staged copies of gone files.

    Must be called under ``staging_lock``; ``ingest_day`` does so and keeps the lock
    while it reads the staged files. Files without readable content (unreadable,
    changed during read, unlistable folders) are not indexed, so every run tries
    them again.
    """
    root = paths.staging
    root.mkdir(parents=True, exist_ok=True)
    found = R.discover(paths.landing, limits.follow_symlinks_outside)
    index = _load_index(root)
    fp = fingerprint(limits)
    ready: list[tuple[R.LandingFile, str | None, str]] = []
    todo: list[R.LandingFile] = []
    for lf in found.files:
        key = _reusable(index.get(lf.rel), lf, root, fp)
        if key is None:
            todo.append(lf)
        else:
            ready.append((lf, str(index[lf.rel]["hash"]), key))
    fresh = _stage_all(todo, root, limits)
    staged: list[StagedFile] = []
    new_index: dict[str, dict[str, Any]] = {}
    for lf, content_hash, key in ready + fresh:
        meta = json.loads((root / key / "meta.json").read_text())
        parts = [root / key / name for name in meta["parts"]]
        staged.append(StagedFile(lf, content_hash, key, parts, meta))
        if content_hash is not None:
            new_index[lf.rel] = _index_entry(lf, content_hash)
    staged.sort(key=lambda s: s.file.order_key)
    tmp_index = root / f".index-{os.getpid()}-{time.monotonic_ns()}.json"
    tmp_index.write_text(json.dumps(new_index, indent=1, sort_keys=True))
    os.replace(tmp_index, root / "index.json")
    live = {s.key for s in staged}
    for entry_dir in root.iterdir():
        if entry_dir.is_dir() and entry_dir.name not in live:
            shutil.rmtree(entry_dir, ignore_errors=True)
    return StagingState(staged, found.ignored, sorted(lf.rel for lf, _, _ in fresh))
