"""The HTML itself: escaping, one inlined plotly.js, no external URLs, a strict CSP."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from evalflow.reports import figures, render
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.reports.model import plot_text
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx
from evalflow_tests.reports.browser import DomScan

BREAKOUT = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def pages(seeded_db: Path) -> dict[str, str]:
    wh = Warehouse(seeded_db)
    return {
        "daily": render.render_daily(load_daily_context(wh, fx.DAY)),
        "weekly": render.render_weekly(load_weekly_context(wh, fx.WEEK)),
    }


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_log_text_never_reaches_the_page_as_markup(pages: dict[str, str], kind: str) -> None:
    html = pages[kind]
    assert fx.PAYLOAD not in html
    assert 'id="injected-marker"' not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # shown as text


def test_autoescape_is_on_for_the_report_template() -> None:
    env = render.make_environment()
    assert env.autoescape("report.html.j2") is True
    assert env.from_string("{{ x }}").render(x="<i>") == "&lt;i&gt;"


def test_a_report_without_charts_carries_no_plotly_and_no_script(tmp_path: Path) -> None:
    ctx = load_daily_context(Warehouse(tmp_path / "evalflow.duckdb"), fx.DAY)
    html = render.render_daily(ctx)
    assert "<script" not in html
    assert "script-src 'none'" in unescape(html)
    assert len(html) < 50_000


def test_autoescape_off_would_inject(seeded_db: Path) -> None:
    """Negative control: the assertion above is what catches a template without escaping."""
    ctx = load_daily_context(Warehouse(seeded_db), fx.DAY)
    html = render.render_daily(ctx, env=render.make_environment(autoescape=False))
    assert fx.PAYLOAD in html


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_plotly_inlined_once_and_nothing_external(pages: dict[str, str], kind: str) -> None:
    html = pages[kind]
    bundle = get_plotlyjs()
    assert html.count(bundle[:4000]) == 1
    head, _, body = html.partition("</head>")
    scan = DomScan.of(head.replace(bundle, "") + "</head>" + body)
    for tag, attrs in scan.elements:
        for name in ("src", "href", "srcset", "data", "action", "poster"):
            value = attrs.get(name) or ""
            assert not re.match(r"^\s*(https?:)?//", value), f"<{tag} {name}={value}>"
        assert not (tag == "script" and attrs.get("src")), "scripts must be inline"
        assert tag != "link", "no external stylesheets or fonts"
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert styles and not any("@import" in s or "url(" in s or "@font-face" in s for s in styles)


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_csp_allows_exactly_the_reports_own_scripts(pages: dict[str, str], kind: str) -> None:
    html = pages[kind]
    csp = unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    )
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    bodies = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert len(bodies) >= 2
    allowed = set(re.findall(r"'(sha256-[^']+)'", csp))
    assert {render.script_hash(b).strip("'") for b in bodies} == allowed


def test_figure_fragment_cannot_break_out_of_its_script() -> None:
    fig = go.Figure(go.Bar(x=[1], y=[BREAKOUT], hovertext=[BREAKOUT], text=[BREAKOUT]))
    fig.update_layout(title=BREAKOUT)
    fragment = str(render.figure_html(fig, "fig-test"))
    assert fragment.lower().count("</script") == 1
    assert BREAKOUT not in fragment
    assert "\\u003c\\u002fscript\\u003e" in fragment


def test_figure_html_refuses_a_fragment_with_a_second_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If plotly ever stopped escaping its JSON, rendering fails instead of shipping it."""

    def leaky(fig: go.Figure, **kwargs: Any) -> str:
        return f'<div id="x"></div><script>var a = "{BREAKOUT}";</script>'

    monkeypatch.setattr(render.pio, "to_html", leaky)
    with pytest.raises(render.UnsafeFragment):
        render.figure_html(go.Figure(), "fig-x")


def test_plot_text_escapes_plotly_pseudo_html() -> None:
    assert (
        plot_text('<b onmouseover="x">hi</b>') == "&lt;b onmouseover=&quot;x&quot;&gt;hi&lt;/b&gt;"
    )
    assert plot_text("a" * 100, 10) == "a" * 9 + "…"
    assert plot_text(None) == ""


def test_figures_return_none_without_data() -> None:
    import pandas as pd

    empty = pd.DataFrame(
        columns=[
            "day",
            "metric",
            "value",
            "ci_low",
            "ci_high",
            "n",
            "segment_key",
            "segment_value",
            "low_count",
        ]
    )
    assert figures.composite_trend(empty, fx.DAY) is None
    assert figures.segment_heatmap(empty, [("composite_kpi", "C", "higher", True)], []) is None
    assert figures.judge_status_bars(pd.DataFrame()) is None
    assert figures.rollout_diff(pd.DataFrame(), 0.02, 0.05) is None
    assert figures.issue_bars(pd.DataFrame()) is None
    assert figures.cluster_sizes(pd.DataFrame()) is None
    assert figures.week_over_week(empty, fx.WEEK, [("composite_kpi", "C", True)]) is None
    assert figures.comparison_forest(pd.DataFrame(), []) is None
    assert figures.calibration_over_time(pd.DataFrame()) is None
    assert figures.fairness_disparities(pd.DataFrame(), ["m"], (0.8, 1.25)) is None
    assert figures.fairness_overview(pd.DataFrame(), (0.8, 1.25)) is None
    assert figures.regression_by_day(pd.DataFrame()) is None
    # all-NULL values are unmeasured, not zero
    nulls = pd.DataFrame(
        {
            "day": [fx.DAY],
            "metric": ["composite_kpi"],
            "value": [None],
            "ci_low": [None],
            "ci_high": [None],
            "n": [0],
        }
    )
    assert figures.composite_trend(nulls, fx.DAY) is None
