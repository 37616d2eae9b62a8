"""Dagster wiring for ``rollout_decisions`` (daily) and ``model_comparison`` (weekly)."""

import datetime as dt
import json
from collections.abc import Sequence

import dagster as dg
import pandas as pd

from evalflow.kpis.metrics import COLUMNS as KPI_COLUMNS
from evalflow.orchestration.metadata import duckdb_types, md_escape, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of, week_days, weekly_partitions
from evalflow.resources import EvalflowResource
from evalflow.rollout import comparison, daily
from evalflow.rollout.clustering import read_clustered_se
from evalflow.storage.warehouse import Warehouse


def _arm_counts(wh: Warehouse, start: dt.date, end: dt.date) -> pd.DataFrame:
    if not wh.table_exists("raw_interactions"):
        return pd.DataFrame(columns=["rollout_arm", "model_version", "traffic_share", "n"])
    return wh.query_df(daily.versions_sql(), [start, end])


def _kpis(wh: Warehouse, start: dt.date, end: dt.date, keys: Sequence[str]) -> pd.DataFrame:
    """segment_kpis rows of some cells over a day range (small: a few hundred per day)."""
    if not wh.table_exists("segment_kpis"):
        return pd.DataFrame(columns=list(KPI_COLUMNS))
    df = wh.read_range("segment_kpis", start, end)
    return df[df["segment_key"].isin(list(keys))]


@dg.asset(
    name="rollout_decisions",
    partitions_def=daily_partitions,
    group_name="kpis",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=["segment_kpis", "raw_interactions"],
    pool="duckdb",
    description=(
        "The phased-rollout gate: on each day with treatment traffic, compares the treatment "
        "arm with the control arm at that day's traffic share against the criteria declared in "
        "settings.rollout (minimum samples, composite KPI non-inferiority and rollback margins, "
        "toxicity and hallucination guardrails, analyst-override rise), pooling the evidence "
        "over the phase to date while still acting on the day's own signs of harm, and records GO / HOLD / "
        "ROLLBACK with human-readable reasons and the next phase on GO, so a bad model is "
        "stopped before it reaches all traffic."
    ),
    metadata=table_metadata(daily.COLUMNS, "rollout_decisions"),
    code_version="2",
)
def rollout_decisions(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    settings = evalflow.settings()
    ro = settings.rollout
    wh = evalflow.warehouse()
    counts = _arm_counts(wh, day, day)
    kpis_day = _kpis(wh, day, day, ["rollout_arm"])
    history = history_versions = daily_counts = None
    if not counts.empty:
        # Earlier days: the phase-to-date pool and, at full rollout, the control's history.
        start, before = day - dt.timedelta(days=daily.LOOKBACK_DAYS), day - dt.timedelta(days=1)
        history = _kpis(wh, start, before, ["rollout_arm"])
        daily_counts = (
            wh.query_df(daily.daily_versions_sql(), [start, before])
            if wh.table_exists("raw_interactions")
            else None
        )
        if daily.needed_history(counts, ro.control_arm, ro.treatment_arm):
            history_versions = _arm_counts(wh, start, before)
    metrics = sorted({t.metric for t in settings.kpis.composite} | {"override_rate"})

    def clustered(days: list[dt.date], arms: list[str]) -> dict[str, dict[str, float]]:
        return read_clustered_se(wh, days, arms, metrics)

    out = daily.rollout_decision_for_day(
        day, kpis_day, counts, settings, history, history_versions, daily_counts, clustered
    )
    wh.replace_partition("rollout_decisions", out, day, schema=duckdb_types(daily.COLUMNS))
    meta: dict[str, object] = {"dagster/row_count": len(out)}
    if len(out):
        row = out.iloc[0]
        meta["decision"] = str(row["decision"])
        meta["traffic_share"] = float(row["traffic_share"])
        meta["reasons"] = dg.MetadataValue.md(
            "\n".join(f"- {md_escape(str(r))}" for r in json.loads(row["reasons"]))
        )
        meta["preview"] = md_preview(out.drop(columns=["details_json", "reasons"]))
    else:
        meta["decision"] = "none (no treatment traffic)"
    return dg.MaterializeResult(metadata=meta)


def _percentile_fetcher(wh: Warehouse) -> comparison.PercentileFetch:
    def fetch(version: str, days: Sequence[dt.date]) -> pd.DataFrame:
        if not days:
            return pd.DataFrame(columns=["latency_ms", "outcome_resolution_minutes"])
        marks = ", ".join("?" for _ in days)
        return wh.query_df(
            "SELECT latency_ms, outcome_resolution_minutes FROM raw_interactions "
            f"WHERE day IN ({marks}) AND model_version = ?",
            [*days, version],
        )

    return fetch


@dg.asset(
    name="model_comparison",
    partitions_def=weekly_partitions,
    group_name="kpis",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=["segment_kpis", "rollout_decisions", "raw_interactions"],
    pool="duckdb",
    description=(
        "Weekly baseline (control model) vs new model (treatment) comparison over the week's "
        "seven daily partitions: every KPI pooled per model with its difference, 95% CI and "
        "relative change, exact weekly latency/resolution percentiles, the weekly composite KPI, "
        "and one recommendation for the week (expand / pause / rollback) from the daily gate "
        "decisions and the weekly composite — the view product owners use to sign off a phase."
    ),
    metadata=table_metadata(comparison.COLUMNS, "model_comparison"),
    code_version="1",
)
def model_comparison(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    days = week_days(context.partition_key)
    start, end = days[0], days[-1]
    settings = evalflow.settings()
    wh = evalflow.warehouse()
    counts = _arm_counts(wh, start, end)
    kpis_week = _kpis(wh, start, end, ["model_version"])
    decisions = (
        wh.read_range("rollout_decisions", start, end)
        if wh.table_exists("rollout_decisions")
        else daily.empty_decisions()
    )
    hist_start = start - dt.timedelta(days=daily.LOOKBACK_DAYS)
    hist_end = start - dt.timedelta(days=1)
    kpis_history = counts_history = None
    if not counts.empty and (counts["rollout_arm"] == settings.rollout.control_arm).sum() == 0:
        kpis_history = _kpis(wh, hist_start, hist_end, ["model_version"])
        counts_history = _arm_counts(wh, hist_start, hist_end)
    out = comparison.build_model_comparison(
        start,
        kpis_week,
        counts,
        decisions,
        settings,
        kpis_history,
        counts_history,
        _percentile_fetcher(wh) if wh.table_exists("raw_interactions") else None,
    )
    wh.replace_partition(
        "model_comparison",
        out,
        start,
        partition_col="week_start",
        schema=duckdb_types(comparison.COLUMNS),
    )
    meta: dict[str, object] = {"dagster/row_count": len(out)}
    if len(out):
        meta["recommendation"] = str(out["recommendation"].iloc[0])
        meta["baseline_version"] = str(out["baseline_version"].iloc[0])
        meta["new_version"] = str(out["new_version"].iloc[0])
        meta["preview"] = md_preview(
            out[
                [
                    "metric",
                    "baseline_value",
                    "new_value",
                    "diff",
                    "diff_ci_low",
                    "diff_ci_high",
                    "significant",
                ]
            ],
            rows=60,
        )
    return dg.MaterializeResult(metadata=meta)
