"""The benchmark runs at small scale and edits only its own section of the doc."""

from __future__ import annotations

from pathlib import Path

from evalflow.kpis.bench import END, START, bench, write_benchmark_doc


def test_bench_small_and_doc_section(tmp_path: Path) -> None:
    result = bench(n_per_day=3000, days=3, measure_days=2, write_docs=False)
    assert result["days_measured"] == 2 and result["extrapolated"]
    assert result["compute_s_total"] > 0
    assert result["rows_out_per_day"] > 100
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- other:start -->\nkeep me\n<!-- other:end -->\n")
    write_benchmark_doc(result, doc)
    write_benchmark_doc(result, doc)  # idempotent: replaced, not appended
    text = doc.read_text()
    assert "keep me" in text
    assert text.count(START) == 1 and text.count(END) == 1
    assert "extrapolated" in text
