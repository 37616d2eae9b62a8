"""Two jobs, one per time grain: the daily evaluation and the weekly audit.

Jobs are built from whatever assets the stages define, split by partitioning, so
a new daily asset joins the daily job without touching this file. Steps run in the
run's own process: the stages are sequential anyway (one DuckDB writer), and one
process per step would spend more time importing than computing.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from evalflow.partitions import daily_partitions, weekly_partitions

DAILY_JOB = "daily_evaluation"
WEEKLY_JOB = "weekly_audit"


def _keys_with(
    assets: Sequence[dg.AssetsDefinition], partitions: dg.PartitionsDefinition
) -> list[dg.AssetKey]:
    keys: list[dg.AssetKey] = []
    for asset in assets:
        if asset.partitions_def == partitions:
            keys.extend(asset.keys)
    return keys


def build_jobs(assets: Sequence[dg.AssetsDefinition]) -> list[dg.UnresolvedAssetJobDefinition]:
    daily_keys = _keys_with(assets, daily_partitions)
    weekly_keys = _keys_with(assets, weekly_partitions)
    jobs = [
        dg.define_asset_job(
            DAILY_JOB,
            selection=dg.AssetSelection.assets(*daily_keys),
            description="Every daily asset for one day: ingest, signals, sampling, judges, "
            "KPIs, gates, alerts, discovery, priorities, regression cases, daily report.",
            tags={"evalflow/grain": "daily"},
            executor_def=dg.in_process_executor,
        )
    ]
    if weekly_keys:
        jobs.append(
            dg.define_asset_job(
                WEEKLY_JOB,
                selection=dg.AssetSelection.assets(*weekly_keys),
                description="The weekly audits of one Monday-to-Sunday week: fairness, "
                "baseline-vs-new-model comparison, weekly report.",
                tags={"evalflow/grain": "weekly"},
                executor_def=dg.in_process_executor,
            )
        )
    return jobs
