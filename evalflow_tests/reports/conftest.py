"""Fixtures for the report tests: a seeded warehouse and a headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalflow.config import Paths
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures
from evalflow_tests.reports.browser import Browser, ensure_chromium


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Chromium; installed with apt-get on first use when missing (needs root)."""
    why_not = ensure_chromium()
    if why_not:
        pytest.skip(f"headless browser tests need /usr/bin/chromium: {why_not}")
    yield Browser(profile=tmp_path_factory.mktemp("chromium-profile"))


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded warehouse file shared by the read-only tests (seeding takes a second)."""
    path = tmp_path_factory.mktemp("reports-wh") / "evalflow.duckdb"
    fixtures.seed_warehouse(Warehouse(path))
    return path


@pytest.fixture
def seeded_home(home: Paths, seeded_db: Path) -> Paths:
    """A project home whose warehouse holds every report input (a copy of ``seeded_db``)."""
    shutil.copyfile(seeded_db, home.database)
    return home
