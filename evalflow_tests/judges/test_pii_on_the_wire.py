"""No corpus PII value reaches the judge endpoint (captured server-side, issue #17)."""

from __future__ import annotations

import json
from pathlib import Path

from evalflow.judges.runner import judge_partition
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.judges.fake_openai import DAY, FakeOpenAIServer, raw_row, seed_upstream
from evalflow_tests.judges.test_openai_backend import cfg, settings
from evalflow_tests.pii_corpus import ALL_TEXT, PII, leaked


def test_no_corpus_value_in_any_judge_request(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "evalflow.duckdb")
    rows = [
        # one sentence per row, in query, response and retrieved context
        raw_row(
            f"p{i}", text, f"Noted: {text}", [f"CRM note: {text}"], conversation_id=f"c{i}", turn=2
        )
        for i, (*_, text) in enumerate(PII)
    ]
    # earlier turns of the same conversations carry PII too (the judge sees history)
    rows += [
        raw_row(f"h{i}", text, "ok", None, conversation_id=f"c{i}", turn=1)
        for i, (*_, text) in enumerate(PII)
    ]
    rows.append(raw_row("all", ALL_TEXT, ALL_TEXT, [ALL_TEXT]))
    seed_upstream(wh, rows, sampled_ids=[f"p{i}" for i in range(len(PII))] + ["all"])
    st = settings(criteria=["faithfulness", "relevance"], max_calls_per_day=1000)
    with FakeOpenAIServer() as srv:
        run = judge_partition(wh, DAY, st, "openai", cfg(srv))
        bodies = [json.dumps(b, ensure_ascii=False) for b in srv.requests]
    assert len(bodies) >= len(PII)  # every sampled row was really sent
    assert (run.scores["status"] == "ok").all()
    found = sorted({v for body in bodies for v in leaked(body)})
    assert not found, f"PII sent to the judge endpoint: {found}"
