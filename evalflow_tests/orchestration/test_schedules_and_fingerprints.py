from __future__ import annotations

import datetime as dt

from evalflow.config.settings import parse_settings
from evalflow.orchestration.fingerprints import changed_assets, fingerprints
from evalflow.orchestration.schedules import daily_partition_for, weekly_partition_for


def test_daily_schedule_targets_yesterday() -> None:
    assert daily_partition_for(dt.datetime(2026, 11, 1, 6, 0)) == "2026-10-31"


def test_weekly_schedule_targets_last_whole_week() -> None:
    # Monday 2026-11-02 07:00 -> the week of Monday 2026-10-26 .. Sunday 2026-11-01
    assert weekly_partition_for(dt.datetime(2026, 11, 2, 7, 0)) == "2026-10-26"


def test_judge_model_change_invalidates_judge_scores_only() -> None:
    before = fingerprints(parse_settings({}))
    after = fingerprints(parse_settings({"judges": {"model": "other-model"}}))
    assert changed_assets(before, after) == ["judge_scores"]


def test_kpi_definition_change_invalidates_segment_kpis() -> None:
    before = fingerprints(parse_settings({}))
    after = fingerprints(
        parse_settings({"kpis": {"composite": [{"metric": "sla_hit_rate", "weight": 1.0}]}})
    )
    assert changed_assets(before, after) == ["segment_kpis"]


def test_first_look_reruns_nothing() -> None:
    assert changed_assets({}, fingerprints(parse_settings({}))) == []


def test_prompt_file_change_invalidates_judges(tmp_path) -> None:
    (tmp_path / "faithfulness.v1.md").write_text("judge faithfully")
    before = fingerprints(parse_settings({}), prompts_dir=tmp_path)
    (tmp_path / "faithfulness.v1.md").write_text("judge faithfully, strictly")
    after = fingerprints(parse_settings({}), prompts_dir=tmp_path)
    assert changed_assets(before, after) == ["judge_scores"]
