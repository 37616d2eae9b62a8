"""Which alert rows still need a notification."""

from __future__ import annotations

from typing import Any

from evalflow.storage import Warehouse

# Backfilling months of history must not page anyone for alerts long closed: only
# alerts whose latest day is this close to the newest day in the table are sent.
RECENT_DAYS = 7


def pending_alert_notes(wh: Warehouse, recent_days: int = RECENT_DAYS) -> list[dict[str, Any]]:
    """The latest row of each (alert, opening, status), for recent days, oldest first."""
    if not wh.table_exists("quality_alerts"):
        return []
    df = wh.query_df(
        """
        WITH recent AS (
            SELECT * FROM quality_alerts
            WHERE day >= (SELECT max(day) FROM quality_alerts) - CAST(? AS INTEGER)
        )
        SELECT * FROM recent
        QUALIFY row_number() OVER (
            PARTITION BY alert_id, first_seen, status ORDER BY day DESC
        ) = 1
        ORDER BY day, alert_id
        """,
        [recent_days],
    )
    notes = []
    for rec in df.to_dict("records"):
        notes.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()})
    return notes
