"""``simulate``: write a period of landing files plus ground truth; ``generate_day``: in memory.

Landing layout (``out_dir`` is the landing folder)::

    out_dir/app=copilot/date=YYYY-MM-DD/part-N.jsonl      (or .jsonl.gz, .parquet, .csv)
    out_dir/_truth/incidents.json                         injected incidents
    out_dir/_truth/interactions/YYYY-MM-DD.parquet        per-interaction truth (UTC day)
    out_dir/_truth/manifest.json                          files, counts, late/duplicate/malformed

The ``date=`` folder is the *arrival* batch, not the record's day: a small share of
records arrive a day late (in the next day's file), and a few are re-sent verbatim,
as real log shippers do. Ingest must therefore partition by ``timestamp`` and
deduplicate by ``interaction_id``; the manifest says exactly how many of each to
expect. ``_truth`` (underscore: the Hive/Spark "not data" convention) is never read
by the pipeline. Files appear atomically (hidden ``.name.partial`` then rename).

Formats by day index ``i``: ``csv`` for ``i == 2`` (periods of 3+ days), ``parquet``
when ``i % 7 == 4``, ``jsonl.gz`` when ``i % 3 == 1``, else ``jsonl``. JSONL holds the
SPEC record exactly (nested ``segment``/``feedback``/``outcome`` objects, ``context``
list; ``timestamp`` an ISO-8601 string with the user's local offset, ``Z``, or epoch
seconds as a JSON number). Parquet keeps the nesting as structs/lists with an ISO
``timestamp`` string. CSV has the same top-level columns, nested values as JSON text.
Gzip files are a series of gzip members (one per 32 MiB), which every reader accepts.

Truth formats:

* ``incidents.json`` -- a JSON list; each object has ``id``, ``kind`` (scenario
  building block: ``hallucination_spike``, ``toxicity_burst``, ``rollout_regression``,
  ``new_failure_theme``, ``bias``, ``input_drift``, ``pii_leak``), ``start_day`` and
  ``end_day`` (ISO dates, inclusive), ``segment_key``/``segment_value`` (a segment key
  or ``rollout_arm``; both null for all traffic), ``metric``, ``magnitude``, ``effect``
  (``rate``: the probability is raised to at least ``magnitude``; ``multiplier``;
  ``delta``: added; ``share``: the segment value's or theme's share of conversations),
  ``description`` and ``theme`` (the theme name for ``new_failure_theme``, else null).
  One kind may have several incidents (one per metric it moves).
* ``interactions/YYYY-MM-DD.parquet`` -- one row per unique interaction of that UTC
  day: ``interaction_id``, ``day`` (date), ``hallucinated``, ``toxic``, ``pii``,
  ``refusal``, ``theme`` (``hallucinated_policy``, ``refusal``, ``toxic_reply``,
  ``pii_leak``, ``app_error``, ``loyalty_points_transfer`` or null for a good answer),
  ``biased`` (in the group a bias incident disadvantages), ``error``, ``late``
  (written into the next day's file), ``resends`` (extra verbatim copies written).
* ``manifest.json`` -- scenario, description, start, days, per_day, seed, dirty,
  ``bias_group`` ({key, value} or null), ``rollout_phases`` ([{traffic_share,
  start_day, end_day}]), ``totals`` ({interactions, lines, duplicates, late,
  malformed}), ``files`` ([{path, format, arrival_day, lines, records,
  late_from_previous_day, duplicates, malformed}] where ``lines = records +
  duplicates + malformed``) and ``malformed_lines`` ([{file, line, kind}], 1-based).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evalflow.simulate.chat import chat_incidents, generate_chat
from evalflow.simulate.generator import generate
from evalflow.simulate.scenarios import BIAS_KEY, BIAS_VALUE, PHASES, SCENARIOS, phase_start
from evalflow.simulate.world import DayBatch, Period
from evalflow.simulate.writer import Format, inject_malformed, write_table

APP_FOLDER = "app=copilot"
TRUTH_FOLDER = "_truth"
LATE_SHARE = 0.004
"""Share of a day's records that arrive in the next day's file."""
DUPLICATE_SHARE = 0.0015
"""Share of records re-sent verbatim (same interaction_id, identical content)."""
MAX_ROWS_PER_FILE = 500_000
DIRTY_LINES = 8


@dataclass(frozen=True)
class SimulationSummary:
    """What ``simulate`` wrote; ``str()`` is the one-line report the CLI prints."""

    scenario: str
    start: dt.date
    days: int
    per_day: int
    seed: int
    interactions: int
    lines: int
    duplicates: int
    late: int
    malformed: int
    incidents: int
    files: tuple[Path, ...]
    truth_dir: Path
    seconds: float = field(compare=False)

    def __str__(self) -> str:
        end = self.start + dt.timedelta(days=self.days - 1)
        return (
            f"{self.interactions:,} interactions {self.start}..{end} in {len(self.files)} files "
            f"({self.lines:,} lines: {self.duplicates:,} duplicate re-sends, {self.late:,} late, "
            f"{self.malformed:,} malformed); {self.incidents} injected incidents; "
            f"{self.seconds:.1f}s"
        )


def file_format(day_index: int, days: int) -> Format:
    """Which format day ``day_index`` is written in: mostly JSONL, some gzip, Parquet, one CSV."""
    if days >= 3 and day_index == 2:
        return "csv"
    if day_index % 7 == 4:
        return "parquet"
    if day_index % 3 == 1:
        return "jsonl.gz"
    return "jsonl"


def _arrival_order(
    own: int, carried: int, dup_of: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Row order of one day's file: its own records in time order, late arrivals from the
    previous day scattered through it, and each re-send somewhere after its original."""
    key_own = np.arange(own, dtype=np.float64)
    key_carried = rng.uniform(0, max(own, 1), carried)
    key_dups = dup_of + 0.5 + rng.uniform(0, 1, len(dup_of)) * (max(own, 1) - dup_of)
    return np.argsort(np.concatenate([key_own, key_carried, key_dups]), kind="stable")


