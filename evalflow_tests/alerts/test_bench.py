"""The alerts benchmark runs end to end at a tiny size and reports what it measured.

No timing is asserted (the machine is shared); what must hold is that every figure
exists, the injected incidents are flagged in their own cells, and only the alerts
section of the markdown file changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from evalflow.alerts.bench import AFTER, END, START, bench, default_shifts, write_benchmark_doc

REAL_DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
STEPS = (
    "generate_s",
    "load_s",
    "kpi_read_s",
    "kpi_compute_s",
    "kpi_write_s",
    "alert_read_s",
    "alert_compute_s",
    "alert_write_s",
    "daily_s",
)


def test_bench_tiny_run_flags_injected_days_and_writes_only_its_section(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    if REAL_DOC.exists():
        shutil.copy(REAL_DOC, doc)
    else:
        doc.write_text(f"# Benchmarks\n\n<!-- kpis:start -->\nkpis\n{AFTER}\n\nrest\n")
    before = doc.read_text(encoding="utf-8")
    before_outside = before.split(START)[0] + (before.split(END)[1] if END in before else "")

    result = bench(5_000, 8, doc=doc)

    for step in STEPS:
        figures = result[step]
        assert set(figures) == {"mean", "max", "total"}
        assert 0 <= figures["mean"] <= figures["max"] <= figures["total"] + 0.01
    assert result["daily_s"]["total"] > 0
    assert all(v > 0 for v in result["peak_rss_mb"].values())
    assert result["kpi_rows_per_day"] > 0
    assert len(result["alerts_per_day"]) == 8
    breakdown = result["read_breakdown_last_day"]
    assert set(breakdown) >= {"mix_counts", "signal_rates", "numeric_sample (28-day baseline)"}
    assert all(v["s"] >= 0 and v["peak_mb"] > 0 for v in breakdown.values())
    assert result["capped_read_last_day"]["peak_mb"] > 0

    shifts = default_shifts(8)
    assert len(result["shifts_flagged"]) == len(shifts) == 2
    for shift, flagged in zip(shifts, result["shifts_flagged"], strict=True):
        assert flagged["alerts"] >= 1, flagged
        cell = f"{shift.segment_key}={shift.segment_value}"
        assert any(shift.metric in a and cell in a for a in flagged["new_that_day"]), flagged
    # Nothing in the injected cells on a quiet day before the first shift.
    quiet = [a for a in result["standing_alerts"] if "queue=billing" in a or "language=de" in a]
    assert quiet == []

    text = doc.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    section = text[text.index(START) : text.index(END)]
    assert "5,000 interactions" in section and "Reproduce:" in section
    assert "Verdict:" in section and "load average" in section
    outside = text.split(START)[0] + text.split(END)[1]
    assert outside.replace("\n", "") == before_outside.replace("\n", "")
    if AFTER in before:
        assert text.index(AFTER) < text.index(START)

    # A rerun replaces the section, never duplicates it.
    write_benchmark_doc({**result, "n_per_day": 7_000}, doc)
    again = doc.read_text(encoding="utf-8")
    assert again.count(START) == 1 and "7,000 interactions" in again
    assert "5,000 interactions" not in again
