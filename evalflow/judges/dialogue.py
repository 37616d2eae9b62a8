"""Cues the relevance and helpfulness judges share: degenerate form and coherence.

Why a separate module: on open dialogue word overlap with the user's turn says almost
nothing about quality (human-rated chit-chat: AUC ≈ 0.55, docs/judges.md), while the
failures people notice most are about *form*: the reply loops ("kill kill kill"),
is a stock non-answer ("lol", "i don't know"), repeats what the bot already said or
asked, or parrots the user. Those are evidence and justify a ``fail``; coherence with
the turn and the history (semantic similarity, :mod:`evalflow.judges.semantic`) only
grades the rest, which is why the judges say ``uncertain`` when it is neither clearly
coherent nor clearly broken.

The same cues run on 100% of traffic in :mod:`evalflow.signals.degenerate` (one DuckDB
query over the day, which also sees repeats across conversations); here they work on
one row and its conversation history.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from evalflow.judges import semantic
from evalflow.judges.text import content_terms, fold
from evalflow.signals.degenerate import (
    GENERIC_REPLIES,
    MIN_QUESTION_WORDS,
    MIN_TOKENS_FOR_REPETITION,
    REPETITION_FLAG,
)

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_QUESTION = re.compile(r"[^.!?\n]*\?")
_GENERIC = frozenset(" ".join(g.replace("'", " ").split()) for g in GENERIC_REPLIES)
_YES_NO_Q = re.compile(
    r"^(?:do|does|did|are|is|was|were|have|has|had|can|could|will|would|should|shall|"
    r"may|am|isn't|aren't|don't|doesn't|didn't|haven't|won't|wouldn't|can't)\b"
)
_YES_NO_A = frozenset({"yes", "no", "yeah", "yep", "nope", "si", "ja", "nein", "oui", "non"})
_ASKS = re.compile(
    r"\?|\b(?:please|can you|could you|would you|i need|help me|tell me|explain|"
    r"por favor|puedes|necesito|bitte|konnen sie|ich brauche|s'il vous plait|pouvez-vous)\b"
)
MIN_CONTENT_FOR_OFF_TOPIC = 3
"""Both the turn and the reply need this many content words before low similarity counts."""


def normalise(text: str) -> str:
    """Case, accents, digits and punctuation folded: the near-duplicate key."""
    return " ".join(re.sub(r"[^\w']+|\d+|_", " ", fold(text or "")).replace("'", " ").split())


def repetition_ratio(text: str) -> float:
    """``max(rep-3, repeated-token run share)``, the signal's measure for one reply."""
    toks = _TOKEN.findall(fold(text or "").replace("’", "'"))
    n = len(toks)
    if n < 2:
        return 0.0
    runs = sum(toks[i] == toks[i - 1] for i in range(1, n)) / n
    if n < 3:
        return runs
    tri = [tuple(toks[i : i + 3]) for i in range(n - 2)]
    return max(runs, 1.0 - len(set(tri)) / len(tri))


def last_question(text: str) -> str | None:
    """The last question the text asks, normalised, if it has enough words to matter."""
    found = _QUESTION.findall(text or "")
    if not found:
        return None
    q = normalise(found[-1])
    return q if len(q.split()) >= MIN_QUESTION_WORDS else None


@dataclass(frozen=True)
class Degenerate:
    reason: str
    why: str


def degenerate(
    query: str, response: str, bot_turns: list[str], day_repeats: int | None = None
) -> Degenerate | None:
    """Evidence that the reply is broken whatever the topic, or ``None``.

    ``bot_turns`` are the assistant's earlier replies in this conversation;
    ``day_repeats`` is ``interaction_signals.reply_repeats_day`` when known (used only
    in the rationale: a template repeated across users is not by itself a failure).
    """
    if not response or not response.strip():
        return Degenerate("empty", "the reply is empty")
    norm = normalise(response)
    n_tok = len(_TOKEN.findall(fold(response)))
    ratio = repetition_ratio(response)
    if n_tok >= MIN_TOKENS_FOR_REPETITION and ratio >= REPETITION_FLAG:
        return Degenerate("repetitive", f"the reply loops (repetition ratio {ratio:.2f})")
    if norm in _GENERIC and not _answers_yes_no(query, norm):
        return Degenerate("generic", f"stock non-answer {response.strip()[:40]!r}")
    if norm and norm == normalise(query):
        return Degenerate("parrot", "the reply repeats the user's message")
    earlier = {normalise(t) for t in bot_turns}
    if norm and norm in earlier:
        seen = f"; {day_repeats} times today" if day_repeats and day_repeats > 1 else ""
        return Degenerate("repeated_reply", f"the same reply was already given{seen}")
    q = last_question(response)
    if q and any(last_question(t) == q for t in bot_turns):
        return Degenerate("repeated_question", f"asks again {q!r}, already asked")
    return None


