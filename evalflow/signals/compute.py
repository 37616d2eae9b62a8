"""``interaction_signals``: every detector applied to a day of ``raw_interactions``.

``compute_signals`` is the plain, testable function the asset calls. It takes the
raw columns it needs (see ``INPUT_COLUMNS``; ``context_text`` is the row's passages
joined into one string, or ``context`` as a list) and returns one row per
interaction with the columns of ``COLUMNS`` (docs/tables.md). Unknown stays NULL:
no latency means no SLA verdict, no comment means no sentiment, no context means no
grounding.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evalflow.config.settings import SlaSettings
from evalflow.signals.degenerate import COLUMNS as DEGENERATE_COLUMNS
from evalflow.signals.degenerate import degenerate_signals
from evalflow.signals.feedback import comment_sentiment
from evalflow.signals.pii import PLACEHOLDER_RE, detect_pii
from evalflow.signals.refusal import refusal
from evalflow.signals.risk import flag_masks, flags_text, risk_score
from evalflow.signals.similarity import text_signals
from evalflow.signals.toxicity import toxicity

COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day of the interaction (partition)"),
    "interaction_id": ("VARCHAR", "raw_interactions.interaction_id"),
    "toxicity_score": (
        "DOUBLE",
        "0–1 toxicity of the response: the safety judge's whole-token matcher (aim, context, "
        "length-normalised; en/es/de/fr)",
    ),
    "toxic": ("BOOLEAN", "toxicity_score >= 0.5: the safety judge's fail (strong evidence)"),
    "toxicity_terms": ("VARCHAR", "matched toxic terms, comma-separated; NULL if none"),
    "pii_in_response": (
        "BOOLEAN",
        "the response contains an e-mail, phone, card, IBAN or national id",
    ),
    "pii_types": (
        "VARCHAR",
        "email,phone,card,iban,national_id found (comma-separated); NULL if none",
    ),
    "refusal": ("BOOLEAN", "the response refuses or deflects (en/es/de/fr patterns)"),
    "relevance_proxy": (
        "DOUBLE",
        "0–1 query–answer cosine of content stems on a calibrated scale 1−exp(−cos/0.1); NULL if the query has no content word",
    ),
    "grounding_proxy": (
        "DOUBLE",
        "0–1 share of answer content supported by context/query, numbers weigh 3x and each unsupported number x0.6; NULL without context",
    ),
    "unsupported_numbers": (
        "INTEGER",
        "distinct numbers in the answer found in neither context nor query; NULL without context",
    ),
    **DEGENERATE_COLUMNS,
    "latency_ms": ("DOUBLE", "response latency as logged"),
    "sla_breach": ("BOOLEAN", "latency_ms > sla.latency_ms; NULL if latency unknown"),
    "rating_up": ("BOOLEAN", "feedback rating is 'up'"),
    "rating_down": ("BOOLEAN", "feedback rating is 'down'"),
    "comment_sentiment": (
        "DOUBLE",
        "−1..1 lexicon sentiment of the feedback comment; NULL without comment",
    ),
    "implicit_negative": (
        "BOOLEAN",
        "the user edited the answer or retried; NULL if neither is logged",
    ),
    "copied": ("BOOLEAN", "the user copied the answer; NULL if not logged"),
    "has_error": ("BOOLEAN", "the application logged an error"),
    "risk_score": ("DOUBLE", "0–1 noisy-OR of red flags (weights in evalflow/signals/risk.py)"),
    "flags": (
        "VARCHAR",
        "fired red flags, comma-separated (e.g. toxicity,pii,negative_feedback); NULL if none",
    ),
}

INPUT_COLUMNS: tuple[str, ...] = (
    "interaction_id",
    "conversation_id",
    "query",
    "response",
    "context_text",
    "latency_ms",
    "feedback_rating",
    "feedback_comment",
    "feedback_copied",
    "feedback_edited",
    "feedback_retried",
    "error",
)


def empty_signals() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_pandas_dtype(t)) for c, (t, _) in COLUMNS.items()})


def _pandas_dtype(duck: str) -> str:
    return {
        "DOUBLE": "float64",
        "BOOLEAN": "boolean",
        "INTEGER": "Int64",
        "DATE": "object",
    }.get(duck, "object")


def _text(raw: pd.DataFrame, col: str) -> pd.Series:
    if col not in raw:
        return pd.Series([None] * len(raw), index=raw.index, dtype=object)
    return raw[col].astype(object).where(raw[col].notna(), None)


def _context_text(raw: pd.DataFrame) -> pd.Series:
    if "context_text" in raw:
        return _text(raw, "context_text")
    if "context" in raw:

        def _join(v: object) -> str | None:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return None
            if isinstance(v, str):
                return v
            return "\n".join(str(p) for p in v if p is not None)

        return raw["context"].map(_join).astype(object)
    return pd.Series([None] * len(raw), index=raw.index, dtype=object)


def _nullable_bool(raw: pd.DataFrame, col: str) -> pd.Series:
    if col not in raw:
        return pd.Series(pd.NA, index=raw.index, dtype="boolean")
    return raw[col].astype("boolean")


def compute_signals(
    raw: pd.DataFrame, sla: SlaSettings | None = None, day: dt.date | None = None
) -> pd.DataFrame:
    """All online signals for the rows of ``raw`` (one output row per input row)."""
    sla = sla or SlaSettings()
    if raw.empty:
        return empty_signals()
    raw = raw.reset_index(drop=True)
    n = len(raw)
    query = _text(raw, "query")
    response = _text(raw, "response")
    context = _context_text(raw)

    tox = toxicity(response)
    pii = detect_pii(response)
    # Relevance and grounding read the answer with PII masked out: a phone or card
    # number is flagged as PII, it must not also count as a fabricated number.
    answer = response.copy()
    pii_rows = pii["pii_in_response"].to_numpy()
    if pii_rows.any():
        answer[pii_rows] = pii.loc[pii_rows, "redacted"].str.replace(
            PLACEHOLDER_RE, " ", regex=True
        )
    text = text_signals(query.fillna(""), answer.fillna(""), context.fillna(""))
    has_context = context.fillna("").str.strip().str.len().to_numpy() > 0

    if "latency_ms" in raw:
        latency = pd.to_numeric(raw["latency_ms"], errors="coerce").astype(float)
    else:
        latency = pd.Series(np.nan, index=raw.index)
    sla_breach = pd.Series(latency.to_numpy() > sla.latency_ms, index=raw.index).astype("boolean")
    sla_breach[latency.isna()] = pd.NA

    rating = _text(raw, "feedback_rating").str.lower()
    edited = _nullable_bool(raw, "feedback_edited")
    retried = _nullable_bool(raw, "feedback_retried")
    error = _text(raw, "error")

    out = pd.DataFrame(
        {
            "day": day if day is not None else raw.get("day", pd.Series([None] * n)),
            "interaction_id": raw["interaction_id"].astype(str),
            "toxicity_score": tox["toxicity_score"].to_numpy(),
            "toxic": tox["toxic"].to_numpy(),
            "toxicity_terms": tox["toxicity_terms"].to_numpy(),
            "pii_in_response": pii["pii_in_response"].to_numpy(),
            "pii_types": pii["pii_types"].to_numpy(),
            "refusal": refusal(response).to_numpy(),
            "relevance_proxy": text.relevance,
            "grounding_proxy": text.grounding,
            "unsupported_numbers": pd.array(
                np.where(has_context, text.unsupported_numbers, 0), dtype="Int64"
            ),
            "latency_ms": latency.to_numpy(),
            "sla_breach": sla_breach.array,
            "rating_up": (rating == "up").fillna(False).to_numpy(dtype=bool),
            "rating_down": (rating == "down").fillna(False).to_numpy(dtype=bool),
            "comment_sentiment": comment_sentiment(_text(raw, "feedback_comment")).to_numpy(),
            "implicit_negative": (edited | retried).array,
            "copied": _nullable_bool(raw, "feedback_copied").array,
            "has_error": (error.fillna("").str.strip().str.len() > 0).to_numpy(dtype=bool),
        }
    )
    out.loc[~has_context, "unsupported_numbers"] = pd.NA
    # over the whole day at once: repeats across conversations need every row
    degenerate = degenerate_signals(response, _text(raw, "conversation_id"))
    for col in DEGENERATE_COLUMNS:
        out[col] = degenerate[col].to_numpy()
    out["risk_score"] = risk_score(out)
    out["flags"] = flags_text(flag_masks(out), n)
    return out[list(COLUMNS)]
