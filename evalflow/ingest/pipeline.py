"""One day of raw_interactions: staged files -> global last-write-wins -> the day's rows.

Deduplication is global: an interaction_id re-sent in a later file (or later in the
same file) replaces the earlier write even when the two fall on different days, so
the day a record belongs to is the day of its *last* write. "Later" means file
order (modification time, then relative path), then line order. Every day's
partition is computed from all staged files, which is why a late file re-sending an
old id moves it out of the old day the next time that day is materialised.

Reconciliation: for every file and day, records read = kept + quarantined +
duplicates folded. The per-file total read is the reader's own count (non-blank
lines / rows), checked against what the parser wrote; the day's output row counts
are checked against the per-file sums. Any mismatch raises ``ReconciliationError``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalflow.config import Paths, Settings
from evalflow.ingest import schema as S
from evalflow.ingest.normalize import Limits
from evalflow.ingest.staging import (
    ReconciliationError,
    StagedFile,
    StagingState,
    memory_connection,
    staging_lock,
    sync_staging,
)
from evalflow.orchestration.metadata import duckdb_types
from evalflow.storage import Warehouse
from evalflow.storage.warehouse import ident

_ORDER_SHIFT = 40
"""Write order = (file rank << 40) | line: one BIGINT that sorts like (rank, line)."""


@dataclass
class IngestResult:
    """Everything one day's ingest produced, before anything is written."""

    day: dt.date
    rows: pd.DataFrame
    """raw_interactions partition, in raw_interactions column order."""
    quarantine: pd.DataFrame
    """quarantined_records partition."""
    reconciliation: pd.DataFrame
    """Per landing file with records on this day: read, kept, quarantined, duplicates."""
    landing_files: pd.DataFrame
    """Whole-file totals for every landing file (the landing_files table)."""
    segments: list[str]
    ignored_files: dict[str, str] = field(default_factory=dict)
    """Paths under landing/ that were not read -> why (unknown format, symlink, ...)."""
    parsed_files: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    naive_timestamps: int = 0
    """Kept rows of the day whose timestamp had no offset (read as UTC)."""

    def quarantine_by_reason(self) -> dict[str, int]:
        return dict(Counter(self.quarantine["reason"].tolist())) if len(self.quarantine) else {}

    def totals(self) -> dict[str, int]:
        r = self.reconciliation
        return {
            "records_read": int(r["records_read"].sum()) if len(r) else 0,
            "kept": int(r["kept"].sum()) if len(r) else 0,
            "quarantined": int(r["quarantined"].sum()) if len(r) else 0,
            "duplicates": int(r["duplicates"].sum()) if len(r) else 0,
        }


def _fallback_day(sf: StagedFile) -> dt.date:
    """Where a record without a readable timestamp is filed (see docs/tables.md)."""
    first = sf.meta.get("min_valid_day")
    if first:
        return dt.date.fromisoformat(first)
    return dt.datetime.fromtimestamp(sf.file.mtime_ns / 1e9, tz=dt.UTC).date()


def _manifest(state: StagingState) -> pa.Table:
    """One row per staged part: which file (and its last-write rank) the part belongs to."""
    rows = [
        (rank, sf.file.rel, str(part), _fallback_day(sf))
        for rank, sf in enumerate(state.files)
        for part in sf.parts
    ]
    return pa.table(
        {
            "rank": pa.array([r[0] for r in rows], pa.int64()),
            "source_file": pa.array([r[1] for r in rows], pa.string()),
            "staged_path": pa.array([r[2] for r in rows], pa.string()),
            "fallback_day": pa.array([r[3] for r in rows], pa.date32()),
        }
    )


