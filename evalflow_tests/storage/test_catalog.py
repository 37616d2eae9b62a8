"""The table catalogue is the one list of tables; the docs and the contracts agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalflow.storage.catalog import TABLES, SchemaDrift, require_columns, spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "tables.md"


def _sections() -> dict[str, str]:
    """Body of each table's section, by the table names its heading gives (outside brackets)."""
    text = DOC.read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for part in re.split(r"^#{2,3} ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        bare = re.sub(r"\([^)]*\)|`[^`]*`", " ", heading.split("—")[0])
        for name in re.findall(r"\b[a-z][a-z_]{3,}\b", bare):
            out[name] = body
    return out


def test_every_table_has_one_entry_and_an_owner() -> None:
    names = [t.name for t in TABLES]
    assert len(names) == len(set(names))
    assert all(t.owner and t.grain for t in TABLES)


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_the_docs_list_every_column_of_every_table(table: str) -> None:
    sections = _sections()
    assert table in sections, f"docs/tables.md has no section for {table}"
    undocumented = [
        c for c in spec(table).columns() if not re.search(rf"\b{re.escape(c)}\b", sections[table])
    ]
    assert not undocumented, f"docs/tables.md section {table} does not mention {undocumented}"


def test_a_promised_column_missing_upstream_fails_loudly() -> None:
    with pytest.raises(SchemaDrift, match="judge_scores has no column"):
        require_columns("judge_scores", ["day", "interaction_id"], ["interaction_id", "verdict"])


def test_a_column_outside_the_contract_is_optional() -> None:
    assert require_columns("raw_interactions", ["day"], ["day", "seg_app_version"]) == []


def test_an_unknown_table_names_the_catalogue() -> None:
    with pytest.raises(KeyError, match="catalogue"):
        spec("no_such_table")
