"""``regression/*.jsonl`` leave the warehouse: PII-redacted unless configured otherwise."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from evalflow.config.settings import Settings
from evalflow.regression.curation import CASE_COLUMNS, write_jsonl_files
from evalflow_tests.pii_corpus import ALL_TEXT, PII, leaked

DAY = dt.date(2026, 10, 5)


def _cases() -> pd.DataFrame:
    rows = []
    for i, (*_, text) in enumerate(PII):
        rows.append(
            {
                "case_id": f"rc-{i:03d}",
                "day": DAY,
                "issue_id": None,
                "interaction_id": f"i{i}",
                "query": text,
                "context": json.dumps([f"ticket note: {text}"], ensure_ascii=False),
                "response": f"Thanks, I have {text}",
                "failure": f"judge relevance failed: the answer repeats {text}",
                "judge_verdicts": json.dumps(
                    {"relevance": {"rationale": text}}, ensure_ascii=False
                ),
                "cluster_id": "cl-1",
                "history": json.dumps([{"turn": 1, "query": ALL_TEXT, "response": "ok"}]),
                "source": "judge_failure",
                "priority_rank": None,
                "query_hash": f"q{i}",
            }
        )
    return pd.DataFrame(rows, columns=list(CASE_COLUMNS))


def test_files_are_redacted_by_default(tmp_path: Path) -> None:
    assert Settings().privacy.raw_text_in_regression is False
    cases = _cases()
    all_path, day_path, n = write_jsonl_files(tmp_path, DAY, lambda: cases)
    assert n == len(PII)
    for path in (all_path, day_path):
        text = path.read_text(encoding="utf-8")
        assert not leaked(text), leaked(text)
        first = json.loads(text.splitlines()[0])
        assert first["case_id"] == "rc-000" and first["query_hash"] == "q0"  # ids untouched
        assert isinstance(first["context"], list) and isinstance(first["history"], list)


def test_raw_text_when_the_team_asks_for_it(tmp_path: Path) -> None:
    all_path, _, _ = write_jsonl_files(tmp_path, DAY, lambda: _cases(), raw_text=True)
    assert len(leaked(all_path.read_text(encoding="utf-8"))) == len(PII)
