"""Which notification went to which channel, and how each attempt ended.

The ledger makes delivery exactly-once per channel in the normal case: a
notification key (alert id + when it opened + status) that is marked delivered is
never sent again; a failed one is retried until ``max_attempts``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from evalflow.config.settings import AlertSettings
from evalflow.notifications.channels import channel_name, deliver, wants
from evalflow.storage import Warehouse

LEDGER = "alert_deliveries"
LEDGER_SCHEMA = {
    "notification_key": "VARCHAR",
    "channel": "VARCHAR",
    "alert_id": "VARCHAR",
    "severity": "VARCHAR",
    "status": "VARCHAR",
    "attempts": "INTEGER",
    "last_error": "VARCHAR",
    "updated_at": "TIMESTAMP",
}


def notification_key(note: dict[str, Any]) -> str:
    return f"{note['alert_id']}:{note.get('first_seen')}:{note.get('status', 'open')}"


def _ledger(wh: Warehouse) -> pd.DataFrame:
    if not wh.table_exists(LEDGER):
        return pd.DataFrame(columns=list(LEDGER_SCHEMA))
    return wh.query_df(f"SELECT * FROM {LEDGER}")


def deliver_all(
    wh: Warehouse, home: Path, notes: Iterable[dict[str, Any]], settings: AlertSettings
) -> dict[str, int]:
    """Send every note to every channel that wants it and has not had it yet."""
    ledger = _ledger(wh)
    done = {(r.notification_key, r.channel): r for r in ledger.itertuples()}
    counts = {"delivered": 0, "failed": 0, "skipped": 0}
    for note in notes:
        key = notification_key(note)
        for channel in settings.channels:
            name = channel_name(channel)
            previous = done.get((key, name))
            if not wants(channel, note["severity"]):
                continue
            if previous is not None and (
                previous.status == "delivered"
                or previous.attempts >= settings.max_delivery_attempts
            ):
                counts["skipped"] += 1
                continue
            attempts = (int(previous.attempts) if previous is not None else 0) + 1
            try:
                deliver(channel, note, home)
                status, error = "delivered", None
                counts["delivered"] += 1
            except Exception as exc:  # any channel failure is recorded and retried later
                status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
                counts["failed"] += 1
            _record(wh, key, name, note, status, attempts, error)
    return counts


def _record(
    wh: Warehouse,
    key: str,
    channel: str,
    note: dict[str, Any],
    status: str,
    attempts: int,
    error: str | None,
) -> None:
    row = pd.DataFrame(
        [
            {
                "notification_key": key,
                "channel": channel,
                "alert_id": note["alert_id"],
                "severity": note["severity"],
                "status": status,
                "attempts": attempts,
                "last_error": error,
                "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            }
        ]
    )
    with wh.connect() as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS alert_deliveries ("
            + ", ".join(f"{c} {t}" for c, t in LEDGER_SCHEMA.items())
            + ")"
        )
        con.execute(
            "DELETE FROM alert_deliveries WHERE notification_key = ? AND channel = ?",
            [key, channel],
        )
        con.register("_row", row)
        con.execute("INSERT INTO alert_deliveries BY NAME SELECT * FROM _row")
        con.unregister("_row")
