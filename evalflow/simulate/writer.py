"""Landing-file writers: JSONL (plain and gzip), Parquet and CSV, plus dirty-line injection.

Every reader the ingest stage supports gets exercised by one simulation, because
real landing folders are mixed: most producers append JSON Lines, a batch exporter
drops Parquet, somebody's spreadsheet export arrives as CSV. JSONL and CSV go
through DuckDB's ``COPY`` (a C writer: a million nested records in seconds, and the
same bytes for the same input); Parquet through pyarrow.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

Format = Literal["jsonl", "jsonl.gz", "parquet", "csv"]

SPEC_COLUMNS: tuple[str, ...] = (
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
NESTED = ("segment", "context", "feedback", "outcome")


def _sql_literal(path: Path) -> str:
    """A file path as a SQL string literal (COPY targets cannot be bound as parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _select_list(fmt: Format) -> str:
    cols = []
    for c in SPEC_COLUMNS:
        if c == "timestamp" and fmt.startswith("jsonl"):
            # Raw JSON text: a quoted ISO string or a bare epoch number, per record.
            cols.append('"_ts_json"::JSON AS "timestamp"')
        elif c in NESTED and fmt == "csv":
            cols.append(f'to_json("{c}") AS "{c}"')
        else:
            cols.append(f'"{c}"')
    return ", ".join(cols)


GZIP_MEMBER_BYTES = 32 * 1024 * 1024
GZIP_LEVEL = 1


def gzip_file(src: Path, dst: Path, workers: int = 2) -> None:
    """Compress ``src`` into ``dst`` as a series of gzip members, one per 32 MiB block.

    Concatenated members are one valid gzip stream (RFC 1952; log shippers such as
    Fluentd write exactly this), every reader decompresses them, and zlib releases
    the GIL so the blocks compress on all cores. ``mtime=0`` keeps the bytes a pure
    function of the content. DuckDB's own gzip writer is single-threaded at a high
    level, about five times slower on a million records.
    """

    def blocks() -> Iterator[bytes]:
        with src.open("rb") as fh:
            while block := fh.read(GZIP_MEMBER_BYTES):
                yield block

    def compress(block: bytes) -> bytes:
        return gzip.compress(block, compresslevel=GZIP_LEVEL, mtime=0)

    with dst.open("wb") as out, ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Future[bytes]] = []
        written = 0
        for block in blocks():
            pending.append(pool.submit(compress, block))
            if len(pending) > workers:
                written += out.write(pending.pop(0).result())
        for fut in pending:
            written += out.write(fut.result())
        if not written:  # an empty day is still a valid (empty) gzip file
            out.write(compress(b""))


def write_table(table: pa.Table, path: Path, fmt: Format) -> None:
    """Write records (generator columns) to ``path`` in ``fmt``, in the table's row order.

    The file appears atomically: it is written under a hidden name (which the
    landing sensor and ingest skip) and renamed when complete, so a pipeline
    watching the landing folder never reads half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if fmt == "parquet":
            pq.write_table(table.select(list(SPEC_COLUMNS)), partial, compression="zstd")
        elif fmt == "jsonl.gz":
            plain = path.with_name(f".{path.name}.plain")
            try:
                _copy_to(table, plain, "jsonl")
                gzip_file(plain, partial)
            finally:
                plain.unlink(missing_ok=True)
        else:
            _copy_to(table, partial, fmt)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _copy_to(table: pa.Table, path: Path, fmt: Format) -> None:
    """DuckDB ``COPY`` of the SPEC columns (JSONL or CSV) to ``path``."""
    options = {"jsonl": "FORMAT json", "csv": "FORMAT csv, HEADER true"}[fmt]
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")  # a library must not draw on the terminal
        con.register("batch", table)
        con.execute(
            f"COPY (SELECT {_select_list(fmt)} FROM batch) TO {_sql_literal(path)} ({options})"
        )
    finally:
        con.close()


# ------------------------------------------------------------------- dirty lines
MALFORMED_KINDS: tuple[str, ...] = (
    "truncated_json",
    "not_an_object",
    "missing_query",
    "bad_timestamp",
    "query_not_string",
    "invalid_utf8",
    "missing_timestamp",
    "empty_object",
)


def _malformed_line(kind: str, template: dict[str, object], new_id: str) -> bytes:
    """One unusable line of ``kind``, derived from a real record of the same file."""
    record = dict(template)
    record["interaction_id"] = new_id
    if kind == "truncated_json":
        text = json.dumps(record, ensure_ascii=False)
        return text[: max(10, len(text) * 3 // 5)].encode()
    if kind == "not_an_object":
        return b'["not", "an", "object"]'
    if kind == "empty_object":
        return b"{}"
    if kind == "missing_query":
        record.pop("query", None)
    elif kind == "bad_timestamp":
        record["timestamp"] = "yesterday afternoon"
    elif kind == "query_not_string":
        record["query"] = 12345
    elif kind == "missing_timestamp":
        record.pop("timestamp", None)
    elif kind == "invalid_utf8":
        head = json.dumps({**record, "query": "@@BAD@@"}, ensure_ascii=False).encode()
        return head.replace(b"@@BAD@@", b"caf\xe9 \xff\xfe broken")
    return json.dumps(record, ensure_ascii=False).encode()


def inject_malformed(
    files: list[Path], rng: np.random.Generator, count: int, root: Path
) -> list[dict[str, object]]:
    """Insert ``count`` malformed lines into plain JSONL ``files``; return where and what.

    Lines go at random positions; the returned ``line`` numbers are 1-based in the
    final file, which is how ingest reports quarantined records.
    """
    if not files or count <= 0:
        return []
    kinds = [MALFORMED_KINDS[i % len(MALFORMED_KINDS)] for i in range(count)]
    targets = rng.integers(0, len(files), count)
    out: list[dict[str, object]] = []
    for f_idx in sorted(set(targets.tolist())):
        path = files[f_idx]
        lines = path.read_bytes().splitlines()
        mine = [kinds[i] for i in range(count) if targets[i] == f_idx]
        template = json.loads(lines[0]) if lines else {"query": "hello", "response": ""}
        inserts = []
        for kind in mine:
            new_id = "dirty_" + rng.bytes(6).hex()
            inserts.append(
                (
                    int(rng.integers(0, len(lines) + 1)),
                    kind,
                    _malformed_line(kind, template, new_id),
                )
            )
        # Ascending positions: the j-th insertion shifts by the j lines inserted before it.
        for shift, (pos, kind, text) in enumerate(sorted(inserts, key=lambda t: t[0])):
            lines.insert(pos + shift, text)
            out.append(
                {"file": path.relative_to(root).as_posix(), "line": pos + shift + 1, "kind": kind}
            )
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(b"\n".join(lines) + b"\n")
        partial.replace(path)
    return out
