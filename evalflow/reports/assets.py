"""Dagster wiring for the stakeholder reports: ``daily_report`` and ``weekly_report``."""

from typing import Any

import dagster as dg

from evalflow.config import Settings
from evalflow.orchestration.metadata import table_metadata
from evalflow.partitions import daily_partitions, day_of, weekly_partitions
from evalflow.reports import render
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.reports.publish import (
    DAILY_COLUMNS,
    WEEKLY_COLUMNS,
    Published,
    ensure_plotly_asset,
    publish,
)
from evalflow.resources import EvalflowResource

DAILY_INPUTS = [
    "segment_kpis",
    "quality_alerts",
    "rollout_decisions",
    "judge_scores",
    "sampled_interactions",
    "issue_priorities",
    "failure_clusters",
    "raw_interactions",
]
WEEKLY_DAILY_INPUTS = [
    "segment_kpis",
    "judge_calibration",
    "issue_priorities",
    "regression_cases",
    "quality_alerts",
    "raw_interactions",
]
WEEKLY_WEEKLY_INPUTS = ["model_comparison", "fairness_audit"]


def _plotly_src(evalflow: EvalflowResource, settings: Settings) -> str | None:
    """None inlines plotly.js (``reports.self_contained``); else the shared copy's URL."""
    if settings.reports.self_contained:
        return None
    return ensure_plotly_asset(evalflow.paths.reports)


def _metadata(report: render.Report, out: Published, load_errors: list[str]) -> dict[str, Any]:
    status = report.section_status
    meta: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(out.path)),
        "size_bytes": out.size_bytes,
        "dagster/row_count": 1,
        "sections": dg.MetadataValue.json(status),
        "sections_rendered": dg.MetadataValue.text(
            ", ".join(k for k, v in status.items() if v == "rendered") or "none"
        ),
        "sections_without_data": dg.MetadataValue.text(
            ", ".join(k for k, v in status.items() if v != "rendered") or "none"
        ),
        "headline": dg.MetadataValue.json(report.headline),
    }
    for key, value in report.headline.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            meta[f"headline/{key}"] = dg.MetadataValue.int(value)
        elif isinstance(value, float):
            meta[f"headline/{key}"] = dg.MetadataValue.float(value)
        else:
            meta[f"headline/{key}"] = dg.MetadataValue.text(str(value))
    if load_errors:
        meta["load_errors"] = dg.MetadataValue.json(load_errors)
    return meta


@dg.asset(
    name="daily_report",
    partitions_def=daily_partitions,
    group_name="reports",
    kinds={"plotly", "html", "duckdb"},
    owners=["team:ml-quality"],
    deps=DAILY_INPUTS,
    pool="duckdb",
    description=(
        "The daily stakeholder report, an HTML file that opens offline "
        "($EVALFLOW_HOME/reports/daily/YYYY-MM-DD.html, listed in reports/index.html; "
        "plotly.js is shared from reports/assets/ unless reports.self_contained): the "
        "composite KPI with its confidence band over the trailing weeks, a segment heatmap with low-count cells marked, the day's "
        "alerts, the rollout gate's GO/HOLD/ROLLBACK with reasons, judge coverage and cost, the "
        "top prioritised issues with example queries, and new failure themes. Any upstream "
        "table not yet materialised shows as 'no data for this section'. The trend reads "
        "whatever earlier segment_kpis days exist. One row per day in table daily_report."
    ),
    metadata=table_metadata(DAILY_COLUMNS, "daily_report"),
    code_version="1",
)
def daily_report(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    wh = evalflow.warehouse()
    settings = evalflow.settings()
    ctx = load_daily_context(wh, day, settings)
    report = render.daily_report(ctx, plotly_src=_plotly_src(evalflow, settings))
    out = publish(report, evalflow.paths.reports, wh, ctx["generated_at"], context.run.run_id)
    context.log.info(f"daily report written to {out.path} ({out.size_bytes:,} bytes)")
    return dg.MaterializeResult(metadata=_metadata(report, out, ctx["load_errors"]))


@dg.asset(
    name="weekly_report",
    partitions_def=weekly_partitions,
    group_name="reports",
    kinds={"plotly", "html", "duckdb"},
    owners=["team:ml-quality"],
    deps=[
        *[
            dg.AssetDep(k, partition_mapping=dg.TimeWindowPartitionMapping())
            for k in WEEKLY_DAILY_INPUTS
        ],
        *WEEKLY_WEEKLY_INPUTS,
    ],
    pool="duckdb",
    description=(
        "The weekly stakeholder report for a Monday-to-Sunday week, an offline HTML file "
        "($EVALFLOW_HOME/reports/weekly/YYYY-MM-DD.html, the Monday): week-over-week KPIs, "
        "baseline vs new model with the week's recommendation, judge calibration (kappa and "
        "agreement with CIs over time), fairness disparity ratios against the acceptable band "
        "with flagged groups, the week's top issues with example queries and the regression "
        "cases added. Depends on the week's seven daily partitions and the weekly audits; "
        "last week's KPIs and earlier calibration are read as far as they exist."
    ),
    metadata=table_metadata(WEEKLY_COLUMNS, "weekly_report"),
    code_version="1",
)
def weekly_report(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    week_start = day_of(context.partition_key)
    wh = evalflow.warehouse()
    settings = evalflow.settings()
    ctx = load_weekly_context(wh, week_start, settings)
    report = render.weekly_report(ctx, plotly_src=_plotly_src(evalflow, settings))
    out = publish(report, evalflow.paths.reports, wh, ctx["generated_at"], context.run.run_id)
    context.log.info(f"weekly report written to {out.path} ({out.size_bytes:,} bytes)")
    return dg.MaterializeResult(metadata=_metadata(report, out, ctx["load_errors"]))
