"""The shared plotly.js works when a published report is opened from disk (file://)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalflow.reports import render
from evalflow.reports.loading import load_daily_context
from evalflow.reports.publish import ensure_plotly_asset, publish
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx
from evalflow_tests.reports.browser import Browser, DomScan
from evalflow_tests.reports.test_index import GENERATED, RUN_ID

pytestmark = pytest.mark.slow


def test_daily_report_draws_charts_with_the_shared_script(
    browser: Browser, seeded_db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    report = render.daily_report(
        load_daily_context(Warehouse(seeded_db), fx.DAY), plotly_src=ensure_plotly_asset(folder)
    )
    out = publish(report, folder, Warehouse(tmp_path / "out.duckdb"), GENERATED, RUN_ID)
    n_figures = out.path.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert n_figures >= 5
    dom, log = browser.dump_dom(out.path)
    scan = DomScan.of(dom)
    plots = [a for t, a in scan.elements if "js-plotly-plot" in (a.get("class") or "").split()]
    assert len(plots) == n_figures, "plotly.js loaded from ../assets/ drew every chart"
    assert scan.has_class("svg", "main-svg")
    assert "Refused to" not in log and "Uncaught" not in log
    assert scan.has("a", **{"class": "index", "href": "../index.html"})

    index_dom, index_log = browser.dump_dom(folder / "index.html")
    index_scan = DomScan.of(index_dom)
    assert index_scan.has("a", href=f"daily/{fx.DAY}.html")
    assert "Refused to" not in index_log
