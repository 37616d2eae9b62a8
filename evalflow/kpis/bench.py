"""Benchmark ``segment_kpis`` at production scale on synthetic upstream frames.

``bench()`` generates, with numpy, frames shaped like ``raw_interactions``,
``interaction_signals``, ``sampled_interactions`` and ``judge_scores`` (the columns this
stage reads), times ``compute_segment_kpis`` day by day, times one DuckDB round trip
(write the day's raw columns, read them back the way the asset does), and writes the
figures into ``docs/benchmarks.md`` between the ``kpis`` markers.

Run: ``.venv/bin/python -m evalflow.kpis.bench [n_per_day] [days]``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import Settings
from evalflow.kpis.metrics import compute_segment_kpis, raw_columns

SEGMENT_VALUES: dict[str, list[str]] = {
    "queue": ["billing", "technical", "account", "outage", "shipping"],
    "urgency": ["low", "medium", "high", "critical"],
    "region": ["na", "emea", "apac", "latam"],
    "language": ["en", "es", "de", "fr"],
    "channel": ["chat", "email", "web"],
    "customer_tier": ["free", "pro", "enterprise"],
}
CRITERIA = ["faithfulness", "relevance", "safety", "helpfulness"]
START = "<!-- kpis:start -->"
END = "<!-- kpis:end -->"


def _nullable_bool(rng: np.random.Generator, n: int, p_true: float, p_null: float) -> pd.Series:
    values = rng.random(n) < p_true
    mask = rng.random(n) < p_null
    return pd.Series(pd.arrays.BooleanArray(values, mask))


def synthetic_day(
    n: int, day: dt.date, seed: int = 0, judged: int = 600, treatment_share: float = 0.25
) -> dict[str, pd.DataFrame]:
    """Upstream frames for one day with realistic rates and nulls (vectorised)."""
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.char.add(f"{day:%Y%m%d}-", np.arange(n).astype(str)), dtype=object)
    treat = rng.random(n) < treatment_share
    raw: dict[str, Any] = {
        "day": day,
        "interaction_id": ids,
        "model_version": np.where(treat, "copilot-v2", "copilot-v1").astype(object),
        "rollout_arm": np.where(treat, "treatment", "control").astype(object),
        "traffic_share": treatment_share,
    }
    for key, values in SEGMENT_VALUES.items():
        raw[f"seg_{key}"] = np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]
    raw["latency_ms"] = rng.lognormal(7.0, 0.5, n)
    raw["cost_usd"] = rng.gamma(2.0, 0.001, n)
    rating = rng.choice(np.array(["up", "down", None], dtype=object), n, p=[0.15, 0.05, 0.80])
    raw["feedback_rating"] = rating
    raw["feedback_copied"] = _nullable_bool(rng, n, 0.3, 0.1)
    raw["feedback_edited"] = _nullable_bool(rng, n, 0.1, 0.1)
    raw["feedback_retried"] = _nullable_bool(rng, n, 0.05, 0.1)
    raw["outcome_escalated"] = _nullable_bool(rng, n, 0.1, 0.2)
    raw["outcome_escalation_correct"] = _nullable_bool(rng, n, 0.8, 0.3)
    raw["outcome_analyst_override"] = _nullable_bool(rng, n, 0.08, 0.2)
    raw["outcome_resolved"] = _nullable_bool(rng, n, 0.85, 0.2)
    raw["outcome_sla_met"] = _nullable_bool(rng, n, 0.92, 0.2)
    raw["outcome_incident_missed"] = _nullable_bool(rng, n, 0.01, 0.2)
    minutes = rng.lognormal(3.5, 0.8, n)
    minutes[rng.random(n) < 0.2] = np.nan
    raw["outcome_resolution_minutes"] = minutes
    raw["error"] = np.where(rng.random(n) < 0.01, "timeout", None).astype(object)
    raw_df = pd.DataFrame(raw)

    grounding = rng.beta(8, 2, n)
    grounding[rng.random(n) < 0.1] = np.nan
    signals = pd.DataFrame(
        {
            "day": day,
            "interaction_id": ids,
            "toxic": rng.random(n) < 0.0005,
            "pii_in_response": rng.random(n) < 0.002,
            "refusal": rng.random(n) < 0.03,
            "relevance_proxy": rng.beta(6, 2, n),
            "grounding_proxy": grounding,
            "sla_breach": raw_df["latency_ms"].to_numpy() > 3000,
        }
    )

    k = min(judged, n)
    pick = rng.choice(n, k, replace=False)
    prob = np.clip(rng.uniform(0.0002, 0.002, k), 0, 1)
    prob[: k // 10] = 1.0
    sampled = pd.DataFrame(
        {
            "day": day,
            "interaction_id": ids.to_numpy()[pick],
            "inclusion_prob": prob,
            "weight": 1.0 / prob,
        }
    )
    j_ids = np.repeat(sampled["interaction_id"].to_numpy(), len(CRITERIA))
    j_crit = np.tile(np.asarray(CRITERIA, dtype=object), k)
    status = rng.choice(
        np.array(["ok", "error", "over_budget"], dtype=object), len(j_ids), p=[0.95, 0.03, 0.02]
    )
    score = np.where(status == "ok", rng.beta(6, 1.5, len(j_ids)), np.nan)
    passed = pd.Series(pd.arrays.BooleanArray(score >= 0.5, status != "ok"))
    judges = pd.DataFrame(
        {
            "day": day,
            "interaction_id": j_ids,
            "criterion": j_crit,
            "status": status,
            "score": score,
            "passed": passed,
        }
    )
    return {"raw": raw_df, "signals": signals, "sampled": sampled, "judges": judges}


def _duckdb_roundtrip(frames: dict[str, pd.DataFrame], day: dt.date, segments: list[str]) -> float:
    """Seconds to read one day's raw columns from DuckDB the way the asset does."""
    from evalflow.storage.warehouse import Warehouse

    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        wh.replace_partition("raw_interactions", frames["raw"], day)
        wh.replace_partition("interaction_signals", frames["signals"], day)
        t0 = time.perf_counter()
        wh.read_partition("raw_interactions", day, columns=raw_columns(segments))
        wh.read_partition("interaction_signals", day)
        return time.perf_counter() - t0


