"""The Dagster instance evalflow's CLI and UI share, kept under ``$EVALFLOW_HOME``.

``evalflow run`` and ``evalflow ui`` point ``DAGSTER_HOME`` at the same folder, so
runs started from the command line show up in the UI with their metadata.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

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


def ensure_dagster_home(paths: Paths) -> Path:
    """Create the instance folder and its ``dagster.yaml`` (kept if the operator edited it)."""
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def project_instance(paths: Paths) -> dg.DagsterInstance:
    """The persistent instance under the project home (sets ``DAGSTER_HOME`` for children)."""
    home = ensure_dagster_home(paths)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()
