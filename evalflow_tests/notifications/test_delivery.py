from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pandas as pd

from evalflow.config import Paths
from evalflow.config.settings import AlertChannel, AlertSettings
from evalflow.notifications.ledger import deliver_all
from evalflow.notifications.pending import pending_alert_notes
from evalflow.orchestration.sensors import alert_delivery_sensor
from evalflow.storage import Warehouse
from evalflow_tests.notifications.receivers import SmtpReceiver, WebhookReceiver


def _alerts(days: list[dt.date], status: list[str], alert_id: str = "a1") -> pd.DataFrame:
    first = days[0]
    return pd.DataFrame(
        {
            "alert_id": alert_id,
            "day": days,
            "first_seen": first,
            "last_seen": days,
            "kind": "threshold",
            "severity": "critical",
            "metric": "toxicity_rate",
            "segment_key": "language",
            "segment_value": "es",
            "observed": 0.03,
            "expected": 0.0,
            "evidence": "<script>x</script> 3 toxic of 100",
            "consecutive_days": range(1, len(days) + 1),
            "status": status,
        }
    )


def _seed(wh: Warehouse, df: pd.DataFrame) -> None:
    for day, part in df.groupby("day"):
        wh.replace_partition("quality_alerts", part, day)


def test_each_alert_reaches_webhook_once_and_resolution_once(home: Paths) -> None:
    wh = Warehouse(home.database)
    days = [dt.date(2026, 10, 5) + dt.timedelta(days=i) for i in range(3)]
    _seed(wh, _alerts(days, ["open", "open", "resolved"]))
    with WebhookReceiver() as hook:
        settings = AlertSettings(channels=[AlertChannel(type="webhook", url=hook.url)])
        for _ in range(3):  # three sensor ticks
            deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        texts = [r["text"] for r in hook.received]
    assert len(texts) == 2, texts
    assert texts[0].startswith("[CRITICAL]") and "language=es" in texts[0]
    assert texts[1].startswith("[RESOLVED]")


def test_failed_delivery_is_retried_and_recorded(home: Paths) -> None:
    wh = Warehouse(home.database)
    _seed(wh, _alerts([dt.date(2026, 10, 5)], ["open"]))
    with WebhookReceiver() as hook:
        hook.fail_next = 1
        settings = AlertSettings(channels=[AlertChannel(type="webhook", url=hook.url)])
        first = deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        second = deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        third = deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        assert len(hook.received) == 1
    assert (first["failed"], second["delivered"], third["skipped"]) == (1, 1, 1)
    ledger = wh.query_df("SELECT status, attempts FROM alert_deliveries")
    assert ledger.to_dict("records") == [{"status": "delivered", "attempts": 2}]


def test_attempts_are_capped(home: Paths) -> None:
    wh = Warehouse(home.database)
    _seed(wh, _alerts([dt.date(2026, 10, 5)], ["open"]))
    with WebhookReceiver() as hook:
        hook.fail_next = 100
        settings = AlertSettings(
            channels=[AlertChannel(type="webhook", url=hook.url)], max_delivery_attempts=2
        )
        for _ in range(4):
            deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        assert hook.fail_next == 98  # only two attempts were made
    row = wh.query_df("SELECT status, attempts, last_error FROM alert_deliveries").iloc[0]
    assert row.status == "failed" and row.attempts == 2 and "503" in row.last_error


def test_email_and_file_channels(home: Paths) -> None:
    wh = Warehouse(home.database)
    _seed(wh, _alerts([dt.date(2026, 10, 5)], ["open"]))
    with SmtpReceiver() as smtp:
        settings = AlertSettings(
            channels=[
                AlertChannel(
                    type="email",
                    smtp_host="127.0.0.1",
                    smtp_port=smtp.port,
                    sender="evalflow@example.com",
                    recipients=["oncall@example.com"],
                ),
                AlertChannel(type="file", path="alerts/out.jsonl"),
                AlertChannel(type="log"),
            ]
        )
        deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        assert len(smtp.messages) == 1
        assert "toxicity_rate" in smtp.messages[0]
    lines = (home.home / "alerts" / "out.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["alert_id"] == "a1"


def test_min_severity_filters(home: Paths) -> None:
    wh = Warehouse(home.database)
    df = _alerts([dt.date(2026, 10, 5)], ["open"])
    df["severity"] = "low"
    _seed(wh, df)
    with WebhookReceiver() as hook:
        settings = AlertSettings(
            channels=[AlertChannel(type="webhook", url=hook.url, min_severity="high")]
        )
        deliver_all(wh, home.home, pending_alert_notes(wh), settings)
        assert hook.received == []


def test_old_alerts_are_not_sent_after_a_backfill(home: Paths) -> None:
    wh = Warehouse(home.database)
    _seed(wh, _alerts([dt.date(2026, 9, 1)], ["open"], alert_id="old"))
    _seed(wh, _alerts([dt.date(2026, 10, 5)], ["open"], alert_id="new"))
    assert [n["alert_id"] for n in pending_alert_notes(wh)] == ["new"]


def test_sensor_delivers_through_configured_channels(home: Paths) -> None:
    wh = Warehouse(home.database)
    _seed(wh, _alerts([dt.date(2026, 10, 5)], ["open"]))
    with WebhookReceiver() as hook:
        home.config_file.write_text(
            f"alerts:\n  channels:\n    - {{type: webhook, url: '{hook.url}'}}\n", encoding="utf-8"
        )
        for _ in range(2):
            result = alert_delivery_sensor(dg.build_sensor_context())
            assert isinstance(result, dg.SkipReason)
        assert len(hook.received) == 1


def test_run_failure_sensor_notifies(home: Paths, instance: dg.DagsterInstance) -> None:
    from evalflow.orchestration.sensors import run_failure_notification_sensor

    @dg.op
    def broken() -> None:
        raise RuntimeError("boom in step")

    @dg.job
    def failing_job() -> None:
        broken()

    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    home.config_file.write_text(
        "alerts:\n  channels:\n    - {type: file, path: alerts/failures.jsonl}\n", encoding="utf-8"
    )
    failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_notification_sensor",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=failure_event,
    ).for_run_failure()
    run_failure_notification_sensor(context)
    lines = (home.home / "alerts" / "failures.jsonl").read_text().splitlines()
    assert len(lines) == 1
    note = json.loads(lines[0])
    assert note["kind"] == "run_failure" and "failing_job" in note["evidence"]
