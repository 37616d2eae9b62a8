from __future__ import annotations

import numpy as np
import pandas as pd

from evalflow.discovery.textspace import (
    centroid_from_json,
    centroid_to_json,
    cosine,
    distinctive_terms,
    fit_themes,
    make_label,
    normalize_text,
    sparse_centroids,
)


def test_normalize_text_folds_case_numbers_and_punctuation() -> None:
    s = pd.Series(["Refund ORDER #12345!!", "refund order 9", None, "mail me at a.b@example.com"])
    out = normalize_text(s)
    assert out[0] == out[1] == "refund order 0"
    assert out[2] == ""
    assert "email" in out[3] and "@" not in out[3]


def _topic_texts() -> tuple[list[str], np.ndarray]:
    a = [
        f"loyalty points transfer to partner {w}" for w in ("now", "today", "asap", "please", "hi")
    ]
    b = [
        f"password reset email never arrives {w}" for w in ("now", "today", "asap", "please", "hi")
    ]
    c = [
        f"duplicate charge refund on my card {w}" for w in ("now", "today", "asap", "please", "hi")
    ]
    texts = a + b + c
    truth = np.repeat([0, 1, 2], 5)
    return texts, truth


def test_fit_themes_separates_distinct_topics() -> None:
    texts, truth = _topic_texts()
    model, _x, z = fit_themes(
        texts, np.ones(len(texts)), use_chars=True, k_min=2, k_max=6, n_components=8, seed=1
    )
    labels, _ = model.assign(z)
    assert model.k == 3
    # Same topic -> same label, different topics -> different labels.
    for t in range(3):
        assert len(set(labels[truth == t])) == 1
    assert len({labels[truth == t][0] for t in range(3)}) == 3
    # A new text on a known topic lands with its topic.
    _, z_new = model.embed(["how to transfer loyalty points to my partner"])
    assert model.assign(z_new)[0][0] == labels[0]


def test_fit_themes_tiny_input_is_one_theme() -> None:
    model, _, z = fit_themes(
        ["only one text"], np.ones(1), use_chars=False, k_min=2, k_max=5, n_components=8, seed=1
    )
    assert model.k == 1
    assert model.assign(z)[0].tolist() == [0]


def test_distinctive_terms_prefer_what_is_overrepresented() -> None:
    docs = pd.Series(
        [
            "loyalty points transfer failed",
            "transfer loyalty points please",
            "reset my password",
            "password reset link",
        ]
    )
    labels = np.array([0, 0, 1, 1])
    background = pd.Series(
        ["please help", "help me please", "order status please"] * 5 + list(docs)
    )
    terms = distinctive_terms(docs, labels, background, top_n=5)
    assert "loyalty" in terms[0] and "loyalty points" in terms[0]
    assert "password" in terms[1]
    assert "please" not in terms[0]  # common in the whole day's traffic
    assert (
        make_label(["loyalty points", "loyalty", "points", "transfer"])
        == "loyalty points / transfer"
    )
    assert make_label([]) == "(no distinctive terms)"


def test_sparse_centroids_roundtrip_and_cosine() -> None:
    texts, truth = _topic_texts()
    _model, x, _ = fit_themes(
        texts, np.ones(len(texts)), use_chars=True, k_min=2, k_max=6, n_components=8, seed=1
    )
    cents = sparse_centroids(x, truth)
    back = centroid_from_json(centroid_to_json(cents[0]))
    assert abs(cosine(back, cents[0]) - 1.0) < 1e-3
    assert cosine(cents[0], cents[1]) < 0.5
    assert centroid_from_json("not json") == {} and cosine({}, cents[0]) == 0.0
