"""Landing-file readers: every format becomes one stream of *records*.

A record is one line (JSONL), one CSV row or one Parquet row, handed to the
normaliser as JSON text with its 1-based position in the file. Readers never drop
anything silently: blank lines are the only thing skipped (they are counted, and
are not records), and everything that cannot become JSON text (undecodable bytes,
a CSV row with the wrong number of fields, a corrupt compressed tail, an unreadable
file) still becomes a record carrying a ``pre_reason`` so the normaliser files it
in the quarantine with its line number.

Line splitting is vectorised with numpy over blocks of the file (no Python loop
per line), UTF-8 validity is checked per line by DuckDB, and CSV/Parquet rows are
turned into JSON objects by DuckDB's ``to_json`` over Arrow structs.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from evalflow.ingest import schema as S
from evalflow.ingest.discover import DIRECTORY, LandingFile, discover, landing_format, restat
from evalflow.ingest.normalize import escaped_bytes_sql

BLOCK_BYTES = 32 * 1024 * 1024
"""JSONL files are read in blocks of about this size, so memory stays bounded."""

RECORD_SCHEMA = pa.schema(
    [
        ("source_line", pa.int64()),
        ("b", pa.large_binary()),
        ("raw", pa.large_string()),
        ("nbytes", pa.int64()),
        ("terminated", pa.bool_()),
        ("skip", pa.bool_()),
        ("pre_reason", pa.string()),
        ("pre_field", pa.string()),
    ]
)
"""What every reader yields. ``b`` holds the record's bytes (JSON text for CSV and
Parquet rows; for JSONL the line, possibly with its ``\r\n``), NULL when there is
nothing to parse; UTF-8 is checked by the normaliser. ``raw`` is text to quarantine
when ``b`` is NULL, ``nbytes`` the record's size without line terminator,
``terminated`` False only for a last line without newline, ``skip`` marks blank
lines (carried along so a block of lines can be handed over without copying),
``pre_reason``/``pre_field`` a problem the reader already found."""

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 13, 32]] = True


__all__ = [
    "DIRECTORY",
    "LandingFile",
    "ReadStats",
    "discover",
    "landing_format",
    "read_records",
    "restat",
]

IN_MEMORY_BYTES = 256 * 1024 * 1024
"""CSV files, and Parquet files up to this size, are read into memory once: the bytes
hashed are then exactly the bytes parsed. Larger Parquet files are hashed, then
parsed from disk; the caller's before/after identity check catches a change between."""


@dataclass
class ReadStats:
    """What a reader saw, for the file's reconciliation."""

    records: int = 0
    blank_lines: int = 0
    notes: list[str] = field(default_factory=list)
    sha256: Any = field(default_factory=hashlib.sha256)
    """Digest of exactly the bytes the reader consumed (fed while reading: one read)."""
    bytes_read: int = 0
    """How many bytes went into ``sha256``; equals the file's size when the read was whole."""
    unreadable: str | None = None
    """Why the file could not be read at all (then there is no content hash)."""


