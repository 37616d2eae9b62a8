"""The report folder's table of contents and each report's previous/next links.

``index.html`` lists every daily and weekly report recorded in the ``daily_report``
and ``weekly_report`` tables with its headline KPI, a one-word status and a link
to the Dagster run that produced it. Each report page carries a small navigation
block between ``render.NAV_START``/``NAV_END``; when a report is published, its own
block and its two neighbours' blocks are rewritten, so links stay right even when
days are backfilled out of order. All text goes through Jinja autoescaping (a
headline's top issue is log text).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

import pandas as pd

from evalflow.reports.model import UNMEASURED, as_float, fmt_ci, fmt_pct, json_object, shorten
from evalflow.reports.render import NAV_END, NAV_START, make_environment
from evalflow.storage.warehouse import Warehouse

KINDS = {"daily": ("daily_report", "day"), "weekly": ("weekly_report", "week_start")}
DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"
DAGSTER_URL_ENV = "EVALFLOW_DAGSTER_URL"
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INDEX_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@dataclass(frozen=True)
class Entry:
    """One published report as the index and the pager show it."""

    kind: str
    key: dt.date
    headline: dict[str, Any]
    run_id: str | None
    generated_at: Any = None

    @property
    def href(self) -> str:
        """Relative to the reports folder (``daily/2026-10-05.html``)."""
        return f"{self.kind}/{self.key.isoformat()}.html"


def dagster_base_url() -> str | None:
    """``EVALFLOW_DAGSTER_URL`` or the local webserver; None if it is not an http(s) URL."""
    raw = os.environ.get(DAGSTER_URL_ENV, "").strip() or DEFAULT_DAGSTER_URL
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return raw.rstrip("/")


def run_url(run_id: str | None) -> str | None:
    """The Dagster UI page of a run, or None when the run (or a usable base URL) is unknown."""
    if not run_id or not _RUN_ID.match(run_id):
        return None
    base = dagster_base_url()
    return f"{base}/runs/{quote(run_id)}" if base else None


def list_reports(wh: Warehouse, kind: str) -> list[Entry]:
    """Every recorded report of one kind, oldest first (empty before the first publish)."""
    table, key_col = KINDS[kind]
    if not wh.table_exists(table):
        return []
    df = wh.query_df(f'SELECT * FROM "{table}" ORDER BY "{key_col}"')
    out = []
    for row in df.to_dict("records"):
        run_id = row.get("run_id")
        out.append(
            Entry(
                kind=kind,
                key=pd.Timestamp(row[key_col]).date(),
                headline=json_object(row.get("headline")),
                run_id=str(run_id) if isinstance(run_id, str) and run_id else None,
                generated_at=row.get("generated_at"),
            )
        )
    return out


def headline_kpi(entry: Entry) -> str:
    """The one number a reader compares across reports: the composite KPI."""
    h = entry.headline
    if entry.kind == "daily":
        value = as_float(h.get("composite_kpi"))
        if value is None:
            return f"composite {UNMEASURED}"
        ci = fmt_ci(h.get("composite_ci_low"), h.get("composite_ci_high"))
        return f"composite {fmt_pct(value)}" + (f" ({ci})" if ci else "")
    this, last = as_float(h.get("composite_this_week")), as_float(h.get("composite_last_week"))
    text = f"composite {fmt_pct(this)}"
    return text + (f" (last week {fmt_pct(last)})" if last is not None else "")


def status(entry: Entry) -> tuple[str, str]:
    """(label, css class): what needs attention, worst first; ``no data`` when unmeasured."""
    h = entry.headline
    if entry.kind == "daily":
        decision = str(h.get("rollout_decision") or "")
        severe, opened = int(h.get("critical_or_high_alerts") or 0), int(h.get("open_alerts") or 0)
        if decision == "ROLLBACK" or severe:
            return (
                f"action needed: {severe} critical/high alert(s), rollout {decision or '—'}",
                "bad",
            )
        if decision == "HOLD" or opened:
            return f"watch: {opened} open alert(s), rollout {decision or '—'}", "warn"
        if as_float(h.get("composite_kpi")) is None:
            return "no data", "none"
        return "ok", "ok"
    rec = str(h.get("recommendation") or "")
    flagged, alerts = int(h.get("fairness_flagged") or 0), int(h.get("alerts_opened") or 0)
    if rec in ("pause", "rollback") or flagged:
        return f"action needed: model {rec or '—'}, {flagged} fairness flag(s)", "bad"
    if alerts:
        return f"watch: {alerts} alert(s) opened, model {rec or '—'}", "warn"
    if as_float(h.get("composite_this_week")) is None:
        return "no data", "none"
    return f"ok: model {rec or '—'}", "ok"


def nav_html(entries: list[Entry], key: dt.date) -> str:
    """The pager of the report ``key`` among ``entries`` (same kind, oldest first)."""
    keys = [e.key for e in entries]
    i = keys.index(key)
    prev = entries[i - 1] if i > 0 else None
    nxt = entries[i + 1] if i + 1 < len(entries) else None
    template = make_environment().get_template("nav.html.j2")
    return template.render(
        prev=prev, next=nxt, current=entries[i], run_url=run_url(entries[i].run_id)
    )


def splice_nav(html: str, nav: str) -> str | None:
    """``html`` with its pager replaced, or None for a page without the markers (old format)."""
    start, end = html.find(NAV_START), html.find(NAV_END)
    if start < 0 or end < start:
        return None
    return html[: start + len(NAV_START)] + nav + html[end:]


def index_html(daily: list[Entry], weekly: list[Entry], generated_at: dt.datetime) -> str:
    """The folder's index page, newest first; no script at all (CSP allows none)."""

    def rows(entries: list[Entry]) -> list[dict[str, Any]]:
        return [
            {
                "entry": e,
                "kpi": headline_kpi(e),
                "status": status(e),
                "top_issue": shorten(e.headline.get("top_issue"), 160),
                "run_url": run_url(e.run_id),
            }
            for e in reversed(entries)
        ]

    template = make_environment().get_template("index.html.j2")
    return template.render(
        daily=rows(daily),
        weekly=rows(weekly),
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M"),
        csp=INDEX_CSP,
    )
