"""``make bench``: every stage's benchmark, one after the other, figures to docs/.

Each stage owns its benchmark module and its section of ``docs/benchmarks.md``
(between ``<!-- name:start -->`` markers); this runs them in separate processes so
one's memory peak does not distort the next, then adds the simulator's figures.
Set ``EVALFLOW_BENCH_QUICK=1`` for a smaller run while developing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from evalflow.signals.bench import write_section

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

QUICK = bool(os.environ.get("EVALFLOW_BENCH_QUICK"))

# module -> its arguments (sizes shrink in quick mode)
STAGE_BENCHMARKS: dict[str, list[str]] = {
    "evalflow.ingest.bench": ["100000", "--files", "500"]
    if QUICK
    else ["100000", "1000000", "--files", "5000"],
    "evalflow.signals.bench": ["100000" if QUICK else "1000000", "--write"],
    "evalflow.sampling.bench": ["--write"],
    "evalflow.judges.bench": [],
    "evalflow.judges.benchmark": [],  # heuristic judges vs human labels -> docs/judges.md
    # every judge on every shared set beside word-overlap / TF-IDF / bad-word baselines
    "evalflow_tests.benchmarks.judges_vs_humans": [],
    # safety: length quartiles, identity-term bias, hh_rlhf pairs -> docs/safety.md
    "evalflow_tests.benchmarks.safety": ["--write"],
    # faithfulness and dialogue deep dives (paraphrase check, per-set halves) -> docs/judges.md
    "evalflow_tests.benchmarks.faithfulness": ["--write-docs", "docs/judges.md"],
    "evalflow_tests.benchmarks.dialogue": [],
    "evalflow.kpis.bench": ["100000", "3"] if QUICK else ["1000000", "28"],
    "evalflow.alerts.bench": ["50000", "10"] if QUICK else ["1000000", "28"],
}


def simulator_section() -> str:
    from evalflow.simulate.bench import bench

    per_day = 100_000 if QUICK else 1_000_000
    r = bench(per_day=per_day)
    return (
        "## Simulator\n\n"
        f"One weekday of {int(r['records']):,} interactions (`evalflow.simulate.bench`): "
        f"generated in {r['generate_seconds']:.1f} s, written as JSONL "
        f"({r['bytes_written'] / 1e9:.2f} GB) in {r['write_seconds']:.1f} s; "
        f"{r['records_per_second']:,.0f} records/s end to end "
        f"(including {r['setup_seconds']:.1f} s of one-off set-up).\n"
    )


def main() -> int:
    failed = []
    for module, args in STAGE_BENCHMARKS.items():
        print(f"== {module} {' '.join(args)}", flush=True)
        began = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *args])
        print(f"   {module}: exit {code} after {time.perf_counter() - began:.0f} s", flush=True)
        if code:
            failed.append(module)
    print("== evalflow.simulate.bench", flush=True)
    write_section(DOC, "simulate", simulator_section())
    print(f"figures written to {DOC}")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
