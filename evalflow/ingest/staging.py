"""Each landing file is parsed once into a staged Parquet file keyed by its content.

``$EVALFLOW_HOME/staging/<sha256[:32]>-<parser fingerprint>/`` holds ``records-NNNNN.parquet``
parts (every record of the file, kept or quarantined, with its line number) and
``meta.json`` (what the reader counted, days present, notes). The key depends on
the file's bytes and on the parser settings only, so:

* a rerun, or a day that needs the file again, reuses the staged copy;
* a changed file (new bytes) or changed limits get a new key and are re-parsed;
* two landing files with identical bytes share one staged copy.

``index.json`` remembers (size, mtime) -> hash per path so unchanged files are not
re-hashed on every run. Everything happens under ``staging/.lock``: processes that
ingest different days at the same time parse each new file once, and no process
prunes staged files another one is reading.
"""

from __future__ import annotations

import hashlib
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
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock

from evalflow.config import Paths
from evalflow.ingest import normalize as N
from evalflow.ingest import readers as R
from evalflow.ingest import schema as S

PARSER_VERSION = "2"
"""Bump when parsing or normalisation rules change: every file is then re-staged."""

GROUP_BYTES = 128 * 1024 * 1024
"""Records are normalised in groups of about this many bytes (one Parquet part each)."""
CHUNK_ROWS = 8192
"""Rows per Arrow batch inside a group: the unit DuckDB hands to its threads."""
LOCK_TIMEOUT_S = float(os.environ.get("EVALFLOW_STAGING_LOCK_TIMEOUT", "1800"))

_ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "VARCHAR[]": pa.list_(pa.string()),
}
STAGE_SCHEMA = pa.schema([(c, _ARROW_TYPES[t]) for c, t in N.STAGE_COLUMNS.items()])


class ReconciliationError(RuntimeError):
    """Records were lost or invented between reading and writing: never ignore this."""


@dataclass(frozen=True)
class StagedFile:
    """A landing file and its parsed, staged copy."""

    file: R.LandingFile
    content_hash: str
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
    ignored: list[str] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)
    """Files parsed in this call (new or changed); the others were reused."""


