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
    "relevance": 0.35,
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


def relevance(query: str, response: str, history: list[Turn] | None = None) -> HeuristicVerdict:
    """Does the answer address the query?

    Coverage of the query's content terms, character-trigram similarity (robust to
    inflection across en/es/de/fr) and whether the answer is of the kind asked for
    (a number for "how much", steps for "how do I", a reason for "why"). A short
    follow-up ("and for the other one?") borrows the previous user turn's terms.
    """
    if not response or not response.strip():
        return _na("no_response", "nothing to judge: the response is empty")
    query = _intent_text(query)
    q_terms = list(dict.fromkeys(content_terms(query)))
    q_text = query
    if len(q_terms) < 3 and history:
        prev = _intent_text(history[-1].query)
        q_terms += [t for t in dict.fromkeys(content_terms(prev)) if t not in q_terms]
        q_text = prev + " " + query
    if not q_terms:
        return HeuristicVerdict(
            0.6, True, "no_intent_terms", "the query has no content terms to match"
        )
    r_terms = set(content_terms(response))
    coverage = sum(t in r_terms for t in q_terms) / len(q_terms)
    similarity = _cosine(_char_ngrams(q_text), _char_ngrams(response))
    q_fold = fold(query)
    expected = [ans for cue, ans in _EXPECT if cue.search(q_fold)]
    # an answer of the asked kind is strong evidence; its absence only weak evidence
    # (a reason can be given without saying "because")
    kind = (
        max(0.25, sum(bool(a.search(fold(response))) for a in expected) / len(expected))
        if expected
        else 0.5
    )
    refused = bool(_REFUSAL.search(fold(response)))
    score = _clip(
        0.45 * coverage + 0.35 * min(1.0, similarity / 0.35) + 0.20 * kind - 0.15 * refused
    )
    passed = score >= THRESHOLDS["relevance"]
    rationale = f"covers {coverage:.0%} of the query's terms; trigram similarity {similarity:.2f}"
    if expected:
        rationale += (
            "; answer is of the kind asked" if kind >= 0.5 else "; answer is not of the kind asked"
        )
    if refused:
        rationale += "; refuses or deflects"
    return HeuristicVerdict(score, passed, "relevant" if passed else "off_topic", rationale)


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


def helpfulness(query: str, response: str, history: list[Turn] | None = None) -> HeuristicVerdict:
    """Would the answer help the user act? Refusal/deflection, length, actionable cues.

    A support copilot that answers "please contact support" deflects the very job it
    exists for, so deflection counts like a refusal. Very short answers rarely carry
    a solution; actionable steps, specific details (numbers, links) and relevance to
    the question raise the score.
    """
    if not response or not response.strip():
        return _na("no_response", "nothing to judge: the response is empty")
    folded = fold(response)
    n_words = len(words(response))
    refused = bool(_REFUSAL.search(folded))
    actions = len(_ACTION.findall(folded))
    specific = bool(_SPECIFIC.search(response))
    if n_words < 5:
        length = 0.1
    elif n_words < 15:
        length = 0.5
    elif n_words <= 400:
        length = 1.0
    else:
        length = 0.7
    rel = relevance(query, response, history).score or 0.0
    score = _clip(
        0.15
        + 0.30 * rel
        + 0.25 * length
        + 0.20 * min(actions, 3) / 3
        + 0.10 * specific
        - 0.45 * refused
    )
    passed = score >= THRESHOLDS["helpfulness"]
    cues = [f"{n_words} words", f"{actions} actionable cue(s)", f"relevance {rel:.2f}"]
    if specific:
        cues.append("specific details")
    if refused:
        cues.append("refuses or deflects")
    label = "helpful" if passed else ("refusal" if refused else "unhelpful")
    return HeuristicVerdict(score, passed, label, "; ".join(cues))


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
    import evalflow.judges.text as text_mod
    import evalflow.judges.toxicity as tox_mod

    blob = "".join(inspect.getsource(m) for m in (text_mod, tox_mod)) + inspect.getsource(
        inspect.getmodule(heuristic_fingerprint)  # type: ignore[arg-type]
    )
    return hashlib.sha256((blob + LEXICON_VERSION).encode()).hexdigest()[:8]