def _clear_previous(out_dir: Path, period: Period) -> None:
    """Remove our own earlier outputs for these days so a format change leaves no stale file."""
    shutil.rmtree(out_dir / TRUTH_FOLDER, ignore_errors=True)
    for i in range(period.days):
        folder = out_dir / APP_FOLDER / f"date={period.day(i).isoformat()}"
        if folder.is_dir():
            for old in folder.glob("part-*"):
                old.unlink()


def simulate(
    start: dt.date,
    days: int,
    per_day: int,
    seed: int,
    scenario: str = "demo",
    out_dir: Path | None = None,
    dirty: bool = False,
    max_rows_per_file: int = MAX_ROWS_PER_FILE,
    style: str = "support",
) -> SimulationSummary:
    """Write ``days`` days of synthetic copilot logs to ``out_dir`` and the truth beside them.

    Same arguments, same bytes: every random draw comes from ``seed`` and the day.
    ``dirty`` adds a handful of malformed JSONL lines (listed in the manifest) to
    exercise the quarantine; by default every line is a valid record. ``style`` is
    ``support`` (the copilot) or ``chat`` (open-domain chat, see ``simulate/chat.py``).
    """
    if out_dir is None:
        raise ValueError("out_dir is required (the landing folder to write into)")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    period = _period(start, days, per_day, seed, scenario, style)
    _clear_previous(out_dir, period)
    truth_dir = out_dir / TRUTH_FOLDER
    (truth_dir / "interactions").mkdir(parents=True, exist_ok=True)

    files: list[Path] = []
    manifest_files: list[dict[str, object]] = []
    carried: pa.Table | None = None
    totals = {"interactions": 0, "lines": 0, "duplicates": 0, "late": 0}
    for i in range(days):
        batch = generate_chat(period, i) if style == "chat" else generate(period, i)
        day = batch.day
        rng = np.random.default_rng(np.random.SeedSequence([seed, day.toordinal(), 2]))
        n = batch.records.num_rows
        late = (rng.random(n) < LATE_SHARE) if i < days - 1 else np.zeros(n, bool)
        resend = rng.random(n) < DUPLICATE_SHARE
        own = batch.records.filter(pa.array(~late))
        late_rows = batch.records.filter(pa.array(late))
        dup_of = np.flatnonzero(resend[~late])
        incoming = carried if carried is not None else late_rows.slice(0, 0)
        order = _arrival_order(own.num_rows, incoming.num_rows, dup_of, rng)
        table = pa.concat_tables([own, incoming, own.take(pa.array(dup_of))]).take(pa.array(order))
        # Where each written line came from: 0 own record, 1 late from yesterday, 2 re-send.
        origin = np.searchsorted(
            [own.num_rows, own.num_rows + incoming.num_rows], order, side="right"
        )
        carried = late_rows

        fmt = file_format(i, days)
        folder = out_dir / APP_FOLDER / f"date={day.isoformat()}"
        for c in range(max(1, -(-table.num_rows // max_rows_per_file))):
            lo = c * max_rows_per_file
            path = folder / f"part-{c}.{fmt}"
            write_table(table.slice(lo, max_rows_per_file), path, fmt)
            files.append(path)
            counts = np.bincount(origin[lo : lo + max_rows_per_file], minlength=3)
            manifest_files.append(
                {
                    "path": path.relative_to(out_dir).as_posix(),
                    "format": fmt,
                    "arrival_day": day.isoformat(),
                    "lines": int(counts.sum()),
                    "records": int(counts[0] + counts[1]),
                    "late_from_previous_day": int(counts[1]),
                    "duplicates": int(counts[2]),
                    "malformed": 0,
                }
            )
        _write_truth(truth_dir, batch, late, resend)
        totals["interactions"] += n
        totals["lines"] += table.num_rows
        totals["duplicates"] += len(dup_of)
        totals["late"] += int(late.sum())

    malformed: list[dict[str, object]] = []
    if dirty:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0, 3]))
        plain = [f for f in files if f.suffix == ".jsonl"]
        malformed = inject_malformed(plain, rng, DIRTY_LINES, out_dir)
        by_path = {str(mf["path"]): mf for mf in manifest_files}
        for entry in malformed:
            mf = by_path[str(entry["file"])]
            mf["lines"] = int(str(mf["lines"])) + 1
            mf["malformed"] = int(str(mf["malformed"])) + 1
        totals["lines"] += len(malformed)

    _write_manifest(truth_dir, period, dirty, manifest_files, malformed, totals)
    (truth_dir / "incidents.json").write_text(
        json.dumps([inc.to_truth(start) for inc in period.incidents], indent=2) + "\n",
        encoding="utf-8",
    )
    return SimulationSummary(
        scenario=scenario,
        start=start,
        days=days,
        per_day=per_day,
        seed=seed,
        interactions=totals["interactions"],
        lines=totals["lines"],
        duplicates=totals["duplicates"],
        late=totals["late"],
        malformed=len(malformed),
        incidents=len(period.incidents),
        files=tuple(files),
        truth_dir=truth_dir,
        seconds=time.perf_counter() - began,
    )


