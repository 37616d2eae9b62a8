"""Per-claim faithfulness: a claim fails only on evidence, never on low word overlap.

Why: an overlap score calls a faithful paraphrase ("Package 7 left the depot and
arrives in 2 days" for "Package 7 departed depot; estimated delivery 2 days") a
hallucination, and on paraphrasing traffic that becomes a false alarm every day. So
each claim of the answer is checked for *evidence* of unfaithfulness:

* a hard fact the context (and the user's own words) lack: a number, amount, date or
  name, after normalisation ("two" = "2", "$5" = "5 dollars");
* a contradiction of the context sentence it paraphrases: a negation flip or an antonym;
* no semantically close context sentence at all (offline word vectors, see
  :mod:`evalflow.judges.semantic`).

A claim close to the context with no such evidence is ``supported``; anything in
between is ``uncertain`` (unmeasured, goes to review), not a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from evalflow.judges import claims as C
from evalflow.judges import semantic
from evalflow.judges.text import content_terms, fold, guess_language, stem, words

# Thresholds on the similarity scale of semantic.max_similarity (chosen on the "tune"
# halves of BEGIN and HaluEval-QA together; both halves are in docs/judges.md).
SUPPORTED_SIM = 0.75  # a context sentence says the same thing
UNSUPPORTED_SIM = 0.30  # nothing in the context is about this at all
SOFT_WORD_SIM = 0.65  # a context word close enough to count as the same word
COMMON_RANK = 2500
SUPPORTED_SIM_ALONE = 0.90  # a near-restatement: neutral on the labelled tune halves
SUPPORTED_WORDS_WITH_SIM = 0.6
SUPPORTED_WORDS = 0.9
SUPPORTED_SIM_WITH_WORDS = 0.5
NO_SUPPORT_WORDS = 1.01
UNVERIFIABLE_SCORE = 0.5
_BANDS = {
    "fail": (0.0, 0.3),
    "uncertain": (0.3, 0.4),
    "pass": (0.7, 0.3),
}  # only personal statements / questions: neither pass nor fail  # vector-table rows above this rank are ordinary words, not names

_NEGATION = re.compile(
    r"\b(?:not|never|no(?![.\s]*\d)|none|nobody|nothing|nor|neither|cannot|without|"
    r"nunca|nada|ningun|ninguna|nicht|kein|keine|keinen|niemals|jamais|aucun|aucune)\b|n't\b",
)
_ANTONYMS = [
    ("open", "closed"), ("available", "unavailable"), ("increase", "decrease"),
    ("increased", "decreased"), ("before", "after"), ("more", "less"), ("free", "paid"),
    ("included", "excluded"), ("allowed", "forbidden"), ("possible", "impossible"),
    ("accepted", "rejected"), ("approved", "denied"), ("enabled", "disabled"),
    ("success", "failure"), ("successful", "failed"), ("higher", "lower"),
    ("larger", "smaller"), ("largest", "smallest"), ("first", "last"), ("early", "late"),
    ("earlier", "later"), ("true", "false"), ("win", "lose"), ("won", "lost"),
    ("always", "never"), ("male", "female"), ("north", "south"), ("east", "west"),
    ("refundable", "non-refundable"), ("online", "offline"), ("public", "private"),
]  # fmt: skip
_NUMBER_WORDS = C.number_words()
_ANTONYM = {a: b for a, b in _ANTONYMS} | {b: a for a, b in _ANTONYMS}


@dataclass(frozen=True)
class ClaimResult:
    text: str
    status: str  # supported | uncertain | fail
    similarity: float
    word_support: float
    literal: float
    evidence: tuple[str, ...] = ()
    doubts: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        """0-1 support; hard evidence caps it so the ranking follows the verdict."""
        base = 0.4 * self.similarity + 0.3 * self.word_support + 0.3 * self.literal
        if self.evidence:
            return min(base, 0.25)
        return min(base, 0.6) if self.doubts else base


@dataclass(frozen=True)
class FaithfulnessResult:
    claims: list[ClaimResult]
    dropped: list[C.Sentence] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.claims:
            return "uncertain" if self.unverifiable else "pass"
        if any(c.status == "fail" for c in self.claims):
            return "fail"
        if all(c.status == "supported" for c in self.claims):
            return "pass"
        return "uncertain"

    @property
    def unverifiable(self) -> int:
        """Sentences the context cannot speak to (personal statements, questions back)."""
        unverifiable = (C.PERSONAL_REASON, C.QUESTION_REASON, C.REACTION_REASON)
        return sum(s.dropped in unverifiable for s in self.dropped)

    @property
    def score(self) -> float:
        """0-1, banded by verdict so a score threshold agrees with it: fail < 0.3 <=
        uncertain < 0.7 <= pass; within a band, the weakest claim's support ranks."""
        if not self.claims:
            return UNVERIFIABLE_SCORE if self.unverifiable else 1.0
        share = self.unverifiable / (self.unverifiable + len(self.claims))
        raw = min(c.score for c in self.claims) * (1.0 - 0.3 * share)
        low, width = _BANDS[self.verdict]
        return low + width * min(max(raw, 0.0), 0.999)


