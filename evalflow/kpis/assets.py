"""Dagster wiring for ``segment_kpis`` (logic lives in ``evalflow.kpis.metrics``)."""

import dagster as dg

from evalflow.kpis.composite import validate_terms
from evalflow.kpis.io import read_columns
from evalflow.kpis.metrics import (
    COLUMNS,
    JUDGE_COLUMNS,
    SAMPLE_COLUMNS,
    SIGNAL_COLUMNS,
    compute_segment_kpis,
    raw_columns,
)
from evalflow.orchestration.metadata import duckdb_types, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource


@dg.asset(
    name="segment_kpis",
    partitions_def=daily_partitions,
    group_name="kpis",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=["raw_interactions", "interaction_signals", "sampled_interactions", "judge_scores"],
    pool="duckdb",
    description=(
        "Per day, for overall, every configured segment value, each model_version and each "
        "rollout_arm: census KPIs on all traffic (feedback, outcomes such as analyst overrides, "
        "escalation precision and SLA hit-rate, latency and resolution percentiles, cost, online "
        "signal rates) and judge-based quality (pass rates, hallucination, toxicity, relevance) "
        "estimated from the judged sample with Hájek weights 1/inclusion_prob, each with a 95% "
        "confidence interval and a low_count flag, plus the weighted composite KPI that rollout "
        "gates and alerts read. Long format: one row per (cell, metric)."
    ),
    metadata=table_metadata(COLUMNS, "segment_kpis"),
    code_version="1",
)
def segment_kpis(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    settings = evalflow.settings()
    validate_terms(settings.kpis.composite)
    wh = evalflow.warehouse()
    raw = read_columns(wh, "raw_interactions", day, raw_columns(settings.segments))
    signals = read_columns(wh, "interaction_signals", day, SIGNAL_COLUMNS)
    sampled = read_columns(wh, "sampled_interactions", day, SAMPLE_COLUMNS)
    judges = read_columns(wh, "judge_scores", day, JUDGE_COLUMNS)
    criteria = [*settings.judges.criteria, *(r.name for r in settings.judges.custom_rubrics)]
    result = compute_segment_kpis(
        raw,
        signals,
        sampled,
        judges,
        segments=settings.segments,
        criteria=criteria,
        kpi=settings.kpis,
        day=day,
    )
    out = result.frame
    wh.replace_partition("segment_kpis", out, day, schema=duckdb_types(COLUMNS))
    overall = out[out["segment_key"] == "overall"]
    comp = overall.loc[overall["metric"] == "composite_kpi", "value"]
    composite_value = float(comp.iloc[0]) if len(comp) and comp.notna().iloc[0] else None
    meta: dict[str, object] = {
        "dagster/row_count": len(out),
        "cells": int(out[["segment_key", "segment_value"]].drop_duplicates().shape[0]),
        "low_count_rows": int(out["low_count"].sum()) if len(out) else 0,
        "preview": md_preview(
            overall[["metric", "value", "ci_low", "ci_high", "n", "estimator"]], rows=50
        ),
        **{k: int(v) for k, v in result.diagnostics.items()},
    }
    if composite_value is not None:
        meta["composite_kpi_overall"] = dg.MetadataValue.float(composite_value)
    return dg.MaterializeResult(metadata=meta)
