"""One risk score per interaction, and the list of red flags that fired.

The score decides which rows the risk-weighted sampler favours, so it must rank
"likely bad" above "likely fine", be cheap, and be explainable. It is a noisy-OR of
independent red flags::

    risk = 1 - Π_k (1 - w_k · s_k)

where ``s_k`` in [0, 1] is the strength of red flag ``k`` for the row and ``w_k`` its
weight (roughly: how likely the interaction is bad given only that flag):

======================  ======  ====================================================
red flag                w_k     strength s_k
======================  ======  ====================================================
toxicity                0.90    toxicity_score
pii                     0.80    1 if PII in the response
error                   0.60    1 if the application logged an error
ungrounded              0.60    (0.7 − grounding) / 0.7, clipped to [0, 1]; 0 if NULL
unsupported_number      0.40    min(1, unsupported numbers / 2)
negative_feedback       0.50    1 if rating is "down"
negative_comment        0.45    −comment_sentiment, clipped to [0, 1]
refusal                 0.35    1 if the answer refuses or deflects
low_relevance           0.20    (0.6 − relevance) / 0.6, clipped; 0 if NULL
implicit_negative       0.25    1 if the user edited the answer or retried
sla_breach              0.10    1 if latency exceeded the SLA
======================  ======  ====================================================

Properties this buys: the score is in [0, 1); it is *monotone* (raising any
strength never lowers the risk, and adding a red flag always raises it); weak flags
combine ("slow and retried" < "toxic"); a NULL signal contributes nothing rather
than a guess. Positive signals (thumbs up, copied) deliberately do not lower risk:
a confident wrong answer is often copied.

``flags`` lists the red flags that *fired*, using the thresholds below (a strength
can be non-zero without the flag firing, e.g. grounding 0.7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RISK_WEIGHTS: dict[str, float] = {
    "toxicity": 0.90,
    "pii": 0.80,
    "error": 0.60,
    "ungrounded": 0.60,
    "unsupported_number": 0.40,
    "negative_feedback": 0.50,
    "negative_comment": 0.45,
    "refusal": 0.35,
    "low_relevance": 0.20,
    "implicit_negative": 0.25,
    "sla_breach": 0.10,
}
FLAG_ORDER: tuple[str, ...] = tuple(RISK_WEIGHTS)

GROUNDING_OK = 0.7
"""Grounding at or above this adds no risk. Real answers carry conversational
boilerplate ("thank you for your patience") that no passage supports, so a
well-grounded answer typically scores 0.4–0.7, not 1."""
UNGROUNDED_BELOW = 0.4
"""The ``ungrounded`` flag fires below this grounding."""
RELEVANCE_OK = 0.6
"""Relevance (calibrated scale, see ``similarity``) at or above this adds no risk."""
LOW_RELEVANCE_BELOW = 0.4
"""The ``low_relevance`` flag fires below this (a query–answer cosine under ~0.05)."""
NEGATIVE_COMMENT_BELOW = 0.0


def _bool(df: pd.DataFrame, col: str) -> np.ndarray:
    """A boolean column with NULL read as False (a red flag needs evidence)."""
    if col not in df:
        return np.zeros(len(df), dtype=bool)
    return df[col].fillna(False).to_numpy(dtype=bool)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def risk_strengths(df: pd.DataFrame) -> pd.DataFrame:
    """Strength in [0, 1] of every red flag (see the module table)."""
    grounding = _num(df, "grounding_proxy")
    relevance = _num(df, "relevance_proxy")
    sentiment = _num(df, "comment_sentiment")
    unsupported = np.nan_to_num(_num(df, "unsupported_numbers"), nan=0.0)
    tox = np.nan_to_num(_num(df, "toxicity_score"), nan=0.0)
    s = {
        "toxicity": np.clip(tox, 0, 1),
        "pii": _bool(df, "pii_in_response").astype(float),
        "error": _bool(df, "has_error").astype(float),
        "ungrounded": np.nan_to_num(np.clip((GROUNDING_OK - grounding) / GROUNDING_OK, 0, 1)),
        "unsupported_number": np.clip(unsupported / 2.0, 0, 1),
        "negative_feedback": _bool(df, "rating_down").astype(float),
        "negative_comment": np.nan_to_num(np.clip(-sentiment, 0, 1)),
        "refusal": _bool(df, "refusal").astype(float),
        "low_relevance": np.nan_to_num(np.clip((RELEVANCE_OK - relevance) / RELEVANCE_OK, 0, 1)),
        "implicit_negative": _bool(df, "implicit_negative").astype(float),
        "sla_breach": _bool(df, "sla_breach").astype(float),
    }
    return pd.DataFrame(s, index=df.index)


def risk_score(df: pd.DataFrame) -> np.ndarray:
    """Noisy-OR risk in [0, 1) (see the module docstring)."""
    strengths = risk_strengths(df)
    keep = np.ones(len(df))
    for name, weight in RISK_WEIGHTS.items():
        keep *= 1.0 - weight * strengths[name].to_numpy()
    return np.clip(1.0 - keep, 0.0, 1.0)


def flag_masks(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Which red flags fired, per row."""
    grounding = _num(df, "grounding_proxy")
    relevance = _num(df, "relevance_proxy")
    sentiment = _num(df, "comment_sentiment")
    unsupported = np.nan_to_num(_num(df, "unsupported_numbers"), nan=0.0)
    with np.errstate(invalid="ignore"):
        return {
            "toxicity": _bool(df, "toxic"),
            "pii": _bool(df, "pii_in_response"),
            "error": _bool(df, "has_error"),
            "ungrounded": grounding < UNGROUNDED_BELOW,
            "unsupported_number": unsupported >= 1,
            "negative_feedback": _bool(df, "rating_down"),
            "negative_comment": sentiment < NEGATIVE_COMMENT_BELOW,
            "refusal": _bool(df, "refusal"),
            "low_relevance": relevance < LOW_RELEVANCE_BELOW,
            "implicit_negative": _bool(df, "implicit_negative"),
            "sla_breach": _bool(df, "sla_breach"),
        }


def flags_text(masks: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Comma-separated fired flags per row (NULL when none), in ``FLAG_ORDER``.

    Rows are encoded as a bitmask first, so only the few distinct combinations are
    turned into strings, not every row.
    """
    code = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(FLAG_ORDER):
        code |= masks[name].astype(np.int64) << bit
    out = np.full(n, None, dtype=object)
    if n == 0:
        return out
    uniq, inverse = np.unique(code, return_inverse=True)
    labels = np.array(
        [
            ",".join(name for bit, name in enumerate(FLAG_ORDER) if (int(c) >> bit) & 1) or None
            for c in uniq
        ],
        dtype=object,
    )
    return labels[inverse.reshape(-1)]
