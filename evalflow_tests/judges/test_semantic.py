"""The shared offline semantic similarity: paraphrase scores high, unrelated low, no network."""

from __future__ import annotations

import numpy as np
import pytest

from evalflow.judges import semantic


def test_embeddings_are_l2_normalised_and_zero_for_unknown_text() -> None:
    e = semantic.embed(["Package 7 left the depot", "xqzvv qwpzz", ""])
    assert e.shape == (3, 300)
    assert np.isclose(np.linalg.norm(e[0]), 1.0, atol=1e-5)
    assert not e[1].any() and not e[2].any()


def test_paraphrase_is_closer_than_an_unrelated_sentence() -> None:
    context = ["Package N departed depot; estimated delivery 2 days"]
    sims = semantic.max_similarity(
        ["Package N left the depot and arrives in 2 days", "Stock markets fell sharply on Tuesday"],
        context,
    )
    assert sims[0] > 0.7 and sims[1] < 0.4 and sims[0] - sims[1] > 0.4


def test_max_similarity_takes_the_best_context_sentence() -> None:
    sims = semantic.max_similarity(
        ["The museum opens at nine in the morning"],
        ["Stock markets fell sharply.", "Opening hours of the museum: nine in the morning."],
    )
    pair = semantic.similarity_matrix(
        ["The museum opens at nine in the morning"],
        ["Opening hours of the museum: nine in the morning."],
    )
    assert sims.shape == (1,) and sims[0] == pytest.approx(pair[0, 0])


def test_empty_inputs_give_empty_or_zero_results() -> None:
    assert semantic.max_similarity([], ["a context"]).shape == (0,)
    assert semantic.max_similarity(["a claim"], []).tolist() == [0.0]
    assert semantic.embed([]).shape == (0, 300)


def test_uncovered_language_falls_back_to_character_ngrams() -> None:
    claims = ["Die Rückerstattung dauert fünf Werktage", "Der Drucker druckt keine Seiten"]
    assert not semantic.covered(claims).any()
    sims = semantic.max_similarity(claims, ["Die Rückerstattung dauert fünf Werktage."])
    assert sims[0] > 0.9 and sims[1] < 0.3


def test_hash_matches_spacy_string_store() -> None:
    # MurmurHash64A, seed 1: the key spaCy stores for "the"; a wrong hash finds no vectors
    assert semantic._row("the") >= 0 and semantic._row("Paris") >= 0
    assert semantic._row("xqzvvplm") == -1


def test_without_the_vectors_wheel_similarity_is_lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise semantic.VectorsUnavailable("not installed")

    monkeypatch.setattr(semantic, "_TABLE", None)
    monkeypatch.setattr(semantic, "_vectors_dir", missing)
    assert not semantic.available()
    sims = semantic.max_similarity(["refund in five days"], ["refund in five days"])
    assert sims[0] == pytest.approx(1.0)
