"""Materialise replayed public data through the real Dagster assets, like a scenario."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from evalflow_tests.replay.logs import Replay
from evalflow_tests.scenarios.harness import DEFAULT_CONFIG, ScenarioRun


def replay_config(segments: Sequence[str], **sections: dict[str, Any]) -> dict[str, Any]:
    """The committed defaults with this traffic's own segment keys and no invented attributes."""
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings["segments"] = list(segments)
    settings["audit_attributes"] = [segments[0]]
    settings["fairness"]["reference_groups"] = {}
    settings["fairness"]["intersections"] = []
    settings["sampling"]["strata"] = [segments[0]]
    settings["priorities"]["business_weights"] = {}
    settings["discovery"]["intent_segments"] = [segments[0]]
    for section, values in sections.items():
        settings[section] = {**settings.get(section, {}), **values}
    return settings


def run_replay(
    root: Path, name: str, replay: Replay, settings: dict[str, Any], assets: Sequence[str]
) -> ScenarioRun:
    home = root / name
    if home.exists():
        shutil.rmtree(home)
    (home / "dagster_home").mkdir(parents=True)
    (home / "evalflow.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    replay.write(home / "landing", name)
    began = time.perf_counter()
    run = ScenarioRun(home, name, replay.start, replay.days, len(replay.records), tuple(assets))
    run.materialise(run.all_days)
    run.seconds = time.perf_counter() - began
    return run
