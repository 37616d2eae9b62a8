"""Every file evalflow reads or writes lives under one folder, ``$EVALFLOW_HOME``.

Keeping them in one place means a test can point the whole project at a temporary
folder, and an operator can back up or wipe one directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "./data"


def evalflow_home() -> Path:
    """The project home: ``$EVALFLOW_HOME`` or ``./data``, made absolute."""
    return Path(os.environ.get("EVALFLOW_HOME") or DEFAULT_HOME).expanduser().resolve()


@dataclass(frozen=True)
class Paths:
    """Named locations under the home folder (the spec fixes most of them)."""

    home: Path

    @classmethod
    def from_env(cls) -> Paths:
        return cls(evalflow_home())

    @property
    def config_file(self) -> Path:
        return self.home / "evalflow.yaml"

    @property
    def database(self) -> Path:
        return self.home / "evalflow.duckdb"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def staging(self) -> Path:
        """Parsed landing files, one Parquet pair per file content hash."""
        return self.home / "staging"

    @property
    def labels(self) -> Path:
        return self.home / "labels"

    @property
    def review(self) -> Path:
        return self.home / "review"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def regression(self) -> Path:
        return self.home / "regression"

    @property
    def alerts_outbox(self) -> Path:
        return self.home / "alerts"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"
