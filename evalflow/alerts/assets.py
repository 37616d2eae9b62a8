"""Dagster wiring of the ``quality_alerts`` asset; the logic lives in the plain modules."""

from typing import Any

import dagster as dg
import pandas as pd

from evalflow.alerts.common import COLUMNS, KINDS, SEVERITIES
from evalflow.alerts.pipeline import build_alerts, load_alert_inputs
from evalflow.orchestration.metadata import duckdb_types, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource

OPEN_TABLE_COLUMNS = [
    "severity",
    "kind",
    "metric",
    "segment_key",
    "segment_value",
    "observed",
    "expected",
    "consecutive_days",
    "first_seen",
    "evidence",
]


@dg.asset(
    name="quality_alerts",
    partitions_def=daily_partitions,
    group_name="alerts",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=[
        "segment_kpis",
        "raw_interactions",
        "interaction_signals",
        "judge_scores",
        "judge_calibration",
    ],
    pool="duckdb",
    description=(
        "The day's quality alerts: threshold breaches (any toxicity or PII, hallucination "
        "above its limit, relevance below its floor, error-rate spikes, SLA misses), KPI drift "
        "against the trailing 7/28-day baselines (z-tests and EWMA under one Benjamini–Hochberg "
        "FDR family, with a minimum effect), input drift (segment mix PSI/chi-square, KS on "
        "lengths and latency) and freshness (empty day, volume drop). A breach seen in many "
        "segment cells is attributed to the cells where it concentrates (the others are "
        "folded into its evidence), so one incident is one or two alerts. Each condition has a "
        "stable alert_id, so a problem lasting several days is one alert that ages and then "
        "resolves, and the notification sensor sends it once. Bias rows (kind='bias') are "
        "written by fairness_audit and left untouched here."
    ),
    metadata=table_metadata(COLUMNS, "quality_alerts"),
    code_version="2",
)
def quality_alerts(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    settings = evalflow.settings()
    wh = evalflow.warehouse()
    inputs = load_alert_inputs(wh, day, settings)
    run = build_alerts(inputs, settings)
    out = run.alerts
    wh.replace_partition(
        "quality_alerts",
        out,
        day,
        schema=duckdb_types(COLUMNS),
        extra_where=("kind <> ?", ["bias"]),
    )
    opened = out[out["status"] == "open"]
    context.log.info(
        "quality_alerts %s: %d open, %d resolved, %d drift tests",
        day,
        len(opened),
        int((out["status"] == "resolved").sum()),
        run.n_tests,
    )
    return dg.MaterializeResult(metadata=alert_metadata(out, run.n_tests, run.evaluated))


def alert_metadata(out: pd.DataFrame, n_tests: int, evaluated: tuple[str, ...]) -> dict[str, Any]:
    """Counts by severity and kind, the open alerts as a (escaped) markdown table, a preview."""
    opened = out[out["status"] == "open"]
    meta: dict[str, Any] = {
        "dagster/row_count": len(out),
        "open_alerts": len(opened),
        "new_alerts": int((opened["consecutive_days"] == 1).sum()) if len(opened) else 0,
        "resolved_alerts": int((out["status"] == "resolved").sum()),
        "drift_tests": n_tests,
        "detectors_evaluated": ", ".join(evaluated),
    }
    for severity in SEVERITIES:
        meta[f"open_{severity}"] = int((opened["severity"] == severity).sum())
    for kind in KINDS:
        meta[f"open_{kind}"] = int((opened["kind"] == kind).sum())
    meta["open_alerts_table"] = md_preview(opened[OPEN_TABLE_COLUMNS], rows=50, max_chars=240)
    meta["preview"] = md_preview(out)
    return meta
