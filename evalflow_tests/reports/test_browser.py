"""Open the reports in headless Chromium, as a reader would (offline, file://).

Checks: the page paints (a screenshot with many colours), plotly drew every chart,
hostile log text shows as text and never runs. A probe added to a copy of the
page records ``window.__pwned`` after load; negative controls render without
escaping to prove these checks fail when escaping is gone, and show the content
security policy still blocks execution on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evalflow.reports import render
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx
from evalflow_tests.reports.browser import Browser, DomScan, add_probe, colour_stats, decode_png

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pages")
    wh = Warehouse(seeded_db)
    daily_ctx = load_daily_context(wh, fx.DAY)
    weekly_ctx = load_weekly_context(wh, fx.WEEK)
    html = {
        "daily": render.render_daily(daily_ctx),
        "weekly": render.render_weekly(weekly_ctx),
        "unescaped_no_csp": render.render_daily(
            daily_ctx, env=render.make_environment(autoescape=False), csp=False
        ),
        "unescaped_with_csp": render.render_daily(
            daily_ctx, env=render.make_environment(autoescape=False)
        ),
    }
    paths: dict[str, Path] = {}
    for name, text in html.items():
        (out / f"{name}.html").write_text(text, encoding="utf-8")
        (out / f"{name}.probe.html").write_text(add_probe(text), encoding="utf-8")
        paths[name] = out / f"{name}.html"
        paths[f"{name}.probe"] = out / f"{name}.probe.html"
    return paths


@pytest.fixture(scope="module")
def dumps(browser: Browser, pages: dict[str, Path]) -> Callable[[str], tuple[str, str]]:
    """DOM dump of a page, once per page (each Chromium start costs seconds)."""
    cache: dict[str, tuple[str, str]] = {}

    def get(name: str) -> tuple[str, str]:
        if name not in cache:
            cache[name] = browser.dump_dom(pages[name])
        return cache[name]

    return get


def _injected(scan: DomScan) -> list[str]:
    """Elements that only exist if log text was parsed as markup."""
    found = []
    if scan.has("b", id="injected-marker"):
        found.append("b#injected-marker")
    found += [
        f"<img onerror={a['onerror']}>" for t, a in scan.elements if t == "img" and "onerror" in a
    ]
    found += [f"<script>{s}" for s in scan.script_texts if s.strip() == "window.__pwned=1"]
    return found


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_screenshot_is_not_blank(
    browser: Browser, pages: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    png = browser.screenshot(pages[kind], tmp_path / f"{kind}.png", size="1280,2000")
    img = decode_png(png)
    assert (img.width, img.height) == (1280, 2000)
    colours, ink = colour_stats(img)
    assert colours >= 100, f"only {colours} distinct colours: the page looks blank"
    assert ink >= 0.05, f"only {ink:.1%} of the page is not white"


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_dom_after_scripts(
    dumps: Callable[[str], tuple[str, str]], pages: dict[str, Path], kind: str
) -> None:
    dom, log = dumps(f"{kind}.probe")
    scan = DomScan.of(dom)
    assert scan.has("html", **{"data-pwned": "undefined"}), "probe did not run or payload ran"
    assert _injected(scan) == []
    assert any(fx.PAYLOAD in t for t in scan.texts), "the payload is shown as text"
    n_figures = pages[kind].read_text().count('class="plotly-graph-div"')
    assert n_figures >= 5
    containers = sum(
        1 for t, a in scan.elements if "plot-container" in (a.get("class") or "").split()
    )
    assert containers == n_figures, "plotly drew every chart"
    assert scan.has_class("svg", "main-svg")
    assert "Content Security Policy" not in log and "Refused to" not in log
    assert "Uncaught" not in log, "no script error on the page"


def test_payload_in_chart_labels_is_displayed_literally(
    dumps: Callable[[str], tuple[str, str]],
) -> None:
    """plotly decodes our escaped labels into SVG text, never into elements."""
    dom, _ = dumps("daily.probe")
    scan = DomScan.of(dom)
    assert any(t.startswith("channel=<script>window.__pwned=1") for t in scan.texts)
    assert any(t.startswith("#1 Theme: refund double charge <script>") for t in scan.texts)


def test_negative_control_without_escaping_is_caught(
    dumps: Callable[[str], tuple[str, str]],
) -> None:
    dom, _ = dumps("unescaped_no_csp.probe")
    scan = DomScan.of(dom)
    pwned = next(a.get("data-pwned") for t, a in scan.elements if t == "html")
    assert pwned in ("1", "2"), "without escaping and CSP the payload runs"
    assert "b#injected-marker" in _injected(scan)


def test_csp_alone_still_blocks_execution(dumps: Callable[[str], tuple[str, str]]) -> None:
    """Defence in depth: unescaped markup is injected, but the CSP stops it running."""
    dom, log = dumps("unescaped_with_csp.probe")
    scan = DomScan.of(dom)
    assert scan.has("html", **{"data-pwned": "undefined"})
    assert _injected(scan), "the escaping check would still fail here"
    assert "Content Security Policy" in log