def file_sha256(path: Path, stats: ReadStats | None = None) -> str:
    """Hash a file in chunks (feeding ``stats`` when given, so its byte count is right)."""
    digest = stats.sha256 if stats is not None else hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(8 * 1024 * 1024), b""):
            digest.update(chunk)
            if stats is not None:
                stats.bytes_read += len(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Line splitting
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Segments:
    """Records found in one block of bytes.

    ``offsets`` has one more entry than there are segments; segment ``i`` spans
    ``data[offsets[i]:offsets[i+1]]`` including its line terminator, so the data buffer
    can back an Arrow array without copying. ``content_len`` excludes ``\\r\\n``.
    """

    data: bytes | memoryview
    offsets: np.ndarray
    content_len: np.ndarray
    terminated: np.ndarray
    blank: np.ndarray
    first_line: int

    def __len__(self) -> int:
        return len(self.content_len)

    def binary(self) -> pa.LargeBinaryArray:
        return pa.LargeBinaryArray.from_buffers(
            pa.large_binary(),
            len(self),
            [None, pa.py_buffer(self.offsets.astype(np.int64)), pa.py_buffer(self.data)],
        )


def split_records(
    data: bytes | memoryview, first_line: int, final: bool, quote_aware: bool = False
) -> Segments:
    """Split a block into lines (or CSV records when ``quote_aware``), vectorised.

    A CSV record ends at a newline outside double quotes: with RFC 4180 quoting the
    quote count before such a newline is even (an escaped quote adds two), so the
    boundaries are found with one cumulative sum. When ``final`` is False the block
    must end with a record terminator (callers cut blocks at the last newline).
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    if quote_aware and len(nl):
        quotes = np.cumsum(arr == 34, dtype=np.int64)
        nl = nl[(quotes[nl] % 2) == 0]
    starts = np.empty(len(nl) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl + 1
    ends = np.empty(len(nl) + 1, dtype=np.int64)
    ends[:-1] = nl
    ends[-1] = len(arr)
    terminated = np.ones(len(starts), dtype=bool)
    terminated[-1] = False
    if starts[-1] == len(arr):  # the block ends with a newline: no trailing fragment
        starts, ends, terminated = starts[:-1], ends[:-1], terminated[:-1]
    elif not final:
        raise ValueError("a non-final block must end with a newline")
    offsets = np.empty(len(starts) + 1, dtype=np.int64)
    offsets[:-1] = starts
    offsets[-1] = len(arr)
    has_cr = np.zeros(len(starts), dtype=bool)
    nonempty = ends > starts
    has_cr[nonempty] = arr[ends[nonempty] - 1] == 13
    content_len = ends - starts - has_cr
    blank = content_len == 0
    # A line is blank when it holds only whitespace; only lines that start with
    # whitespace can be, so just those few are looked at individually.
    maybe = np.flatnonzero(~blank & _WS[arr[np.minimum(starts, max(len(arr) - 1, 0))]])
    for i in maybe:
        if not bytes(data[starts[i] : starts[i] + content_len[i]]).strip():
            blank[i] = True
    return Segments(data, offsets, content_len, terminated, blank, first_line)


def _fill(readinto: Callable[[memoryview], int], view: memoryview) -> int:
    """Read until ``view`` is full or the stream ends; return the bytes read."""
    got = 0
    while got < len(view):
        n = readinto(view[got:])
        if not n:
            break
        got += n
    return got


def iter_blocks(
    readinto: Callable[[memoryview], int], carry: bytes = b"", block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[memoryview, bool]]:
    """Blocks that end on a newline (the last one may not); ``True`` marks the last.

    Each block is a fresh buffer filled by ``readinto`` (nothing is copied but the
    partial line carried over), and is never reused: Arrow arrays handed to DuckDB
    point into it.
    """
    while True:
        size = max(block_bytes, 2 * len(carry))
        buf = bytearray(len(carry) + size)
        buf[: len(carry)] = carry
        got = _fill(readinto, memoryview(buf)[len(carry) :])
        total = len(carry) + got
        if got == 0:
            if carry:
                yield memoryview(buf)[: len(carry)], True
            return
        cut = buf.rfind(b"\n", 0, total)
        if cut < 0:
            carry = bytes(buf[:total])
            continue
        carry = bytes(buf[cut + 1 : total])
        yield memoryview(buf)[: cut + 1], False


# ---------------------------------------------------------------------------
# JSONL
# ---------------------------------------------------------------------------


def _lines_table(seg: Segments) -> pa.Table:
    """A block of lines as records, pointing into the block's buffer (no copy)."""
    n = len(seg)
    return pa.Table.from_pydict(
        {
            "source_line": pa.array(np.arange(seg.first_line, seg.first_line + n), pa.int64()),
            "b": seg.binary(),
            "raw": pa.nulls(n, pa.large_string()),
            "nbytes": pa.array(seg.content_len, pa.int64()),
            "terminated": pa.array(seg.terminated),
            "skip": pa.array(seg.blank),
            "pre_reason": pa.nulls(n, pa.string()),
            "pre_field": pa.nulls(n, pa.string()),
        },
        schema=RECORD_SCHEMA,
    )


def _problem_record(
    line: int | None, reason: str, raw: str, field_name: str | None = None
) -> pa.Table:
    return pa.Table.from_pydict(
        {
            "source_line": [line],
            "b": pa.nulls(1, pa.large_binary()),
            "raw": [raw[: S.RAW_MAX_CHARS]],
            "nbytes": [len(raw.encode("utf-8", "replace"))],
            "terminated": [True],
            "skip": [False],
            "pre_reason": [reason],
            "pre_field": [field_name],
        },
        schema=RECORD_SCHEMA,
    )


class _Hashing:
    """A binary file that feeds every byte read through it into the digest and the count."""

    def __init__(self, raw: io.BufferedIOBase, stats: ReadStats) -> None:
        self.raw = raw
        self.stats = stats

    def _seen(self, data: bytes | memoryview) -> None:
        self.stats.sha256.update(data)
        self.stats.bytes_read += len(data)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self._seen(data)
        return data

    def readinto1(self, view: memoryview) -> int:
        n = self.raw.readinto(view)
        self._seen(view[:n])
        return n

    def drain(self) -> None:
        """Hash the compressed bytes the gzip parser did not consume (after damage).

        Only for ``.gz``: their records are the one ``unreadable file`` record for the
        damaged rest. Anything appended meanwhile makes ``bytes_read`` exceed the size
        the file had when it was listed, which the caller treats as a change.
        """
        while chunk := self.raw.read(8 * 1024 * 1024):
            self._seen(chunk)


class _SafeReader:
    """Reads until the stream breaks (a truncated or corrupt gzip), then reports EOF.

    What was decompressed before the damage is still parsed; the damage itself is
    remembered in ``error`` and becomes one quarantined record.
    """

    def __init__(self, inner: io.BufferedIOBase) -> None:
        self.inner = inner
        self.error: str | None = None

    def readinto(self, view: memoryview) -> int:
        if self.error is not None:
            return 0
        try:
            # One underlying read per call: when the stream breaks, everything
            # returned by earlier calls is already safe in the caller's buffer.
            return self.inner.readinto1(view)
        except (EOFError, OSError, zlib.error) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            return 0


def read_jsonl(
    lf: LandingFile, con: duckdb.DuckDBPyConnection, stats: ReadStats
) -> Iterator[pa.Table]:
    """Records of a JSON Lines file (optionally gzip), one table per block of lines.

    The digest covers exactly the bytes parsed: a plain file is not read past the
    parser's EOF, so a line appended after it is neither hashed nor counted (the
    caller sees the file's identity change and reads it again).
    """
    del con  # UTF-8 and JSON are checked by the normaliser, in the same pass
    with lf.path.open("rb") as raw:
        hashing = _Hashing(raw, stats)  # type: ignore[arg-type]
        if lf.fmt.endswith(".gz"):
            block = min(BLOCK_BYTES, max(64 * 1024, 8 * lf.size))
            with gzip.GzipFile(fileobj=hashing, mode="rb") as inner:  # type: ignore[arg-type]
                yield from _read_lines(_SafeReader(inner), stats, block)  # type: ignore[arg-type]
            hashing.drain()
        else:
            # A block no larger than the file: a 32 MB buffer per small file is what
            # made thousands of small files slow.
            block = min(BLOCK_BYTES, max(lf.size, 1) + 1)
            yield from _read_lines(_SafeReader(hashing), stats, block)  # type: ignore[arg-type]


def _read_lines(
    reader: _SafeReader, stats: ReadStats, block_bytes: int = BLOCK_BYTES
) -> Iterator[pa.Table]:
    """Blocks of lines from a (decompressed) byte stream, BOM and UTF-16 handled."""
    head_buf = bytearray(4)
    head = bytes(head_buf[: _fill(reader.readinto, memoryview(head_buf))])
    readinto: Callable[[memoryview], int] = reader.readinto
    if head[:2] in _UTF16_BOMS:
        # A UTF-16 file (Windows tools): transcode once, then read it as UTF-8.
        rest = io.BytesIO()
        chunk = bytearray(block_bytes)
        while n := _fill(reader.readinto, memoryview(chunk)):
            rest.write(chunk[:n])
        try:
            decoded = (head + rest.getvalue()).decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            yield _problem_record(None, S.UNDECODABLE, f"UTF-16 file: {exc}")
            return
        head, readinto = b"", io.BytesIO(decoded).readinto
        stats.notes.append("transcoded from UTF-16")
    elif head.startswith(_BOM):
        head = head[len(_BOM) :]
        stats.notes.append("UTF-8 byte-order mark skipped")
    line = 1
    for block, final in iter_blocks(readinto, carry=head, block_bytes=block_bytes):
        seg = split_records(block, line, final)
        line += len(seg)
        stats.blank_lines += int(seg.blank.sum())
        if len(seg):
            yield _lines_table(seg)
    if reader.error is not None:
        yield _problem_record(line, S.UNREADABLE_FILE, f"compressed stream damaged: {reader.error}")


# ---------------------------------------------------------------------------
# Tables (CSV, Parquet) -> JSON records
# ---------------------------------------------------------------------------


def _nest_dotted(table: pa.Table) -> pa.Table:
    """Turn ``segment.queue``-style columns into a ``segment`` struct column.

    Only for the objects of the input contract, and only when the file has no plain
    column of the same name (then the dotted columns stay as unknown fields, kept in
    ``extra_json``, rather than one silently overriding the other).
    """
    names = table.column_names
    for obj in S.NESTED_OBJECTS:
        prefix = obj + "."
        dotted = [n for n in names if n.startswith(prefix) and len(n) > len(prefix)]
        if not dotted or obj in names:
            continue
        struct = pa.StructArray.from_arrays(
            [table.column(n).combine_chunks() for n in dotted],
            names=[n[len(prefix) :] for n in dotted],
        )
        keep = [n for n in names if n not in dotted]
        table = table.select(keep).append_column(obj, struct)
        names = table.column_names
    return table


def _rows_as_json(
    con: duckdb.DuckDBPyConnection, table: pa.Table, first_row: np.ndarray
) -> pa.Table:
    """Each row of an Arrow table as a JSON object text, via DuckDB ``to_json``."""
    names = table.column_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate column names: {dupes}")
    if table.num_columns == 0:
        raise ValueError("no columns")
    struct = pa.StructArray.from_arrays([c.combine_chunks() for c in table.columns], names=names)
    con.register("_rows", pa.table({"r": struct}))
    try:
        out = con.sql("SELECT CAST(to_json(r) AS VARCHAR) AS text FROM _rows").to_arrow_table()
    finally:
        con.unregister("_rows")
    text = out.column("text").combine_chunks().cast(pa.large_string())
    nbytes = pc.binary_length(text).cast(pa.int64())
    n = len(text)
    return pa.Table.from_pydict(
        {
            "source_line": pa.array(first_row, pa.int64()),
            "b": text.cast(pa.large_binary()),
            "raw": pa.nulls(n, pa.large_string()),
            "nbytes": nbytes,
            "terminated": pa.array(np.ones(n, dtype=bool)),
            "skip": pa.array(np.zeros(n, dtype=bool)),
            "pre_reason": pa.nulls(n, pa.string()),
            "pre_field": pa.nulls(n, pa.string()),
        },
        schema=RECORD_SCHEMA,
    )


def _parquet_cells(table: pa.Table) -> pa.Table:
    """Make Parquet columns JSON-friendly without changing what they mean.

    Float NaN is pandas' missing-value marker, so it becomes null. Timestamp columns
    become ISO-8601 text: with an offset (``+00:00``) when the column is time-zone
    aware, without one when it is naive (then the naive-timestamp policy applies).
    """
    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        typ = col.type
        if pa.types.is_floating(typ):
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, typ), col)
        elif pa.types.is_timestamp(typ):
            # Microseconds are the warehouse's precision: finer units are truncated.
            if typ.tz is not None:
                utc = pc.cast(col, pa.timestamp("us", tz="UTC"), safe=False)
                col = pc.binary_join_element_wise(
                    pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S"), "+00:00", ""
                )
            else:
                us = pc.cast(col, pa.timestamp("us"), safe=False)
                col = pc.strftime(us, format="%Y-%m-%dT%H:%M:%S")
        cols.append(col)
        del name
    return pa.table(cols, names=table.column_names)


