"""The Dagster code location: every stage's assets and checks, jobs, schedules, sensors."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

import dagster as dg

from evalflow.orchestration.jobs import build_jobs
from evalflow.orchestration.schedules import build_schedules
from evalflow.orchestration.sensors import (
    alert_delivery_sensor,
    build_config_change_sensor,
    build_landing_sensor,
    run_failure_notification_sensor,
)
from evalflow.resources import EvalflowResource

# Pipeline stages in the order data flows through them; each is a folder of
# plain modules plus an ``assets.py`` with the thin Dagster wiring.
STAGES = [
    "ingest",
    "signals",
    "sampling",
    "judges",
    "calibration",
    "kpis",
    "rollout",
    "alerts",
    "fairness",
    "discovery",
    "priorities",
    "regression",
    "reports",
]


def _stage_modules() -> list[ModuleType]:
    modules = []
    for stage in STAGES:
        name = f"evalflow.{stage}.assets"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            modules.append(importlib.import_module(name))
    return modules


def build_definitions() -> dg.Definitions:
    modules = _stage_modules()
    assets = dg.load_assets_from_modules(modules)
    checks = dg.load_asset_checks_from_modules(modules)
    resources: dict[str, object] = {"evalflow": EvalflowResource()}
    for module in modules:
        resources.update(getattr(module, "RESOURCES", {}))
    jobs = build_jobs([a for a in assets if isinstance(a, dg.AssetsDefinition)])
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=jobs,
        schedules=build_schedules(),
        sensors=[
            alert_delivery_sensor,
            run_failure_notification_sensor,
            build_config_change_sensor(jobs),
            build_landing_sensor(jobs[0]),
        ],
        resources=resources,
    )


defs = build_definitions()