STYLES = ("support", "chat")
CHAT_DESCRIPTION = (
    "Open-domain chat from three bots (aria, bolt, echo): paraphrased answers, no outcomes, "
    "thumbs on a minority of turns, one degenerate bot."
)


def _period(
    start: dt.date, days: int, per_day: int, seed: int, scenario: str, style: str
) -> Period:
    """The simulated period in the requested traffic style (its incidents follow the style)."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of: {', '.join(STYLES)}")
    period = Period(start, days, per_day, seed, scenario)
    period.style = style
    if style == "chat":
        period.incidents = chat_incidents(scenario, days)
    return period


def _write_truth(truth_dir: Path, batch: DayBatch, late: np.ndarray, resend: np.ndarray) -> None:
    truth = batch.truth.append_column("late", pa.array(late)).append_column(
        "resends", pa.array(resend.astype(np.int32) * (~late))
    )
    pq.write_table(
        truth, truth_dir / "interactions" / f"{batch.day.isoformat()}.parquet", compression="zstd"
    )


def _write_manifest(
    truth_dir: Path,
    period: Period,
    dirty: bool,
    files: list[dict[str, object]],
    malformed: list[dict[str, object]],
    totals: dict[str, int],
) -> None:
    phases = []
    for k, share in enumerate(PHASES):
        first, last = phase_start(k, period.days), phase_start(k + 1, period.days) - 1
        last = min(last, period.days - 1)
        if first <= last:
            phases.append(
                {
                    "traffic_share": share,
                    "start_day": period.day(first).isoformat(),
                    "end_day": period.day(last).isoformat(),
                }
            )
    manifest = {
        "scenario": period.scenario,
        "style": period.style,
        "description": (
            CHAT_DESCRIPTION if period.style == "chat" else SCENARIOS[period.scenario].description
        ),
        "start": period.start.isoformat(),
        "days": period.days,
        "per_day": period.per_day,
        "seed": period.seed,
        "dirty": dirty,
        "bias_group": (
            {"key": BIAS_KEY, "value": BIAS_VALUE}
            if any(inc.kind == "bias" for inc in period.incidents)
            else None
        ),
        "rollout_phases": phases,
        "totals": {**totals, "malformed": len(malformed)},
        "files": files,
        "malformed_lines": malformed,
    }
    (truth_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
    )


# --------------------------------------------------------------------------- in memory
SEGMENT_KEYS = ("queue", "urgency", "region", "language", "channel", "customer_tier")
TRUTH_COLUMNS = ("hallucinated", "toxic", "pii", "refusal", "theme", "biased", "error")


def generate_day(
    day: dt.date,
    per_day: int,
    seed: int,
    scenario: str = "demo",
    *,
    start: dt.date | None = None,
    days: int = 28,
    layout: Literal["records", "raw"] = "records",
    with_truth: bool = False,
) -> pd.DataFrame:
    """One day of interactions as a DataFrame, for tests and benchmarks (nothing written).

    ``day`` is placed inside the period ``start .. start+days-1`` (default: ``day`` is
    the first day), which fixes the rollout phase and the active incidents; the rows
    are identical to what ``simulate`` with the same period writes for that day
    (before late arrivals and re-sends are shuffled in).

    ``layout="records"`` gives the SPEC section 1 shape: ``segment``/``feedback``/
    ``outcome`` as dicts, ``context`` as a list, ``timestamp`` as an ISO string with
    offset. ``layout="raw"`` gives the ``raw_interactions`` table shape (``day``,
    UTC-naive ``timestamp``, ``seg_*``, ``feedback_*``, ``outcome_*``, ``segment_json``,
    ``extra_json``, ``source_file``, ``source_line``), ready for
    ``Warehouse.replace_partition``. ``with_truth`` adds ``truth_<name>`` columns.
    """
    start = start or day
    period = Period(start, days, per_day, seed, scenario)
    index = period.index_of(day)
    if not 0 <= index < days:
        raise ValueError(f"{day} is outside the period {start} + {days} days")
    batch = generate(period, index)
    if layout == "records":
        df = batch.records.select(
            [c for c in batch.records.column_names if not c.startswith("_")]
        ).to_pandas()
        df["context"] = batch.records.column("context").to_pylist()
    elif layout == "raw":
        df = _raw_layout(batch)
    else:
        raise ValueError(f"layout must be 'records' or 'raw', not {layout!r}")
    if with_truth:
        truth = batch.truth.to_pandas()
        for col in TRUTH_COLUMNS:
            df[f"truth_{col}"] = truth[col].to_numpy()
    return df


def _raw_layout(batch: DayBatch) -> pd.DataFrame:
    """The day's records as ``raw_interactions`` rows (see docs/tables.md)."""
    source = f"{APP_FOLDER}/date={batch.day.isoformat()}/part-0.jsonl"
    seg = ", ".join(f"segment.{k} AS seg_{k}" for k in SEGMENT_KEYS)
    fb = ", ".join(
        f"feedback.{k} AS feedback_{k}"
        for k in ("rating", "comment", "copied", "edited", "retried")
    )
    oc = ", ".join(
        f"outcome.{k} AS outcome_{k}"
        for k in (
            "escalated",
            "escalation_correct",
            "analyst_override",
            "resolved",
            "sla_met",
            "incident_missed",
            "resolution_minutes",
        )
    )
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("batch", batch.records)
        df = con.execute(
            f"""
            SELECT CAST(_utc AS DATE) AS day, interaction_id, CAST(_utc AS TIMESTAMP) AS timestamp,
                   query, response, conversation_id, CAST(turn AS INTEGER) AS turn, user_id,
                   model_version, prompt_version, rollout_arm, traffic_share,
                   CAST(to_json(segment) AS VARCHAR) AS segment_json, {seg}, context,
                   CAST(latency_ms AS DOUBLE) AS latency_ms,
                   CAST(tokens_in AS DOUBLE) AS tokens_in,
                   CAST(tokens_out AS DOUBLE) AS tokens_out, cost_usd, {fb}, {oc}, error,
                   CAST(NULL AS VARCHAR) AS extra_json, ? AS source_file
            FROM batch
            """,
            [source],
        ).df()
    finally:
        con.close()
    df["source_line"] = np.arange(1, len(df) + 1, dtype=np.int64)
    df["context"] = batch.records.column("context").to_pylist()
    return df