def _parquet_source(lf: LandingFile, stats: ReadStats) -> pq.ParquetFile:
    """Open a Parquet file for reading, its bytes hashed exactly once."""
    if lf.size <= IN_MEMORY_BYTES:
        data = lf.path.read_bytes()
        stats.sha256.update(data)
        stats.bytes_read += len(data)
        return pq.ParquetFile(pa.BufferReader(data))
    file_sha256(lf.path, stats)
    return pq.ParquetFile(lf.path)


def _undecodable_cells(
    con: duckdb.DuckDBPyConnection, table: pa.Table
) -> tuple[pa.Table, pa.Array | None, pa.Array | None]:
    """Binary columns as text; plus which rows hold bytes that are not UTF-8, and where.

    A BINARY ``query`` is text to the producer; valid UTF-8 becomes a string. Invalid
    bytes would otherwise reach ``to_json`` as ``\\xFF`` escapes and be kept as if the
    user had typed them; such a row is quarantined as ``undecodable bytes`` instead,
    like a JSONL line with the same bytes, with the first such column as ``field``.
    """
    binary = [
        n
        for n, t in zip(table.column_names, table.schema.types, strict=True)
        if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
    ]
    if not binary:
        return table, None, None
    cols = {f"c{i}": table.column(n).cast(pa.large_binary()) for i, n in enumerate(binary)}
    con.register("_bin", pa.table(cols))
    try:
        text = ", ".join(f"try(decode(c{i})) AS t{i}" for i in range(len(binary)))
        decoded = con.sql(f"SELECT {text} FROM _bin").to_arrow_table()
    finally:
        con.unregister("_bin")
    field_of = pa.nulls(table.num_rows, pa.string())
    for i in reversed(range(len(binary))):  # the first bad column wins
        bad = pc.and_(pc.is_valid(cols[f"c{i}"]), pc.is_null(decoded.column(f"t{i}")))
        field_of = pc.if_else(bad, pa.scalar(binary[i]), field_of)
    out = table
    for i, n in enumerate(binary):
        decoded_col = decoded.column(f"t{i}").cast(pa.string())
        out = out.set_column(out.column_names.index(n), n, decoded_col)
    return out, pc.is_valid(field_of), field_of


