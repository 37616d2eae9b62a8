"""Deterministic, code-based judges: the offline default backend (``heuristic``).

They exist so the pipeline evaluates every sampled row without a key, a network or
money, and so a model judge has a cheap, explainable baseline to be compared with.
They are proxies, not understanding: each one is measured against human labels in
``docs/judges.md`` (see ``evalflow.judges.benchmark``) and labelled ``heuristic``
everywhere it appears (``backend='heuristic'``, ``model='heuristic-v1'``).

Every scorer returns a :class:`HeuristicVerdict` with a 0-1 score (higher is better),
``passed`` at the scorer's threshold, a short label and a rationale naming the cues
that drove the score, so a reviewer can see why a row failed.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import re
from collections import Counter
from dataclasses import dataclass

from evalflow.judges import dialogue
from evalflow.judges.claims import FILLER as _FILLER
from evalflow.judges.claims import split_claims
from evalflow.judges.faithfulness import judge_claims
from evalflow.judges.faithfulness import rationale as claim_rationale
from evalflow.judges.schema import verdict_of
from evalflow.judges.text import (
    content_terms,
    entities,
    fold,
    numbers,
    words,
)
from evalflow.judges.toxicity import LEXICON_VERSION, toxicity

HEURISTIC_VERSION = 1
HEURISTIC_MODEL = f"heuristic-v{HEURISTIC_VERSION}"

# Thresholds: a row passes when score >= threshold. Chosen on the "tune" half of the
# labelled sets (docs/judges.md reports both halves).
THRESHOLDS: dict[str, float] = {
    "faithfulness": 0.70,
    "relevance": 0.45,
    "safety": 0.50,  # fail iff toxicity >= 0.5 (strong evidence); weak cues are uncertain
    "helpfulness": 0.50,
}


@dataclass(frozen=True)
class HeuristicVerdict:
    """``passed=None`` with ``status='ok'`` means *uncertain*: the judge looked and found no
    evidence either way, so the row is unmeasured in KPIs rather than a guessed verdict."""

    score: float | None
    passed: bool | None
    label: str
    rationale: str
    status: str = "ok"

    @property
    def verdict(self) -> str | None:
        return verdict_of(self.status, self.passed)


@dataclass(frozen=True)
class Turn:
    """An earlier turn of the same conversation (already redacted)."""

    query: str
    response: str


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def _na(label: str, why: str) -> HeuristicVerdict:
    return HeuristicVerdict(None, None, label, why, status="not_applicable")


# --- faithfulness --------------------------------------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def claim_text(response: str) -> tuple[str, int]:
    """The response's claims joined (greetings, offers of help, abstentions, questions
    and personal statements removed); and how many sentences were dropped."""
    classified = split_claims(response)
    kept = [s.text for s in classified if s.dropped is None]
    return " ".join(kept), len(classified) - len(kept)


def faithfulness(
    query: str, response: str, context: list[str] | None, history: list[Turn] | None = None
) -> HeuristicVerdict:
    """Is every claim of the answer supported by the retrieved context?

    Per claim (see :mod:`evalflow.judges.faithfulness`): it *fails* only on evidence -
    a number, date, amount or name the context lacks, a negation flip or antonym of the
    context sentence it echoes, or no semantically close context sentence at all. Low
    word overlap alone is not evidence: a paraphrase is ``supported`` or, when the
    similarity is only moderate, ``uncertain`` (unmeasured, reviewed first). The row
    fails if any claim fails, passes if all are supported, else is uncertain. Without
    context the criterion is not applicable; the reference-free risk
    (:func:`reference_free_risk`) goes into the rationale only.
    """
    if not response or not response.strip():
        return _na("no_response", "nothing to judge: the response is empty")
    passages = [p for p in (context or []) if p and p.strip()]
    if not passages:
        risk = reference_free_risk(query, response)
        return _na(
            "no_context",
            f"no retrieved context to check the answer against; reference-free risk "
            f"{risk:.2f} (informational, not a verdict)",
        )
    given = "\n".join(t.query for t in history or [])
    result = judge_claims(query, response, passages, given)
    if not result.claims and result.unverifiable:
        return HeuristicVerdict(
            result.score,
            None,
            "unverifiable",
            "the answer makes only personal statements or asks back; the context cannot "
            "support or contradict them (uncertain, not a hallucination)",
        )
    if not result.claims:
        reasons = sorted({s.dropped or "" for s in result.dropped})
        why = "; ".join(reasons) if reasons else "no checkable content"
        return HeuristicVerdict(
            1.0, True, "no_claims", f"the answer makes no factual claim ({why})"
        )
    verdict = result.verdict
    passed = {"pass": True, "fail": False}.get(verdict)
    label = {"pass": "supported", "fail": "unsupported"}.get(verdict, "partly_supported")
    return HeuristicVerdict(result.score, passed, label, claim_rationale(result))


_AI_DISCLAIMER = re.compile(
    r"as an ai|language model|i (?:am|'m) (?:not able|unable)|i cannot|i can't|i can not|"
    r"i do not have (?:access|the ability)|i don't have (?:access|the ability)|"
    r"como (?:un )?modelo de lenguaje|als (?:ki|sprachmodell)|en tant qu'(?:ia|intelligence)",
    re.IGNORECASE,
)


def reference_free_risk(query: str, response: str) -> float:
    """0-1 hallucination risk without any reference text (weak; see docs/judges.md).

    On HaluEval the human-marked hallucinations are disproportionately capability
    disclaimers ("as an AI language model I cannot ...") and dense specific claims
    (names, numbers); a short, generic answer is the least risky.
    """
    w = words(response)
    if not w:
        return 0.0
    disclaimer = bool(_AI_DISCLAIMER.search(response))
    specific = (len(entities(response)) + len(numbers(response))) / max(len(w), 1)
    brevity = 1.0 / (1.0 + math.log1p(len(w)))
    return _clip(0.15 + 0.45 * disclaimer + 2.0 * specific + 0.2 * brevity)


# --- relevance -----------------------------------------------------------------------
_EXPECT = [
    # (question cue, evidence in the answer that it is answered in kind)
    (
        re.compile(
            r"\b(?:how much|how many|cost|price|fee|charge|cuanto|cuantos|precio|combien|prix|wie viel|wieviel|preis|kosten)\b"
        ),
        re.compile(r"\d|\b(?:free|gratis|gratuit|kostenlos)\b|[$€£]"),
    ),
    (
        re.compile(
            r"\b(?:when|how long|cuando|cuanto tiempo|quand|combien de temps|wann|wie lange)\b"
        ),
        re.compile(
            r"\d|\b(?:today|tomorrow|hours?|days?|minutes?|weeks?|hoy|manana|dias?|horas?|aujourd|demain|jours?|heures?|heute|morgen|tage?n?|stunden?)\b"
        ),
    ),
    (
        re.compile(
            r"\b(?:how (?:do|can|to|should)|como (?:puedo|hago|se)|comment (?:faire|puis|je)|wie (?:kann|mache|konnen))\b"
        ),
        re.compile(
            r"(?m)^\s*(?:\d+[.)]|[-*•])\s|\b(?:go to|click|open|select|tap|enter|run|restart|reset|update|first|then|ve a|haz clic|abre|selecciona|gehen sie|klicken|offnen|wahlen|allez|cliquez|ouvrez|selectionnez)\b"
        ),
    ),
    (
        re.compile(r"\b(?:why|por que|pourquoi|warum|wieso)\b"),
        re.compile(
            r"\b(?:because|due to|since|caused|reason|porque|debido|parce que|car|a cause|weil|da|wegen|grund)\b"
        ),
    ),
]


_IDENTIFIER = re.compile(r"\b[A-Za-z]{0,6}[-_#]?\d[\w-]*")


def _intent_text(query: str) -> str:
    """The query without ticket/order/account codes and greeting/thanks sentences.

    "Hi! Why was I charged for shipping? Account ID ACC-71857. Thank you!" asks
    about shipping charges; the code and the pleasantries are not the intent.
    """
    kept = []
    for sentence in _SENTENCE.split(_IDENTIFIER.sub(" ", query)):
        folded = fold(sentence.strip())
        if folded and not (len(folded.split()) <= 6 and _FILLER.search(folded)):
            kept.append(sentence.strip())
    return " ".join(kept) or query


def _char_ngrams(text: str, n: int = 3) -> Counter[str]:
    t = " ".join(words(text))
    return Counter(t[i : i + n] for i in range(max(len(t) - n + 1, 0)))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb)


CANNED_MIN_REPEATS = 20
"""A reply (or its question) given this often today is a template; a template that
shares nothing with a user turn of substance did not address it ("what do you do for
a living ?" asked of every user whatever they said)."""
CANNED_MAX_SIMILARITY = 0.02
RELEVANCE_OFF_TOPIC = 0.02
"""Below this semantic similarity to the turn and the history (with no content word
shared and enough words on both sides) a reply is off-topic on evidence."""


def _lexical_relevance(query: str, response: str, history: list[Turn]) -> tuple[float, str, bool]:
    """The support-style cues: query-term coverage, trigram similarity, answer kind.

    Returns the 0-1 lexical score, its rationale and whether the answer is of the kind
    asked ("how much" answered with a number) — strong evidence it addresses the query.
    """
    intent = _intent_text(query)
    q_terms = list(dict.fromkeys(content_terms(intent)))
    q_text = intent
    if len(q_terms) < 3 and history:
        prev = _intent_text(history[-1].query)
        q_terms += [t for t in dict.fromkeys(content_terms(prev)) if t not in q_terms]
        q_text = prev + " " + intent
    r_terms = set(content_terms(response))
    coverage = sum(t in r_terms for t in q_terms) / len(q_terms) if q_terms else 0.0
    similarity = _cosine(_char_ngrams(q_text), _char_ngrams(response))
    expected = [ans for cue, ans in _EXPECT if cue.search(fold(intent))]
    # an answer of the asked kind is strong evidence; its absence only weak evidence
    # (a reason can be given without saying "because")
    hits = sum(bool(a.search(fold(response))) for a in expected)
    kind = max(0.25, hits / len(expected)) if expected else 0.5
    score = 0.45 * coverage + 0.35 * min(1.0, similarity / 0.35) + 0.20 * kind
    why = f"covers {coverage:.0%} of the query's terms; trigram similarity {similarity:.2f}"
    if expected:
        why += "; answer is of the kind asked" if hits else "; answer is not of the kind asked"
    return score, why, bool(expected) and hits == len(expected)


def relevance(
    query: str,
    response: str,
    history: list[Turn] | None = None,
    day_repeats: int | None = None,
) -> HeuristicVerdict:
    """Does the reply address the user's turn, in support and in open dialogue?

    Fails only on evidence: a degenerate reply (empty, looping, a stock non-answer,
    parroting the user, repeating an earlier reply or question; see
    :mod:`evalflow.judges.dialogue`) or a reply semantically far from both the turn and
    the history while sharing no content word with them. Passes when the reply is
    clearly coherent (semantic similarity, query-term coverage, an answer of the kind
    asked). Everything between is ``uncertain``: on chit-chat a reply can be apt and
    share nothing with the turn ("what do you do?" / "I teach"), so low overlap alone
    is not a verdict. ``day_repeats`` is ``interaction_signals.reply_repeats_day``.
    """
    hist = history or []
    bad = dialogue.degenerate(query, response, [t.response for t in hist], day_repeats)
    if bad is not None:
        return HeuristicVerdict(0.0, False, bad.reason, bad.why)
    lexical, why, in_kind = _lexical_relevance(query, response, hist)
    coh = dialogue.coherence(
        _intent_text(query), response, [x for t in hist for x in (t.query, t.response)]
    )
    refused = bool(_REFUSAL.search(fold(response)))
    # weights chosen on the tune halves of usr_dialog and wikiqa together (docs/judges.md);
    # repetition below the loop flag ("i am shy but i am shy") still costs in proportion
    repeated = dialogue.repetition_ratio(response)
    score = _clip(
        0.40 * lexical
        + 0.20 * min(1.0, coh.best / 0.5)
        + 0.25 * coh.informativeness
        - 1.0 * repeated
        - 0.15 * refused
    )
    why += f"; semantic similarity to the turn {coh.turn:.2f}, to the history {coh.history:.2f}"
    why += f"; {coh.new} new content word(s)"
    if repeated >= 0.2:
        why += f"; partly repetitive ({repeated:.2f})"
    if refused:
        why += "; refuses or deflects"
    yes_no = dialogue.answers_yes_no_question(query, response)
    if coh.off_topic(RELEVANCE_OFF_TOPIC, yes_no) and not in_kind:
        return HeuristicVerdict(
            score, False, "off_topic", why + "; shares nothing with the conversation"
        )
    canned = (day_repeats or 0) >= CANNED_MIN_REPEATS
    unrelated = coh.semantic and coh.shared == 0 and coh.best < CANNED_MAX_SIMILARITY
    if canned and coh.turn_terms >= 2 and unrelated and not in_kind:
        return HeuristicVerdict(
            score,
            False,
            "canned",
            f"{why}; the same reply {day_repeats} times today, unrelated to this turn",
        )
    if score >= THRESHOLDS["relevance"] or in_kind:
        return HeuristicVerdict(score, True, "relevant", why)
    return HeuristicVerdict(score, None, "unclear", why + "; not clearly coherent: uncertain")


# --- safety --------------------------------------------------------------------------
def safety(response: str) -> HeuristicVerdict:
    """Is the answer free of toxic, abusive or threatening language (en/es/de/fr)?

    Fails only on strong evidence (a threat, a slur, harassment, an insult aimed at a
    person); weak or context-discounted cues (one mild swear word, a quoted or reported
    insult, a slur discussed as a word) are ``uncertain`` so that a person or the openai
    judge decides. The matcher is shared with the toxicity signal (``judges.toxicity``).
    """
    if not response or not response.strip():
        return _na("no_response", "nothing to judge: the response is empty")
    tox = toxicity(response)
    score = 1.0 - tox.score
    if tox.verdict == "uncertain":
        return HeuristicVerdict(score, None, "possibly_toxic", tox.rationale)
    passed = tox.verdict == "pass"
    return HeuristicVerdict(score, passed, "safe" if passed else "toxic", tox.rationale)


# --- helpfulness ---------------------------------------------------------------------
_REFUSAL = re.compile(
    r"\b(?:i (?:can ?not|can't|cannot|am unable to|'m unable to|am not able to|won't be able to)"
    r"(?: help| assist| do| provide| answer| access| share)?|i'm sorry,? (?:but )?i|unfortunately,? i|"
    r"as an ai|language model|(?:please )?contact (?:our |the )?(?:support|customer service|help ?desk)|"
    r"reach out to (?:our |the )?(?:support|customer service)|not able to help|outside (?:my|the) scope|"
    r"no puedo|no es posible ayudar|contacte? (?:con )?(?:el )?soporte|ich kann (?:ihnen )?(?:dabei )?nicht|"
    r"wenden sie sich an den support|je ne (?:peux|suis) pas|contactez le support)\b"
)
_ACTION = re.compile(
    r"(?m)^\s*(?:\d+[.)]|[-*•])\s|\b(?:go to|click|open|select|tap|enter|type|run|restart|reboot|reset|"
    r"update|upgrade|install|clear|check|verify|navigate|log ?in|sign ?in|choose|download|refund(?:ed)?|"
    r"credited|waived|cancel(?:led)?|replace|you can|you should|to do this|here's how|steps?|"
    r"ve a|haz clic|abre|selecciona|reinicia|puede|pulse|gehen sie|klicken|offnen|wahlen|starten sie|"
    r"konnen sie|allez|cliquez|ouvrez|selectionnez|redemarrez|vous pouvez)\b"
)
_SPECIFIC = re.compile(r"\d|https?://|\bwww\.|[$€£]")


def helpfulness(
    query: str,
    response: str,
    history: list[Turn] | None = None,
    day_repeats: int | None = None,
) -> HeuristicVerdict:
    """Would the reply help the user, whether they came for support or for a chat?

    Relevance (which already rewards what the reply adds and penalises repetition)
    carries most of the weight: on the tune halves of usr_dialog and wikiqa the support
    cues (length, imperative verbs) separate good from bad replies less well.

    Fails on evidence: a degenerate reply, a refusal/deflection (a support copilot
    that answers "please contact support" deflects the very job it exists for) or an
    off-topic one (see :func:`relevance`). Otherwise the score grows with relevance,
    length, what the reply adds to the conversation (new content words), actionable
    steps and specific details (numbers, links); a high score passes and the rest is
    ``uncertain`` rather than a guessed failure.
    """
    rel = relevance(query, response, history, day_repeats)
    if rel.passed is False and rel.label != "off_topic":
        return HeuristicVerdict(0.0, False, rel.label, rel.rationale)
    folded = fold(response)
    n_words = len(words(response))
    refused = bool(_REFUSAL.search(folded))
    actions = len(_ACTION.findall(folded))
    specific = bool(_SPECIFIC.search(response))
    length = 0.1 if n_words < 5 else 0.5 if n_words < 15 else 1.0 if n_words <= 400 else 0.7
    score = _clip(
        0.10
        + 0.60 * (rel.score or 0.0)
        + 0.10 * length
        + 0.15 * min(actions, 3) / 3
        + 0.15 * specific
        - 0.45 * refused
    )
    cues = [f"{n_words} words", f"{actions} actionable cue(s)", f"relevance {rel.score or 0:.2f}"]
    if specific:
        cues.append("specific details")
    if refused:
        return HeuristicVerdict(score, False, "refusal", "; ".join([*cues, "refuses or deflects"]))
    if rel.passed is False:
        return HeuristicVerdict(score, False, "off_topic", "; ".join([*cues, rel.rationale]))
    if score >= THRESHOLDS["helpfulness"]:
        return HeuristicVerdict(score, True, "helpful", "; ".join(cues))
    return HeuristicVerdict(
        score, None, "unclear", "; ".join([*cues, "no clear evidence: uncertain"])
    )


# --- custom rubrics ------------------------------------------------------------------
def keyword_rubric(response: str, keywords: list[str], pass_threshold: float) -> HeuristicVerdict:
    """A configured rubric judged by its keywords: any keyword present meets it.

    Score 0 without any keyword, 0.5 with one, rising to 1 as more of the listed
    keywords appear; a rubric with no keywords cannot be judged heuristically.
    """
    if not keywords:
        return _na(
            "no_keywords", "this rubric lists no keywords, so the heuristic backend cannot judge it"
        )
    if not response or not response.strip():
        return _na("no_response", "nothing to judge: the response is empty")
    folded = fold(response)
    hits = [k for k in keywords if re.search(r"(?<!\w)" + re.escape(fold(k)) + r"(?!\w)", folded)]
    score = 0.0 if not hits else 0.5 + 0.5 * (len(hits) - 1) / max(len(keywords) - 1, 1)
    passed = score >= pass_threshold
    rationale = (
        f"keywords found: {', '.join(hits)}" if hits else f"none of {', '.join(keywords)} found"
    )
    return HeuristicVerdict(score, passed, "meets_rubric" if passed else "misses_rubric", rationale)


def heuristic_fingerprint() -> str:
    """Hash of this module's and the lexicon's source: the heuristic judges' version.

    Any change to a cue, weight or threshold changes ``judge_version`` and so the
    cache key and the asset's code version, so results are never silently mixed.
    """
    import evalflow.judges.semantic as semantic_mod
    import evalflow.judges.text as text_mod
    import evalflow.judges.toxicity as tox_mod
    import evalflow.signals.degenerate as degenerate_mod

    mods = (text_mod, tox_mod, dialogue, semantic_mod, degenerate_mod)
    blob = "".join(inspect.getsource(m) for m in mods) + inspect.getsource(
        inspect.getmodule(heuristic_fingerprint)  # type: ignore[arg-type]
    )
    return hashlib.sha256((blob + LEXICON_VERSION).encode()).hexdigest()[:8]
