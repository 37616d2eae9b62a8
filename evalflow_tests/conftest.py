"""Shared fixtures: every test gets its own ``EVALFLOW_HOME`` and Dagster instance."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from evalflow.config import Paths

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "data" / "evalflow.yaml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A fresh project home with the committed default configuration."""
    root = tmp_path / "home"
    root.mkdir()
    if DEFAULT_CONFIG.exists():
        shutil.copy(DEFAULT_CONFIG, root / "evalflow.yaml")
    monkeypatch.setenv("EVALFLOW_HOME", str(root))
    monkeypatch.delenv("EVALFLOW_JUDGE", raising=False)
    monkeypatch.delenv("EVALFLOW_JUDGE_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return Paths(root)


@pytest.fixture
def instance(home: Paths) -> Iterator[dg.DagsterInstance]:
    """An ephemeral-but-persistent Dagster instance under the test's home."""
    folder = home.home / "dagster_home"
    folder.mkdir(parents=True, exist_ok=True)
    with dg.instance_for_test(temp_dir=str(folder)) as inst:
        yield inst