def read_parquet(
    lf: LandingFile, con: duckdb.DuckDBPyConnection, stats: ReadStats
) -> Iterator[pa.Table]:
    """Records of a Parquet file; ``source_line`` is the 1-based row number."""
    pf = _parquet_source(lf, stats)
    row = 1
    for batch in pf.iter_batches(batch_size=65_536):
        table = pa.Table.from_batches([batch])
        n = table.num_rows
        if n == 0:
            continue
        raw_json = None
        decoded, bad, bad_field = _undecodable_cells(con, table)
        if bad is not None and pc.any(bad).as_py():
            # The row as it was (bytes escaped), to quarantine with its text.
            raw_json = _rows_as_json(con, _nest_dotted(_parquet_cells(table)), np.arange(n))
        records = _rows_as_json(con, _nest_dotted(_parquet_cells(decoded)), np.arange(row, row + n))
        if raw_json is not None:
            records = _mark_undecodable(records, raw_json, bad, bad_field)
        yield records
        row += n


def _mark_undecodable(
    records: pa.Table, raw_json: pa.Table, bad: pa.Array, bad_field: pa.Array
) -> pa.Table:
    text = raw_json.column("b").cast(pa.large_string())
    raw = pc.utf8_slice_codeunits(text, 0, S.RAW_MAX_CHARS)
    cols = {
        "b": pc.if_else(bad, pa.scalar(None, pa.large_binary()), records.column("b")),
        "raw": pc.if_else(bad, raw, records.column("raw")),
        "pre_reason": pc.if_else(bad, pa.scalar(S.UNDECODABLE), records.column("pre_reason")),
        "pre_field": pc.if_else(bad, bad_field, records.column("pre_field")),
    }
    for name, col in cols.items():
        records = records.set_column(records.column_names.index(name), name, col)
    return records