def assemble_day(state: StagingState, day: dt.date, segments: list[str]) -> IngestResult:
    """The day's rows, quarantine and reconciliation from staged files (no writes)."""
    raw_cols = S.raw_columns(segments)
    con = memory_connection()
    try:
        con.register("manifest", _manifest(state))
        paths = sorted({str(p) for s in state.files for p in s.parts})
        if paths:
            con.execute(
                f"""
                CREATE TEMP TABLE recs AS
                SELECT m.rank, s.source_line, s.interaction_id, s.reason IS NULL AS valid,
                       coalesce(s.day, m.fallback_day) AS day,
                       (m.rank << {_ORDER_SHIFT}) | s.source_line AS ord
                FROM read_parquet(?, filename = true) s
                JOIN manifest m ON s.filename = m.staged_path
                """,
                [paths],
            )
        else:
            con.execute(
                "CREATE TEMP TABLE recs (rank BIGINT, source_line BIGINT, interaction_id VARCHAR, "
                "valid BOOLEAN, day DATE, ord BIGINT)"
            )
        con.execute(
            """
            CREATE TEMP TABLE winners AS
            SELECT interaction_id, max(ord) AS win FROM recs WHERE valid GROUP BY interaction_id
            """
        )
        counts = con.execute(
            """
            SELECT r.rank, r.day,
                   count(*) AS records_read,
                   count(*) FILTER (WHERE r.valid AND r.ord = w.win) AS kept,
                   count(*) FILTER (WHERE NOT r.valid) AS quarantined,
                   count(*) FILTER (WHERE r.valid AND r.ord <> w.win) AS duplicates
            FROM recs r LEFT JOIN winners w USING (interaction_id)
            GROUP BY ALL ORDER BY r.rank, r.day
            """
        ).df()
        day_files = sorted(
            {
                str(p)
                for s in state.files
                if day.isoformat() in s.meta.get("days", {})
                for p in s.parts
            }
        )
        seg_of = {S.segment_column(k): i for i, k in enumerate(segments)}
        params: dict[str, Any] = {f"seg_{i}": f'$."{k}"' for i, k in enumerate(segments)}
        params["day"] = day

        def expr(c: str) -> str:
            if c == "source_file":
                return "m.source_file"
            if c in seg_of:
                return f"json_extract_string(s.segment_json, $seg_{seg_of[c]}) AS {ident(c)}"
            return f"s.{ident(c)}"

        select_cols = ", ".join(expr(c) for c in raw_cols)
        if day_files:
            params["paths"] = day_files
            rows = con.sql(
                f"""
                SELECT {select_cols}, s.naive_ts AS _naive
                FROM read_parquet($paths, filename = true) s
                JOIN manifest m ON s.filename = m.staged_path
                JOIN winners w ON w.interaction_id = s.interaction_id
                     AND w.win = (m.rank << {_ORDER_SHIFT}) | s.source_line
                WHERE s.reason IS NULL AND s.day = $day
                ORDER BY s.timestamp, s.interaction_id
                """,
                params=params,
            ).to_arrow_table()
            naive = int(pc.sum(rows.column("_naive")).as_py() or 0)
            rows = _arrow_frame(rows.drop_columns(["_naive"]))
        else:
            rows = _empty(raw_cols, arrow=True)
            naive = 0
        if paths:
            quarantine = con.execute(
                """
                SELECT coalesce(s.day, m.fallback_day) AS day, m.source_file, s.source_line,
                       s.reason, s.field, s.raw
                FROM read_parquet($paths, filename = true) s
                JOIN manifest m ON s.filename = m.staged_path
                WHERE s.reason IS NOT NULL AND coalesce(s.day, m.fallback_day) = $day
                ORDER BY m.rank, s.source_line
                """,
                {"paths": paths, "day": day},
            ).df()
        else:
            quarantine = _empty(S.QUARANTINE_COLUMNS)
    finally:
        con.close()

    names = {i: s.file.rel for i, s in enumerate(state.files)}
    counts["source_file"] = counts["rank"].map(names)
    _check_files(state, counts)
    rec = counts[counts["day"] == pd.Timestamp(day)].copy() if len(counts) else counts
    rec = rec.assign(day=day)
    rec["balanced"] = rec["records_read"] == rec["kept"] + rec["quarantined"] + rec["duplicates"]
    rec = rec[list(S.RECONCILIATION_COLUMNS)].reset_index(drop=True)
    result = IngestResult(
        day=day,
        rows=rows[list(raw_cols)],
        quarantine=quarantine[list(S.QUARANTINE_COLUMNS)],
        reconciliation=rec,
        landing_files=_landing_files(state, counts),
        segments=list(segments),
        ignored_files=state.ignored,
        parsed_files=state.parsed,
        notes={
            s.file.rel: list(s.meta.get("notes", [])) for s in state.files if s.meta.get("notes")
        },
        naive_timestamps=int(naive),
    )
    check_reconciliation(result)
    return result


def _seg_names(segments: list[str]) -> list[str]:
    return [S.segment_column(k) for k in segments]


def _arrow_frame(table: pa.Table) -> pd.DataFrame:
    """A pandas frame backed by the Arrow buffers DuckDB returned (no per-cell objects).

    A million rows of long texts and passage lists convert in a fraction of the time
    and memory of object columns, and DuckDB reads such frames back directly.
    """
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _empty(columns: dict[str, tuple[str, str]], arrow: bool = False) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        cols = ", ".join(f"CAST(NULL AS {t}) AS {ident(c)}" for c, (t, _) in columns.items())
        table = con.sql(f"SELECT {cols} LIMIT 0").to_arrow_table()
        return _arrow_frame(table) if arrow else con.sql(f"SELECT {cols} LIMIT 0").df()
    finally:
        con.close()


def _check_files(state: StagingState, counts: pd.DataFrame) -> None:
    """Each file's reader count must equal the records found for it across all days."""
    per_file = counts.groupby("rank")["records_read"].sum().to_dict() if len(counts) else {}
    for rank, sf in enumerate(state.files):
        found = int(per_file.get(rank, 0))
        if found != sf.records_read:
            raise ReconciliationError(
                f"{sf.file.rel}: reader counted {sf.records_read} records, staging holds {found}"
            )