def fingerprint(limits: N.Limits) -> str:
    blob = json.dumps({"v": PARSER_VERSION, **limits.__dict__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


@contextmanager
def staging_lock(paths: Paths) -> Iterator[None]:
    paths.staging.mkdir(parents=True, exist_ok=True)
    with FileLock(str(paths.staging / ".lock"), timeout=LOCK_TIMEOUT_S):
        yield


def memory_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for parsing: never the warehouse file, so no lock is needed."""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    return con


def _part_name(i: int) -> str:
    return f"records-{i:05d}.parquet"


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
            name = _part_name(len(parts))
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


def _unprocessable(records: pa.Table, error: str) -> pa.Table:
    """Quarantine rows for records the normaliser could not process at all."""
    n = records.num_rows
    raws = []
    for b, raw in zip(
        records.column("b").to_pylist(), records.column("raw").to_pylist(), strict=True
    ):
        text = raw if b is None else bytes(b).decode("utf-8", "backslashreplace").rstrip("\r\n")
        raws.append((text or "")[: S.RAW_MAX_CHARS])
    cols: dict[str, pa.Array] = {
        name: pa.nulls(n, typ)
        for name, typ in zip(STAGE_SCHEMA.names, STAGE_SCHEMA.types, strict=True)
    }
    cols["source_line"] = records.column("source_line").combine_chunks()
    cols["reason"] = pa.array([S.UNPROCESSABLE] * n, pa.string())
    cols["field"] = pa.array([error[:200]] * n, pa.string())
    cols["raw"] = pa.array(raws, pa.string())
    cols["naive_ts"] = pa.array([False] * n)
    return pa.table(cols, schema=STAGE_SCHEMA)


def _isolating(records: pa.Table, limits: N.Limits, lenient: bool) -> Iterator[pa.Table]:
    """Normalise ``records``; when that fails, split until the failing records are alone."""
    live = records.filter(pc.invert(records.column("skip")))
    if live.num_rows == 0:
        return
    try:
        yield N.normalize_records(live, limits, lenient).cast(STAGE_SCHEMA)
    except duckdb.Error as exc:
        if live.num_rows == 1:
            yield _unprocessable(live, f"{type(exc).__name__}: {exc}")
            return
        half = live.num_rows // 2
        yield from _isolating(live.slice(0, half), limits, lenient)
        yield from _isolating(live.slice(half), limits, lenient)


def _careful_parse(
    lf: R.LandingFile, limits: N.Limits, out_dir: Path, stats: R.ReadStats
) -> list[str]:
    """The slow path, after the fast one failed: block by block, isolating bad records."""
    for old in out_dir.glob("records-*.parquet"):
        old.unlink()
    con = memory_connection()
    try:
        with pq.ParquetWriter(
            out_dir / _part_name(0), STAGE_SCHEMA, compression="snappy"
        ) as writer:
            for table in R.read_records(lf, con, stats):
                for part in _isolating(table, limits, lf.fmt == "csv"):
                    writer.write_table(part)
    finally:
        con.close()
    return [_part_name(0)]


def parse_file(lf: R.LandingFile, limits: N.Limits, out_dir: Path) -> dict[str, Any]:
    """Parse one landing file into Parquet parts under ``out_dir``; return its metadata.

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
    written = sum(v + q for _, v, q, _ in summary)
    if written != stats.records:
        raise ReconciliationError(
            f"{lf.rel}: reader counted {stats.records} records, parser wrote {written}"
        )
    days = {
        d: {"valid": v, "quarantined": q, "naive": n} for d, v, q, n in summary if d is not None
    }
    undated = sum(q for d, _, q, _ in summary if d is None)
    valid_days = sorted(d for d, v in days.items() if v["valid"] > 0)
    return {
        "content_hash": stats.sha256.hexdigest() if stats.fully_hashed else R.file_sha256(lf.path),
        "parser_version": PARSER_VERSION,
        "parts": parts,
        "format": lf.fmt,
        "records_read": stats.records,
        "blank_lines": stats.blank_lines,
        "notes": stats.notes,
        "days": days,
        "undated_quarantined": undated,
        "min_valid_day": valid_days[0] if valid_days else None,
        "naive_timestamps": sum(v["naive"] for v in days.values()),
    }


def _stage(lf: R.LandingFile, root: Path, limits: N.Limits) -> tuple[str, str]:
    """Parse into a temporary folder, then move it to its content key; return (hash, key).

    The readers hash the bytes they read, so a new file is read once, not hashed and
    then parsed. If the key already exists (the same bytes under another name), the
    fresh copy is discarded.
    """
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        meta = parse_file(lf, limits, tmp)
        content_hash = meta["content_hash"]
        key = f"{content_hash[:32]}-{fingerprint(limits)}"
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        if not (root / key / "meta.json").exists():
            os.rename(tmp, root / key)
        return content_hash, key
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _load_index(root: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((root / "index.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def sync_staging(paths: Paths, limits: N.Limits) -> StagingState:
    """Stage every landing file that is new or changed; drop staged copies of gone files.

    Must be called under ``staging_lock``; ``ingest_day`` does so and keeps the lock
    while it reads the staged files.
    """
    root = paths.staging
    root.mkdir(parents=True, exist_ok=True)
    files, ignored = R.discover(paths.landing)
    index = _load_index(root)
    fp = fingerprint(limits)
    staged: list[StagedFile] = []
    parsed: list[str] = []
    new_index: dict[str, dict[str, Any]] = {}
    for lf in files:
        entry = index.get(lf.rel)
        unchanged = entry and entry.get("size") == lf.size and entry.get("mtime_ns") == lf.mtime_ns
        key = f"{entry['hash'][:32]}-{fp}" if unchanged and entry else ""
        if unchanged and entry and (root / key / "meta.json").exists():
            content_hash = str(entry["hash"])
        else:
            content_hash, key = _stage(lf, root, limits)
            parsed.append(lf.rel)
        meta = json.loads((root / key / "meta.json").read_text())
        parts = [root / key / name for name in meta["parts"]]
        staged.append(StagedFile(lf, content_hash, key, parts, meta))
        new_index[lf.rel] = {"size": lf.size, "mtime_ns": lf.mtime_ns, "hash": content_hash}
    tmp_index = root / f".index-{os.getpid()}-{time.monotonic_ns()}.json"
    tmp_index.write_text(json.dumps(new_index, indent=1, sort_keys=True))
    os.replace(tmp_index, root / "index.json")
    live = {s.key for s in staged}
    for entry_dir in root.iterdir():
        if entry_dir.is_dir() and entry_dir.name not in live:
            shutil.rmtree(entry_dir, ignore_errors=True)
    return StagingState(staged, ignored, parsed)