def read_csv(
    lf: LandingFile, con: duckdb.DuckDBPyConnection, stats: ReadStats
) -> Iterator[pa.Table]:
    """Records of a CSV file (comma-separated, double-quoted, header in the first row).

    ``source_line`` is the record number counting the header as 1, which is the line
    number unless a quoted value spans lines. Every value arrives as text; the
    normaliser coerces CSV text to the contract's types (numbers, booleans, JSON
    objects/lists). An empty cell is NULL, except for ``query`` and ``response``
    where the empty string is a value the checks need to see. The whole file is
    read into memory (CSV landing files are exports, not the bulk path).
    """
    data = lf.path.read_bytes()
    stats.sha256.update(data)
    stats.bytes_read += len(data)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
        stats.notes.append("UTF-8 byte-order mark skipped")
    if not data.strip():
        stats.blank_lines += data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        return
    seg = split_records(data, 1, final=True, quote_aware=True)
    stats.blank_lines += int(seg.blank.sum())
    nonblank = np.flatnonzero(~seg.blank)
    head_i = int(nonblank[0])
    head_at = int(seg.offsets[head_i])
    header_text = data[head_at : head_at + int(seg.content_len[head_i])].decode("utf-8", "replace")
    header = [h.strip() for h in next(csv.reader([header_text]))]
    body = nonblank[1:]
    if len(body) == 0:
        return
    lines = seg.binary().take(pa.array(body))
    con.register("_lines", pa.table({"b": lines}))
    try:
        decoded = con.sql(
            f"""SELECT try(decode(b)) IS NOT NULL AS ok,
                       left({escaped_bytes_sql("b")}, {S.RAW_MAX_CHARS}) AS esc
                FROM _lines"""
        ).to_arrow_table()
    finally:
        con.unregister("_lines")
    ok = decoded.column("ok").to_numpy(zero_copy_only=False)
    escaped = decoded.column("esc")
    arr = np.frombuffer(data, dtype=np.uint8)
    # Fields per record = delimiters outside quotes + 1 (the quote-parity trick again).
    quotes = np.cumsum(arr == 34, dtype=np.int64)
    commas = np.flatnonzero(arr == 44)
    commas = commas[(quotes[commas] % 2) == 0]
    record_of_comma = np.searchsorted(seg.offsets[1:], commas, side="right")
    fields = np.bincount(record_of_comma, minlength=len(seg))[body] + 1
    unclosed = np.zeros(len(body), dtype=bool)
    unclosed[-1] = bool(quotes[-1] % 2)
    lines_no = body + 1  # record number, header = 1
    content_len = seg.content_len[body]
    terminated = seg.terminated[body]

    def problems(idx: np.ndarray, reason: str, field_name: str | None) -> pa.Table:
        n = len(idx)
        return pa.Table.from_pydict(
            {
                "source_line": pa.array(lines_no[idx], pa.int64()),
                "b": pa.nulls(n, pa.large_binary()),
                "raw": escaped.take(pa.array(idx)).cast(pa.large_string()),
                "nbytes": pa.array(content_len[idx], pa.int64()),
                "terminated": pa.array(terminated[idx]),
                "skip": pa.array(np.zeros(n, dtype=bool)),
                "pre_reason": pa.array([reason] * n, pa.string()),
                "pre_field": pa.array([field_name] * n, pa.string()),
            },
            schema=RECORD_SCHEMA,
        )

    if np.any(~ok):
        yield problems(np.flatnonzero(~ok), S.UNDECODABLE, None)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        # Which of two same-named columns is meant cannot be known: every row is
        # quarantined (with its text) instead of guessing.
        yield problems(np.flatnonzero(ok), S.MALFORMED_CSV, "header")
        stats.notes.append(f"duplicate CSV column names {dupes}")
        return
    bad_width = ok & ((fields != len(header)) | unclosed)
    if np.any(bad_width):
        yield problems(np.flatnonzero(bad_width), S.MALFORMED_CSV, None)
    good_idx = np.flatnonzero(ok & ~bad_width)
    if len(good_idx) == 0:
        return
    good_lines = lines.take(pa.array(good_idx))
    offs = np.frombuffer(good_lines.buffers()[1], dtype=np.int64)
    offs = offs[good_lines.offset : good_lines.offset + len(good_lines) + 1]
    buf = good_lines.buffers()[2].to_pybytes()[offs[0] : offs[-1]]
    try:
        table = pacsv.read_csv(
            io.BytesIO(buf),
            read_options=pacsv.ReadOptions(column_names=header),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        if table.num_rows != len(good_idx):
            raise ValueError(
                f"CSV parser returned {table.num_rows} rows for {len(good_idx)} records"
            )
    except (pa.ArrowInvalid, ValueError) as exc:
        # The parser disagrees with our record boundaries (e.g. a stray quote inside an
        # unquoted value): quarantine these records one by one rather than guess.
        stats.notes.append(f"CSV parser failed: {exc}")
        yield problems(good_idx, S.MALFORMED_CSV, None)
        return
    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if name not in ("query", "response"):
            col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        cols.append(col)
    table = _nest_dotted(pa.table(cols, names=table.column_names))
    yield _rows_as_json(con, table, lines_no[good_idx])


def read_records(
    lf: LandingFile, con: duckdb.DuckDBPyConnection, stats: ReadStats
) -> Iterator[pa.Table]:
    """Records of any landing file, counted in ``stats.records``.

    A file that cannot be read at all (corrupt Parquet, permission denied) is one
    record quarantined as ``unreadable file`` (``stats.unreadable`` says why when not
    even its bytes could be read); a file that breaks part-way keeps the records read
    so far plus one such record for the unreadable rest. A folder that could not be
    listed is one ``unreadable directory`` record.
    """
    if lf.fmt == DIRECTORY:
        stats.records += 1
        stats.unreadable = lf.error or "cannot list folder"
        yield _problem_record(None, S.UNREADABLE_DIR, f"folder cannot be listed: {lf.error}")
        return
    readers = {
        "jsonl": read_jsonl,
        "jsonl.gz": read_jsonl,
        "csv": read_csv,
        "parquet": read_parquet,
    }
    try:
        for batch in readers[lf.fmt](lf, con, stats):
            stats.records += batch.num_rows - int(pc.sum(batch.column("skip")).as_py() or 0)
            yield batch
    except (OSError, ValueError, pa.ArrowException, duckdb.Error, csv.Error) as exc:
        if stats.bytes_read == 0 and isinstance(exc, OSError):
            stats.unreadable = f"{type(exc).__name__}: {exc.strerror or exc}"
        stats.records += 1
        yield _problem_record(None, S.UNREADABLE_FILE, f"{type(exc).__name__}: {exc}")


def changed_record(lf: LandingFile, attempts: int) -> pa.Table:
    """The one record that stands for a file that kept changing while it was read."""
    return _problem_record(
        None,
        S.CHANGED_DURING_READ,
        f"the file changed while it was read, {attempts} times (now {lf.size} bytes); "
        "it is read again on the next run",
    )
