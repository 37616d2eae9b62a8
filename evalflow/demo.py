"""Demo aids: stand-ins for people, clearly separated from the pipeline.

In production humans label the review queue; in the demo the simulator's ground
truth plays the reviewer, so ``judge_calibration`` has real labels to measure the
judges against. Nothing here is imported by an asset.
"""

from __future__ import annotations

import datetime as dt

from evalflow.config import Paths


def label_review_queue(paths: Paths, day: dt.date) -> int:
    """Label the day's exported review queue from ground truth; returns rows labelled."""
    from evalflow.calibration.demo_labels import labels_from_truth

    queue = paths.review / f"{day.isoformat()}.csv"
    truth = paths.landing / "_truth"
    if not queue.exists() or not truth.exists():
        return 0
    labels = labels_from_truth(truth, [queue])
    if labels.empty:
        return 0
    paths.labels.mkdir(parents=True, exist_ok=True)
    labels.to_csv(paths.labels / f"simulated_reviewer_{day.isoformat()}.csv", index=False)
    return len(labels)
