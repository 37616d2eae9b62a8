"""Judge-based prevalences corrected for the judge's own measured error.

A judge that flags 10 % of answers as hallucinated does not mean 10 % are: an
imperfect judge with sensitivity ``Se`` and specificity ``Sp`` reports
``p_obs = π·Se + (1-π)(1-Sp)``. Where ``judge_calibration`` has measured ``Se``
(its ``recall``) and ``Sp`` against human labels *on this traffic*, the true
prevalence is recovered with Rogan–Gladen, ``π = (p_obs + Sp - 1) / (Se + Sp - 1)``
(``evalflow.calibration.metrics.rogan_gladen``), clipped to [0, 1].

The interval must carry both sources of error, the sampling error of ``p_obs`` and
the uncertainty of ``Se``/``Sp`` (estimated from a few dozen labels), so it is a
parametric bootstrap with Jeffreys Beta draws:

* ``p_obs* ~ Beta(x + ½, n_eff - x + ½)`` with ``x = p_obs·n_eff``, ``n_eff`` the
  effective sample size of the Hájek estimate (so the design effect is kept);
* ``Se* ~ Beta(Se·n_pos + ½, (1-Se)·n_pos + ½)`` over the ``n_pos`` human-labelled
  failures, ``Sp*`` likewise over the ``n_neg`` labelled passes. ``judge_calibration``
  post-stratifies ``Se``/``Sp`` to the judged rows; using the plain label counts as
  their sizes ignores the weights' design effect (a documented simplification);
* ``π* = RG(p_obs*, Se*, Sp*)``; draws where ``Se* + Sp* - 1 <= 0`` (the judge would be
  uninformative) count as 0 for the lower and 1 for the upper percentile, so a shaky
  calibration widens the interval instead of being dropped.

The same ``Se*, Sp*`` draws are used for every cell of a day: all cells share one
judge, so their correction errors are correlated, not independent.

When the point estimate ``Se + Sp - 1 <= 0`` the judge is no better than chance on
the labelled rows: the prevalence is unmeasured (NULL, with the reason), never the
raw judge rate presented as if it were the truth. Without calibration the raw rate
is kept and flagged ``judge_correction='none'``, with the reason in ``note``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalflow.kpis.stats import GroupEstimate

DRAWS = 4000
CORRECTED = "rogan_gladen"
UNCORRECTED = "none"


@dataclass(frozen=True)
class JudgeAccuracy:
    """A judge's measured failure-detection accuracy (positive class = failure)."""

    criterion: str
    backend: str
    sensitivity: float
    specificity: float
    n_pos: int
    """Human-labelled failures behind ``sensitivity``."""
    n_neg: int
    """Human-labelled passes behind ``specificity``."""
    as_of: dt.date

    @property
    def youden(self) -> float:
        return self.sensitivity + self.specificity - 1.0

    def describe(self) -> str:
        return (
            f"Rogan–Gladen with the {self.backend} {self.criterion} judge's sensitivity "
            f"{self.sensitivity:.3f} (n={self.n_pos}) and specificity {self.specificity:.3f} "
            f"(n={self.n_neg}) from judge_calibration of {self.as_of}"
        )


def accuracies_from_table(table: pd.DataFrame) -> dict[tuple[str, str], JudgeAccuracy]:
    """Latest usable (criterion, backend) accuracy from ``judge_calibration`` rows.

    ``table``: rows with ``day, criterion, backend, n, recall, specificity,
    human_positive_rate`` (production source, up to the KPI day). A row is usable when
    recall and specificity are measured and it has labelled failures and passes.
    """
    out: dict[tuple[str, str], JudgeAccuracy] = {}
    if table.empty:
        return out
    df = table.dropna(subset=["recall", "specificity", "n", "human_positive_rate"])
    df = df.sort_values("day", kind="stable")
    for r in df.itertuples(index=False):
        n = int(r.n)
        n_pos = round(float(r.human_positive_rate) * n)
        if n_pos <= 0 or n - n_pos <= 0:
            continue
        day = pd.Timestamp(r.day).date()
        out[(str(r.criterion), str(r.backend))] = JudgeAccuracy(
            str(r.criterion),
            str(r.backend),
            float(r.recall),
            float(r.specificity),
            n_pos,
            n - n_pos,
            day,
        )
    return out


