"""The review CSV leaves the warehouse (labellers, shared drives): no corpus PII in it."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from evalflow.calibration.review_queue import REVIEW_COLUMNS, write_review_csv
from evalflow_tests.pii_corpus import PII, leaked


def test_review_csv_has_no_corpus_pii(tmp_path: Path) -> None:
    rows = [
        {
            "interaction_id": f"i{i}",
            "criterion": "relevance",
            "backend": "heuristic",
            "stratum": "billing|fail",
            "judge_passed": False,
            "judge_score": 0.2,
            "query": text,
            "response": f"I have noted: {text}",
            "context": f"CRM: {text}",
            "passed": "",
            "labeler": "",
            "note": "",
        }
        for i, (*_, text) in enumerate(PII)
    ]
    path = write_review_csv(pd.DataFrame(rows, columns=REVIEW_COLUMNS), tmp_path / "r.csv")
    content = path.read_text(encoding="utf-8-sig")
    assert not leaked(content), leaked(content)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert [r["interaction_id"] for r in back] == [f"i{i}" for i in range(len(PII))]
    assert "[PHONE]" in back[0]["query"]  # redacted, not dropped
