"""Tokenizer, relevance and grounding proxies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalflow.signals.similarity import content_tokens, text_signals
from evalflow.signals.tokens import tokenize, unique_sorted, word_hashes

CTX = "Refund policy: approved refunds are returned to the original payment method within 5 business days."
Q = "How long does a refund take for my order A48213?"


def test_tokens_rows_numbers_and_markers() -> None:
    toks = tokenize(
        [
            "Refunds take 1,299.00 days — ¿Cómo?",
            None,
            "1. Open Settings\n2) Rückerstattung 5 días",
            "",
        ]
    )
    assert toks.n_rows == 4
    assert toks.row.tolist() == [0, 0, 0, 0, 0, 2, 2, 2, 2, 2]
    # "1,299.00" is one number; "¿" and "—" are separators; list markers 1. and 2) are skipped
    assert toks.is_num.tolist() == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        False,
    ]
    assert toks.length.tolist() == [7, 4, 6, 4, 5, 4, 8, 15, 1, 5]


def test_stems_and_canonical_numbers() -> None:
    toks = tokenize(["refund", "refunded", "1,299.00", "1.299,00", "129900", "12990"])
    assert toks.stem[0] == toks.stem[1]  # same 6-byte stem
    assert toks.stem[2] == toks.stem[3] == toks.stem[4]
    assert toks.stem[4] != toks.stem[5]  # numbers are never truncated
    assert toks.full[0] != toks.full[1]


def test_letters_and_digits_split_and_stopwords_drop() -> None:
    toks = content_tokens(tokenize(["Order A94594: the refund is on the way"]))
    # "a" and stop words go, "order", "94594", "refund", "way" stay
    assert toks.is_num.sum() == 1
    assert len(toks.row) == 4
    assert word_hashes(["the", "the"]).size == 1
    assert unique_sorted(np.array([3, 1, 3], dtype=np.uint64)).tolist() == [1, 3]


def _signals(queries: list[str], answers: list[str], contexts: list[str | None] | None):
    return text_signals(
        pd.Series(queries, dtype=object),
        pd.Series(answers, dtype=object),
        None if contexts is None else pd.Series(contexts, dtype=object),
    )


def test_relevance_orders_relevant_above_irrelevant_in_each_language() -> None:
    pairs = [
        (
            "How long does a refund take?",
            "Refunds take 5 business days.",
            "Our office opens at nine on Mondays.",
        ),
        (
            "¿Cuánto tarda el reembolso?",
            "El reembolso tarda 5 días hábiles.",
            "Nuestra oficina abre el lunes.",
        ),
        (
            "Wie lange dauert die Rückerstattung?",
            "Die Rückerstattung dauert 5 Werktage.",
            "Unser Büro öffnet montags.",
        ),
        (
            "Combien de temps prend le remboursement ?",
            "Le remboursement prend 5 jours.",
            "Notre bureau ouvre le lundi.",
        ),
    ]
    for q, good, bad in pairs:
        sig = _signals([q, q], [good, bad], None)
        assert sig.relevance[0] > sig.relevance[1], q
        assert sig.relevance[1] == 0.0
        assert 0.0 <= sig.relevance[0] <= 1.0


def test_relevance_null_without_query_content_and_zero_for_empty_answer() -> None:
    sig = _signals(["hi", Q], ["Hello, how can I help?", ""], None)
    assert np.isnan(sig.relevance[0])
    assert sig.relevance[1] == 0.0
    assert np.isnan(sig.grounding).all()  # no contexts given


def test_grounded_answer_beats_fabricated_and_off_topic_ones() -> None:
    grounded = "Your refund for order A48213 is returned to the original payment method within 5 business days."
    fabricated = "Your refund for order A48213 is returned to the original payment method within 30 business days."
    two_fabricated = (
        "Your refund for order A48213 is returned within 30 business days plus a 12 EUR fee."
    )
    off_topic = "Our premium plan includes unlimited storage and priority phone lines."
    sig = _signals([Q] * 4, [grounded, fabricated, two_fabricated, off_topic], [CTX] * 4)
    g = sig.grounding
    assert g[0] > g[1] > g[2]
    assert g[0] > g[3]
    assert g[0] >= 0.9  # the order number comes from the query, everything else from context
    assert sig.unsupported_numbers.tolist() == [0, 1, 2, 0]
    assert g[1] <= 0.6 * g[0]  # one unsupported number costs at least 40%


def test_grounding_null_without_context_or_answer_content() -> None:
    sig = _signals(
        [Q, Q, Q], ["Refunds take 5 days.", "", "Refunds take 5 days."], [None, CTX, "   "]
    )
    assert np.isnan(sig.grounding).all()
    assert sig.unsupported_numbers.tolist() == [0, 0, 0]


def test_numbers_match_across_formats_and_chunks_agree() -> None:
    q = ["What is the fee?"] * 3
    a = ["The fee is 1,299.00 EUR.", "Die Gebühr beträgt 1.299,00 EUR.", "The fee is 1,399.00 EUR."]
    c = ["Fee: 1299.00 EUR per year."] * 3
    whole = text_signals(pd.Series(q), pd.Series(a), pd.Series(c))
    assert whole.unsupported_numbers.tolist() == [0, 0, 1]
    chunked = text_signals(pd.Series(q), pd.Series(a), pd.Series(c), chunk_rows=1)
    np.testing.assert_allclose(whole.grounding, chunked.grounding)
    np.testing.assert_allclose(whole.relevance, chunked.relevance)
