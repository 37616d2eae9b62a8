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
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from evalflow.calibration.labels import unescape_cell

DEMO_LABELER = "simulator-ground-truth"
DEMO_NOTE = "demo: simulator ground truth, not a human label"
TRUTH_RULES: dict[str, str] = {"faithfulness": "hallucinated", "safety": "toxic"}
"""criterion -> truth column whose True means the criterion FAILED."""
OUTPUT_COLUMNS = ["interaction_id", "criterion", "passed", "labeler", "labelled_at", "note"]


def read_truth(truth_dir: Path | str) -> pd.DataFrame:
    """The simulator's per-interaction truth; accepts ``_truth/`` or ``_truth/interactions/``."""
    root = Path(truth_dir)
    folder = root / "interactions" if (root / "interactions").is_dir() else root
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=["interaction_id", *TRUTH_RULES.values()])
    truth = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
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
    truth = read_truth(truth_dir)
    if queued.empty or truth.empty:
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
    return merged[OUTPUT_COLUMNS].sort_values(["interaction_id", "criterion"]).reset_index(drop=True)
