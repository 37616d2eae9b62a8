"""Dagster wiring for ``segment_kpis`` (logic lives in ``evalflow.kpis.metrics``)."""

import warnings

import dagster as dg
import pandas as pd

from evalflow.kpis.composite import CompositePlan, plan_composite, validate_terms
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
    description=(
        "Per day, for overall, every configured segment value, each model_version and each "
        "rollout_arm: census KPIs on all traffic (feedback, outcomes such as analyst overrides, "
        "escalation precision and SLA hit-rate, latency and resolution percentiles, cost, online "
        "signal rates) and judge-based quality (pass rates, hallucination, toxicity, relevance) "
        "estimated from the judged sample with Hájek weights 1/inclusion_prob, each with a 95% "
        "confidence interval and a low_count flag. 'uncertain' verdicts are unmeasured "
        "(n_uncertain); hallucination and toxicity rates are corrected for the judge's measured "
        "error when judge_calibration has it (judge_correction). The composite KPI uses only "
        "the configured terms measured on the traffic (note; the composite_terms_measured check "
        "warns when one is dropped). "
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
    plan = result.composite
    if plan is not None and plan.summary():
        context.log.warning(f"segment_kpis {day}: composite {plan.summary()}")
    return dg.MaterializeResult(metadata=kpi_metadata(result))


with warnings.catch_warnings():
    # Partitioned asset checks are a preview feature; they let the check validate
    # exactly the partition its run materialised (as the ingest checks do).
    warnings.simplefilter("ignore", category=dg.PreviewWarning)

    @dg.asset_check(
        asset="segment_kpis",
        name=TERMS_CHECK,
        partitions_def=daily_partitions,
        description=(
            "Every configured composite term is measured on this day's traffic. A term with "
            "no data on any row (e.g. logs without an `outcome` block) is dropped from the "
            "composite and the weights renormalised; this check warns and names it."
        ),
    )
    def composite_terms_measured(
        context: dg.AssetCheckExecutionContext, evalflow: EvalflowResource
    ) -> dg.AssetCheckResult:
        day = day_of(context.partition_key)
        terms = evalflow.settings().kpis.composite
        stored = read_columns(evalflow.warehouse(), "segment_kpis", day, ["metric", "value", "n"])
        volume = stored.loc[stored["metric"] == "volume", "value"]
        interactions = (
            int(pd.to_numeric(volume, errors="coerce").fillna(0).max()) if len(volume) else 0
        )
        return composite_check(plan_composite(stored, terms), interactions)
