"""Sensors: deliver new alerts, report failed runs, pick up new logs and config changes."""

from __future__ import annotations

import hashlib
import json
import os

import dagster as dg

from evalflow.config import ConfigError, Paths, load_settings
from evalflow.notifications.ledger import deliver_all
from evalflow.notifications.pending import pending_alert_notes
from evalflow.orchestration.fingerprints import changed_assets, fingerprints
from evalflow.storage import Warehouse

# Seconds between sensor evaluations; the environment can shorten them (tests, demos).
LANDING_INTERVAL_S = int(os.environ.get("EVALFLOW_LANDING_SENSOR_INTERVAL_S", "30"))
ALERT_INTERVAL_S = int(os.environ.get("EVALFLOW_ALERT_SENSOR_INTERVAL_S", "60"))
CONFIG_INTERVAL_S = int(os.environ.get("EVALFLOW_CONFIG_SENSOR_INTERVAL_S", "60"))


@dg.sensor(
    name="alert_delivery_sensor",
    minimum_interval_seconds=ALERT_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends each new or resolved quality alert once to every configured channel; "
    "failed deliveries are retried on later ticks and recorded in alert_deliveries.",
)
def alert_delivery_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    paths = Paths.from_env()
    try:
        settings = load_settings(paths.config_file)
    except ConfigError as exc:
        return dg.SkipReason(f"configuration invalid, no alerts sent: {exc}")
    if not paths.database.exists():
        return dg.SkipReason("no warehouse yet")
    wh = Warehouse(paths.database)
    notes = pending_alert_notes(wh)
    counts = deliver_all(wh, paths.home, notes, settings.alerts)
    context.log.info(f"alert delivery: {counts}")
    return dg.SkipReason(
        f"{counts['delivered']} delivered, {counts['failed']} failed, "
        f"{counts['skipped']} already handled (this sensor launches no runs)"
    )


@dg.run_failure_sensor(
    name="run_failure_notification_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Tells the alert channels when any evalflow run fails.",
    monitor_all_code_locations=False,
)
def run_failure_notification_sensor(context: dg.RunFailureSensorContext) -> None:
    paths = Paths.from_env()
    try:
        settings = load_settings(paths.config_file)
    except ConfigError:
        from evalflow.config import Settings

        settings = Settings()
    run = context.dagster_run
    partition = run.tags.get("dagster/partition", "-")
    message = context.failure_event.message or "run failed"
    note = {
        "alert_id": f"run_failure:{run.run_id}",
        "first_seen": partition,
        "status": "open",
        "kind": "run_failure",
        "severity": "high",
        "metric": run.job_name,
        "day": partition,
        "evidence": f"job {run.job_name}, partition {partition}, run {run.run_id}: {message}"[
            :1000
        ],
    }
    deliver_all(Warehouse(paths.database), paths.home, [note], settings.alerts)


RERUN_WINDOW = 35
"""How many of the most recent materialised partitions a config change reruns."""


def build_config_change_sensor(jobs: list[dg.UnresolvedAssetJobDefinition]) -> dg.SensorDefinition:
    """A sensor that reruns what a config change invalidates, newest partitions first."""
    grain_jobs = {job.name: job for job in jobs}

    @dg.sensor(
        name="config_change_sensor",
        minimum_interval_seconds=CONFIG_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        jobs=list(grain_jobs.values()),
        description="Watches evalflow.yaml and the judge prompt files; a change of judges, "
        "sampling, KPI definitions, thresholds, rollout criteria or priorities reruns the first "
        f"affected asset and its same-grain downstream for the last {RERUN_WINDOW} materialised "
        "partitions.",
    )
    def config_change_sensor(
        context: dg.SensorEvaluationContext,
    ) -> dg.SensorResult | dg.SkipReason:
        paths = Paths.from_env()
        try:
            settings = load_settings(paths.config_file)
        except ConfigError as exc:
            return dg.SkipReason(f"configuration invalid, nothing rerun: {exc}")
        before = json.loads(context.cursor) if context.cursor else {}
        after = fingerprints(settings)
        changed = changed_assets(before, after)
        if not changed:
            return dg.SensorResult(skip_reason="configuration unchanged", cursor=json.dumps(after))
        requests = plan_config_reruns(context, changed, after)
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(after))

    return config_change_sensor


def plan_config_reruns(
    context: dg.SensorEvaluationContext, changed: list[str], prints: dict[str, str]
) -> list[dg.RunRequest]:
    """One run per affected partition, selecting the changed assets and their downstream."""
    from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB
    from evalflow.partitions import daily_partitions

    graph = context.repository_def.asset_graph
    per_partition: dict[tuple[str, str], set[dg.AssetKey]] = {}
    for name in changed:
        key = dg.AssetKey(name)
        if not graph.has(key):
            continue
        grain = graph.get(key).partitions_def
        job = DAILY_JOB if grain == daily_partitions else WEEKLY_JOB
        selection = {
            k
            for k in dg.AssetSelection.assets(key).downstream().resolve(graph)
            if graph.get(k).partitions_def == grain
        }
        done = sorted(context.instance.get_materialized_partitions(key))[-RERUN_WINDOW:]
        for partition in done:
            per_partition.setdefault((job, partition), set()).update(selection)
    stamp = hashlib.sha256(json.dumps(prints, sort_keys=True).encode()).hexdigest()[:12]
    return [
        dg.RunRequest(
            run_key=f"config:{stamp}:{job}:{partition}",
            job_name=job,
            partition_key=partition,
            asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
            tags={"evalflow/trigger": "config_change", "evalflow/changed": ",".join(changed)},
        )
        for (job, partition), keys in sorted(per_partition.items())
    ]


def build_landing_sensor(daily_job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_files_sensor",
        minimum_interval_seconds=LANDING_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        job=daily_job,
        description="Watches $EVALFLOW_HOME/landing: a new or changed log file requests the "
        "daily evaluation of every day its records fall on (late data reruns old days). "
        "Run keys come from the content hashes, so the same file never runs twice.",
    )
    def landing_files_sensor(
        context: dg.SensorEvaluationContext,
    ) -> dg.SensorResult | dg.SkipReason:
        from evalflow.orchestration.landing import landing_day_requests
        from evalflow.partitions import daily_partitions

        paths = Paths.from_env()
        try:
            settings = load_settings(paths.config_file)
        except ConfigError as exc:
            return dg.SkipReason(f"configuration invalid, not ingesting: {exc}")
        valid = set(daily_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
        requests, outside = [], []
        for req in landing_day_requests(paths, settings):
            key = req.day.isoformat()
            if key not in valid:
                outside.append(key)
                continue
            requests.append(
                dg.RunRequest(
                    run_key=req.run_key,
                    partition_key=key,
                    tags={
                        "evalflow/trigger": "landing",
                        "evalflow/files": ",".join(req.files)[:900],
                    },
                )
            )
        if outside:
            context.log.warning(
                f"records on {len(outside)} day(s) outside the partition range were not run: "
                f"{', '.join(sorted(outside)[:5])} (set EVALFLOW_PARTITIONS_START to backfill older data)"
            )
        if not requests:
            return dg.SkipReason("no landing files")
        return dg.SensorResult(run_requests=requests)

    return landing_files_sensor
