"""Dagster resources: thin, configurable handles on the project home and its warehouse.

Assets ask these for paths, validated settings and a ``Warehouse``; all the logic
stays in plain modules so it can be tested without Dagster.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from evalflow.config import Paths, Settings, load_settings
from evalflow.storage import Warehouse


class EvalflowResource(dg.ConfigurableResource):
    """Where the project lives. ``home`` defaults to ``$EVALFLOW_HOME`` (or ``./data``)."""

    home: str = ""

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.home).resolve()) if self.home else Paths.from_env()

    def settings(self) -> Settings:
        return load_settings(self.paths.config_file)

    def warehouse(self) -> Warehouse:
        return Warehouse(self.paths.database)
