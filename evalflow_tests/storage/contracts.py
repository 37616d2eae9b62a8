"""Compare a real warehouse with the table catalogue: the check scenario tests share."""

from __future__ import annotations

from pathlib import Path

import duckdb

from evalflow.storage.catalog import by_name


def _normal(type_name: str) -> str:
    t = type_name.upper().replace("TIMESTAMP_NS", "TIMESTAMP").replace("TIMESTAMP_US", "TIMESTAMP")
    return {"INT": "INTEGER", "INT32": "INTEGER", "INT64": "BIGINT", "FLOAT8": "DOUBLE"}.get(t, t)


def catalogue_mismatches(database: Path) -> list[str]:
    """Every way the stored tables disagree with their catalogued contracts (empty = none)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        stored: dict[str, dict[str, str]] = {}
        for table, column, dtype in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall():
            stored.setdefault(table, {})[column] = dtype
    finally:
        con.close()
    problems = [f"{t}: not in the catalogue" for t in stored if t not in by_name()]
    for table, columns in stored.items():
        if table not in by_name():
            continue
        for column, (dtype, _) in by_name()[table].columns().items():
            if column not in columns:
                problems.append(f"{table}.{column}: in the contract, not in the table")
            elif dtype and _normal(dtype) != _normal(columns[column]):
                problems.append(f"{table}.{column}: contract {dtype}, table {columns[column]}")
    return problems
