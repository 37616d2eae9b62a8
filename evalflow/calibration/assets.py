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
)
from evalflow.calibration.review_queue import (
    attach_text,
    review_path,
    select_review_rows,
    write_review_csv,
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


def _fmt(value: Any, digits: int = 3) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def summary_markdown(table: pd.DataFrame) -> str:
    """Per criterion and backend: n, agreement, kappa with its interval, corrected rate."""
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
        "judge's measured error (Rogan-Gladen). Labels arrive late, so partition D joins "
        "every label so far to the judge rows of all days up to D: one row set per day, a "
        "running view of judge quality. Also exports the day's stratified human review "
        "queue to review/YYYY-MM-DD.csv and files unusable label rows in label_quarantine."
    ),
    metadata=table_metadata(COLUMNS, TABLE),
    code_version="1",
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
    judges = table[table["backend"] != HUMAN_BACKEND]
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
