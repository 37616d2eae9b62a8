"""Dagster wiring for ``issue_priorities``."""

import dagster as dg

from evalflow.orchestration.metadata import md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.priorities.build import build_issue_priorities, write_issue_priorities
from evalflow.priorities.scoring import PRIORITY_COLUMNS
from evalflow.resources import EvalflowResource


@dg.asset(
    name="issue_priorities",
    partitions_def=daily_partitions,
    group_name="improvement",
    kinds={"duckdb", "pandas"},
    owners=["team:ml-quality"],
    deps=[
        "failure_clusters",
        "quality_alerts",
        "raw_interactions",
        "interaction_signals",
        "judge_scores",
    ],
    pool="duckdb",
    description=(
        "Data-driven improvement prioritisation. Every issue of the day - failure themes, "
        "open KPI/threshold/drift alerts and fairness gaps from the latest weekly audit - is "
        "scored as Priority = Frequency x User impact x Severity x Business weight / Effort, "
        "ranked, put in a roadmap category (quick win, strategic, research, maintenance) and "
        "given a suggested improvement (prompt optimisation, capability gap, knowledge update, "
        "fine-tuning data, safety filter) with example interactions. Issues that affect the "
        "same interactions (a theme and the alert it causes, the judged and signalled "
        "toxicity of the same answers) are merged into one. Sources that do not exist yet "
        "are skipped."
    ),
    metadata=table_metadata(PRIORITY_COLUMNS, "issue_priorities"),
    code_version="2",
)
def issue_priorities(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    wh = evalflow.warehouse()
    table = build_issue_priorities(wh, day, evalflow.settings())
    write_issue_priorities(wh, day, table)
    by_source = table["source"].value_counts().to_dict() if len(table) else {}
    by_category = table["category"].value_counts().to_dict() if len(table) else {}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "issues_by_source": dg.MetadataValue.json({k: int(v) for k, v in by_source.items()}),
            "issues_by_category": dg.MetadataValue.json(
                {k: int(v) for k, v in by_category.items()}
            ),
            "top_issue": table["title"].iloc[0] if len(table) else "none",
            "preview": md_preview(
                table[
                    [
                        "rank",
                        "title",
                        "priority",
                        "frequency",
                        "user_impact",
                        "severity",
                        "business_weight",
                        "effort",
                        "category",
                        "suggested_improvement",
                    ]
                ]
                if len(table)
                else table
            ),
        }
    )
