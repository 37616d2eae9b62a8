"""Dagster wiring of judge calibration: the ``judge_calibration`` asset.

All the logic lives in the plain modules of this package; this file reads the
inputs from DuckDB and the labels folder, calls them, and writes the outputs.
"""

# No ``from __future__ import annotations`` here: Dagster inspects the real type
# of the ``context`` annotation.
import datetime as dt
from collections import Counter
from typing import Any

import dagster as dg
import pandas as pd

from evalflow.calibration.labels import (
    QUARANTINE_TYPES,
    known_criteria,
    labelled_keys,
    labels_fingerprint,
    load_labels,
    resolve_labels,
)
from evalflow.calibration.metrics import (
    COLUMNS,
    HUMAN_BACKEND,
    JUDGE_COLUMNS,
    compute_calibration,
    to_table,
)
from evalflow.calibration.review_queue import (
    attach_text,
    review_path,
    select_review_rows,
    write_review_csv,
)
from evalflow.calibration.validity import (
    ANY_REFERENCE,
    HUMAN_REFERENCE,
    OVERALL,
    USER_SIGNALS,
    ValiditySettings,
    validity_rows,
)
from evalflow.orchestration.metadata import duckdb_types, md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse

TABLE = "judge_calibration"
QUARANTINE_TABLE = "label_quarantine"


def read_judge_rows(wh: Warehouse, day: dt.date, only_day: bool = False) -> pd.DataFrame:
    """Judge rows with a verdict, of ``day`` or of every day up to it; empty if no table."""
    if not wh.table_exists("judge_scores"):
        return pd.DataFrame(columns=JUDGE_COLUMNS)
    cols = ", ".join(JUDGE_COLUMNS)
    op = "=" if only_day else "<="
    return wh.query_df(
        f"SELECT {cols} FROM judge_scores "
        f"WHERE day {op} ? AND status = 'ok' AND passed IS NOT NULL",
        [day],
    )


def read_interaction_text(wh: Warehouse, day: dt.date, ids: list[str]) -> pd.DataFrame:
    """Query, response and context of the given interactions of the day (ids as a parameter)."""
    cols = ["interaction_id", "query", "response", "context"]
    if not ids or not wh.table_exists("raw_interactions"):
        return pd.DataFrame(columns=cols)
    return wh.query_df(
        "SELECT interaction_id, query, response, context FROM raw_interactions "
        "WHERE day = ? AND list_contains(?::VARCHAR[], interaction_id)",
        [day, ids],
    )


def read_validity_inputs(
    wh: Warehouse, start: dt.date, day: dt.date, segment_keys: list[str]
) -> pd.DataFrame:
    """Judged rows of ``start..day`` with their interaction's user signals and segments.

    One row per (interaction, criterion, backend), latest judgement wins. Signal and
    segment columns the table lacks come back NULL; the column names come from fixed
    lists, never from data, and the days are parameters.
    """
    signal_cols = list(USER_SIGNALS)
    seg_cols = [f"seg_{k}" for k in segment_keys]
    empty = pd.DataFrame(columns=["criterion", "backend", "score", *signal_cols, *seg_cols])
    if not (wh.table_exists("judge_scores") and wh.table_exists("raw_interactions")):
        return empty
    have = set(wh.query_df("SELECT * FROM raw_interactions LIMIT 0").columns)
    exprs = [
        f"{expr} AS {name}" if col in have else f"NULL::BOOLEAN AS {name}"
        for name, (col, expr) in USER_SIGNALS.items()
    ]
    exprs += [f"r.{c} AS {c}" if c in have else f"NULL::VARCHAR AS {c}" for c in seg_cols]
    return wh.query_df(
        "SELECT j.criterion, j.backend, j.score, "
        + ", ".join(exprs)
        + " FROM (SELECT * FROM judge_scores WHERE day BETWEEN ? AND ? AND status = 'ok' "
        "AND score IS NOT NULL QUALIFY row_number() OVER (PARTITION BY interaction_id, "
        "criterion, backend ORDER BY day DESC) = 1) j "
        "JOIN raw_interactions r ON r.interaction_id = j.interaction_id "
        "AND r.day BETWEEN ? AND ?",
        [start, day, start, day],
    )