def pick_accuracy(
    accuracies: Mapping[tuple[str, str], JudgeAccuracy],
    criterion: str,
    backend_counts: Mapping[str, int],
) -> tuple[JudgeAccuracy | None, str]:
    """The calibration for the backend that produced most of the criterion's verdicts.

    Returns ``(accuracy or None, reason)``; the reason names what is missing, or a
    mixed-backend day (the dominant backend's error is applied to all verdicts).
    """
    if not backend_counts:
        return None, f"no {criterion} verdicts"
    backend = max(sorted(backend_counts), key=lambda b: backend_counts[b])
    acc = accuracies.get((criterion, backend))
    if acc is None:
        return None, (
            f"uncorrected: the {backend} {criterion} judge's sensitivity/specificity against "
            "human labels on this traffic is not measured yet (judge_calibration); the "
            "interval holds sampling error only"
        )
    total = sum(backend_counts.values())
    if backend_counts[backend] < total:
        return acc, (
            f"{acc.describe()}; {total - backend_counts[backend]} of {total} verdicts came "
            "from another backend and are corrected with the same figures"
        )
    return acc, acc.describe()


def _beta(rng: np.random.Generator, p: np.ndarray, n: np.ndarray, size: int) -> np.ndarray:
    """Jeffreys Beta draws for proportions ``p`` out of ``n`` (broadcast to ``(k, size)``)."""
    x = np.asarray(p, dtype=float) * np.asarray(n, dtype=float)
    a = (x + 0.5)[:, None]
    b = (np.asarray(n, dtype=float) - x + 0.5)[:, None]
    return rng.beta(np.broadcast_to(a, (len(x), size)), np.broadcast_to(b, (len(x), size)))


def corrected_prevalence(
    p_obs: np.ndarray,
    n_eff: np.ndarray,
    acc: JudgeAccuracy,
    confidence: float,
    seed: str,
    n: np.ndarray | None = None,
    draws: int = DRAWS,
) -> GroupEstimate:
    """Rogan–Gladen prevalence per group with a bootstrap interval (see the module doc).

    ``p_obs``: the judge's failure rate per group (NaN = unmeasured); ``n_eff`` its
    effective sample size; ``seed`` makes reruns give the same interval.
    """
    p_obs = np.asarray(p_obs, dtype=float)
    k = len(p_obs)
    n_out = np.zeros(k, dtype=np.int64) if n is None else np.asarray(n, dtype=np.int64)
    nan = np.full(k, np.nan)
    if acc.youden <= 0:
        return GroupEstimate(nan, nan, nan, n_out)
    with np.errstate(invalid="ignore"):
        value = np.clip((p_obs + acc.specificity - 1.0) / acc.youden, 0.0, 1.0)
    ok = np.isfinite(p_obs) & np.isfinite(n_eff) & (np.asarray(n_eff) > 0)
    low, high = nan.copy(), nan.copy()
    if ok.any():
        rng = np.random.default_rng(zlib.crc32(seed.encode()))
        se = _beta(rng, np.array([acc.sensitivity]), np.array([acc.n_pos]), draws)[0]
        sp = _beta(rng, np.array([acc.specificity]), np.array([acc.n_neg]), draws)[0]
        p = _beta(rng, p_obs[ok], np.asarray(n_eff, dtype=float)[ok], draws)
        j = se + sp - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            pi = np.clip((p + sp - 1.0) / j, 0.0, 1.0)
        bad = np.broadcast_to(j <= 0, pi.shape)
        alpha = (1.0 - confidence) / 2.0
        low[ok] = np.quantile(np.where(bad, 0.0, pi), alpha, axis=1)
        high[ok] = np.quantile(np.where(bad, 1.0, pi), 1.0 - alpha, axis=1)
        low = np.fmin(low, value)
        high = np.fmax(high, value)
    value = np.where(ok, value, np.nan)
    return GroupEstimate(value, low, high, n_out)
