"""The trivial judges every heuristic judge must beat: word overlap, TF-IDF cosine, a bad-word list.

A judge that scores no better than these is measuring the same thing they do, so it
adds cost and false confidence without adding evidence. They are deliberately the
ten-line versions anyone would write; nothing here is tuned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

BAD_WORDS = (
    "fuck", "fucking", "shit", "bitch", "ass", "asshole", "bastard", "damn", "crap", "dick",
    "piss", "cunt", "idiot", "stupid", "moron", "dumb", "retard", "slut", "whore", "hate",
    "kill", "die", "ugly", "loser", "suck", "sucks", "trash", "pig", "scum", "jerk", "fool",
    "shut",
)  # fmt: skip


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS}


def word_overlap(source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """Share of each target's content words found in its source (1 when it has none)."""
    out = np.empty(len(target))
    for i, (src, tgt) in enumerate(zip(source, target, strict=True)):
        words = content_words(tgt)
        out[i] = len(words & content_words(src)) / len(words) if words else 1.0
    return out


def tfidf_cosine(source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """Cosine of the two texts' TF-IDF vectors, fitted on all texts of the set."""
    vec = TfidfVectorizer(lowercase=True, stop_words="english", sublinear_tf=True)
    vec.fit([*source, *target])
    a, b = vec.transform(source), vec.transform(target)
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


_BAD = re.compile(r"\b(?:" + "|".join(BAD_WORDS) + r")\b", re.IGNORECASE)


def bad_word_count(texts: Sequence[str]) -> np.ndarray:
    """How many listed words a text contains: the failure score of the bad-word baseline."""
    return np.array([len(_BAD.findall(t)) for t in texts], dtype=float)