def _is_common(word: str) -> bool:
    rank = semantic.word_rank(word)
    return 0 <= rank < COMMON_RANK


def _present(name: str, given_words: set[str], given_stems: set[str]) -> bool:
    """A name is present when each of its word parts is ("D.C.", "Mar-a-Lago")."""
    parts = [p for p in words(re.split(r"['’]", name)[0]) if not p.isdigit()]
    return all(_present_word(p, given_words, given_stems) for p in parts)


def _present_word(w: str, given_words: set[str], given_stems: set[str]) -> bool:
    if w in given_words or stem(w) in given_stems:
        return True
    # inflections and possessives only ("Goertz" / "Goertzes"), not "George" / "Georgetown"
    return len(w) >= 4 and any(
        (g.startswith(w) or w.startswith(g)) and abs(len(g) - len(w)) <= 2
        for g in given_words
        if len(g) >= 4
    )


def _word_support(claim: str, ctx_terms: list[str], ctx_vecs: np.ndarray) -> float:
    """Share of the claim's content words that the context has, or a near synonym of.

    Number words are left out: numbers are compared normalised, as hard facts.
    """
    terms = [
        w
        for w in words(claim)
        if len(w) > 1 and w not in _NUMBER_WORDS and stem(w) in set(content_terms(w))
    ]
    if not terms:
        return 1.0
    ctx_stems = {stem(t) for t in ctx_terms}
    missing = [t for t in terms if stem(t) not in ctx_stems]
    if not missing or not len(ctx_vecs) or not semantic.available():
        return 1.0 - len(missing) / len(terms)
    vecs = semantic.word_vectors(missing)
    close = (vecs @ ctx_vecs.T).max(axis=1) >= SOFT_WORD_SIM
    return 1.0 - (len(missing) - int(close.sum())) / len(terms)


def _negated(folded: str) -> set[str]:
    """Stems of the (up to 3) content words each negation in a text applies to."""
    scope: set[str] = set()
    for m in _NEGATION.finditer(folded):
        if folded[m.end() : m.end() + 5].strip().startswith("only"):  # "not only X but Y"
            continue
        scope.update(stem(w) for w in content_terms(folded[m.end() : m.end() + 60])[:3])
    return scope


def _contradiction(claim: str, best: str, sim: float) -> str | None:
    """A negation flip or an antonym between a claim and the context sentence it echoes.

    Only on a claim that echoes the sentence (similarity at least midway to
    ``SUPPORTED_SIM``); dropping a negation needs a close echo, because the context
    sentence often negates something the claim does not repeat.
    """
    if sim < (SUPPORTED_SIM + UNSUPPORTED_SIM) / 2:
        return None
    c, b = fold(claim), fold(best)
    scope_c, scope_b = _negated(c), _negated(b)
    cw, bw = {stem(w) for w in words(c)}, {stem(w) for w in words(b)}
    # a negation counts when what it negates is in the other text too: "not open on
    # Mondays" vs "open on Mondays"; "not really," answering a question negates nothing
    adds = scope_c & bw and not scope_b
    drops = scope_b & cw and not scope_c and sim >= SUPPORTED_SIM
    if adds or drops:
        side = "adds" if adds else "drops"
        return f"{side} a negation relative to the context: «{best[:120]}»"
    cw, bw = set(words(c)), set(words(b))
    for w in sorted(cw):
        ant = _ANTONYM.get(w)
        if ant and ant in bw and w not in bw:
            return f"says '{w}' where the context says '{ant}'"
    return None


@dataclass(frozen=True)
class _Context:
    units: list[str]  # sentences and whole passages
    numbers: set[str]  # context and the user's words: an order number echoed is given
    words: set[str]  # context only: a name the user asked about is not support
    stems: set[str]
    given_words: set[str]  # what the user said
    german: bool
    terms: list[str]
    vecs: np.ndarray


def _context(passages: list[str], given: str) -> _Context:
    units = [s for p in passages for s in C.sentences(p)] + [p for p in passages if p.strip()]
    text = "\n".join(passages)
    terms = list(dict.fromkeys(content_terms(text + "\n" + given)))
    raw_terms = list(dict.fromkeys(w for w in words(text + "\n" + given) if len(w) > 1))
    vecs = semantic.word_vectors(raw_terms) if semantic.available() else np.zeros((0, 1))
    ctx_words = set(words(text))
    return _Context(
        units=list(dict.fromkeys(units)),
        numbers=C.hard_numbers(text + "\n" + given),
        words=ctx_words,
        stems={stem(w) for w in ctx_words},
        given_words=set(words(given)),
        german=guess_language(text) == "de",
        terms=terms,
        vecs=vecs,
    )


def _literal(claim: str, ctx: _Context) -> float:
    """Share of the claim's words found verbatim (by stem) in the context or the question.

    Used for ranking only: copying is evidence *for* support, its absence is not
    evidence against it.
    """
    ws = [w for w in words(claim) if len(w) > 1]
    if not ws:
        return 1.0
    return sum(stem(w) in ctx.stems or w in ctx.given_words for w in ws) / len(ws)