_YES_NO_OPENING = re.compile(
    r"^(?:yes|no|yeah|yep|nope|sure|definitely|absolutely|of course|not really|never|always|"
    r"constantly|sometimes|i|i'm|me|we|si|ja|nein|oui|non)\b"
)


def answers_yes_no_question(query: str, response: str) -> bool:
    """The turn asks a yes/no question and the reply opens like an answer to it
    ("do you use facebook?" / "i use it more than i should"): a reason not to call it
    off-topic even when the words differ (it is not a reason to pass it)."""
    q = last_question(query)
    return bool(q and _YES_NO_Q.search(q) and _YES_NO_OPENING.search(normalise(response)))


def _answers_yes_no(query: str, norm_reply: str) -> bool:
    """A bare "yes"/"no" after a yes/no question is an answer, not a non-answer."""
    q = last_question(query) or normalise(query)
    return norm_reply in _YES_NO_A and bool(_YES_NO_Q.search(q))


@dataclass(frozen=True)
class Coherence:
    turn: float  # similarity of the reply to the user's turn
    history: float  # best similarity to an earlier turn of the conversation
    shared: int  # content words the reply shares with the turn and history
    new: int  # content words the reply adds to the conversation
    turn_terms: int
    reply_terms: int
    turn_asks: bool  # the turn asks a question or makes a request
    semantic: bool  # word vectors cover turn and reply (else similarity is lexical only)

    @property
    def best(self) -> float:
        """The turn counts fully, the history at 0.7 (topics carry over, not all of it)."""
        return max(self.turn, 0.7 * self.history)

    @property
    def informativeness(self) -> float:
        """0–1, saturating in the number of new content words (5 → 0.63, 10 → 0.86)."""
        return 1.0 - math.exp(-self.new / 5.0)

    def off_topic(self, floor: float, answers_yes_no: bool = False) -> bool:
        """Strong evidence only: the turn asks for something (in chit-chat a statement
        invites a change of topic, rated fine by people), enough words on both sides,
        nothing shared, semantically far apart."""
        return (
            self.semantic
            and self.turn_asks
            and not answers_yes_no
            and self.turn_terms >= MIN_CONTENT_FOR_OFF_TOPIC
            and self.reply_terms >= MIN_CONTENT_FOR_OFF_TOPIC
            and self.shared == 0
            and self.best < floor
        )


def coherence(query: str, response: str, history_texts: list[str]) -> Coherence:
    """Semantic similarity to the turn and the history, and what the reply adds."""
    texts = [query, *history_texts[-6:]]
    sims = semantic.similarity_matrix([response], texts)[0] if response.strip() else np.zeros(1)
    seen = set(content_terms(" ".join(texts)))
    r_terms = set(content_terms(response))
    return Coherence(
        turn=float(sims[0]),
        history=float(sims[1:].max()) if len(sims) > 1 else 0.0,
        shared=len(r_terms & seen),
        new=len(r_terms - seen),
        turn_terms=len(set(content_terms(query))),
        reply_terms=len(r_terms),
        turn_asks=bool(_ASKS.search(fold(query))),
        semantic=_covered(query, response),
    )


def _covered(query: str, response: str) -> bool:
    """Both texts are well covered by the word vectors. Otherwise (es/de/fr, codes) the
    similarity is character n-grams, which misses paraphrase, so a low value is not
    evidence of anything and no off-topic or canned verdict is drawn from it."""
    if not semantic.available():
        return False
    _, cover = semantic.embed_with_coverage([query, response])
    return bool((cover >= semantic.MIN_COVERAGE).all())
