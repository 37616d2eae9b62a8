"""The simulated support copilot's world: a small multilingual knowledge base and phrasing pools.

Each queue has a handful of policy facts with one concrete value (a number of days,
a fee, a limit). The knowledge-base passage states the true value; a grounded answer
restates it; a hallucinated answer states one of the wrong values, often with an
invented extra claim that appears in no passage. Keeping the value in a slot is what
makes the simulated hallucinations *checkable* against the retrieved context, which
is exactly what faithfulness judges and grounding proxies downstream must detect.

Everything is written in the four simulated languages (en, es, de, fr) because the
knowledge base is localised like a real help centre: an answer in Spanish is grounded
in a Spanish passage, so language itself is not a spurious quality signal.

The text lives in ``data/kb_facts.json`` (languages, queues, the new-theme name, the
facts) and ``data/kb_phrases.json`` (the phrasing pools and error messages), so a
translator or scenario author edits data, not code. This module loads them into the
same immutable shapes as before (tuples, dicts of tuples, frozen ``Fact``s) and
validates them once at import, so a missing translation fails loudly here rather
than as a ``KeyError`` deep inside a day's generation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

L = dict[str, str]
LT = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Fact:
    """One knowledge-base article: a statement with a value slot ``{v}`` plus a detail."""

    queue: str
    key: str
    value: str
    wrong_values: tuple[str, str, str]
    title: L
    statement: L
    detail: L
    queries: LT


def _load(name: str) -> dict[str, Any]:
    """One JSON file of ``simulate/data`` (package data, so it ships in the wheel)."""
    text = resources.files("evalflow.simulate").joinpath(f"data/{name}").read_text("utf-8")
    return json.loads(text)


def _fact(raw: dict[str, Any]) -> Fact:
    """A ``Fact`` from its JSON object; lists become tuples so the world stays immutable."""
    wrong = tuple(raw["wrong_values"])
    if len(wrong) != 3:
        raise ValueError(f"fact {raw['key']} needs exactly three wrong values, got {len(wrong)}")
    return Fact(
        queue=raw["queue"],
        key=raw["key"],
        value=raw["value"],
        wrong_values=(wrong[0], wrong[1], wrong[2]),
        title=dict(raw["title"]),
        statement=dict(raw["statement"]),
        detail=dict(raw["detail"]),
        queries={lang: tuple(q) for lang, q in raw["queries"].items()},
    )


_WORLD = _load("kb_facts.json")
_PHRASES = _load("kb_phrases.json")


def _pool(name: str) -> LT:
    """Phrase pool ``name`` (per language, a tuple of phrasings); a missing pool is named."""
    try:
        raw = _PHRASES["pools"][name]
    except KeyError:
        raise ValueError(f"data/kb_phrases.json has no pool {name!r}") from None
    return {lang: tuple(phrases) for lang, phrases in raw.items()}


LANGS: tuple[str, ...] = tuple(_WORLD["langs"])
QUEUES: tuple[str, ...] = tuple(_WORLD["queues"])
FACTS: tuple[Fact, ...] = tuple(_fact(raw) for raw in _WORLD["facts"])

# Claims a hallucinating answer adds: concrete, plausible, and in no passage.
FABRICATIONS: LT = _pool("FABRICATIONS")
LEADS: LT = _pool("LEADS")
CLOSINGS: LT = _pool("CLOSINGS")
# Refusals and deflections. The last two are what a copilot says when retrieval found nothing.
REFUSALS: LT = _pool("REFUSALS")
# Only ever emitted where a scenario injects toxicity.
TOXIC: LT = _pool("TOXIC")
# Only ever emitted where a scenario injects a PII leak: another customer's details.
PII_LEAKS: LT = _pool("PII_LEAKS")
GREETINGS: LT = _pool("GREETINGS")
SIGNOFFS: LT = _pool("SIGNOFFS")
# Reference sentences; a number is appended, then a full stop.
REFERENCES: LT = _pool("REFERENCES")
FOLLOWUPS: LT = _pool("FOLLOWUPS")
COMPLAINTS: LT = _pool("COMPLAINTS")
# Extra background sentences: the input-drift scenario makes queries longer with them.
BACKGROUND: LT = _pool("BACKGROUND")
# Voice-channel style fillers (the input-drift scenario's transcribed calls).
FILLERS: LT = _pool("FILLERS")

# ---------------------------------------------------------------- new failure theme
THEME_NAME: str = _WORLD["theme_name"]
THEME_QUERIES: LT = _pool("THEME_QUERIES")
# The knowledge base has no article on loyalty points: every concrete claim here is invented.
THEME_BAD_ANSWERS: LT = _pool("THEME_BAD_ANSWERS")
THEME_COMMENTS: LT = _pool("THEME_COMMENTS")

# ---------------------------------------------------------------- feedback comments
COMMENTS_WRONG: LT = _pool("COMMENTS_WRONG")
COMMENTS_UNHELPFUL: LT = _pool("COMMENTS_UNHELPFUL")
COMMENTS_RUDE: LT = _pool("COMMENTS_RUDE")
COMMENTS_ERROR: LT = _pool("COMMENTS_ERROR")
COMMENTS_PRIVACY: LT = _pool("COMMENTS_PRIVACY")
COMMENTS_MEH: LT = _pool("COMMENTS_MEH")
COMMENTS_GOOD: LT = _pool("COMMENTS_GOOD")

ERRORS: tuple[str, ...] = tuple(_PHRASES["errors"])


def passage(fact: Fact, lang: str) -> str:
    """The knowledge-base article text the retriever returns for ``fact``."""
    return f"{fact.title[lang]}. {fact.statement[lang].format(v=fact.value)} {fact.detail[lang]}"


def _check() -> None:
    """Fail loudly at import if a translation is missing (a KeyError would hide in a pool)."""
    for pool_name, pool in {
        "FABRICATIONS": FABRICATIONS,
        "LEADS": LEADS,
        "CLOSINGS": CLOSINGS,
        "REFUSALS": REFUSALS,
        "TOXIC": TOXIC,
        "PII_LEAKS": PII_LEAKS,
        "GREETINGS": GREETINGS,
        "SIGNOFFS": SIGNOFFS,
        "REFERENCES": REFERENCES,
        "FOLLOWUPS": FOLLOWUPS,
        "COMPLAINTS": COMPLAINTS,
        "BACKGROUND": BACKGROUND,
        "FILLERS": FILLERS,
        "THEME_QUERIES": THEME_QUERIES,
        "THEME_BAD_ANSWERS": THEME_BAD_ANSWERS,
        "THEME_COMMENTS": THEME_COMMENTS,
        "COMMENTS_WRONG": COMMENTS_WRONG,
        "COMMENTS_UNHELPFUL": COMMENTS_UNHELPFUL,
        "COMMENTS_RUDE": COMMENTS_RUDE,
        "COMMENTS_ERROR": COMMENTS_ERROR,
        "COMMENTS_PRIVACY": COMMENTS_PRIVACY,
        "COMMENTS_MEH": COMMENTS_MEH,
        "COMMENTS_GOOD": COMMENTS_GOOD,
    }.items():
        missing = [lang for lang in LANGS if lang not in pool]
        if missing:
            raise ValueError(f"{pool_name} lacks {missing}")
        sizes = {len(pool[lang]) for lang in LANGS}
        if len(sizes) != 1:
            raise ValueError(f"{pool_name}: languages have different pool sizes {sizes}")
    for fact in FACTS:
        for part in (fact.title, fact.statement, fact.detail, fact.queries):
            missing = [lang for lang in LANGS if lang not in part]
            if missing:
                raise ValueError(f"fact {fact.key} lacks {missing}")
        if any(len(fact.queries[lang]) != 3 for lang in LANGS):
            raise ValueError(f"fact {fact.key} needs three phrasings per language")
    per_queue = {q: sum(f.queue == q for f in FACTS) for q in QUEUES}
    if len(set(per_queue.values())) != 1:
        raise ValueError(f"every queue needs the same number of facts: {per_queue}")


_check()
FACTS_PER_QUEUE: int = len(FACTS) // len(QUEUES)
