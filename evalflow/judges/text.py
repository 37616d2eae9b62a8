"""Small text utilities shared by the heuristic judges (en/es/de/fr).

Nothing here needs a model: lower-casing with accents folded, word tokens, stop
words of the four languages the application serves, and a crude suffix stemmer that
is good enough to see that "refunds" and "refunded" share a content word.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:/]\d+)*(?![\w])")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|NATIONAL_ID)\]")

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did do does doing don done down
    during each either else etc even ever every few for from further get gets got had has have
    having he her here hers herself him himself his how however i if in into is isn it its
    itself just let like ll made make makes many may me might more most much must my myself
    no nor not now of off often on once one only or other our ours ourselves out over own
    per please quite rather re really s same shall she should so some such than that the
    their theirs them themselves then there these they this those though through thus to too
    under until up upon us use used using ve very via was we well were what when where
    whether which while who whom whose why will with within without would yes yet you your
    yours yourself yourselves t d m o y ok okay sure oh hi hello thanks thank
    help happy glad assist let know need anything else something hope great welcome feel
    question questions another sorry today kindly certainly absolutely
    el la los las un una unos unas y o pero si no es son ser estar esta este esto estos
    estas ese esa eso de del al en con por para que como mas muy ya lo le les se su sus mi
    mis tu tus nos hay fue han ha he sido tiene tengo puede puedo hola gracias favor
    der die das den dem des ein eine einer eines einem einen und oder aber nicht ist sind
    war sein haben hat habe ich du er sie es wir ihr mit von zu zum zur auf fur im in an
    am als auch wie was wer wenn dass so noch nur bitte danke hallo kann konnen ihre ihr
    le la les un une des et ou mais ne pas est sont etre avoir a au aux du de en dans
    par pour sur avec que qui quoi comme plus tres je tu il elle nous vous ils elles ce
    cette ces mon ma mes ton ta tes son sa ses votre vos leur leurs merci bonjour
    """
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


def fold(text: str) -> str:
    """Lower-case and strip accents so "réembolso" and "reembolso" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss")


def words(text: str) -> list[str]:
    """Folded word tokens (apostrophes inside a word kept)."""
    return _WORD.findall(fold(_PLACEHOLDER.sub(" ", text or "")))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately crude multilingual suffix stripper (plural and common verb endings)."""
    w = word.replace("’", "'").split("'")[0] if "'" in word or "’" in word else word
    if len(w) <= 3:
        return w
    for suffix in (
        "ations",
        "ation",
        "ements",
        "ement",
        "ingly",
        "ings",
        "ing",
        "edly",
        "ies",
        "ied",
        "ness",
        "ment",
        "ions",
        "ion",
        "ers",
        "er",
        "ed",
        "es",
        "ly",
        "en",
        "s",
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            # shipping -> shipp -> ship, stopped -> stopp -> stop (Porter's undoubling)
            if (
                suffix in ("ing", "ed", "er", "ers", "ings")
                and len(w) >= 4
                and w[-1] == w[-2]
                and w[-1] not in "lsz"
            ):
                w = w[:-1]
            return w
    return w


def content_terms(text: str) -> list[str]:
    """Stemmed non-stop-word tokens with at least two characters, in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]


def numbers(text: str) -> set[str]:
    """Numbers as written, with thousands separators normalised ("1,000" -> "1000")."""
    out = set()
    for n in _NUMBER.findall(_PLACEHOLDER.sub(" ", text or "")):
        out.add(re.sub(r"(?<=\d),(?=\d{3}\b)", "", n))
    return out


def entities(text: str) -> set[str]:
    """Capitalised words not at a sentence start: a cheap stand-in for named entities."""
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text or ""):
        tokens = sentence.split()
        for tok in tokens[1:]:
            clean = tok.strip(".,;:!?\"'()[]")
            if len(clean) > 1 and clean[0].isupper() and not clean.isupper() and clean.isalpha():
                found.add(fold(clean))
    return found


def bigrams(terms: list[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(terms))


_LANG_MARKER_TEXT = {
    "en": "the and is to of you your in for it that with are on this be",
    "es": "el la los las y que de en es por para con una un se su lo",
    "de": "der die das und ist nicht sie ich mit auf den dem ein eine zu von fur wird",
    "fr": "le la les et est de des en un une que pour pas vous nous dans du",
}
_LANG_MARKERS = {lang: frozenset(text.split()) for lang, text in _LANG_MARKER_TEXT.items()}


def guess_language(text: str) -> str:
    """The language (en/es/de/fr) whose function words occur most; "en" on a tie or none.

    Good enough to switch off cues that do not transfer, such as "a capitalised word
    mid-sentence is a name", which is false for German nouns.
    """
    counts = Counter(w for w in words(text))
    scores = {lang: sum(counts[m] for m in markers) for lang, markers in _LANG_MARKERS.items()}
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best if scores[best] > 0 else "en"
