"""The accuracy benchmark (on the shipped samples) and the throughput benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalflow.judges.bench import END, START, bench_throughput, write_section
from evalflow.judges.benchmark import SHIPPED_DIR, judge_benchmark


@pytest.mark.skipif(not (SHIPPED_DIR / "surge_toxicity").exists(), reason="samples not shipped")
def test_judge_benchmark_on_shipped_samples(tmp_path: Path) -> None:
    doc = tmp_path / "judges.md"
    rows = judge_benchmark(SHIPPED_DIR, docs_path=doc, sim_per_day=15)
    by = {(r["dataset"], r["judge"], r["split"]): r for r in rows}
    tox = by[("surge_toxicity", "safety", "all")]
    assert tox["n"] == 300 and tox["source"] == "shipped sample"
    # floors well below the measured values: a regression in a judge shows up here
    # safety: 0.69 on this sample since the whole-token matcher (issue #12) dropped the
    # stems and political vocabulary tuned to this very set; FPR is 0 (precision 1.0)
    assert tox["auc"] > 0.65 and tox["precision"] > 0.8
    assert by[("begin_wow_dev", "faithfulness", "all")]["auc"] > 0.8
    assert by[("halueval_mismatched", "relevance", "all")]["auc"] > 0.8
    assert {r["split"] for r in rows} == {"all", "tune", "holdout"}
    sim = by.get(("simulated_support", "faithfulness", "all"))
    if sim is not None:  # the simulator stage is installed
        assert sim["n"] > 300 and sim["positives"] > 0
    text = doc.read_text()
    assert "| surge_toxicity | safety | human | holdout |" in text
    assert "Limitations" in text


def test_bench_throughput_and_section_writer(tmp_path: Path) -> None:
    results = bench_throughput(concurrency=(8,), latency_s=0.05, n=48)
    r = results[0]
    assert r["ok"] == 48 and r["calls"] == 48
    assert r["ideal_calls_per_s"] == pytest.approx(160.0)
    # a serial client would manage 20 calls/s; bounded concurrency must do far better
    assert r["calls_per_s"] > 60
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# Benchmarks\n\n## Other stage\nkeep me\n\n{START}\nold\n{END}\n\n## Later\nkeep too\n"
    )
    write_section(results, doc)
    text = doc.read_text()
    assert "keep me" in text and "keep too" in text and "old" not in text
    assert text.count(START) == 1 and "| 8 | 50 ms | 48 | 48 |" in text
    fresh = tmp_path / "new.md"
    write_section(results, fresh)
    assert fresh.read_text().startswith("# Benchmarks") and START in fresh.read_text()
