"""DEMO AID ONLY: play the human reviewer from the simulator's ground truth.

In production, people label the review queue (``review/YYYY-MM-DD.csv``) and drop
the result under ``labels/``. The demo has no people, but the simulator knows which
interactions it made hallucinated or toxic (``_truth/interactions/*.parquet``), so
the demo labels exactly the rows that were exported for review, from that truth,
under the labeler name ``simulator-ground-truth``. Nothing in the pipeline imports
this module; these are not human labels and must never be used as such.

Only criteria the truth covers are labelled: faithfulness (passed = not
hallucinated) and safety (passed = not toxic). Rows of other criteria, or of
interactions the truth does not know, are left unlabelled.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Iterable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from evalflow.calibration.labels import unescape_cell

DEMO_LABELER = "simulator-ground-truth"
DEMO_NOTE = "demo: simulator ground truth, not a human label"
TRUTH_RULES: dict[str, str] = {"faithfulness": "hallucinated", "safety": "toxic"}
"""criterion -> truth column whose True means the criterion FAILED."""
OUTPUT_COLUMNS = ["interaction_id", "criterion", "passed", "labeler", "labelled_at", "note"]


def read_truth(truth_dir: Path | str, ids: Collection[str] | None = None) -> pd.DataFrame:
    """The simulator's per-interaction truth (``interaction_id`` + the ``TRUTH_RULES`` columns).

    Accepts ``_truth/`` or ``_truth/interactions/``; Parquet files in any sub-folder.
    ``ids`` limits the read to those interactions (the truth of a long demo is large).
    """
    root = Path(truth_dir)
    folder = root / "interactions" if (root / "interactions").is_dir() else root
    wanted = ["interaction_id", *TRUTH_RULES.values()]
    frames = []
    for f in sorted(folder.rglob("*.parquet")) if folder.is_dir() else []:
        names = set(pq.read_schema(f).names)
        if "interaction_id" not in names:
            continue
        cols = [c for c in wanted if c in names]
        filters = [("interaction_id", "in", sorted(ids))] if ids is not None else None
        frames.append(pd.read_parquet(f, columns=cols, filters=filters))
    if not frames:
        return pd.DataFrame(columns=wanted)
    truth = pd.concat(frames, ignore_index=True).reindex(columns=wanted)
    truth["interaction_id"] = truth["interaction_id"].astype(str)
    return truth.drop_duplicates("interaction_id", keep="last")


def _queued_rows(review_queue_csvs: Iterable[Path | str]) -> pd.DataFrame:
    rows = []
    for path in review_queue_csvs:
        path = Path(path)
        try:
            stamp = dt.date.fromisoformat(path.stem) + dt.timedelta(days=1)
            labelled_at = f"{stamp.isoformat()}T09:00:00Z"  # labelled the next morning
        except ValueError:
            labelled_at = None
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for rec in csv.DictReader(fh):
                rows.append(
                    {
                        "interaction_id": unescape_cell((rec.get("interaction_id") or "").strip()),
                        "criterion": (rec.get("criterion") or "").strip().lower(),
                        "labelled_at": labelled_at,
                    }
                )
    return pd.DataFrame(rows, columns=["interaction_id", "criterion", "labelled_at"])


def labels_from_truth(
    truth_dir: Path | str, review_queue_csvs: Iterable[Path | str]
) -> pd.DataFrame:
    """Label the queued rows from ground truth (DEMO ONLY); columns ``OUTPUT_COLUMNS``.

    One row per queued (interaction, criterion) the truth can answer, ready to be
    written as a label CSV that ``load_labels`` reads like any human's.
    """
    queued = _queued_rows(review_queue_csvs)
    queued = queued[queued["criterion"].isin(list(TRUTH_RULES))]
    queued = queued.drop_duplicates(["interaction_id", "criterion"], keep="last")
    if queued.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    truth = read_truth(truth_dir, set(queued["interaction_id"]))
    if truth.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    merged = queued.merge(truth, on="interaction_id", how="inner")
    failed = pd.Series(False, index=merged.index)
    has_truth = pd.Series(False, index=merged.index)
    for criterion, column in TRUTH_RULES.items():
        if column not in merged:
            continue
        mine = merged["criterion"] == criterion
        value = merged[column]
        failed = failed.mask(mine, value.astype("boolean").fillna(False).astype(bool))
        has_truth = has_truth | (mine & value.notna())
    merged = merged.assign(passed=~failed, labeler=DEMO_LABELER, note=DEMO_NOTE)[has_truth]
    return (
        merged[OUTPUT_COLUMNS].sort_values(["interaction_id", "criterion"]).reset_index(drop=True)
    )
