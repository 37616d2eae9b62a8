"""Dagster wiring for ``regression_cases`` and its JSONL files."""

import dagster as dg

from evalflow.orchestration.metadata import md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.regression.build import build_regression_cases, write_regression_cases
from evalflow.regression.curation import CASE_COLUMNS
from evalflow.resources import EvalflowResource
from evalflow.signals.pii import redact_pii_series


@dg.asset(
    name="regression_cases",
    partitions_def=daily_partitions,
    group_name="improvement",
    kinds={"duckdb", "json"},
    owners=["team:ml-quality"],
    deps=["issue_priorities", "failure_clusters", "judge_scores", "raw_interactions"],
    pool="duckdb",
    description=(
        "Production failures curated into a reference dataset for offline evaluation: the "
        "example interactions of the top-priority issues and the day's judge failures, with "
        "input (query and earlier turns), context, the bad response, what went wrong and the "
        "judges' verdicts. De-duplicated by normalised query, balanced across themes, stable "
        "case ids. The partition is replaced on rerun and regression/cases.jsonl is rebuilt "
        "from the whole table, so reruns never duplicate cases."
    ),
    metadata=table_metadata(CASE_COLUMNS, "regression_cases"),
    code_version="1",
)
def regression_cases(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    wh = evalflow.warehouse()
    settings = evalflow.settings()
    cases = build_regression_cases(wh, day, settings)
    raw_text = settings.privacy.raw_text_in_regression
    all_path, day_path, total = write_regression_cases(
        wh, day, cases, evalflow.paths.regression, raw_text=raw_text
    )
    preview = cases[["case_id", "issue_id", "query", "failure", "cluster_id"]].copy()
    for col in ("query", "failure"):  # Dagster's event log is outside the warehouse too
        preview[col] = redact_pii_series(preview[col])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(cases),
            "dataset_cases": total,
            "themes": int(cases["cluster_id"].fillna(cases["issue_id"]).nunique())
            if len(cases)
            else 0,
            "dataset_file": dg.MetadataValue.path(str(all_path)),
            "day_file": dg.MetadataValue.path(str(day_path)),
            "raw_text_in_files": raw_text,
            "preview": md_preview(preview if len(cases) else cases),
        }
    )