# ------------------------------------------------------------------------ reading truth
def read_manifest(out_dir: Path) -> dict[str, object]:
    """``_truth/manifest.json`` of a simulation written to ``out_dir``."""
    return json.loads((Path(out_dir) / TRUTH_FOLDER / "manifest.json").read_text("utf-8"))


def read_incidents(out_dir: Path) -> pd.DataFrame:
    """The injected incidents as a DataFrame (``start_day``/``end_day`` as dates)."""
    raw = json.loads((Path(out_dir) / TRUTH_FOLDER / "incidents.json").read_text("utf-8"))
    df = pd.DataFrame(
        raw,
        columns=[
            "id",
            "kind",
            "start_day",
            "end_day",
            "segment_key",
            "segment_value",
            "metric",
            "magnitude",
            "effect",
            "description",
            "theme",
        ],
    )
    for col in ("start_day", "end_day"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


def read_interaction_truth(out_dir: Path, days: list[dt.date] | None = None) -> pd.DataFrame:
    """Per-interaction truth of all days (or of ``days``), one row per interaction."""
    folder = Path(out_dir) / TRUTH_FOLDER / "interactions"
    paths = sorted(folder.glob("*.parquet"))
    if days is not None:
        wanted = {d.isoformat() for d in days}
        paths = [p for p in paths if p.stem in wanted]
    if not paths:
        return pd.DataFrame(columns=["interaction_id", "day", *TRUTH_COLUMNS, "late", "resends"])
    return pa.concat_tables([pq.read_table(p) for p in paths]).to_pandas()
