"""A shared plotly.js per report folder, the reports index and the previous/next pager."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml

from evalflow.config import Paths
from evalflow.reports import index, render
from evalflow.reports.assets import daily_report
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.reports.publish import ensure_plotly_asset, publish
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx

GENERATED = dt.datetime(2026, 10, 6, 6, 0)
RUN_ID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def shared_reports(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The seeded day and week published with the shared plotly.js (the default)."""
    folder = tmp_path_factory.mktemp("shared") / "reports"
    src = ensure_plotly_asset(folder)
    wh = Warehouse(seeded_db.parent / "shared-out.duckdb")
    daily = render.daily_report(load_daily_context(Warehouse(seeded_db), fx.DAY), plotly_src=src)
    weekly = render.weekly_report(
        load_weekly_context(Warehouse(seeded_db), fx.WEEK), plotly_src=src
    )
    outs = {r.kind: publish(r, folder, wh, GENERATED, RUN_ID) for r in (daily, weekly)}
    return folder, outs


def test_shared_plotly_keeps_reports_small(shared_reports: tuple[Path, dict]) -> None:
    folder, outs = shared_reports
    asset = folder / "assets" / render.plotly_asset_name()
    assert asset.stat().st_size > 3_000_000, "the whole bundle is copied once"
    for out in outs.values():
        html = out.path.read_text(encoding="utf-8")
        assert out.size_bytes < 500_000, f"{out.path.name}: {out.size_bytes:,} bytes"
        assert f'src="../assets/{render.plotly_asset_name()}"' in html
        assert (out.path.parent / ".." / "assets" / render.plotly_asset_name()).resolve() == asset
        assert "script-src &#39;self&#39; &#39;sha256-" in html  # escaped in the meta tag


def test_plotly_asset_is_written_once(tmp_path: Path) -> None:
    ensure_plotly_asset(tmp_path)
    asset = tmp_path / "assets" / render.plotly_asset_name()
    before = asset.stat().st_mtime_ns
    assert ensure_plotly_asset(tmp_path) == f"../assets/{asset.name}"
    assert asset.stat().st_mtime_ns == before
    asset.write_text("truncated")  # a damaged copy is replaced
    ensure_plotly_asset(tmp_path)
    assert asset.stat().st_size > 3_000_000


def _set_self_contained(home: Paths, value: bool) -> None:
    cfg = yaml.safe_load(home.config_file.read_text())
    cfg["reports"]["self_contained"] = value
    home.config_file.write_text(yaml.safe_dump(cfg))


@pytest.mark.parametrize("self_contained", [True, False])
def test_self_contained_setting(
    seeded_home: Paths, instance: dg.DagsterInstance, self_contained: bool
) -> None:
    _set_self_contained(seeded_home, self_contained)
    res = {"evalflow": EvalflowResource()}
    done = dg.materialize(
        [daily_report], partition_key=fx.DAY.isoformat(), resources=res, instance=instance
    )
    assert done.success
    html = (seeded_home.reports / "daily" / f"{fx.DAY}.html").read_text(encoding="utf-8")
    asset = seeded_home.reports / "assets" / render.plotly_asset_name()
    if self_contained:
        assert len(html) > 4_000_000 and '<script type="text/javascript" src=' not in html
        assert not asset.exists()
    else:
        assert len(html) < 500_000 and asset.exists()
    run_id = done.run_id
    page = index.run_url(run_id)
    assert page == f"http://127.0.0.1:3000/runs/{run_id}"
    assert f'href="{page}"' in html
    assert f'href="{page}"' in (seeded_home.reports / "index.html").read_text()


def _links(path: Path) -> dict[str, str]:
    html = path.read_text(encoding="utf-8")
    nav = html[html.index(render.NAV_START) : html.index(render.NAV_END)]
    return dict(re.findall(r'class="(prev|next|index|run)" href="([^"]*)"', nav))


def test_index_and_pager_after_out_of_order_publishes(
    seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(index.DAGSTER_URL_ENV, "https://dagster.example.com/")
    folder, wh = tmp_path / "reports", Warehouse(tmp_path / "out.duckdb")
    base = render.daily_report(load_daily_context(Warehouse(seeded_db), fx.DAY))
    days = [fx.DAY, fx.DAY - dt.timedelta(days=2), fx.DAY - dt.timedelta(days=1)]
    for i, day in enumerate(days):  # the middle day is backfilled last
        publish(dataclasses.replace(base, key=day), folder, wh, GENERATED, f"run-{i}")
    weekly = render.weekly_report(load_weekly_context(Warehouse(seeded_db), fx.WEEK))
    publish(weekly, folder, wh, GENERATED, None)

    first, middle, last = sorted(days)
    daily_dir = folder / "daily"
    assert _links(daily_dir / f"{first}.html") == {
        "next": f"{middle}.html",
        "index": "../index.html",
        "run": "https://dagster.example.com/runs/run-1",
    }
    assert _links(daily_dir / f"{middle}.html")["prev"] == f"{first}.html"
    assert _links(daily_dir / f"{middle}.html")["next"] == f"{last}.html"
    assert _links(daily_dir / f"{last}.html")["prev"] == f"{middle}.html"
    assert "next" not in _links(daily_dir / f"{last}.html")
    assert "run" not in _links(folder / "weekly" / f"{fx.WEEK}.html")  # unknown run: no link

    rows = wh.query_df("SELECT day, size_bytes FROM daily_report")
    for day, size in zip(rows["day"], rows["size_bytes"], strict=True):
        assert size == (daily_dir / f"{day.date()}.html").stat().st_size  # neighbours updated

    page = (folder / "index.html").read_text(encoding="utf-8")
    for day in days:
        assert f'href="daily/{day}.html"' in page
    assert f'href="weekly/{fx.WEEK}.html"' in page
    assert page.count('<tr data-kind="daily"') == 3 and page.count('<tr data-kind="weekly"') == 1
    kpi = index.headline_kpi(index.list_reports(wh, "daily")[0])
    assert kpi.startswith("composite ") and "%" in kpi and kpi in page
    assert "action needed: 2 critical/high alert(s), rollout HOLD" in page  # seeded day
    assert "action needed: model pause" in page  # the seeded week recommends a pause


def test_hostile_headline_and_run_id_are_escaped(
    seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, wh = tmp_path / "reports", Warehouse(tmp_path / "out.duckdb")
    base = render.daily_report(load_daily_context(Warehouse(seeded_db), fx.DAY))
    hostile = dataclasses.replace(base, headline={**base.headline, "top_issue": fx.PAYLOAD})
    publish(hostile, folder, wh, GENERATED, '"><script>x()</script>')
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert fx.PAYLOAD not in page and "<img" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "x()" not in page, "a run id that is not an id gets no link"
    assert "script-src" not in index.INDEX_CSP  # the index runs no script at all
    monkeypatch.setenv(index.DAGSTER_URL_ENV, "javascript:alert(1)")
    assert index.run_url(RUN_ID) is None


def test_status_of_an_empty_day_is_no_data() -> None:
    empty = index.Entry("daily", fx.DAY, {"open_alerts": 0, "composite_kpi": None}, None)
    assert index.status(empty) == ("no data", "none")
    assert index.headline_kpi(empty) == "composite —"
    bad = index.Entry("daily", fx.DAY, {"critical_or_high_alerts": 1, "open_alerts": 1}, None)
    assert index.status(bad)[1] == "bad"
