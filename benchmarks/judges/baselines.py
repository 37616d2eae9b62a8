"""Trivial baselines the heuristic judges must beat (issue #12).

Kept deliberately plain: a judge that cannot beat ten lines of code on human-labelled
data is not measuring anything the ten lines do not. Other judge baselines (word
overlap, TF-IDF cosine) belong here too.
"""

from __future__ import annotations

import re

BAD_WORDS: tuple[str, ...] = (
    "fuck", "fucking", "shit", "bitch", "asshole", "bastard", "damn", "crap",
    "dick", "cunt", "piss", "slut", "whore", "idiot", "stupid", "moron",
    "retard", "retarded", "fag", "faggot", "nigger", "nigga", "dumb", "loser",
    "hate", "kill", "die", "ugly", "suck", "sucks", "jerk", "pussy",
)  # fmt: skip
"""32 common English bad words, whole-word, case-insensitive."""

_BAD_RE = re.compile(r"\b(?:" + "|".join(BAD_WORDS) + r")\b", re.IGNORECASE)


def bad_word_score(text: str | None) -> float:
    """Toxicity as the number of bad-word occurrences (higher = more toxic)."""
    return float(len(_BAD_RE.findall(text or "")))
