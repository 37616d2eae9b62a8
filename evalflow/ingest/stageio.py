"""The pieces both staging paths share: the staged schema, stable reads, keys and metadata.

A landing file can change while it is read (a producer still appending). The
content hash must cover exactly the bytes that were parsed, and a file must never
be half-counted, so every read is checked: the reader consumed as many bytes as the
file had when it was listed, and its identity (size, mtime, inode, ctime) is the
same after the read as before. Otherwise it is read again, up to ``READ_ATTEMPTS``
times, and then stands as one ``changed during read`` record until a later run
finds it still.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evalflow.ingest import normalize as N
from evalflow.ingest import readers as R
from evalflow.ingest import schema as S

PARSER_VERSION = "3"
"""Bump when parsing or normalisation rules change: every file is then re-staged."""
READ_ATTEMPTS = 3
"""Reads of a file that keeps changing before it is filed as ``changed during read``."""

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


def fingerprint(limits: N.Limits) -> str:
    """The parser-settings half of a staging key (discovery policy is not part of it)."""
    blob = json.dumps({"v": PARSER_VERSION, **limits.parse_settings()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def memory_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for parsing: never the warehouse file, so no lock is needed."""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    return con


def part_name(i: int) -> str:
    return f"records-{i:05d}.parquet"


# -- stable reads -----------------------------------------------------------------------


def read_was_stable(lf: R.LandingFile, stats: R.ReadStats) -> bool:
    """True when the bytes read are the whole file as listed and it did not change."""
    if stats.unreadable is not None:
        return True  # nothing was read, so nothing can be half-read
    if stats.bytes_read != lf.size:
        return False
    try:
        return R.restat(lf).identity == lf.identity
    except OSError:
        return False


@dataclass
class FileRead:
    """A landing file read whole into memory (small files are staged in batches)."""

    lf: R.LandingFile
    tables: list[pa.Table]
    stats: R.ReadStats


def changed_read(lf: R.LandingFile, attempts: int) -> FileRead:
    stats = R.ReadStats(records=1, unreadable=S.CHANGED_DURING_READ)
    stats.notes.append(f"changed during read {attempts} times; not staged")
    return FileRead(lf, [R.changed_record(lf, attempts)], stats)


def read_whole(lf: R.LandingFile, con: duckdb.DuckDBPyConnection) -> FileRead:
    """Read a file into memory, again while it changes under the reader (bounded)."""
    for _ in range(READ_ATTEMPTS):
        stats = R.ReadStats()
        tables = list(R.read_records(lf, con, stats))
        if read_was_stable(lf, stats):
            return FileRead(lf, tables, stats)
        try:
            lf = R.restat(lf)
        except OSError:
            break  # gone while being read
    return changed_read(lf, READ_ATTEMPTS)


# -- keys, metadata, writing -------------------------------------------------------------


def content_key(lf: R.LandingFile, stats: R.ReadStats, fp: str) -> tuple[str | None, str]:
    """(content hash, staging key). A file with no readable content has no hash; its
    key names the problem and the file's identity, so a fixed file gets a new one."""
    if stats.unreadable is None:
        digest = stats.sha256.hexdigest()
        return digest, f"{digest[:32]}-{fp}"
    blob = f"{stats.unreadable}|{lf.rel}|{lf.identity}".encode()
    return None, f"u{hashlib.sha256(blob).hexdigest()[:31]}-{fp}"


Summary = list[tuple[str | None, int, int, int]]
"""Per day (ISO text, None for undated): valid, quarantined, naive-timestamp rows."""


def summarize(table: pa.Table, group: np.ndarray | None = None) -> dict[int, Summary]:
    """Per-day counts of staged rows (the metadata's ``days``), per ``group`` (one pass).

    ``group`` gives each row's file within a batch; without it all rows are file 0.
    """
    valid = pc.is_null(table.column("reason"))
    naive = pc.and_(valid, pc.fill_null(table.column("naive_ts"), False))
    n = table.num_rows
    small = pa.table(
        {
            "g": pa.array(np.zeros(n, np.int64) if group is None else group, pa.int64()),
            "day": table.column("day"),
            "valid": valid.cast(pa.int64()),
            "quarantined": pc.invert(valid).cast(pa.int64()),
            "naive": naive.cast(pa.int64()),
        }
    )
    grouped = small.group_by(["g", "day"]).aggregate(
        [("valid", "sum"), ("quarantined", "sum"), ("naive", "sum")]
    )
    out: dict[int, Summary] = {}
    for g, d, v, q, k in zip(
        grouped.column("g").to_pylist(),
        grouped.column("day").to_pylist(),
        grouped.column("valid_sum").to_pylist(),
        grouped.column("quarantined_sum").to_pylist(),
        grouped.column("naive_sum").to_pylist(),
        strict=True,
    ):
        out.setdefault(int(g), []).append((None if d is None else d.isoformat(), v, q, k))
    for rows in out.values():
        rows.sort(key=lambda r: (r[0] is not None, r[0] or ""))
    return out


def build_meta(
    lf: R.LandingFile, stats: R.ReadStats, summary: Summary, parts: list[str]
) -> dict[str, Any]:
    """``meta.json`` of a staged file; raises if the rows written differ from the records read."""
    written = sum(v + q for _, v, q, _ in summary)
    if written != stats.records:
        raise ReconciliationError(
            f"{lf.rel}: reader counted {stats.records} records, parser wrote {written}"
        )
    days = {
        d: {"valid": v, "quarantined": q, "naive": n} for d, v, q, n in summary if d is not None
    }
    valid_days = sorted(d for d, v in days.items() if v["valid"] > 0)
    content_hash = stats.sha256.hexdigest() if stats.unreadable is None else None
    return {
        "content_hash": content_hash,
        "unreadable": stats.unreadable,
        "parser_version": PARSER_VERSION,
        "parts": parts,
        "format": lf.fmt,
        "records_read": stats.records,
        "blank_lines": stats.blank_lines,
        "notes": stats.notes,
        "days": days,
        "undated_quarantined": sum(q for d, _, q, _ in summary if d is None),
        "min_valid_day": valid_days[0] if valid_days else None,
        "naive_timestamps": sum(v["naive"] for v in days.values()),
    }


def publish(tmp: Path, root: Path, key: str, meta: dict[str, Any]) -> None:
    """Move a filled temporary folder to its key (discarded if the key already exists)."""
    try:
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        if not (root / key / "meta.json").exists():
            os.rename(tmp, root / key)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_table(
    fr: FileRead, table: pa.Table, root: Path, fp: str, summary: Summary | None = None
) -> tuple[R.LandingFile, str | None, str]:
    """Stage one file's normalised records; return (file, content hash, key)."""
    content_hash, key = content_key(fr.lf, fr.stats, fp)
    if summary is None:
        summary = summarize(table).get(0, [])
    meta = build_meta(fr.lf, fr.stats, summary, [part_name(0)])
    if not (root / key / "meta.json").exists():
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        pq.write_table(table, tmp / part_name(0), compression="snappy")
        publish(tmp, root, key, meta)
    return fr.lf, content_hash, key


# -- the slow, isolating path -------------------------------------------------------------


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


def isolating(records: pa.Table, limits: N.Limits, lenient: bool) -> Iterator[pa.Table]:
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
        yield from isolating(live.slice(0, half), limits, lenient)
        yield from isolating(live.slice(half), limits, lenient)
