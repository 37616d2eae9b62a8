"""Dagster wiring of the weekly ``fairness_audit``; the logic lives in the plain modules."""

import datetime as dt
from typing import Any

import dagster as dg
import pandas as pd

from evalflow.fairness.audit import compute_fairness_audit
from evalflow.fairness.bias_alerts import WEEK_DAYS, alert_severities, build_bias_alerts
from evalflow.fairness.io import (
    load_week,
    read_previous_bias_alerts,
    write_audit,
    write_bias_alerts,
)
from evalflow.fairness.schema import COLUMNS
from evalflow.orchestration.metadata import md_preview, table_metadata
from evalflow.partitions import day_of, weekly_partitions
from evalflow.resources import EvalflowResource

_WEEK_OF_DAYS = dg.TimeWindowPartitionMapping()
"""Weekly partition → the seven daily partitions Monday..Sunday of upstream assets."""

PREVIEW_COLUMNS = [
    "attribute",
    "group_value",
    "reference_group",
    "metric",
    "n",
    "rate",
    "reference_rate",
    "disparity_ratio",
    "p_adjusted",
    "significant",
    "flagged",
]


@dg.asset(
    name="fairness_audit",
    partitions_def=weekly_partitions,
    group_name="audits",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=[
        dg.AssetDep("raw_interactions", partition_mapping=_WEEK_OF_DAYS),
        dg.AssetDep("sampled_interactions", partition_mapping=_WEEK_OF_DAYS),
        dg.AssetDep("judge_scores", partition_mapping=_WEEK_OF_DAYS),
    ],
    pool="duckdb",
    description=(
        "Weekly fairness audit over the week's seven daily partitions: for each audit "
        "attribute (settings.audit_attributes) and configured intersection, every group's "
        "outcome rates (rating-up, resolved, escalation, override, SLA) and judge quality rates "
        "(pass rate per criterion, hallucination, toxicity; Hájek-weighted by inclusion "
        "probability), escalation recall and false-escalation rate (fairlearn), disparity "
        "ratios and differences against a reference group, chi-square/Fisher tests with "
        "Benjamini–Hochberg correction, and the four-fifths flag on the adverse side; groups "
        "under fairness.min_group_size are shown but never flagged. Findings that are flagged "
        "and significant are also written to quality_alerts as kind='bias' rows dated on the "
        "week's Sunday, so they are notified and prioritised like any other alert."
    ),
    metadata=table_metadata(COLUMNS, "fairness_audit"),
    code_version="1",
)
def fairness_audit(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    monday = day_of(context.partition_key)
    sunday = monday + dt.timedelta(days=WEEK_DAYS - 1)
    settings = evalflow.settings()
    wh = evalflow.warehouse()
    raw, sampled, judges = load_week(wh, monday, settings)
    result = compute_fairness_audit(monday, raw, sampled, judges, settings)
    write_audit(wh, monday, result.table)
    previous = read_previous_bias_alerts(wh, sunday)
    alerts = build_bias_alerts(result.table, previous, monday, settings)
    write_bias_alerts(wh, sunday, alerts)
    for note in result.diagnostics.get("skipped_attributes", []):
        context.log.warning(f"fairness attribute skipped: {note}")
    context.log.info(
        "fairness_audit %s: %d rows, %d tests, %d flagged and significant, %d bias alert rows",
        monday,
        len(result.table),
        result.diagnostics.get("tests", 0),
        result.diagnostics.get("flagged_significant", 0),
        len(alerts),
    )
    return dg.MaterializeResult(metadata=audit_metadata(result.table, alerts, result.diagnostics))


def audit_metadata(
    table: pd.DataFrame, alerts: pd.DataFrame, diagnostics: dict[str, Any]
) -> dict[str, Any]:
    """Counts, the flagged rows and the bias alerts, as the Dagster UI shows them."""
    flagged = table[table["flagged"].astype(bool)] if len(table) else table
    meta: dict[str, Any] = {
        "dagster/row_count": len(table),
        "interactions": int(diagnostics.get("interactions", 0)),
        "attributes": ", ".join(diagnostics.get("attributes", [])) or "none",
        "tests": int(diagnostics.get("tests", 0)),
        "significant": int(diagnostics.get("significant", 0)),
        "flagged": int(diagnostics.get("flagged", 0)),
        "flagged_and_significant": int(diagnostics.get("flagged_significant", 0)),
        "bias_alert_rows": len(alerts),
        "open_bias_alerts": int((alerts["status"] == "open").sum()) if len(alerts) else 0,
    }
    for key in ("judge_ok_rows", "judge_rows_without_weight", "judge_rows_without_interaction"):
        if key in diagnostics:
            meta[key] = int(diagnostics[key])
    if "escalation_labelled_share" in diagnostics:
        meta["escalation_labelled_share"] = float(diagnostics["escalation_labelled_share"])
    for severity, count in alert_severities(alerts).items():
        meta[f"open_bias_{severity}"] = count
    if diagnostics.get("skipped_attributes"):
        meta["skipped_attributes"] = "; ".join(diagnostics["skipped_attributes"])
    meta["flagged_rows"] = md_preview(
        flagged[PREVIEW_COLUMNS] if len(flagged) else flagged, rows=50
    )
    meta["preview"] = md_preview(table[PREVIEW_COLUMNS] if len(table) else table)
    return meta
