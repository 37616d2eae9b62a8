"""Helpers that turn DataFrames into the metadata Dagster shows on a materialisation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd


def md_preview(df: pd.DataFrame, rows: int = 10, max_chars: int = 80) -> dg.MetadataValue:
    """A markdown table of the first rows, long text shortened so the UI stays readable.

    Log text is hostile: pipes and newlines would break the markdown table, links
    and images would render as clickable or loading content, and angle brackets as
    HTML, so every cell (and header) goes through ``md_escape``.
    """
    if df.empty:
        return dg.MetadataValue.md("_no rows_")
    head = df.head(rows).copy()
    for col in head.columns:
        head[col] = head[col].map(lambda v: _cell(v, max_chars))
    header = "| " + " | ".join(md_escape(str(c)) for c in head.columns) + " |"
    sep = "| " + " | ".join("---" for _ in head.columns) + " |"
    body = ["| " + " | ".join(row) + " |" for row in head.astype(str).to_numpy().tolist()]
    return dg.MetadataValue.md("\n".join([header, sep, *body]))


def _cell(value: Any, max_chars: int) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = (
        value
        if isinstance(value, str)
        else (f"{value:.4g}" if isinstance(value, float) else str(value))
    )
    text = text if len(text) <= max_chars else text[: max_chars - 1] + "…"
    return md_escape(text)


# What can turn text into markup, and only that, so identifiers such as
# ``toxicity_signal_rate`` or ``2026-10-05`` stay searchable in the raw metadata:
# - backslash, code, emphasis, strike, link/image brackets, table pipes, entities;
# - ``_`` unless it sits inside a word (CommonMark never opens emphasis there);
# - GFM autolink triggers (``https://``, ``www.``, e-mail ``@``) so no bare URL or
#   address becomes clickable;
# - a block marker (heading, quote, list, ordered list) at the very start.
# ``<`` and ``>`` become entities, so no raw HTML or ``<autolink>`` survives.
_ALWAYS = re.compile(r"([\\`*~\[\]|&@])")
_LONE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|www)([:.])")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_MARKER_START = re.compile(r"^[#+\-](?=\s|$)|^-(?=(?:\s*-){2,}\s*$)")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")


def md_escape(text: str) -> str:
    """``text`` as literal markdown: no links, images, emphasis, HTML, blocks or table breaks.

    Shortening happens before escaping (never cut an escape in half); line breaks
    become spaces and leading spaces are dropped, so one value stays one inline run
    in its table cell or list item.
    """
    text = _LINE_BREAKS.sub(" ", text).lstrip()
    text = _ALWAYS.sub(r"\\\1", text)
    text = _LONE_UNDERSCORE.sub(r"\\_", text)
    text = _AUTOLINK.sub(r"\1\\\2", text)
    text = _ORDERED_START.sub(r"\1\\\2", text, count=1)
    text = _MARKER_START.sub(lambda m: "\\" + m.group(0), text, count=1)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def column_schema(columns: Mapping[str, tuple[str, str]]) -> dg.TableSchema:
    """``{name: (duckdb_type, description)}`` as a Dagster column schema."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name=n, type=t, description=d) for n, (t, d) in columns.items()]
    )


def duckdb_types(columns: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    return {n: t for n, (t, _) in columns.items()}


def table_metadata(columns: Mapping[str, tuple[str, str]], table: str) -> dict[str, Any]:
    """Static asset metadata: the column schema and where the table lives."""
    return {
        "dagster/column_schema": column_schema(columns),
        "dagster/table_name": f"evalflow.main.{table}",
    }
