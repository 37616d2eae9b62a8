"""Dagster wiring for emerging-issue discovery: ``failure_clusters`` and ``usage_intents``."""

import json

import dagster as dg
from threadpoolctl import threadpool_limits

from evalflow.discovery.build import (
    build_failure_clusters,
    build_usage_intents,
    write_failure_clusters,
    write_usage_intents,
)
from evalflow.discovery.clusters import CLUSTER_COLUMNS
from evalflow.discovery.intents import INTENT_COLUMNS
from evalflow.orchestration.metadata import md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource


def single_threaded_math() -> threadpool_limits:
    """BLAS/OpenMP on one thread: the matrices here are small, and on a busy 2-core box
    thread contention made KMeans three times slower than a single thread."""
    return threadpool_limits(limits=1)


@dg.asset(
    name="failure_clusters",
    partitions_def=daily_partitions,
    group_name="improvement",
    kinds={"duckdb", "scikitlearn"},
    owners=["team:ml-quality"],
    deps=["raw_interactions", "interaction_signals", "judge_scores"],
    pool="duckdb",
    description=(
        "Emerging-issue discovery. The day's failing and flagged interactions (judge "
        "failures, thumbs-down, analyst overrides, toxicity/PII/refusal flags, retries, "
        "errors) are embedded from their query and comment text (hashed TF-IDF + SVD) and "
        "clustered with KMeans (k by silhouette). Each theme is labelled with the terms "
        "over-represented versus the whole day's traffic, matched to the previous two "
        "weeks' themes so its id is stable, and marked new/emerging/growing/stable/"
        "shrinking. An isolation forest on per-interaction signals adds one anomaly row. "
        "Members go to the side table failure_cluster_members."
    ),
    metadata=table_metadata(CLUSTER_COLUMNS, "failure_clusters"),
    code_version="1",
)
def failure_clusters(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    wh = evalflow.warehouse()
    with single_threaded_math():
        result = build_failure_clusters(wh, day, evalflow.settings())
    write_failure_clusters(wh, day, result)
    c = result.clusters
    themes = c[~c["is_anomaly_cluster"].astype(bool)] if len(c) else c
    status_counts = themes["status"].value_counts().to_dict() if len(themes) else {}
    anomalies = int(c.loc[c["is_anomaly_cluster"].astype(bool), "size"].sum()) if len(c) else 0
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(c),
            "themes": len(themes),
            "new_or_emerging": int(status_counts.get("new", 0) + status_counts.get("emerging", 0)),
            "status_counts": dg.MetadataValue.json({k: int(v) for k, v in status_counts.items()}),
            "clustered_interactions": int(themes["size"].sum()) if len(themes) else 0,
            "anomalies": anomalies,
            "preview": md_preview(
                c[
                    [
                        "cluster_id",
                        "label",
                        "size",
                        "users_affected",
                        "status",
                        "first_seen",
                        "severity",
                        "is_anomaly_cluster",
                    ]
                ]
                if len(c)
                else c
            ),
        }
    )


@dg.asset(
    name="usage_intents",
    partitions_def=daily_partitions,
    group_name="improvement",
    kinds={"duckdb", "scikitlearn"},
    owners=["team:ml-quality"],
    deps=["raw_interactions", "interaction_signals"],
    pool="duckdb",
    description=(
        "Usage analytics. Every query of the day is assigned to an intent (clusters of the "
        "day's queries, fitted on a bounded sample and applied to all); per intent, overall "
        "and per queue, the volume, reach, success rate (resolved and not rated down) and "
        "drop-off (unresolved after a retry or without feedback) show which needs are "
        "common and which are badly served. Intent ids are stable across days."
    ),
    metadata=table_metadata(INTENT_COLUMNS, "usage_intents"),
    code_version="1",
)
def usage_intents(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    wh = evalflow.warehouse()
    with single_threaded_math():
        table = build_usage_intents(wh, day, evalflow.settings())
    write_usage_intents(wh, day, table)
    overall = table[table["segment_key"] == "overall"] if len(table) else table
    worst = (
        overall.dropna(subset=["success_rate"])
        .sort_values(["success_rate", "volume"], ascending=[True, False])
        .head(3)
        if len(overall)
        else overall
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "intents": len(overall),
            "new_intents": int((overall["status"] == "new").sum()) if len(overall) else 0,
            "least_successful": dg.MetadataValue.json(
                json.loads(worst[["label", "volume", "success_rate"]].to_json(orient="records"))
                if len(worst)
                else []
            ),
            "preview": md_preview(
                overall[
                    [
                        "intent_id",
                        "label",
                        "volume",
                        "share",
                        "success_rate",
                        "dropoff_rate",
                        "status",
                    ]
                ]
                if len(overall)
                else overall
            ),
        }
    )
