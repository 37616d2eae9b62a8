"""Sensors: deliver new alerts, report failed runs, pick up new logs and config changes."""

from __future__ import annotations

import dagster as dg

from evalflow.config import ConfigError, Paths, load_settings
from evalflow.notifications.ledger import deliver_all
from evalflow.notifications.pending import pending_alert_notes
from evalflow.storage import Warehouse


@dg.sensor(
    name="alert_delivery_sensor",
    minimum_interval_seconds=60,
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
        "evidence": f"job {run.job_name}, partition {partition}, run {run.run_id}: {message}"[:1000],
    }
    deliver_all(Warehouse(paths.database), paths.home, [note], settings.alerts)
