"""Reads and writes of ``regression_cases``: candidates in, cases and JSONL files out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from evalflow.config.settings import Settings
from evalflow.discovery.build import MEMBERS_TABLE
from evalflow.discovery.inputs import load_day_frame, table_columns
from evalflow.orchestration.metadata import duckdb_types
from evalflow.regression.curation import CASE_COLUMNS, curate, select_candidates, write_jsonl_files
from evalflow.storage.warehouse import Warehouse, ident

RAW_FIELDS = [
    "interaction_id",
    "query",
    "response",
    "context",
    "feedback_comment",
    "conversation_id",
    "turn",
    "timestamp",
]
JUDGE_FIELDS = ["interaction_id", "criterion", "status", "score", "passed", "label", "rationale"]


def _cols(con_cols: list[str], wanted: list[str], prefix: str = "") -> str:
    return ", ".join(
        f"{prefix}{ident(c)}" if c in con_cols else f"NULL AS {ident(c)}" for c in wanted
    )


def read_judge_failures(wh: Warehouse, day: dt.date) -> pd.DataFrame:
    """``interaction_id, min_score`` of interactions with a failed criterion (status ok)."""
    with wh.connect() as con:
        cols = table_columns(con, "judge_scores")
        if not {"day", "interaction_id", "status", "passed", "score"} <= set(cols):
            return pd.DataFrame({"interaction_id": [], "min_score": []})
        return con.execute(
            "SELECT interaction_id, min(score) AS min_score FROM judge_scores "
            "WHERE day = ? AND status = 'ok' AND passed = false GROUP BY interaction_id "
            "ORDER BY interaction_id",
            [day],
        ).df()


def read_for_ids(
    wh: Warehouse, day: dt.date, ids: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Raw rows, judge rows and conversation history (this day and the day before) of ``ids``."""
    empty_raw = pd.DataFrame(columns=RAW_FIELDS)
    empty_j = pd.DataFrame(columns=JUDGE_FIELDS)
    if not ids:
        return empty_raw, empty_j, pd.DataFrame()
    with wh.connect() as con:
        raw_cols = table_columns(con, "raw_interactions")
        judge_cols = table_columns(con, "judge_scores")
        con.register("_case_ids", pd.DataFrame({"interaction_id": ids}))
        try:
            raw = empty_raw
            hist = pd.DataFrame()
            if {"day", "interaction_id"} <= set(raw_cols):
                raw = con.execute(
                    f"SELECT {_cols(raw_cols, RAW_FIELDS, 'r.')} FROM raw_interactions r "
                    "JOIN _case_ids USING (interaction_id) WHERE r.day = ?",
                    [day],
                ).df()
                if "conversation_id" in raw_cols:
                    hist = con.execute(
                        f"SELECT {_cols(raw_cols, ['interaction_id', 'conversation_id', 'turn', 'timestamp', 'query', 'response'], 'h.')} "
                        "FROM raw_interactions h WHERE h.day BETWEEN ? AND ? AND h.conversation_id IN "
                        "(SELECT r.conversation_id FROM raw_interactions r JOIN _case_ids USING "
                        "(interaction_id) WHERE r.day = ? AND r.conversation_id IS NOT NULL)",
                        [day - dt.timedelta(days=1), day, day],
                    ).df()
            verdicts = empty_j
            if {"day", "interaction_id", "criterion"} <= set(judge_cols):
                verdicts = con.execute(
                    f"SELECT {_cols(judge_cols, JUDGE_FIELDS, 'j.')} FROM judge_scores j "
                    "JOIN _case_ids USING (interaction_id) WHERE j.day = ?",
                    [day],
                ).df()
        finally:
            con.unregister("_case_ids")
    return raw, verdicts, hist


def build_regression_cases(wh: Warehouse, day: dt.date, settings: Settings) -> pd.DataFrame:
    rs = settings.regression
    priorities = wh.read_partition("issue_priorities", day)
    members = wh.read_partition(MEMBERS_TABLE, day)
    failures = read_judge_failures(wh, day)
    candidates = select_candidates(priorities, members, failures, rs)
    raw, verdicts, history = read_for_ids(
        wh, day, candidates["interaction_id"].astype(str).tolist()
    )
    frame = load_day_frame(wh, day, ids=candidates["interaction_id"].astype(str).tolist())
    reasons = frame[["interaction_id", "reasons"]]
    return curate(candidates, raw, verdicts, reasons, history, day, rs)


def write_regression_cases(
    wh: Warehouse, day: dt.date, cases: pd.DataFrame, folder: Path, *, raw_text: bool = False
) -> tuple[Path, Path, int]:
    """Replace the day's partition, then rebuild the JSONL files from the whole table.

    The table keeps the raw text (it stays in the warehouse); the files are redacted
    unless ``raw_text`` (``privacy.raw_text_in_regression``).
    """
    wh.replace_partition("regression_cases", cases, day, schema=duckdb_types(CASE_COLUMNS))
    return write_jsonl_files(
        folder,
        day,
        lambda: wh.query_df("SELECT * FROM regression_cases ORDER BY case_id"),
        raw_text=raw_text,
    )
