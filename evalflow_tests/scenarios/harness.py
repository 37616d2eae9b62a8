"""Run a simulated scenario through the real Dagster assets, once per test module.

Each scenario test module asks for one ``ScenarioRun``: the simulator writes the
landing files and the ground truth, then every day is materialised in order through
Dagster (the project's own asset definitions and resources, in process), restricted
to the assets the module's tests read. Asset checks are left out: they are tested
by their own stage and would triple the run time. Tests then read the warehouse
read-only and compare it with ``_truth`` — incidents' days and segments always come
from the truth file, never from constants in the tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from evalflow.simulate import read_incidents, read_interaction_truth, simulate

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "data" / "evalflow.yaml"
START = dt.date(2026, 9, 7)
"""A Monday, so weekly windows line up with the simulated period."""

INGEST = ["raw_interactions", "quarantined_records"]
"""One multi-asset: both keys are selected together."""
KPIS = [*INGEST, "interaction_signals", "sampled_interactions", "judge_scores", "segment_kpis"]
ALERTS = [*KPIS, "judge_calibration", "quality_alerts"]
ROLLOUT = [*KPIS, "rollout_decisions"]
PRIORITIES = [*ALERTS, "failure_clusters", "issue_priorities"]
REGRESSION = [*PRIORITIES, "regression_cases"]

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@contextmanager
def _environment(home: Path) -> Iterator[None]:
    """``EVALFLOW_HOME`` for the run (the resource reads it) and no live judge settings."""
    saved = {
        k: os.environ.get(k)
        for k in (
            "EVALFLOW_HOME",
            "EVALFLOW_JUDGE",
            "EVALFLOW_JUDGE_MODEL",
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
        )
    }
    os.environ["EVALFLOW_HOME"] = str(home)
    for key in saved:
        if key != "EVALFLOW_HOME":
            os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class ScenarioRun:
    """A materialised scenario: where it lives and how to look at it."""

    home: Path
    scenario: str
    start: dt.date
    days: int
    per_day: int
    assets: tuple[str, ...]
    seconds: float = 0.0
    incidents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def database(self) -> Path:
        return self.home / "evalflow.duckdb"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)

    @property
    def all_days(self) -> list[dt.date]:
        return [self.day(i) for i in range(self.days)]

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """A read-only query; DATE columns come back as ``datetime.date``."""
        con = duckdb.connect(str(self.database), read_only=True)
        try:
            frame = con.execute(sql, list(params)).df()
        finally:
            con.close()
        for col in ("day", "first_seen", "last_seen", "week_start"):
            if col in frame.columns and len(frame):
                frame[col] = pd.to_datetime(frame[col]).dt.date
        return frame

    def incidents_of(self, kind: str) -> list[dict[str, Any]]:
        found = [i for i in self.incidents if i["kind"] == kind]
        assert found, f"the {self.scenario} truth has no {kind} incident"
        return found

    def truth(self, days: list[dt.date] | None = None) -> pd.DataFrame:
        return read_interaction_truth(self.landing, days)

    def materialise(self, days: Sequence[dt.date], assets: Sequence[str] | None = None) -> None:
        """Materialise ``days`` in order (a rerun when they were done before)."""
        from evalflow.definitions import defs

        selection = dg.AssetSelection.assets(*(assets or self.assets)).without_checks()
        with (
            _environment(self.home),
            dg.instance_for_test(temp_dir=str(self.home / "dagster_home")) as instance,
        ):
            for day in days:
                result = dg.materialize(
                    list(defs.assets or []),
                    selection=selection,
                    partition_key=day.isoformat(),
                    instance=instance,
                    resources=dict(defs.resources or {}),
                    run_config=QUIET_LOGS,
                    raise_on_error=False,
                )
                failed = [
                    e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"
                ]
                assert result.success, f"{self.scenario} {day}: failed steps {failed}"


def run_scenario(
    root: Path,
    scenario: str,
    days: int,
    per_day: int,
    assets: Sequence[str],
    seed: int = 11,
    config: dict[str, Any] | None = None,
    start: dt.date = START,
    style: str = "support",
    settings: dict[str, Any] | None = None,
) -> ScenarioRun:
    """Simulate ``scenario`` into a fresh home under ``root`` and materialise every day.

    ``config`` overrides top-level sections of the default configuration (merged
    one level deep), for scenarios that need it; the default is the committed file.
    ``settings`` replaces the whole configuration (for a traffic style with other segments).
    """
    import time

    import yaml

    home = root / f"{style}-{scenario}"
    if home.exists():
        shutil.rmtree(home)
    (home / "dagster_home").mkdir(parents=True)
    if settings is None:
        settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for section, values in (config or {}).items():
        settings[section] = {**settings.get(section, {}), **values}
    (home / "evalflow.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    began = time.perf_counter()
    simulate(start, days, per_day, seed, scenario, out_dir=home / "landing", style=style)
    run = ScenarioRun(
        home,
        scenario,
        start,
        days,
        per_day,
        tuple(assets),
        incidents=read_incidents(home / "landing").to_dict("records"),
    )
    run.materialise(run.all_days)
    run.seconds = time.perf_counter() - began
    (home / "run.json").write_text(
        json.dumps({"scenario": scenario, "days": days, "per_day": per_day, "seconds": run.seconds})
    )
    return run


def to_date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()