def _fmt(value: Any, digits: int = 3) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def summary_markdown(table: pd.DataFrame) -> str:
    """Per criterion and backend: n, agreement, kappa with its interval, corrected rate."""
    if "reference" in table.columns:
        table = table[table["reference"].fillna(HUMAN_REFERENCE) == HUMAN_REFERENCE]
    if table.empty:
        return "_no judged or labelled rows yet_"
    lines = [
        "| criterion | backend | n | agreement | kappa (95% CI) | precision | recall | corrected failure rate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in table.itertuples(index=False):
        ci = ""
        if not pd.isna(r.kappa_ci_low) and not pd.isna(r.kappa_ci_high):
            ci = f" [{_fmt(r.kappa_ci_low)}, {_fmt(r.kappa_ci_high)}]"
        lines.append(
            f"| {r.criterion} | {r.backend} | {r.n} | {_fmt(r.agreement)} | {_fmt(r.kappa)}{ci} "
            f"| {_fmt(r.precision)} | {_fmt(r.recall)} | {_fmt(r.corrected_prevalence)} |"
        )
    return "\n".join(lines)


def _esc(text: Any) -> str:
    """Markdown-safe cell: no pipes, newlines or HTML from free text."""
    out = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    out = out.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")
    return out


def validity_markdown(table: pd.DataFrame) -> str:
    """Per judge: its validity status, and every overall user-signal AUC with interval.

    Segment rows are counted, with the segments where the judge is unvalidated
    although measured, so a judge that fails in one language shows up.
    """
    if table.empty or "reference" not in table.columns:
        return "_no judge validity rows yet_"
    status = table[table["reference"] == ANY_REFERENCE]
    if status.empty:
        return "_no judge validity rows yet_"
    signals = table[table["reference"].astype(str).str.startswith("user:")]
    lines = [
        "| criterion | backend | validity | overall AUC vs user signals (95% CI) "
        "| segments measured / unvalidated | reason |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in status.itertuples(index=False):
        mine = signals[(signals["criterion"] == r.criterion) & (signals["backend"] == r.backend)]
        overall = mine[mine["segment_key"] == OVERALL]
        aucs = ", ".join(
            f"{s.reference.removeprefix('user:')} {_fmt(s.auc, 2)} "
            f"[{_fmt(s.auc_ci_low, 2)}, {_fmt(s.auc_ci_high, 2)}]"
            if pd.notna(s.auc)
            else f"{s.reference.removeprefix('user:')} n/a"
            for s in overall.itertuples(index=False)
        )
        seg = mine[(mine["segment_key"] != OVERALL) & mine["auc"].notna()]
        bad = seg[seg["validity"] == "unvalidated"]
        named = ", ".join(f"{b.segment_key}={b.segment_value}" for b in bad.head(5).itertuples())
        lines.append(
            f"| {_esc(r.criterion)} | {_esc(r.backend)} | **{r.validity}** | {_esc(aucs) or '—'} "
            f"| {len(seg)} / {len(bad)}{' (' + _esc(named) + ')' if named else ''} "
            f"| {_esc(r.validity_reason)[:300]} |"
        )
    return "\n".join(lines)


@dg.asset(
    name=TABLE,
    partitions_def=daily_partitions,
    group_name="judging",
    kinds={"duckdb", "pandas", "csv"},
    owners=["team:ml-quality"],
    deps=["judge_scores", "raw_interactions"],
    pool="duckdb",
    description=(
        "How far each judge can be trusted, measured against human labels from "
        "$EVALFLOW_HOME/labels/: agreement, precision/recall of failures, Cohen's kappa "
        "with a bootstrap 95% interval, AUC, and the day's failure rate corrected for the "
        "judge's measured error (Rogan-Gladen). Judge validity on this traffic: per judge, "
        "user signal (thumbs, retries, edits, escalations, overrides) and segment cell, the "
        "AUC of the judge score for the bad signal over the trailing week with a DeLong 95% "
        "interval, Benjamini-Hochberg across the day's tests; each judge is validated, "
        "unvalidated or insufficient_data (reference='any' rows), which caps alert "
        "severity downstream. Labels arrive late, so partition D joins "
        "every label so far to the judge rows of all days up to D: one row set per day, a "
        "running view of judge quality. Also exports the day's stratified human review "
        "queue to review/YYYY-MM-DD.csv and files unusable label rows in label_quarantine."
    ),
    metadata=table_metadata(COLUMNS, TABLE),
    code_version="2",
)
def judge_calibration(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    settings = evalflow.settings()
    paths = evalflow.paths
    wh = evalflow.warehouse()
    cal = settings.calibration

    criteria = known_criteria(
        settings.judges.criteria, [r.name for r in settings.judges.custom_rubrics]
    )
    labels, quarantine = load_labels(paths.labels, criteria)
    judge_rows = read_judge_rows(wh, day)

    thresholds = {r.name: r.pass_threshold for r in settings.judges.custom_rubrics}
    table = compute_calibration(judge_rows, labels, day, cal, thresholds)
    vcfg = ValiditySettings.of(cal)
    window_start = day - dt.timedelta(days=vcfg.window_days - 1)
    judged = read_validity_inputs(wh, window_start, day, list(settings.segments))
    human = table[table["backend"] != HUMAN_BACKEND]
    extra = validity_rows(judged, human, day, list(settings.segments), vcfg)
    if extra:
        table = to_table([*table.to_dict("records"), *extra])
    wh.replace_partition(TABLE, table, day, schema=duckdb_types(COLUMNS))
    wh.replace_partition(
        QUARANTINE_TABLE,
        quarantine.assign(day=day)[list(QUARANTINE_TYPES)],
        day,
        schema=QUARANTINE_TYPES,
    )

    judge_day = (
        judge_rows[pd.to_datetime(judge_rows["day"]).dt.date == day]
        if len(judge_rows)
        else judge_rows
    )
    picked = select_review_rows(judge_day, labelled_keys(labels), day, cal, thresholds)
    text = read_interaction_text(wh, day, picked["interaction_id"].astype(str).unique().tolist())
    queue = attach_text(picked, text)
    queue_file = write_review_csv(queue, review_path(paths.review, day))

    resolved = resolve_labels(labels)
    judged_keys = set(zip(judge_rows["interaction_id"], judge_rows["criterion"], strict=True))
    matched = sum(
        k in judged_keys
        for k in zip(resolved["interaction_id"], resolved["criterion"], strict=True)
    )
    reasons = Counter(r.split(":", 1)[0] for r in quarantine["reason"])
    judges = table[(table["backend"] != HUMAN_BACKEND) & (table["reference"] == HUMAN_REFERENCE)]
    status = table[table["reference"] == ANY_REFERENCE]
    context.log.info(
        "calibration %s: %d label rows, %d quarantined, %d queued for review",
        day,
        len(labels),
        len(quarantine),
        len(queue),
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "calibration": dg.MetadataValue.md(summary_markdown(table)),
            "judge_validity": dg.MetadataValue.md(validity_markdown(table)),
            "judges_validated": int((status["validity"] == "validated").sum()),
            "judges_unvalidated": int((status["validity"] == "unvalidated").sum()),
            "judges_insufficient_data": int((status["validity"] == "insufficient_data").sum()),
            "labels": len(labels),
            "labelled_items": len(resolved),
            "labelled_items_matched_to_judge_rows": matched,
            "labelers": int(labels["labeler"].nunique()) if len(labels) else 0,
            "quarantined_labels": len(quarantine),
            "quarantine_reasons": dg.MetadataValue.json(dict(sorted(reasons.items()))),
            "labels_fingerprint": labels_fingerprint(paths.labels),
            "min_kappa": dg.MetadataValue.float(float(judges["kappa"].min()))
            if judges["kappa"].notna().any()
            else dg.MetadataValue.null(),
            "review_queue": dg.MetadataValue.path(str(queue_file)),
            "review_queue_rows": len(queue),
            "preview": md_preview(table),
        }
    )
