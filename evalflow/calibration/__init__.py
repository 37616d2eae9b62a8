"""Judge calibration: how far the LLM/heuristic judges agree with human labels.

Plain modules: ``labels`` (read and resolve human labels), ``metrics`` (agreement,
precision/recall, kappa, corrected prevalence), ``review_queue`` (what humans label
next); ``demo_labels`` is a demo aid only. ``assets`` wires them into Dagster.
"""

from evalflow.calibration.labels import load_labels, resolve_labels
from evalflow.calibration.metrics import COLUMNS, compute_calibration, rogan_gladen
from evalflow.calibration.review_queue import build_review_queue, write_review_csv

__all__ = [
    "COLUMNS",
    "build_review_queue",
    "compute_calibration",
    "load_labels",
    "resolve_labels",
    "rogan_gladen",
    "write_review_csv",
]
