"""Alert notifications leave the warehouse: no corpus PII in any channel's payload."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from evalflow.config import Paths
from evalflow.config.settings import AlertChannel, AlertSettings
from evalflow.notifications.ledger import deliver_all
from evalflow.notifications.pending import pending_alert_notes
from evalflow.storage import Warehouse
from evalflow_tests.notifications.receivers import WebhookReceiver
from evalflow_tests.pii_corpus import ALL_TEXT, leaked


def test_webhook_and_file_payloads_are_redacted(home: Paths) -> None:
    wh = Warehouse(home.database)
    day = dt.date(2026, 10, 5)
    alert = {
        "alert_id": "a-pii",
        "day": day,
        "first_seen": day,
        "last_seen": day,
        "kind": "threshold",
        "severity": "critical",
        "metric": "pii_rate",
        "segment_key": "overall",
        "segment_value": "overall",
        "observed": 0.2,
        "expected": 0.0,
        "evidence": f"examples: {ALL_TEXT}",
        "consecutive_days": 1,
        "status": "open",
    }
    wh.replace_partition("quality_alerts", pd.DataFrame([alert]), day)
    with WebhookReceiver() as hook:
        channels = [
            AlertChannel(type="webhook", url=hook.url),
            AlertChannel(type="file", path="alerts.jsonl"),
        ]
        deliver_all(wh, home.home, pending_alert_notes(wh), AlertSettings(channels=channels))
        received = [str(r) for r in hook.received]
    assert received and not leaked("\n".join(received)), leaked("\n".join(received))
    written = (home.home / "alerts.jsonl").read_text(encoding="utf-8")
    assert "[EMAIL]" in written and not leaked(written), leaked(written)