def check_reconciliation(result: IngestResult) -> None:
    """Raise ``ReconciliationError`` unless every count of the day adds up."""
    rec = result.reconciliation
    bad = rec[~rec["balanced"]]
    if len(bad):
        raise ReconciliationError(
            "records read != kept + quarantined + duplicates for: "
            + ", ".join(f"{r.source_file} ({r.records_read} read)" for r in bad.itertuples())
        )
    totals = result.totals()
    if totals["kept"] != len(result.rows):
        raise ReconciliationError(
            f"{result.day}: files say {totals['kept']} kept, partition has {len(result.rows)} rows"
        )
    if totals["quarantined"] != len(result.quarantine):
        raise ReconciliationError(
            f"{result.day}: files say {totals['quarantined']} quarantined, "
            f"partition has {len(result.quarantine)}"
        )
    if result.rows["interaction_id"].duplicated().any():
        raise ReconciliationError(f"{result.day}: duplicate interaction_id after deduplication")
    files = result.landing_files
    unbalanced = files[
        files["records_read"] != files["kept"] + files["quarantined"] + files["duplicates"]
    ]
    if len(unbalanced):
        raise ReconciliationError(
            "landing_files totals do not add up for: " + ", ".join(unbalanced["source_file"])
        )


def _landing_files(state: StagingState, counts: pd.DataFrame) -> pd.DataFrame:
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")
    grouped = counts.groupby("rank") if len(counts) else None
    records = []
    for rank, sf in enumerate(state.files):
        sub = grouped.get_group(rank) if grouped is not None and rank in grouped.groups else None
        days = (
            ",".join(sorted({d.date().isoformat() for d in sub["day"]})) if sub is not None else ""
        )
        records.append(
            {
                "source_file": sf.file.rel,
                "content_hash": sf.content_hash,
                "size_bytes": sf.file.size,
                "records_read": sf.records_read,
                "kept": int(sub["kept"].sum()) if sub is not None else 0,
                "quarantined": int(sub["quarantined"].sum()) if sub is not None else 0,
                "duplicates": int(sub["duplicates"].sum()) if sub is not None else 0,
                "days": days,
                "ingested_at": now,
                "format": sf.file.fmt,
                "modified_at": pd.Timestamp(sf.file.mtime_ns, unit="ns").floor("us"),
                "blank_lines": int(sf.meta.get("blank_lines", 0)),
                "naive_timestamps": int(sf.meta.get("naive_timestamps", 0)),
            }
        )
    df = pd.DataFrame.from_records(records, columns=list(S.LANDING_FILES_COLUMNS))
    return df


def ingest_day(paths: Paths, settings: Settings, day: dt.date) -> IngestResult:
    """Stage new/changed landing files and assemble one day (pure: writes no tables)."""
    limits = Limits.from_settings(settings.ingest)
    with staging_lock(paths):
        state = sync_staging(paths, limits)
        return assemble_day(state, day, list(settings.segments))


def landing_days(paths: Paths, settings: Settings) -> dict[str, list[dt.date]]:
    """Days each landing file has records on (staging new files as needed).

    For sensors: a new or changed file's days are the partitions to rerun.
    """
    limits = Limits.from_settings(settings.ingest)
    with staging_lock(paths):
        state = sync_staging(paths, limits)
    out: dict[str, list[dt.date]] = {}
    for sf in state.files:
        days = {dt.date.fromisoformat(d) for d in sf.meta.get("days", {})}
        if sf.meta.get("undated_quarantined"):
            days.add(_fallback_day(sf))
        out[sf.file.rel] = sorted(days)
    return out


def write_ingest(wh: Warehouse, result: IngestResult) -> None:
    """Write the day's partitions, its reconciliation and the landing_files totals.

    Each table is replaced in its own short transaction (delete-then-insert), so a
    rerun replaces and never duplicates.
    """
    wh.replace_partition(
        "raw_interactions",
        result.rows,
        result.day,
        schema=duckdb_types(S.raw_columns(result.segments)),
    )
    wh.replace_partition(
        "quarantined_records",
        result.quarantine,
        result.day,
        schema=duckdb_types(S.QUARANTINE_COLUMNS),
    )
    wh.replace_partition(
        "ingest_reconciliation",
        result.reconciliation,
        result.day,
        schema=duckdb_types(S.RECONCILIATION_COLUMNS),
    )
    replace_landing_files(wh, result.landing_files)


def replace_landing_files(wh: Warehouse, files: pd.DataFrame) -> None:
    """landing_files is a snapshot of the whole landing folder: replaced as a whole."""
    cols = ", ".join(f"{ident(c)} {t}" for c, (t, _) in S.LANDING_FILES_COLUMNS.items())
    with wh.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS landing_files ({cols})")
            con.execute("DELETE FROM landing_files")
            if len(files):
                con.register("_incoming", files)
                con.execute("INSERT INTO landing_files BY NAME SELECT * FROM _incoming")
                con.unregister("_incoming")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
