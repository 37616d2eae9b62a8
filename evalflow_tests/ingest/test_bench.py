"""The benchmark's generator, measurements and doc section (small sizes, in process)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from evalflow.ingest import bench as B


def test_generated_day_is_valid_and_ingests_completely(tmp_path: Path) -> None:
    path = B.write_jsonl(B.generate_records(500), tmp_path / "home" / "landing" / "day.jsonl")
    assert duckdb.sql("SELECT count(*) FROM read_json(?)", params=[str(path)]).fetchall() == [
        (500,)
    ]
    floor = B._floor(str(path), str(tmp_path / "floor.parquet"))
    ours = B._ours(str(tmp_path / "home"))
    assert floor["seconds"] > 0 and ours["seconds"] > 0
    assert ours["kept"] == 500.0
    assert set(ours) == {"stage_s", "assemble_s", "write_s", "seconds", "cpu_s", "kept"}
    assert floor["cpu_s"] > 0 and ours["cpu_s"] > 0


def test_doc_section_is_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- judges:start -->\njudges\n<!-- judges:end -->\n")
    row = {
        "records": 1000,
        "file_mb": 1.6,
        "floor_s": 0.5,
        "floor_records_per_s": 2000,
        "floor_peak_rss_mb": 200,
        "ingest_s": 1.0,
        "stage_s": 0.7,
        "assemble_s": 0.3,
        "write_s": 0.2,
        "ingest_records_per_s": 1000,
        "ingest_peak_rss_mb": 300,
        "ratio_to_floor": 2.0,
    }
    B.write_doc(doc, [row])
    first = doc.read_text()
    assert first.count(B.DOC_START) == 1 and "judges\n" in first
    assert (
        "| 1,000 | 1.6 | 0.5 | 2,000 | 1.0 (0.7 + 0.3) | 1,000 | 2.0x | ? / ? (?x) | 0.2 | 200 / 300 | 1, ? |"
        in first
    )
    B.write_doc(doc, [{**row, "records": 5}])
    second = doc.read_text()
    assert (
        second.count(B.DOC_START) == 1
        and "| 5 | 1.6 |" in second
        and "| 1,000 | 1.6 |" not in second
    )
    assert second.startswith("# Benchmarks\n\n<!-- judges:start -->")
    B.write_doc(tmp_path / "new.md", [row])
    assert (tmp_path / "new.md").read_text().startswith("# Benchmarks\n\n" + B.DOC_START)


def test_small_files_benchmark_counts_every_record(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- ingest:start -->\nx\n<!-- ingest:end -->\n")
    result = B.bench_small_files(12, per_file=5, doc=doc, workdir=tmp_path)
    assert (result["files"], result["records"]) == (12, 60)
    assert result["rerun_s"] >= 0 and result["files_per_s"] > 0
    text = doc.read_text()
    assert "many small files" in text and text.index("ingest:end") < text.index("ingest-files")
