"""Turn report sections into one HTML file (self-contained, or sharing plotly.js).

Security and offline use are the two constraints:

* Jinja's autoescaping is on for every template, so log text (queries, evidence,
  theme labels, segment values) reaches the page as text, never as markup. The
  only values marked safe are the plotly.js bundle and plotly's own figure
  fragments, and both are checked before they are trusted.
* plotly.js is loaded once in the page head, either inlined (self-contained file)
  or from the report folder's shared copy (``../assets/plotly-<version>.min.js``,
  allowed by ``'self'`` in the CSP; see ``evalflow.reports.publish``); figures are
  rendered with ``include_plotlyjs=False``. plotly serialises figure JSON with ``<``, ``>`` and
  ``/`` as unicode escapes, so a ``</script>`` inside a label cannot end the script
  block; ``figure_html`` verifies that each fragment has exactly one script element
  so a future plotly change cannot silently reopen that hole.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from evalflow.reports.daily_sections import build_daily_sections, daily_headline
from evalflow.reports.model import NO_DATA, Section
from evalflow.reports.weekly_sections import build_weekly_sections, weekly_headline

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
_SCRIPT_OPEN = re.compile(r"<script\b", re.IGNORECASE)
_SCRIPT_CLOSE = re.compile(r"</script", re.IGNORECASE)
_SCRIPT_BODY = re.compile(r"<script[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
NAV_START = "<!--evalflow-nav-->"
NAV_END = "<!--/evalflow-nav-->"
"""Markers around the previous/next navigation, filled in when the report is published."""


class UnsafeFragment(ValueError):
    """A figure fragment or script bundle that could break out of its script element."""


@dataclass
class Report:
    """A rendered report: its sections (for metadata), headline numbers and the HTML."""

    kind: str
    key: dt.date
    title: str
    sections: list[Section]
    headline: dict[str, Any]
    html: str

    @property
    def section_status(self) -> dict[str, str]:
        return {s.key: s.status for s in self.sections}


def make_environment(autoescape: bool = True) -> Environment:
    """The report template environment; ``autoescape=False`` exists only for the
    negative-control test that proves the browser check catches unescaped text."""
    return Environment(
        loader=PackageLoader("evalflow.reports", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default_for_string=True, default=True
        )
        if autoescape
        else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.lru_cache(maxsize=1)
def plotly_bundle() -> Markup:
    """plotly.js, once per page, checked not to contain a closing script tag."""
    js = get_plotlyjs()
    if _SCRIPT_CLOSE.search(js):
        raise UnsafeFragment("the plotly.js bundle contains '</script'")
    return Markup(js)


def plotly_asset_name() -> str:
    """File name of the shared bundle; the plotly.js version is in it so an upgrade
    never serves a new figure JSON to an old library cached under the same name."""
    return f"plotly-{get_plotlyjs_version()}.min.js"


def figure_html(fig: go.Figure, div_id: str) -> Markup:
    """A figure as a <div> plus one <script> that draws it (plotly.js not included)."""
    fragment = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=PLOTLY_CONFIG,
        validate=True,
    )
    if len(_SCRIPT_OPEN.findall(fragment)) != 1 or len(_SCRIPT_CLOSE.findall(fragment)) != 1:
        raise UnsafeFragment(f"figure {div_id}: expected exactly one script element")
    return Markup(fragment)


def script_hash(body: str) -> str:
    """A CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: list[str], allow_self: bool = False) -> str:
    """Only our own inline scripts may run; nothing may be fetched from anywhere.

    ``allow_self`` adds ``'self'`` for the shared plotly.js file next to the report
    (a hash cannot allow an external file opened from disk: Chromium needs CORS for
    subresource integrity and file:// has none). It allows script files from the
    report's own origin only, never inline code, so escaping plus the hashes still
    stop injected text from running.

    A second line of defence behind escaping: even if some log text did reach the
    page as markup, an injected ``<script>`` or ``onerror=`` handler has no hash and
    is blocked, and no request can leave the file (it must open offline anyway).
    """
    sources = sorted({script_hash(s) for s in scripts})
    if allow_self:
        sources.insert(0, "'self'")
    script_src = " ".join(sources) or "'none'"
    return (
        "default-src 'none'; "
        f"script-src {script_src}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _view(sections: list[Section]) -> list[dict[str, Any]]:
    return [
        {
            "section": s,
            "figures": [figure_html(f, f"fig-{s.key}-{i}") for i, f in enumerate(s.figures)],
        }
        for s in sections
    ]


def render_sections(
    kind: str,
    title: str,
    subtitle: str,
    sections: list[Section],
    headline: dict[str, Any],
    ctx: dict[str, Any],
    env: Environment | None = None,
    csp: bool = True,
    plotly_src: str | None = None,
) -> str:
    """The page; ``plotly_src`` (a relative URL) loads plotly.js from a shared file
    instead of inlining its 4.8 MB in every report."""
    env = env or make_environment()
    template = env.get_template("report.html.j2")
    view = _view(sections)
    has_figures = any(item["figures"] for item in view)
    shared = bool(plotly_src) and has_figures
    bundle = plotly_bundle() if has_figures and not shared else Markup("")
    scripts = ([str(bundle)] if bundle else []) + [
        m.group(1)
        for item in view
        for fig in item["figures"]
        for m in _SCRIPT_BODY.finditer(str(fig))
    ]
    return template.render(
        kind=kind,
        title=title,
        subtitle=subtitle,
        sections=view,
        headline=headline,
        generated_at=ctx.get("generated_at"),
        tables_present=ctx.get("tables_present", []),
        load_errors=ctx.get("load_errors", []),
        no_data=NO_DATA,
        plotly_js=bundle,
        plotly_src=plotly_src if shared else "",
        nav_start=Markup(NAV_START),
        nav_end=Markup(NAV_END),
        csp=content_security_policy(scripts, allow_self=shared) if csp else "",
    )


def daily_report(
    ctx: dict[str, Any],
    env: Environment | None = None,
    csp: bool = True,
    plotly_src: str | None = None,
) -> Report:
    """Sections, headline and HTML of the daily report for a ``load_daily_context`` result.

    ``env``/``csp`` are for tests only (a negative control renders without escaping
    and without the content security policy to prove the browser checks notice).
    """
    day: dt.date = ctx["day"]
    sections = build_daily_sections(ctx)
    headline = daily_headline(ctx)
    title = f"evalflow daily report — {day.isoformat()}"
    html = render_sections(
        "daily",
        title,
        f"Traffic of {day:%A %d %B %Y} (UTC)",
        sections,
        headline,
        ctx,
        env,
        csp,
        plotly_src,
    )
    return Report("daily", day, title, sections, headline, html)


def weekly_report(
    ctx: dict[str, Any],
    env: Environment | None = None,
    csp: bool = True,
    plotly_src: str | None = None,
) -> Report:
    """Sections, headline and HTML of the weekly report for a ``load_weekly_context`` result."""
    start: dt.date = ctx["week_start"]
    end: dt.date = ctx["week_end"]
    sections = build_weekly_sections(ctx)
    headline = weekly_headline(ctx)
    title = f"evalflow weekly report — week of {start.isoformat()}"
    html = render_sections(
        "weekly",
        title,
        f"Monday {start:%d %B} to Sunday {end:%d %B %Y} (UTC)",
        sections,
        headline,
        ctx,
        env,
        csp,
        plotly_src,
    )
    return Report("weekly", start, title, sections, headline, html)


def render_daily(ctx: dict[str, Any], env: Environment | None = None, csp: bool = True) -> str:
    """The daily report's HTML for a context from ``load_daily_context``."""
    return daily_report(ctx, env, csp).html


def render_weekly(ctx: dict[str, Any], env: Environment | None = None, csp: bool = True) -> str:
    """The weekly report's HTML for a context from ``load_weekly_context``."""
    return weekly_report(ctx, env, csp).html