def bench(
    n_per_day: int = 1_000_000,
    days: int = 28,
    measure_days: int | None = None,
    write_docs: bool = True,
) -> dict[str, Any]:
    """Time ``segment_kpis`` over ``days`` days of ``n_per_day`` interactions.

    ``measure_days`` (default: all) limits how many days are actually computed; the
    total for ``days`` is then extrapolated from the mean per-day time and says so.
    """
    settings = Settings()
    measured = min(days, measure_days or days)
    start = dt.date(2026, 10, 5)
    per_day: list[float] = []
    gen_s = 0.0
    rows_out = 0
    roundtrip = None
    for i in range(measured):
        day = start + dt.timedelta(days=i)
        t0 = time.perf_counter()
        frames = synthetic_day(n_per_day, day, seed=i)
        gen_s += time.perf_counter() - t0
        if i == 0:
            roundtrip = _duckdb_roundtrip(frames, day, settings.segments)
        t0 = time.perf_counter()
        res = compute_segment_kpis(
            frames["raw"],
            frames["signals"],
            frames["sampled"],
            frames["judges"],
            segments=settings.segments,
            criteria=settings.judges.criteria,
            kpi=settings.kpis,
            day=day,
        )
        per_day.append(time.perf_counter() - t0)
        rows_out = len(res.frame)
        del frames, res
    mean = float(np.mean(per_day))
    result = {
        "n_per_day": n_per_day,
        "days": days,
        "days_measured": measured,
        "extrapolated": measured < days,
        "compute_s_per_day_mean": round(mean, 3),
        "compute_s_per_day_max": round(float(np.max(per_day)), 3),
        "compute_s_total": round(mean * days if measured < days else float(np.sum(per_day)), 2),
        "duckdb_read_s_per_day": round(roundtrip or 0.0, 3),
        "generation_s_total": round(gen_s, 2),
        "rows_out_per_day": rows_out,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if write_docs:
        write_benchmark_doc(result)
    return result


def render(result: dict[str, Any]) -> str:
    note = (
        f"Measured {result['days_measured']} of {result['days']} days and extrapolated the total "
        "from the mean per-day time."
        if result["extrapolated"]
        else f"All {result['days']} days measured."
    )
    return "\n".join(
        [
            START,
            "## segment_kpis (`evalflow/kpis/bench.py`)",
            "",
            f"Synthetic upstream frames (numpy) at {result['n_per_day']:,} interactions/day, "
            f"600 judged rows × 4 criteria; timed `compute_segment_kpis` per day "
            f"(census + Hájek judge metrics + composite, {result['rows_out_per_day']:,} output rows/day). "
            + note,
            "",
            "| figure | value |",
            "|---|---|",
            f"| compute per day (mean) | {result['compute_s_per_day_mean']:.3f} s |",
            f"| compute per day (max) | {result['compute_s_per_day_max']:.3f} s |",
            f"| compute, {result['days']} days total | {result['compute_s_total']:.1f} s |",
            f"| DuckDB read of one day's columns (raw + signals) | {result['duckdb_read_s_per_day']:.3f} s |",
            f"| machine | {result['machine']} |",
            "",
            f"Reproduce: `.venv/bin/python -m evalflow.kpis.bench {result['n_per_day']} {result['days']}`.",
            END,
        ]
    )


def write_benchmark_doc(result: dict[str, Any], path: Path | None = None) -> Path:
    """Replace only the ``kpis`` section of docs/benchmarks.md (create the file if missing)."""
    path = path or Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
    block = render(result)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    result = bench(*args)
    print(result)
    print("written to", write_benchmark_doc(result))
