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


# CommonMark lets any ASCII punctuation be backslash-escaped; an escaped character
# is always literal text. ``<`` and ``>`` become entities instead, so no renderer
# that passes raw HTML through (before markdown) can see a tag.
_MD_PUNCT = re.compile(r"""([!"#$%&'()*+,\-./:;=?@\[\\\]^_`{|}~])""")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")


def md_escape(text: str) -> str:
    """``text`` as literal markdown: no links, images, emphasis, HTML or table breaks.

    Shortening happens before escaping (never cut an escape in half); line breaks
    become spaces so one value stays in one table cell or list item.
    """
    text = _LINE_BREAKS.sub(" ", text)
    text = _MD_PUNCT.sub(r"\\\1", text)
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
