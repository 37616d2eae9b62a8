from __future__ import annotations

import json

import dagster as dg

from evalflow.config import Paths, load_settings
from evalflow.definitions import defs
from evalflow.orchestration.fingerprints import fingerprints


def _sensor(name: str) -> dg.SensorDefinition:
    return next(s for s in defs.sensors if s.name == name)


def test_config_change_reruns_judges_and_downstream_only(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    for day in ("2026-10-05", "2026-10-06"):
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="judge_scores", partition=day)
        )
    before = fingerprints(load_settings(home.config_file))
    text = home.config_file.read_text().replace("model: gpt-4o-mini", "model: gpt-4.1-mini")
    home.config_file.write_text(text, encoding="utf-8")
    context = dg.build_sensor_context(
        instance=instance, cursor=json.dumps(before), repository_def=defs.get_repository_def()
    )
    result = _sensor("config_change_sensor")(context)
    requests = result.run_requests
    assert [r.partition_key for r in requests] == ["2026-10-05", "2026-10-06"]
    selected = {k.to_user_string() for k in requests[0].asset_selection}
    assert {"judge_scores", "segment_kpis", "quality_alerts", "daily_report"} <= selected
    assert "raw_interactions" not in selected and "interaction_signals" not in selected
    assert "fairness_audit" not in selected  # weekly assets rerun at their own grain
    # a second look at the unchanged file asks for nothing
    again = _sensor("config_change_sensor")(
        dg.build_sensor_context(
            instance=instance, cursor=result.cursor, repository_def=defs.get_repository_def()
        )
    )
    assert not again.run_requests


def test_landing_sensor_requests_each_day_once(home: Paths, instance: dg.DagsterInstance) -> None:
    import datetime as dt

    from evalflow.simulate import simulate

    simulate(
        start=dt.date(2026, 10, 5),
        days=2,
        per_day=50,
        seed=1,
        scenario="quiet",
        out_dir=home.landing,
    )
    sensor = _sensor("landing_files_sensor")
    first = sensor(
        dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    )
    days = sorted({r.partition_key for r in first.run_requests})
    assert days[:2] == ["2026-10-05", "2026-10-06"]
    keys = {r.partition_key: r.run_key for r in first.run_requests}
    # unchanged folder: the same run keys (Dagster never launches a run key twice)
    second = sensor(
        dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    )
    assert {r.partition_key: r.run_key for r in second.run_requests} == keys
    # late data for the first day changes that day's key only
    late = home.landing / "late" / "extra.jsonl"
    late.parent.mkdir(parents=True)
    late.write_text(
        json.dumps(
            {
                "interaction_id": "late-1",
                "timestamp": "2026-10-05T12:00:00+00:00",
                "query": "q",
                "response": "r",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    third = sensor(
        dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    )
    changed = {
        r.partition_key for r in third.run_requests if keys.get(r.partition_key) != r.run_key
    }
    assert changed == {"2026-10-05"}
