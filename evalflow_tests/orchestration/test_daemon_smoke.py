"""The real daemon, no human: a file dropped into the landing folder is materialised,
and the alerts it raises reach a webhook exactly once."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from evalflow.config import Paths
from evalflow.orchestration.instance import ensure_dagster_home
from evalflow.storage import Warehouse
from evalflow_tests.notifications.receivers import WebhookReceiver
from evalflow_tests.orchestration.daemon import start_daemon, stop_daemon

DAY = dt.date(2026, 10, 7)


def _count(wh: Warehouse, sql: str, params: list[object]) -> int:
    try:
        return int(wh.query_df(sql, params).iloc[0, 0])
    except Exception:  # table not created yet
        return 0


@pytest.mark.slow
def test_daemon_materialises_dropped_file_and_alerts_once(home: Paths, tmp_path: Path) -> None:
    from evalflow.simulate import simulate

    staging = tmp_path / "incoming"
    simulate(start=DAY, days=1, per_day=300, seed=3, scenario="toxicity_burst", out_dir=staging)
    with WebhookReceiver() as hook:
        home.config_file.write_text(
            home.config_file.read_text().replace(
                "    - {type: log}\n", f"    - {{type: webhook, url: '{hook.url}'}}\n"
            ),
            encoding="utf-8",
        )
        env = dict(os.environ)
        env.update(
            EVALFLOW_HOME=str(home.home),
            DAGSTER_HOME=str(ensure_dagster_home(home)),
            EVALFLOW_LANDING_SENSOR_INTERVAL_S="5",
            EVALFLOW_ALERT_SENSOR_INTERVAL_S="5",
            EVALFLOW_CONFIG_SENSOR_INTERVAL_S="5",
        )
        daemon = start_daemon(env, output=subprocess.PIPE)
        try:
            time.sleep(3)
            # the drop: a day's log file appears in the landing folder
            target = home.landing / "app=copilot"
            target.mkdir(parents=True, exist_ok=True)
            for f in staging.rglob("*.jsonl*"):
                shutil.copy(f, target / f.name)
            wh = Warehouse(home.database)
            deadline = time.time() + 300
            raw = alerts = 0
            while time.time() < deadline:
                raw = _count(wh, "SELECT count(*) FROM raw_interactions WHERE day = ?", [DAY])
                alerts = _count(
                    wh,
                    "SELECT count(*) FROM alert_deliveries WHERE status = 'delivered' "
                    "AND alert_id NOT LIKE 'run_failure:%'",
                    [],
                )
                failures = _count(
                    wh,
                    "SELECT count(*) FROM alert_deliveries WHERE alert_id LIKE 'run_failure:%'",
                    [],
                )
                assert failures == 0, wh.query_df("SELECT * FROM alert_deliveries").to_string()
                if raw and alerts:
                    break
                time.sleep(3)
            assert raw > 0, "the landing file was never materialised"
            assert _count(wh, "SELECT count(*) FROM quality_alerts WHERE day = ?", [DAY]) > 0
            assert alerts > 0, "no alert reached the webhook"
            time.sleep(12)  # two more alert-sensor ticks: nothing may be sent twice
            keys = Counter((r["alert"]["alert_id"], r["alert"]["status"]) for r in hook.received)
            assert keys and max(keys.values()) == 1, keys
        finally:
            stop_daemon(daemon)
