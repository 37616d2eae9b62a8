"""Dagster wiring for ``segment_kpis`` (logic lives in ``evalflow.kpis.metrics``)."""

import dagster as dg

from evalflow.kpis.composite import CompositePlan, validate_terms
from evalflow.kpis.io import read_columns, read_judge_calibration
from evalflow.kpis.judge_error import accuracies_from_table
from evalflow.kpis.metrics import (
    COLUMNS,
    JUDGE_COLUMNS,
    SAMPLE_COLUMNS,
    SIGNAL_COLUMNS,
    KpiResult,
    compute_segment_kpis,
    raw_columns,
)
from evalflow.orchestration.metadata import duckdb_types, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource

TERMS_CHECK = "composite_terms_measured"


def composite_check(plan: CompositePlan | None, interactions: int) -> dg.AssetCheckResult:
    """WARN when a configured composite term had to be dropped (or none was measured)."""
    if plan is None or interactions == 0:
        return dg.AssetCheckResult(
            check_name=TERMS_CHECK,
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"note": "no interactions on this day: nothing to measure"},
        )
    summary = plan.summary()
    return dg.AssetCheckResult(
        check_name=TERMS_CHECK,
        passed=plan.measured and not plan.dropped,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary or "every configured composite term is measured on this traffic",
        metadata={
            "dropped_terms": ", ".join(plan.dropped) or "none",
            "used_terms": ", ".join(f"{t.metric}={t.weight:.3f}" for t in plan.used) or "none",
            "configured_terms": ", ".join(f"{t.metric}={t.weight:g}" for t in plan.configured),
        },
    )


def kpi_metadata(result: KpiResult) -> dict[str, object]:
    """Asset metadata: counts, the overall preview, composite plan and judge corrections."""
    out = result.frame
    overall = out[out["segment_key"] == "overall"]
    comp = overall.loc[overall["metric"] == "composite_kpi", "value"]
    meta: dict[str, object] = {
        "dagster/row_count": len(out),
        "cells": int(out[["segment_key", "segment_value"]].drop_duplicates().shape[0]),
        "low_count_rows": int(out["low_count"].sum()) if len(out) else 0,
        "preview": md_preview(
            overall[
                [
                    "metric",
                    "value",
                    "ci_low",
                    "ci_high",
                    "n",
                    "n_uncertain",
                    "estimator",
                    "judge_correction",
                ]
            ],
            rows=50,
        ),
        **{k: int(v) for k, v in result.diagnostics.items()},
    }
    if len(comp) and comp.notna().iloc[0]:
        meta["composite_kpi_overall"] = dg.MetadataValue.float(float(comp.iloc[0]))
    plan = result.composite
    if plan is not None:
        meta["composite_terms_used"] = (
            ", ".join(f"{t.metric}={t.weight:.3f}" for t in plan.used) or "none"
        )
        meta["composite_terms_dropped"] = ", ".join(plan.dropped) or "none"
        if plan.summary():
            meta["composite_note"] = plan.summary()
    for metric, how in result.corrections.items():
        meta[f"judge_error:{metric}"] = how
    return meta


@dg.asset(
    name="segment_kpis",
    partitions_def=daily_partitions,
    group_name="kpis",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=[
        "raw_interactions",
        "interaction_signals",
        "sampled_interactions",
        "judge_scores",
        "judge_calibration",
    ],
    pool="duckdb",
    check_specs=[
        dg.AssetCheckSpec(
            TERMS_CHECK,
            asset="segment_kpis",
            description=(
                "Every configured composite term is measured on this day's traffic; a term "
                "with no data on any row is dropped (weights renormalised) and named here."
            ),
        )
    ],
    description=(
        "Per day, for overall, every configured segment value, each model_version and each "
        "rollout_arm: census KPIs on all traffic (feedback, outcomes such as analyst overrides, "
        "escalation precision and SLA hit-rate, latency and resolution percentiles, cost, online "
        "signal rates) and judge-based quality (pass rates, hallucination, toxicity, relevance) "
        "estimated from the judged sample with Hájek weights 1/inclusion_prob, each with a 95% "
        "confidence interval and a low_count flag. 'uncertain' verdicts are unmeasured "
        "(n_uncertain); hallucination and toxicity rates are corrected for the judge's measured "
        "error when judge_calibration has it (judge_correction). The composite KPI uses only "
        "the configured terms measured on the traffic (note, composite_terms_measured check). "
        "Long format: one row per (cell, metric)."
    ),
    metadata=table_metadata(COLUMNS, "segment_kpis"),
    code_version="2",
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
    accuracies = accuracies_from_table(read_judge_calibration(wh, day))
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
        accuracies=accuracies,
    )
    wh.replace_partition("segment_kpis", result.frame, day, schema=duckdb_types(COLUMNS))
    check = composite_check(result.composite, len(raw))
    if not check.passed:
        context.log.warning(f"segment_kpis {day}: composite {check.description}")
    return dg.MaterializeResult(metadata=kpi_metadata(result), check_results=[check])
