"""What a report section is made of, and how numbers and log text are shown.

Section builders (``daily_sections``/``weekly_sections``) turn loaded tables into
these plain objects; ``render`` turns them into HTML. Keeping the view model free
of HTML means every string reaches the page through Jinja's autoescaping, and a
builder can be unit-tested by looking at values instead of parsing markup.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

NO_DATA = "no data for this section"
"""The exact phrase a reader sees when a section's tables are absent or empty."""

UNMEASURED = "—"
"""How a value that could not be computed (NULL) is shown; never a made-up zero."""

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Cell:
    """One table cell: text (escaped on render), a CSS class, optional list lines."""

    text: str
    cls: str = ""
    lines: tuple[str, ...] = ()
    title: str = ""


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""


@dataclass(frozen=True)
class Stat:
    """A headline tile: a label, the number, and a line of context under it."""

    label: str
    value: str
    detail: str = ""
    cls: str = ""


@dataclass
class Section:
    """One titled block of a report; ``available=False`` renders the no-data notice."""

    key: str
    title: str
    description: str
    available: bool = True
    missing: str = ""
    stats: list[Stat] = field(default_factory=list)
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "rendered" if self.available else "no_data"


def empty_section(key: str, title: str, description: str, why: str) -> Section:
    return Section(key=key, title=title, description=description, available=False, missing=why)


# -- values --------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict, str)) else False
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    """A finite float, or None for NULL/NaN/unparseable (so it is shown as unmeasured)."""
    if is_missing(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def truthy(value: Any) -> bool:
    """True only for a real true value; NULL (unknown) is not true."""
    if is_missing(value):
        return False
    return bool(value)


def fmt_pct(value: Any, digits: int = 1) -> str:
    x = as_float(value)
    return UNMEASURED if x is None else f"{100 * x:.{digits}f}%"


def fmt_pp(value: Any, digits: int = 1) -> str:
    """A difference of two rates in percentage points, signed."""
    x = as_float(value)
    return UNMEASURED if x is None else f"{100 * x:+.{digits}f} pp"


def fmt_num(value: Any, digits: int = 3) -> str:
    x = as_float(value)
    if x is None:
        return UNMEASURED
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}" if x != 0 else "0"


def fmt_int(value: Any) -> str:
    x = as_float(value)
    return UNMEASURED if x is None else f"{round(x):,d}"


def fmt_usd(value: Any) -> str:
    x = as_float(value)
    return UNMEASURED if x is None else f"${x:,.4f}" if abs(x) < 1 else f"${x:,.2f}"


def fmt_signed(value: Any) -> str:
    """A signed change of a plain number (counts, milliseconds, scores)."""
    x = as_float(value)
    if x is None:
        return UNMEASURED
    return f"{x:+,.0f}" if abs(x) >= 1000 else f"{x:+.3g}"


def date_cell(value: Any) -> Cell:
    return Cell(fmt_date(value), cls="nowrap")


def fmt_date(value: Any) -> str:
    if is_missing(value):
        return UNMEASURED
    try:
        return pd.Timestamp(value).date().isoformat()
    except (TypeError, ValueError):
        return str(value)


def fmt_ci(low: Any, high: Any, pct: bool = True) -> str:
    lo, hi = as_float(low), as_float(high)
    if lo is None or hi is None:
        return ""
    if pct:
        return f"95% CI {100 * lo:.1f}–{100 * hi:.1f}%"
    return f"95% CI {fmt_num(lo)}–{fmt_num(hi)}"


def fmt_ci_pp(low: Any, high: Any) -> str:
    """The interval of a difference of two rates, in percentage points."""
    lo, hi = as_float(low), as_float(high)
    if lo is None or hi is None:
        return ""
    return f"95% CI {100 * lo:+.1f} to {100 * hi:+.1f} pp"


def shorten(text: Any, limit: int) -> str:
    """Log text cut to ``limit`` characters (whole text stays in the warehouse)."""
    if is_missing(text):
        return ""
    s = str(text).replace("\r", " ")
    return s if len(s) <= limit else s[: max(limit - 1, 1)] + "…"


def plot_text(text: Any, limit: int = 80) -> str:
    """Text for a plotly label or hover.

    plotly.js interprets a small HTML subset in labels (``<b>``, ``<a href>``, ...).
    Escaping first makes it display ``<script>`` literally: plotly decodes the
    entities back into characters of an SVG text node, never into markup.
    """
    return html.escape(shorten(text, limit).replace("\n", " "), quote=True)


def json_list(value: Any) -> list[Any]:
    """A JSON list column as a Python list ([] for NULL, bad JSON or a non-list)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if is_missing(value) or not isinstance(value, str):
        return []
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        return []
    return parsed if isinstance(parsed, list) else []


def json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if is_missing(value) or not isinstance(value, str):
        return {}
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def cells(values: Iterable[Any]) -> list[Cell]:
    return [v if isinstance(v, Cell) else Cell("" if is_missing(v) else str(v)) for v in values]


def num_cell(text: str) -> Cell:
    return Cell(text, cls="num")


def badge(text: Any, kind: str | None = None) -> Cell:
    """A coloured label (severity, decision, status); the class is from a fixed set."""
    label = "" if is_missing(text) else str(text)
    key = (kind or label).lower()
    safe = key if key.replace("_", "").isalnum() else "other"
    return Cell(label, cls=f"badge badge-{safe}")


def examples_cell(ids: Sequence[str], examples: dict[str, str], limit: int, count: int) -> Cell:
    """The queries of up to ``count`` example interactions (shortened, escaped on render)."""
    lines = []
    for iid in ids[:count]:
        query = examples.get(str(iid))
        lines.append(shorten(query, limit) if query is not None else f"({iid}: query not found)")
    return Cell("" if lines else UNMEASURED, cls="examples", lines=tuple(lines))
