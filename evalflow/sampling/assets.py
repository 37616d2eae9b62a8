"""Dagster wiring for ``sampled_interactions`` (logic lives in ``evalflow.sampling.design``)."""

import dagster as dg
import pandas as pd

from evalflow.config.settings import segment_column
from evalflow.orchestration.metadata import duckdb_types, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource
from evalflow.sampling.design import OUTPUT_COLUMNS, Plan, day_seed, draw_sample, empty_sample
from evalflow.storage import Warehouse
from evalflow.storage.warehouse import ident


def read_raw_for_sampling(wh: Warehouse, day: object, strata: list[str]) -> pd.DataFrame:
    """Segments, the analyst-override outcome and text lengths of the day's rows."""
    if not wh.table_exists("raw_interactions"):
        return pd.DataFrame(columns=["interaction_id"])
    have = set(
        wh.query_df(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            ["raw_interactions"],
        )["column_name"]
    )
    seg_cols = [segment_column(k) for k in strata if segment_column(k) in have]
    optional = [c for c in ("outcome_analyst_override",) if c in have]
    select = ", ".join(
        ["interaction_id"]
        + [ident(c) for c in seg_cols + optional]
        + [
            "length(query) AS query_chars",
            "length(response) AS response_chars",
            "coalesce(length(array_to_string(context, ' ')), 0) AS context_chars",
        ]
    )
    return wh.query_df(f"SELECT {select} FROM raw_interactions WHERE day = ?", [day])


@dg.asset(
    name="sampled_interactions",
    partitions_def=daily_partitions,
    group_name="online_signals",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=["interaction_signals", "raw_interactions"],
    pool="duckdb",
    description=(
        "The rows the LLM judges will score today: every must-review row (toxic, PII, "
        "analyst overrides, thumbs-down with a comment, errors) up to a share of the "
        "budget, a stratified random sample over the configured segments and a "
        "risk-weighted sample, all within the daily row and dollar budgets. Each row "
        "keeps its exact inclusion probability so KPIs estimated from judged rows are "
        "unbiased (Horvitz–Thompson), and the reason it was picked."
    ),
    metadata=table_metadata(OUTPUT_COLUMNS, "sampled_interactions"),
    code_version="1",
)
def sampled_interactions(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    wh = evalflow.warehouse()
    settings = evalflow.settings()
    signals = wh.read_partition("interaction_signals", day)
    raw = read_raw_for_sampling(wh, day, list(settings.sampling.strata))
    seed = day_seed(settings.sampling.seed, day)
    out = (
        draw_sample(signals, raw, settings.sampling, seed, settings.judges)
        if len(signals)
        else empty_sample()
    )
    plan: Plan | None = out.attrs.get("plan")
    out["day"] = day
    out = out[list(OUTPUT_COLUMNS)]
    wh.replace_partition("sampled_interactions", out, day, schema=duckdb_types(OUTPUT_COLUMNS))
    by_reason = out["reason"].value_counts().sort_index()
    reasons_md = "\n".join(
        ["| reason | rows |", "| --- | --- |"]
        + [f"| {r} | {int(c)} |" for r, c in by_reason.items()]
    )
    used_usd = float(out["est_judge_cost_usd"].sum())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(out),
            "population_rows": len(signals),
            "rows_by_reason": dg.MetadataValue.md(reasons_md if len(out) else "_no rows_"),
            "budget_rows": settings.sampling.daily_budget_rows,
            "budget_rows_used": len(out),
            "budget_usd": settings.sampling.daily_budget_usd,
            "budget_usd_used": round(used_usd, 6),
            "planned_rows": plan.planned_rows if plan else 0,
            "planned_worst_case_usd": round(plan.worst_case_usd, 6) if plan else 0.0,
            "seed": seed,
            "preview": md_preview(out.sort_values(["reason", "inclusion_prob"])),
        }
    )
