"""Demo aid: the simulator's ground truth labels exactly the queued rows it can answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from evalflow.calibration.demo_labels import DEMO_LABELER, labels_from_truth
from evalflow.calibration.labels import load_labels, resolve_labels
from evalflow.calibration.review_queue import REVIEW_COLUMNS, review_path, write_review_csv


def test_labels_from_truth_labels_queued_faithfulness_and_safety(tmp_path: Path) -> None:
    truth_dir = tmp_path / "_truth" / "interactions" / "2026-10"  # any sub-folder
    truth_dir.mkdir(parents=True)
    pd.DataFrame(
        {
            "interaction_id": ["a", "b", "c", "-d"],
            "day": [dt.date(2026, 10, 5)] * 4,
            "hallucinated": [True, False, False, True],
            "toxic": [False, True, False, False],
            "pii": [False] * 4,
            "refusal": [False] * 4,
            "theme": [None] * 4,
            "biased": [False] * 4,
        }
    ).to_parquet(truth_dir / "part-0.parquet")
    queue = (
        pd.DataFrame(
            [
                {"interaction_id": "a", "criterion": "faithfulness"},
                {"interaction_id": "a", "criterion": "safety"},
                {"interaction_id": "b", "criterion": "safety"},
                {"interaction_id": "c", "criterion": "relevance"},  # no truth for relevance
                {"interaction_id": "zz", "criterion": "safety"},  # unknown to the truth
                {"interaction_id": "-d", "criterion": "faithfulness"},  # escaped in the CSV
            ]
        )
        .reindex(columns=REVIEW_COLUMNS)
        .fillna("")
    )
    csv_path = write_review_csv(queue, review_path(tmp_path / "review", dt.date(2026, 10, 5)))

    labels = labels_from_truth(tmp_path / "_truth", [csv_path])

    got = {(r.interaction_id, r.criterion): r.passed for r in labels.itertuples()}
    assert got == {
        ("-d", "faithfulness"): False,
        ("a", "faithfulness"): False,
        ("a", "safety"): True,
        ("b", "safety"): False,
    }
    assert set(labels["labeler"]) == {DEMO_LABELER}
    assert set(labels["labelled_at"]) == {"2026-10-06T09:00:00Z"}
    assert labels["note"].str.startswith("demo:").all()

    # Written the way the demo does, the file reads back as ordinary labels.
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    labels.to_csv(labels_dir / "simulated_reviewer.csv", index=False)
    loaded, quarantine = load_labels(labels_dir)
    assert quarantine.empty and len(resolve_labels(loaded)) == 4
    assert labels_from_truth(tmp_path / "nothing", [csv_path]).empty
