"""Fairness of the escalation decision, measured with fairlearn.

The copilot's escalation is a binary decision (``y_pred = outcome_escalated``). To
ask whether it errs more for some groups we need ``y_true`` = "escalation was
needed", which no single log field holds. It is derived as:

* ``outcome_escalation_correct`` known ("the escalation decision was right"):
  needed = ``escalated == escalation_correct`` (an escalation judged right was
  needed; a non-escalation judged right was not);
* otherwise, for a row that was *not* escalated, ``outcome_incident_missed`` known:
  needed = ``incident_missed`` (a missed incident is an escalation that should have
  happened);
* otherwise the row is unlabelled and left out.

Limits: missed incidents are only known when someone noticed them, so needed-but-
not-escalated rows are undercounted — escalation recall is overstated and the false
escalation rate understated, and if noticing depends on the group (premium
customers complain louder) the comparison is biased too. Escalated rows whose
correctness was never reviewed drop out, which biases the rates if review coverage
differs by group. The labelled share is reported in the asset metadata.

Per group, fairlearn's ``MetricFrame`` gives the true-positive rate
(``escalation_recall``) and false-positive rate (``false_escalation_rate``); per
attribute, ``demographic_parity_difference``/``_ratio`` (escalation rate, all rows with
a known decision) and ``equalized_odds_difference``/``_ratio`` (labelled rows) over
the groups large enough to be compared. Rows are first collapsed to counts per
(group, y_true, y_pred) and handed to fairlearn as sample weights: identical results,
a few dozen rows instead of millions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)


def bool_parts(s: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(known, value) of a nullable boolean column; an absent column is all unknown."""
    if s is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    b = s.astype("boolean")
    return b.notna().to_numpy(dtype=bool), b.fillna(False).to_numpy(dtype=bool)


def escalation_labels(raw: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labelled, y_true, y_pred) per row; see the module docstring for the derivation."""
    n = len(raw)
    esc_known, escalated = bool_parts(raw.get("outcome_escalated"), n)
    corr_known, correct = bool_parts(raw.get("outcome_escalation_correct"), n)
    miss_known, missed = bool_parts(raw.get("outcome_incident_missed"), n)
    from_correct = esc_known & corr_known
    from_missed = esc_known & ~corr_known & ~escalated & miss_known
    labelled = from_correct | from_missed
    y_true = np.where(from_correct, escalated == correct, missed) & labelled
    return labelled, y_true.astype(bool), escalated & labelled


@dataclass(frozen=True)
class EscalationRates:
    """Per group: positives/negatives and true/false positives (labelled rows)."""

    positives: np.ndarray
    negatives: np.ndarray
    true_pos: np.ndarray
    false_pos: np.ndarray
    recall: np.ndarray
    """fairlearn true_positive_rate per group (NaN when the group has no positives)."""
    false_rate: np.ndarray
    """fairlearn false_positive_rate per group (NaN when the group has no negatives)."""


def _cells(codes: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, k: int) -> pd.DataFrame:
    """Counts per (group, y_true, y_pred): the sample-weighted input fairlearn is given."""
    cell = codes * 4 + y_true.astype(np.int64) * 2 + y_pred.astype(np.int64)
    counts = np.bincount(cell, minlength=4 * k)
    idx = np.flatnonzero(counts)
    return pd.DataFrame(
        {
            "group": idx // 4,
            "y_true": (idx // 2) % 2,
            "y_pred": idx % 2,
            "weight": counts[idx].astype(float),
        }
    )


def escalation_rates(
    codes: np.ndarray, labelled: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, k: int
) -> EscalationRates:
    """Per-group recall and false escalation rate over labelled rows, via ``MetricFrame``."""
    c, yt, yp = codes[labelled], y_true[labelled], y_pred[labelled]
    positives = np.bincount(c, weights=yt.astype(float), minlength=k).astype(np.int64)
    negatives = np.bincount(c, weights=(~yt).astype(float), minlength=k).astype(np.int64)
    true_pos = np.bincount(c, weights=(yt & yp).astype(float), minlength=k).astype(np.int64)
    false_pos = np.bincount(c, weights=(~yt & yp).astype(float), minlength=k).astype(np.int64)
    recall = np.full(k, np.nan)
    false_rate = np.full(k, np.nan)
    if len(c):
        cells = _cells(c, yt, yp, k)
        w = cells["weight"].to_numpy()
        with warnings.catch_warnings():
            # sklearn warns on a group without positives; such groups are set to NaN below.
            warnings.simplefilter("ignore")
            frame = MetricFrame(
                metrics={
                    "recall": true_positive_rate,
                    "false_rate": false_positive_rate,
                    "selection_rate": selection_rate,
                    "rows": count,
                },
                y_true=cells["y_true"].to_numpy(),
                y_pred=cells["y_pred"].to_numpy(),
                sensitive_features=pd.Series(cells["group"].to_numpy(), name="group"),
                sample_params={
                    "recall": {"sample_weight": w},
                    "false_rate": {"sample_weight": w},
                    "selection_rate": {"sample_weight": w},
                },
            )
        by_group = frame.by_group
        groups = by_group.index.to_numpy(dtype=np.int64)
        recall[groups] = by_group["recall"].to_numpy(dtype=float)
        false_rate[groups] = by_group["false_rate"].to_numpy(dtype=float)
    recall = np.where(positives > 0, recall, np.nan)
    false_rate = np.where(negatives > 0, false_rate, np.nan)
    return EscalationRates(positives, negatives, true_pos, false_pos, recall, false_rate)


def _groups_present(codes: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


@dataclass(frozen=True)
class Summary:
    difference: float | None
    ratio: float | None
    n: int
    groups: int


def demographic_parity(
    codes: np.ndarray, known: np.ndarray, escalated: np.ndarray, eligible: np.ndarray
) -> Summary:
    """fairlearn demographic parity of escalation over rows of eligible groups with a known decision."""
    mask = known & eligible[codes]
    groups = _groups_present(codes[mask])
    if groups < 2:
        return Summary(None, None, int(mask.sum()), groups)
    k = int(codes.max()) + 1
    yp = escalated[mask]
    cells = _cells(codes[mask], yp, yp, k)  # y_true is not used by selection rate
    kwargs = {
        "sensitive_features": cells["group"].to_numpy(),
        "sample_weight": cells["weight"].to_numpy(),
    }
    yt_, yp_ = cells["y_true"].to_numpy(), cells["y_pred"].to_numpy()
    return Summary(
        float(demographic_parity_difference(yt_, yp_, **kwargs)),
        float(demographic_parity_ratio(yt_, yp_, **kwargs)),
        int(mask.sum()),
        groups,
    )


def equalized_odds(
    codes: np.ndarray,
    labelled: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    eligible: np.ndarray,
) -> Summary:
    """fairlearn equalized odds of escalation over labelled rows of eligible groups."""
    mask = labelled & eligible[codes]
    groups = _groups_present(codes[mask])
    if groups < 2:
        return Summary(None, None, int(mask.sum()), groups)
    k = int(codes.max()) + 1
    cells = _cells(codes[mask], y_true[mask], y_pred[mask], k)
    kwargs = {
        "sensitive_features": cells["group"].to_numpy(),
        "sample_weight": cells["weight"].to_numpy(),
    }
    yt_, yp_ = cells["y_true"].to_numpy(), cells["y_pred"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diff = float(equalized_odds_difference(yt_, yp_, **kwargs))
        ratio = float(equalized_odds_ratio(yt_, yp_, **kwargs))
    return Summary(diff, ratio if np.isfinite(ratio) else None, int(mask.sum()), groups)