def _hard_evidence(claim: str, ctx: _Context) -> tuple[list[str], list[str]]:
    """(evidence the claim is unfaithful, reasons it cannot be called supported)."""
    evidence, doubts = [], []
    extra_numbers = sorted(C.hard_numbers(claim) - ctx.numbers)
    if extra_numbers:
        shown = ", ".join(f"month {n[1:]}" if n.startswith("m") else n for n in extra_numbers[:3])
        evidence.append(f"numbers/dates not in the context: {shown}")
    # capitalised mid-sentence words are names in en/es/fr, but every noun in German
    found = C.names(claim, _is_common) if not ctx.german else set()
    missing = sorted(n for n in found if not _present(n, ctx.words, ctx.stems))
    asked = [n for n in missing if _present(n, ctx.given_words, {stem(w) for w in ctx.given_words})]
    invented = [n for n in missing if n not in asked]
    if invented:
        evidence.append(f"names not in the context: {', '.join(invented[:3])}")
    if asked:
        doubts.append(f"names only the question mentions: {', '.join(asked[:3])}")
    return evidence, doubts


def _judge_claim(claim: str, ctx: _Context, sim: float, best: str, covered: bool) -> ClaimResult:
    evidence, doubts = _hard_evidence(claim, ctx)
    support = _word_support(claim, ctx.terms, ctx.vecs)
    if len(content_terms(claim)) >= 3:  # a bare answer phrase has nothing to contradict
        contradiction = _contradiction(claim, best, sim)
        if contradiction:
            evidence.append(contradiction)
    # with only the lexical fallback a paraphrase looks unrelated: be conservative
    floor = UNSUPPORTED_SIM if covered else 0.1
    if sim < floor and support < NO_SUPPORT_WORDS:
        evidence.append(f"no context sentence is close to it (best similarity {sim:.2f})")
    if evidence:
        status = "fail"
    elif not doubts and _supported(sim, support, covered):
        status = "supported"
    else:
        status = "uncertain"
    return ClaimResult(
        claim, status, sim, support, _literal(claim, ctx), tuple(evidence), tuple(doubts)
    )


def _supported(sim: float, support: float, covered: bool) -> bool:
    """A context sentence says the same thing: very similar, or similar with (nearly)
    every content word present as itself or a near synonym."""
    if sim >= SUPPORTED_SIM_ALONE:
        return True
    if sim >= SUPPORTED_SIM and support >= SUPPORTED_WORDS_WITH_SIM:
        return True
    return covered and support >= SUPPORTED_WORDS and sim >= SUPPORTED_SIM_WITH_WORDS


def judge_claims(
    query: str, response: str, passages: list[str], given: str = ""
) -> FaithfulnessResult:
    """Judge every claim of ``response`` against ``passages``; ``given`` is what the
    user said earlier (it counts as known, not as a claim)."""
    ctx = _context(passages, query + "\n" + given)
    classified = C.split_claims(response)
    kept = [s.text for s in classified if s.dropped is None and _has_content(s.text)]
    dropped = [s for s in classified if s.dropped is not None]
    if not kept:
        return FaithfulnessResult([], dropped)
    matrix = semantic.similarity_matrix(kept, ctx.units)
    short = [i for i, c in enumerate(kept) if len(content_terms(c)) < 3]
    if short and query.strip():
        # a bare answer ("Delhi") is also compared as the statement it completes
        completed = semantic.similarity_matrix([f"{query} {kept[i]}" for i in short], ctx.units)
        matrix[short] = np.maximum(matrix[short], completed)
    covered = semantic.covered(kept)
    results = []
    for i, claim in enumerate(kept):
        j = int(matrix[i].argmax())
        results.append(
            _judge_claim(claim, ctx, float(matrix[i, j]), ctx.units[j], bool(covered[i]))
        )
    return FaithfulnessResult(results, dropped)


def _has_content(text: str) -> bool:
    """A sentence with no content word and no number ('Yes.', 'Exactly!') claims nothing
    checkable on its own."""
    return bool(content_terms(text) or C.hard_numbers(text))


def rationale(result: FaithfulnessResult) -> str:
    """Name the failing (or weakest) claim and the evidence."""
    n = len(result.claims)
    failing = [c for c in result.claims if c.status == "fail"]
    if failing:
        c = failing[0]
        more = f" (+{len(failing) - 1} more failing)" if len(failing) > 1 else ""
        return f"{len(failing)}/{n} claims fail{more}: «{c.text[:160]}» — {'; '.join(c.evidence)}"
    unsure = [c for c in result.claims if c.status == "uncertain"]
    if unsure:
        c = min(unsure, key=lambda x: x.score)
        why = (
            "; ".join(c.doubts)
            if c.doubts
            else (
                f"similarity {c.similarity:.2f}, {c.word_support:.0%} of its words or near "
                f"synonyms in the context"
            )
        )
        return (
            f"{len(unsure)}/{n} claims only partly supported, no evidence against them; "
            f"weakest «{c.text[:160]}» ({why})"
        )
    return f"all {n} claims supported by the context (lowest similarity {min(c.similarity for c in result.claims):.2f})"
