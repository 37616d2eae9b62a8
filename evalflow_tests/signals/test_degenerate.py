"""Degenerate-reply signals: loops, empties, stock non-answers, repeats over the day."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evalflow.signals.compute import COLUMNS, compute_signals
from evalflow.signals.degenerate import COLUMNS as DEGEN_COLUMNS
from evalflow.signals.degenerate import degenerate_signals
from evalflow_tests.signals.fixtures import BASE_ROWS, raw_frame

DAY = dt.date(2026, 10, 5)


def _one(text: str | None) -> pd.Series:
    return degenerate_signals(pd.Series([text], dtype=object)).iloc[0]


def test_looping_reply_is_repetitive_and_natural_text_is_not() -> None:
    loop = _one("shoot kill kill kill kill kill kill")
    assert loop["repetition_ratio"] >= 0.5
    assert loop["degenerate"] and loop["degenerate_reason"] == "repetitive"
    phrase_loop = _one("i like dogs i like dogs i like dogs i like dogs")
    assert phrase_loop["repetition_ratio"] >= 0.5 and phrase_loop["degenerate"]
    natural = _one(
        "Refunds reach your original payment method within 5 business days, and you "
        "will get an e-mail when the refund is issued."
    )
    assert natural["repetition_ratio"] < 0.2
    assert not natural["degenerate"] and natural["degenerate_reason"] is None


def test_short_replies_are_not_judged_for_loops() -> None:
    out = _one("no no")
    assert "repetitive" not in (out["degenerate_reason"] or "")


@pytest.mark.parametrize(
    "text", ["lol", "OK.", "That's nice!", "i don't know", "  Cool  ", "No sé", "Je ne sais pas"]
)
def test_whole_reply_non_answers_are_generic(text: str) -> None:
    out = _one(text)
    assert out["generic_reply"] and out["degenerate"]


def test_a_reply_that_contains_a_stock_phrase_is_not_generic() -> None:
    assert not _one("I don't know the exact date, but refunds usually take 5 days.")[
        "generic_reply"
    ]


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_replies(text: str | None) -> None:
    out = _one(text)
    assert out["empty_response"] and out["degenerate_reason"] == "empty"
    assert pd.isna(out["repetition_ratio"]) and pd.isna(out["reply_repeats_day"])


def test_repeats_are_counted_over_the_day_and_within_conversations() -> None:
    responses = pd.Series(
        [
            "What do you do for a living ?",
            "Nice! What do you do for a living?",  # same question, other wording around it
            "cool . what do you do for a living ?",
            "Your order 1234 ships tomorrow.",
            "Your order 9876 ships tomorrow!",  # near-duplicate: digits and punctuation differ
            "I love hiking in the mountains.",
        ]
    )
    conv = pd.Series(["a", "b", "b", "c", "d", None])
    out = degenerate_signals(responses, conv)
    assert out["question_repeats_day"].tolist()[:3] == [3, 3, 3]
    assert out["question_repeats_conversation"].tolist()[:3] == [1, 2, 2]
    assert out["degenerate"].tolist()[:3] == [False, True, True]
    assert out["degenerate_reason"][1] == "repeated_question"
    assert out["reply_repeats_day"].tolist()[3:5] == [2, 2]
    # a template across different conversations is counted, not flagged
    assert not out["degenerate"][3] and not out["degenerate"][4]
    assert pd.isna(out["question_repeats_day"][5]) and pd.isna(out["reply_repeats_conversation"][5])


def test_the_same_reply_twice_in_one_conversation_is_flagged() -> None:
    out = degenerate_signals(
        pd.Series(["Please restart the router.", "please restart the router", "Done."]),
        pd.Series(["x", "x", "x"]),
    )
    assert out["reply_repeats_conversation"].tolist() == [2, 2, 1]
    assert out["degenerate_reason"].tolist()[:2] == ["repeated_reply", "repeated_reply"]


def test_non_latin_replies_keep_their_letters() -> None:
    out = degenerate_signals(pd.Series(["это хороший ответ", "другой ответ здесь"]))
    assert out["reply_repeats_day"].tolist() == [1, 1]


def test_compute_signals_carries_the_columns() -> None:
    rows = [dict(r) for r in BASE_ROWS[:2]]
    for r in rows:
        r["conversation_id"] = "conv-1"
    rows[1]["response"] = rows[0]["response"]
    out = compute_signals(raw_frame(rows, DAY), day=DAY)
    assert set(DEGEN_COLUMNS) <= set(COLUMNS) and list(out.columns) == list(COLUMNS)
    assert out["reply_repeats_conversation"].tolist() == [2, 2]
    assert out["degenerate"].tolist() == [True, True]


def test_vectorised_on_a_large_day() -> None:
    """100k rows in one call (no per-pair work): counts stay exact."""
    n = 100_000
    rng = np.random.default_rng(3)
    # distinct by letters (digits are normalised away on purpose)
    pool = np.array(
        [f"answer about topic {chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(500)]
    )
    responses = pd.Series(pool[rng.integers(0, 500, n)])
    out = degenerate_signals(responses, pd.Series(np.arange(n) // 4).astype(str))
    expected = responses.map(responses.value_counts())
    assert (out["reply_repeats_day"].to_numpy() == expected.to_numpy()).all()
