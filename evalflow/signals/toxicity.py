"""Toxicity of the application's answers on 100% of traffic, with the judge's matcher.

Why the judge's matcher: the signal and the heuristic safety judge used to carry two
lexicons that disagreed on the same answer (one matched stems inside words). Now both
call ``evalflow.judges.toxicity.toxicity``: whole tokens, explicit inflections, aim and
context rules, length normalisation (see that module). ``toxic`` here is exactly the
judge's ``fail`` verdict (strong evidence); weak or context-discounted cues have a
score between 0 and 0.5 and ``toxic = False``.

Mechanics (it runs on a million rows a day): one accent- and case-tolerant RE2 pass
over the column (pyarrow) finds the candidate rows, those containing an anchor (two
adjacent tokens, the least common) of some lexicon entry as whole words (or a masked/leet-spelled word such as
"f*ck", "1d10t").
Only candidates run the Python matcher; every other row scores 0. The filter is a
superset of the matcher by construction (same folded tokens, Unicode word boundaries);
the tests check that on labelled text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from evalflow.judges.text import STOPWORDS
from evalflow.judges.toxicity import FAIL_AT, lexicon_phrases
from evalflow.judges.toxicity import toxicity as _judge_toxicity
from evalflow.signals.arrow_text import matches, to_arrow

TOXIC_THRESHOLD = FAIL_AT
# The pattern is written on the matcher's folded tokens (lower case, no accents) and
# made accent- and case-tolerant here (``e`` -> ``[eèéêë]``, ``ss`` -> ``(?:ss|ß)``) so
# the raw column needs no Unicode normalisation pass. ASCII boundary classes keep RE2's
# DFA small; they are a superset of the matcher's Unicode token boundaries because a
# folded entry is ASCII (checked by the tests).
_ACCENTS = {
    "a": "[aàáâäãå]", "e": "[eèéêë]", "i": "[iìíîï]", "o": "[oòóôöõø]", "u": "[uùúûü]",
    "n": "[nñ]", "c": "[cç]", "y": "[yÿý]", "'": "['’]",
}  # fmt: skip
_SEP = r"[^a-z0-9]+"
_LEFT, _RIGHT = r"(?:^|[^a-z0-9])", r"(?:[^a-z0-9]|$)"
# masked or leet-spelled words the matcher un-masks ("f*ck", "fu@ker", "1d10t", "sh1t")
_OBFUSCATED = (
    r"[a-z][*@$#]+[a-z]|[a-z][*@$#]{2,}|[013457][a-z]+[013457]|[a-z]{2,}[013457][a-z]"
    r"|[a-z][013457][a-z]{2,}|#fuck"
)


def _tolerant(token: str) -> str:
    body = "".join(_ACCENTS.get(ch, re.escape(ch)) for ch in token)
    return body.replace("ss", "(?:ss|ß)")


def anchor(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The rarest-looking pair of adjacent tokens of an entry (a necessary condition for
    it): the pair with the most letters outside common function words, so that "deja de
    hacerme perder el tiempo" is found by "hacerme perder", not by "el tiempo"."""
    if len(keys) <= 2:
        return keys
    pairs = [keys[i : i + 2] for i in range(len(keys) - 1)]
    return max(pairs, key=lambda p: sum(len(t) for t in p if t not in STOPWORDS))


@lru_cache(maxsize=1)
def candidate_pattern() -> str:
    """RE2: an anchor of some lexicon entry (short enough for RE2's program limit), or
    an obfuscated word."""
    anchors = {anchor(keys) for keys in lexicon_phrases()}
    bodies = sorted({_SEP.join(_tolerant(t) for t in a) for a in anchors})
    return f"{_LEFT}(?:{'|'.join(bodies)}){_RIGHT}|{_OBFUSCATED}"


@dataclass(frozen=True)
class ToxicityHit:
    score: float
    terms: list[str]
    categories: list[str]


def score_text(text: str | None) -> ToxicityHit:
    """One text, scored by the shared matcher (what the signal does on a candidate row)."""
    result = _judge_toxicity(text)
    return ToxicityHit(result.score, list(result.terms), list(result.categories))


def toxicity(texts: pd.Series) -> pd.DataFrame:
    """``toxicity_score``, ``toxic`` (the judge's fail), ``toxicity_terms`` per text.

    Vectorised: one folded RE2 pass over all rows, Python only on the candidate rows.
    """
    n = len(texts)
    score = np.zeros(n)
    toxic = np.zeros(n, dtype=bool)
    terms = np.full(n, None, dtype=object)
    if n:
        candidates = np.flatnonzero(matches(to_arrow(texts), candidate_pattern()))
        values = texts.to_numpy(dtype=object)
        for i in candidates:
            result = _judge_toxicity(values[i])
            score[i] = result.score
            toxic[i] = result.verdict == "fail"
            terms[i] = ",".join(result.terms) if result.terms else None
    return pd.DataFrame(
        {"toxicity_score": score, "toxic": toxic, "toxicity_terms": terms}, index=texts.index
    )
