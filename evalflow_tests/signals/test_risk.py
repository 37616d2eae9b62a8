"""Risk score: range, monotonicity, flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalflow.signals.risk import FLAG_ORDER, RISK_WEIGHTS, flag_masks, flags_text, risk_score

CLEAN = {
    "toxicity_score": 0.0,
    "toxic": False,
    "pii_in_response": False,
    "has_error": False,
    "grounding_proxy": 0.9,
    "unsupported_numbers": 0,
    "rating_down": False,
    "comment_sentiment": np.nan,
    "refusal": False,
    "relevance_proxy": 0.8,
    "implicit_negative": False,
    "sla_breach": False,
}
RED = {
    "toxicity_score": 0.9,
    "toxic": True,
    "pii_in_response": True,
    "has_error": True,
    "grounding_proxy": 0.1,
    "unsupported_numbers": 2,
    "rating_down": True,
    "comment_sentiment": -1.0,
    "refusal": True,
    "relevance_proxy": 0.0,
    "implicit_negative": True,
    "sla_breach": True,
}


def test_clean_row_has_zero_risk_and_no_flags() -> None:
    df = pd.DataFrame([CLEAN])
    assert risk_score(df)[0] == 0.0
    assert flags_text(flag_masks(df), 1)[0] is None


def test_each_red_flag_raises_risk_and_fires_its_flag() -> None:
    base = risk_score(pd.DataFrame([CLEAN]))[0]
    columns = {
        "toxicity": ["toxicity_score", "toxic"],
        "pii": ["pii_in_response"],
        "error": ["has_error"],
        "ungrounded": ["grounding_proxy"],
        "unsupported_number": ["unsupported_numbers"],
        "negative_feedback": ["rating_down"],
        "negative_comment": ["comment_sentiment"],
        "refusal": ["refusal"],
        "low_relevance": ["relevance_proxy"],
        "implicit_negative": ["implicit_negative"],
        "sla_breach": ["sla_breach"],
    }
    assert set(columns) == set(RISK_WEIGHTS)
    for flag, cols in columns.items():
        row = dict(CLEAN)
        for c in cols:
            row[c] = RED[c]
        df = pd.DataFrame([row])
        assert risk_score(df)[0] > base, flag
        assert flag in flags_text(flag_masks(df), 1)[0].split(","), flag


def test_monotone_on_random_rows() -> None:
    """Turning any row's signal towards "worse" never lowers its risk."""
    rng = np.random.default_rng(3)
    n = 2000
    df = pd.DataFrame(
        {
            "toxicity_score": rng.random(n) * (rng.random(n) < 0.2),
            "pii_in_response": rng.random(n) < 0.1,
            "has_error": rng.random(n) < 0.1,
            "grounding_proxy": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
            "unsupported_numbers": rng.integers(0, 4, n),
            "rating_down": rng.random(n) < 0.1,
            "comment_sentiment": np.where(rng.random(n) < 0.7, np.nan, rng.uniform(-1, 1, n)),
            "refusal": rng.random(n) < 0.1,
            "relevance_proxy": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
            "implicit_negative": pd.array(
                np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.2), dtype="boolean"
            ),
            "sla_breach": rng.random(n) < 0.1,
        }
    )
    r0 = risk_score(df)
    assert ((r0 >= 0) & (r0 < 1)).all()
    worse = df.copy()
    worse["toxicity_score"] = np.minimum(1, df["toxicity_score"] + rng.random(n) * 0.5)
    worse["grounding_proxy"] = df["grounding_proxy"] * rng.random(n)
    worse["unsupported_numbers"] = df["unsupported_numbers"] + rng.integers(0, 2, n)
    worse["comment_sentiment"] = df["comment_sentiment"] - rng.random(n)
    worse["relevance_proxy"] = df["relevance_proxy"] * rng.random(n)
    for col in ["pii_in_response", "has_error", "rating_down", "refusal", "sla_breach"]:
        worse[col] = df[col] | (rng.random(n) < 0.3)
    r1 = risk_score(worse)
    assert (r1 >= r0 - 1e-12).all()
    assert (r1 > r0).mean() > 0.5


def test_all_red_flags_is_near_one_and_flags_in_order() -> None:
    df = pd.DataFrame([RED, CLEAN])
    r = risk_score(df)
    assert r[0] > 0.99
    text = flags_text(flag_masks(df), 2)
    assert text[0] == ",".join(FLAG_ORDER)
    assert text[1] is None
