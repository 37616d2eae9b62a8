"""Staging many small landing files at once.

Real landing folders hold thousands of small files. Staged one by one, each file
paid for its own DuckDB connections, a plan of the (large) normalising query and a
Parquet writer, about 0.2 s a file. Here the records of many files go through one
query: each record's ``source_line`` carries its file's index in the high bits
(the same trick as the write order in ``pipeline``), and the result is cut back
into one staged Parquet file per landing file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalflow.ingest import normalize as N
from evalflow.ingest import readers as R
from evalflow.ingest.stageio import (
    STAGE_SCHEMA,
    FileRead,
    Summary,
    isolating,
    summarize,
    write_table,
)

SHIFT = 40
"""Bits of ``source_line`` kept for the line; the file's index goes above them."""
NO_LINE = (1 << SHIFT) - 1
"""Stands for a NULL line (a whole-file record) while encoded."""


def _encoded(fr: FileRead, index: int) -> Iterator[pa.Table]:
    for table in fr.tables:
        line = pc.fill_null(table.column("source_line"), NO_LINE)
        code = pc.add(line, pa.scalar(index << SHIFT, pa.int64()))
        yield table.set_column(0, "source_line", code)


def _decoded(table: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The staged rows with their real lines, and each row's file index."""
    code = table.column("source_line").to_numpy(zero_copy_only=False).astype(np.int64)
    index = code >> SHIFT
    line = code & NO_LINE
    lines = pa.array(line, pa.int64(), mask=line == NO_LINE)
    return table.set_column(table.column_names.index("source_line"), "source_line", lines), index


Staged = list[tuple[pa.Table, Summary]]


def _normalize_group(
    con: duckdb.DuckDBPyConnection, reads: Sequence[FileRead], limits: N.Limits, lenient: bool
) -> Staged:
    """One query over the records of all ``reads``; each read's staged table and counts."""
    tables = [t for i, fr in enumerate(reads) for t in _encoded(fr, i)]
    empty = STAGE_SCHEMA.empty_table()
    if not tables:
        return [(empty, []) for _ in reads]
    records = pa.concat_tables(tables).combine_chunks()
    con.register("_records", records)
    try:
        out = con.sql(N.build_sql("_records", lenient), params=limits.params()).to_arrow_table()
    finally:
        con.unregister("_records")
    out, index = _decoded(out.cast(STAGE_SCHEMA))
    order = np.argsort(index, kind="stable")
    if not np.all(order == np.arange(len(order))):
        out, index = out.take(pa.array(order)), index[order]
    bounds = np.searchsorted(index, np.arange(len(reads) + 1))
    counts = summarize(out, index)
    return [
        (out.slice(int(a), int(b - a)), counts.get(i, []))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]


def _careful(fr: FileRead, limits: N.Limits, lenient: bool) -> pa.Table:
    """The slow path for one file whose batch broke the fast query."""
    if not fr.tables:
        return STAGE_SCHEMA.empty_table()
    parts = list(isolating(pa.concat_tables(fr.tables), limits, lenient))
    return pa.concat_tables(parts) if parts else STAGE_SCHEMA.empty_table()


def stage_batch(
    reads: Sequence[FileRead],
    root: Path,
    limits: N.Limits,
    fp: str,
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[R.LandingFile, str | None, str]]:
    """Normalise and stage ``reads``; CSV (lenient typing) and the rest in separate queries."""
    out: list[tuple[R.LandingFile, str | None, str]] = []
    for lenient in (False, True):
        group = [fr for fr in reads if (fr.lf.fmt == "csv") == lenient]
        if not group:
            continue
        try:
            tables = _normalize_group(con, group, limits, lenient)
        except duckdb.Error:
            tables = [_alone(con, fr, limits, lenient) for fr in group]
        out += [write_table(fr, t, root, fp, c) for fr, (t, c) in zip(group, tables, strict=True)]
    return out


def _alone(
    con: duckdb.DuckDBPyConnection, fr: FileRead, limits: N.Limits, lenient: bool
) -> tuple[pa.Table, Summary | None]:
    """After a batch failed: the file on its own, and record by record if it still fails."""
    try:
        return _normalize_group(con, [fr], limits, lenient)[0]
    except duckdb.Error as exc:
        fr.stats.notes.append(f"fast parser failed ({type(exc).__name__}); parsed record by record")
        return _careful(fr, limits, lenient), None
