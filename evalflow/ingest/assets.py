"""Dagster wiring for ingestion: one multi-asset, its data-contract and reconciliation checks.

The logic lives in plain modules (``pipeline``, ``contract``); this file only reads
the partition key, calls them and turns their results into metadata.
"""

import json
import warnings
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from evalflow.ingest import schema as S
from evalflow.ingest.pipeline import IngestResult, ingest_day, write_ingest
from evalflow.orchestration.metadata import column_schema, md_escape, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource

OWNERS = ["team:ml-quality"]
PREVIEW_COLUMNS = [
    "interaction_id",
    "timestamp",
    "seg_queue",
    "model_version",
    "rollout_arm",
    "query",
    "response",
    "source_file",
    "source_line",
]


@dg.multi_asset(
    name="ingest_interactions",
    specs=[
        dg.AssetSpec(
            "raw_interactions",
            group_name="ingest",
            kinds={"duckdb", "pandas"},
            owners=OWNERS,
            description=(
                "Validated, normalised and deduplicated interaction records of one UTC day, "
                "read from every landing file (JSONL, JSONL.gz, CSV, Parquet). The record's "
                "timestamp decides its day; a re-sent interaction_id keeps only its last write "
                "(file modification time, then path, then line), even across days. Every other "
                "stage starts here."
            ),
            metadata=table_metadata(S.RAW_COLUMNS, "raw_interactions"),
            code_version="1",
        ),
        dg.AssetSpec(
            "quarantined_records",
            group_name="ingest",
            kinds={"duckdb", "pandas"},
            owners=OWNERS,
            description=(
                "Records of the day that could not be used (broken JSON, missing or mistyped "
                "field, impossible timestamp, undecodable bytes, oversized field, ...) with "
                "their file, line, reason and original text, so nothing is lost silently."
            ),
            metadata=table_metadata(S.QUARANTINE_COLUMNS, "quarantined_records"),
            code_version="1",
        ),
    ],
    partitions_def=daily_partitions,
    pool="duckdb",
    can_subset=False,
)
def ingest_interactions(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> Iterator[dg.MaterializeResult]:
    """Parse new landing files into staging, assemble the day, write both partitions."""
    day = day_of(context.partition_key)
    settings = evalflow.settings()
    result = ingest_day(
        evalflow.paths, settings, day
    )  # raises ReconciliationError if counts differ
    write_ingest(evalflow.warehouse(), result)
    if result.parsed_files:
        context.log.info(f"parsed {len(result.parsed_files)} new or changed landing file(s)")
    if result.ignored_files:
        skipped = "; ".join(f"{p} ({why})" for p, why in result.ignored_files.items())
        context.log.warning(f"{len(result.ignored_files)} landing path(s) not read: {skipped}")
    yield dg.MaterializeResult(asset_key="raw_interactions", metadata=_raw_metadata(result))
    yield dg.MaterializeResult(
        asset_key="quarantined_records", metadata=_quarantine_metadata(result)
    )


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Object cells with None for missing values, so previews show blanks, not ``<NA>``."""
    out = df.astype(object)
    return out.where(df.notna(), None)


def _md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "_none_"
    header = "| " + " | ".join(df.columns) + " |"
    sep = "| " + " | ".join("---" for _ in df.columns) + " |"
    body = [
        "| " + " | ".join(md_escape(str(v)) for v in row) + " |"
        for row in df.astype(object).to_numpy().tolist()
    ]
    return "\n".join([header, sep, *body])


def _reconciliation_md(result: IngestResult) -> str:
    rec = result.reconciliation
    totals = result.totals()
    table = _md_table(rec.drop(columns=["day"]))
    return (
        f"{table}\n\n**Total**: {totals['records_read']} read = {totals['kept']} kept + "
        f"{totals['quarantined']} quarantined + {totals['duplicates']} duplicates folded"
    )


def _raw_metadata(result: IngestResult) -> dict[str, Any]:
    totals = result.totals()
    rows = result.rows
    meta: dict[str, Any] = {
        "dagster/row_count": len(rows),
        "records_read": totals["records_read"],
        "kept": totals["kept"],
        "quarantined": totals["quarantined"],
        "duplicates_folded": totals["duplicates"],
        "naive_timestamps_read_as_utc": result.naive_timestamps,
        "files_with_records_today": len(result.reconciliation),
        "landing_files": len(result.landing_files),
        "files_parsed_this_run": len(result.parsed_files),
        "paths_not_read": len(result.ignored_files),
        "reconciliation": dg.MetadataValue.md(_reconciliation_md(result)),
        "preview": md_preview(
            _plain(rows[[c for c in PREVIEW_COLUMNS if c in rows.columns]].head(10))
        ),
        # The configured segment keys decide the seg_* columns, so the schema is per run.
        "dagster/column_schema": column_schema(S.raw_columns(result.segments)),
    }
    renamed = {k: S.segment_column(k) for k in result.segments if S.segment_column(k) != f"seg_{k}"}
    if renamed:
        # Segment keys that are not identifiers get a safe column name; say which.
        meta["segment_columns"] = dg.MetadataValue.json(renamed)
    if result.ignored_files:
        meta["ignored_files"] = dg.MetadataValue.json(result.ignored_files)
    if result.notes:
        meta["reader_notes"] = dg.MetadataValue.json(result.notes)
    return meta


def _quarantine_metadata(result: IngestResult) -> dict[str, Any]:
    q = result.quarantine
    by_reason = result.quarantine_by_reason()
    by_field = (
        q.assign(field=q["field"].fillna("(record)"))
        .groupby(["reason", "field"])
        .size()
        .rename("records")
        .reset_index()
        .sort_values("records", ascending=False)
        if len(q)
        else pd.DataFrame(columns=["reason", "field", "records"])
    )
    return {
        "dagster/row_count": len(q),
        "by_reason": dg.MetadataValue.json(by_reason),
        "by_reason_and_field": dg.MetadataValue.md(_md_table(by_field)),
        "preview": md_preview(q[["source_file", "source_line", "reason", "field", "raw"]]),
    }


# -- checks -------------------------------------------------------------------------

with warnings.catch_warnings():
    # Partitioned asset checks are a preview feature; they are what lets a check
    # validate exactly the partition its run materialised.
    warnings.simplefilter("ignore", category=dg.PreviewWarning)

    @dg.asset_check(
        asset="raw_interactions",
        name="raw_interactions_contract",
        blocking=True,
        partitions_def=daily_partitions,
        description=(
            "Great Expectations suite (critical): every contract column exists, interaction_id "
            "is never NULL and unique, timestamp/query/response are present and every "
            "timestamp falls inside the partition's UTC day. Blocks downstream on failure."
        ),
    )
    def raw_interactions_contract(
        context: dg.AssetCheckExecutionContext, evalflow: EvalflowResource
    ) -> dg.AssetCheckResult:
        return _gx_check(context, evalflow, "critical", dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(
        asset="raw_interactions",
        name="raw_interactions_value_ranges",
        partitions_def=daily_partitions,
        description=(
            "Great Expectations suite (soft): traffic_share in [0, 1]; latency, tokens, cost, "
            "resolution minutes and turn not negative; feedback_rating up/down; rollout_arm one "
            "of the configured arms. Warns; such records are kept."
        ),
    )
    def raw_interactions_value_ranges(
        context: dg.AssetCheckExecutionContext, evalflow: EvalflowResource
    ) -> dg.AssetCheckResult:
        return _gx_check(context, evalflow, "ranges", dg.AssetCheckSeverity.WARN)

    @dg.asset_check(
        asset="raw_interactions",
        name="ingest_reconciliation",
        blocking=True,
        partitions_def=daily_partitions,
        description=(
            "For every landing file with records on this day: records read = kept + "
            "quarantined + duplicates folded, and the stored partitions hold exactly the kept "
            "and quarantined counts."
        ),
    )
    def ingest_reconciliation(
        context: dg.AssetCheckExecutionContext, evalflow: EvalflowResource
    ) -> dg.AssetCheckResult:
        day = day_of(context.partition_key)
        wh = evalflow.warehouse()
        rec = wh.read_partition("ingest_reconciliation", day)
        stored = wh.query_df(
            "SELECT (SELECT count(*) FROM raw_interactions WHERE day = $d) AS kept, "
            "(SELECT count(*) FROM quarantined_records WHERE day = $d) AS quarantined",
            {"d": day},
        ).iloc[0]
        kept = int(rec["kept"].sum()) if len(rec) else 0
        quarantined = int(rec["quarantined"].sum()) if len(rec) else 0
        unbalanced = rec[
            rec["records_read"] != rec["kept"] + rec["quarantined"] + rec["duplicates"]
        ]
        problems = []
        if len(unbalanced):
            problems.append(f"unbalanced files: {sorted(unbalanced['source_file'])}")
        if kept != int(stored["kept"]):
            problems.append(
                f"reconciliation says {kept} kept, raw_interactions has {stored['kept']}"
            )
        if quarantined != int(stored["quarantined"]):
            problems.append(
                f"reconciliation says {quarantined} quarantined, "
                f"quarantined_records has {stored['quarantined']}"
            )
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(problems) or "every file's records are accounted for",
            metadata={
                "files": len(rec),
                "records_read": int(rec["records_read"].sum()) if len(rec) else 0,
                "kept": kept,
                "quarantined": quarantined,
                "duplicates": int(rec["duplicates"].sum()) if len(rec) else 0,
                "per_file": dg.MetadataValue.md(_md_table(rec.drop(columns=["day"]))),
            },
        )

    @dg.asset_check(
        asset="quarantined_records",
        name="quarantine_share",
        partitions_def=daily_partitions,
        description=(
            "Warns when the share of the day's records that were quarantined exceeds "
            "ingest.quarantine_warn_share: usually a producer changed its log format."
        ),
    )
    def quarantine_share(
        context: dg.AssetCheckExecutionContext, evalflow: EvalflowResource
    ) -> dg.AssetCheckResult:
        day = day_of(context.partition_key)
        limit = evalflow.settings().ingest.quarantine_warn_share
        rec = evalflow.warehouse().read_partition("ingest_reconciliation", day)
        read = int(rec["records_read"].sum()) if len(rec) else 0
        quarantined = int(rec["quarantined"].sum()) if len(rec) else 0
        share = quarantined / read if read else 0.0
        return dg.AssetCheckResult(
            passed=share <= limit,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "records_read": read,
                "quarantined": quarantined,
                "share": round(share, 6),
                "limit": limit,
            },
        )


def _gx_check(
    context: dg.AssetCheckExecutionContext,
    evalflow: EvalflowResource,
    suite: str,
    severity: dg.AssetCheckSeverity,
) -> dg.AssetCheckResult:
    from evalflow.ingest.contract import failures_markdown, validate

    day = day_of(context.partition_key)
    settings = evalflow.settings()
    df = evalflow.warehouse().read_partition("raw_interactions", day)
    result = validate(df, settings, day, suites=(suite,))[suite]
    failing = [
        {
            "expectation": o.expectation,
            "column": o.column,
            "unexpected_count": o.unexpected_count,
            "sample": o.sample,
            "error": o.error,
        }
        for o in result.failures
    ]
    return dg.AssetCheckResult(
        passed=result.success,
        severity=severity,
        description=f"{len(result.failures)} of {len(result.outcomes)} expectations failed"
        if failing
        else f"all {len(result.outcomes)} expectations passed",
        metadata={
            "rows": len(df),
            "expectations": len(result.outcomes),
            "failed": len(failing),
            "failures": dg.MetadataValue.md(failures_markdown(result)),
            "failures_json": dg.MetadataValue.json(json.loads(json.dumps(failing, default=str))),
        },
    )
