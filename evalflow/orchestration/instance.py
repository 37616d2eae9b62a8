"""The Dagster instance evalflow's CLI and UI share, kept under ``$EVALFLOW_HOME``.

``evalflow run`` and ``evalflow ui`` point ``DAGSTER_HOME`` at the same folder, so
runs started from the command line show up in the UI with their metadata.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import yaml

from evalflow.config import Paths

# One writer at a time on DuckDB: every writing asset is in the "duckdb" pool and the
# pool's limit is 1, so concurrent runs queue their steps instead of failing on the
# file lock (the Warehouse's own file lock is the second line of defence).
DAGSTER_YAML = """\
# Written by evalflow. Runs from `evalflow run`, the UI and the daemon share this instance.
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 4
telemetry:
  enabled: false
"""

# Sections evalflow needs in every instance; an existing dagster.yaml that lacks one
# (written by an older evalflow, or by hand) gets it appended, and keeps the rest.
# A killed run (kill -9, OOM) would otherwise stay STARTED and hold its pool slot
# forever: the launcher checks the run's process, run monitoring fails dead runs and
# frees the slots of ended runs (see evalflow/orchestration/dead_runs.py).
REQUIRED_SECTIONS = {
    "run_launcher": """\
run_launcher:
  module: evalflow.orchestration.dead_runs
  class: LocalRunLauncher
""",
    "run_monitoring": """\
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
  start_timeout_seconds: 300
  max_resume_run_attempts: 0
  free_slots_after_run_end_seconds: 30
""",
}


def ensure_dagster_home(paths: Paths) -> Path:
    """Create the instance folder and its ``dagster.yaml`` (kept if the operator edited it)."""
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    _add_missing_sections(config)
    return home


def _add_missing_sections(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    try:
        present = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return  # Dagster reports the broken file itself, with its line number
    if not isinstance(present, dict):
        return
    missing = [block for key, block in REQUIRED_SECTIONS.items() if key not in present]
    if missing:
        sep = "" if text.endswith("\n") or not text else "\n"
        config.write_text(text + sep + "".join(missing), encoding="utf-8")


def project_instance(paths: Paths) -> dg.DagsterInstance:
    """The persistent instance under the project home (sets ``DAGSTER_HOME`` for children)."""
    home = ensure_dagster_home(paths)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()
