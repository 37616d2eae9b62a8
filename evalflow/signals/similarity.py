"""Relevance and grounding proxies from token sets, computed for a whole day at once.

Both proxies compare *sets of content stems* (see ``evalflow.signals.tokens``):
stop words of en/es/de/fr and support boilerplate ("please", "gracias", "bitte",
"merci", ...) are removed, every other token is reduced to its 6-byte prefix, and
numbers are kept whole. Each row's set is packed into sortable 64-bit keys
``row | stem``; intersections of paired rows are then one ``searchsorted`` and a
``bincount``, with no Python loop over rows.

relevance_proxy
    Cosine similarity of the binary stem vectors of query and answer,
    ``cos = |Q ∩ A| / sqrt(|Q| · |A|)`` (the vectors are L2-normalised indicator
    vectors, so this is exactly the row-wise cosine), reported on a calibrated scale
    ``1 − exp(−cos / RELEVANCE_SCALE)``. Answers are much longer than questions, so an
    on-topic answer has a cosine of only 0.1–0.4; the monotone map reads that as
    0.6–0.98, no shared content as 0, and keeps every ordering of the cosine — so the
    proxy sits on the same "0–1, higher is better" scale as the judged relevance score
    and the ``thresholds.relevance_floor`` it is compared with. Truncation stems make
    it work in all four languages; an answer in another language than the question
    scores near zero, itself a failure worth seeing. Being lexical, it misses
    paraphrases ("arrive" vs "delivery"), so it is a triage signal, not a verdict.
    NULL when the query has no content word ("hi"); 0 when the answer has none.

grounding_proxy
    Share of the answer's distinct content stems that the retrieved context (or the
    user's own query: repeating the user's order number is not a fabrication)
    supports, with numbers weighted ``NUMBER_WEIGHT`` times a word, and then
    multiplied by ``UNSUPPORTED_NUMBER_FACTOR`` for every number the answer states
    that appears in neither. A number the context does not contain is the clearest
    cheap sign of a fabricated fact ("refunds take 14 days" when the policy says 5),
    so a single one costs 40% of the score. NULL without context or without
    content in the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalflow.signals.tokens import (
    Tokens,
    contains_sorted,
    key_is_num,
    key_rows,
    lexicon_hashes,
    row_keys,
    tokenize,
    unique_sorted,
    wordlist,
)

NUMBER_WEIGHT = 3.0
RELEVANCE_SCALE = 0.1
UNSUPPORTED_NUMBER_FACTOR = 0.6
CHUNK_ROWS = 200_000
"""Rows tokenised together; bounds memory to a few hundred MB whatever the day's size."""

STOPWORDS: tuple[str, ...] = tuple(
    wordlist("""
    a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing don done down during
    each either else even ever every few for from further get gets got had has have
    having he her here hers him his how however i if in into is isn it its itself just
    let like ll may me might more most much must my no nor not now of off often on once
    one only or other our ours out over own per quite rather re really s same shall she
    should so some such than that the their theirs them then there these they this those
    though through thus to too under until up upon us ve very via was we were what when
    where whether which while who whom whose why will with within without would yes yet
    you your yours t d m o y st nd rd th er ème eme
    ok okay sure oh hi hello hey thanks thank please help happy glad assist know need
    anything else something hope welcome feel free question questions sorry today kindly
    certainly absolutely dear regards best team support
    el la los las un una unos unas y o u pero si sí no es son ser estar está están esta
    este esto estos estas ese esa eso de del al en con por para que qué como cómo más
    muy ya lo le les se su sus mi mis tu tus nos hay fue han ha he sido tiene tengo
    puede puedo hola gracias favor usted ustedes cuando donde dónde también
    der die das den dem des ein eine einer eines einem einen und oder aber nicht ist
    sind war sein haben hat habe ich du er sie es wir ihr mit von zu zum zur auf für
    fur im in an am als auch wie was wer wenn dass so noch nur bitte danke hallo kann
    können konnen ihre ihnen ihr sich bei nach aus werden wird gerne
    le la les un une des et ou mais ne pas est sont être etre avoir a à au aux du de en
    dans par pour sur avec que qui quoi comme plus très tres je tu il elle nous vous ils
    elles ce cette ces mon ma mes ton ta tes son sa ses votre vos leur leurs merci
    bonjour c l n j qu s été ete peut pouvez
    """)
)


def stop_hashes() -> np.ndarray:
    return lexicon_hashes(STOPWORDS)


def content_tokens(tokens: Tokens) -> Tokens:
    """Drop stop words and one-letter words (numbers of any length stay)."""
    stop = contains_sorted(stop_hashes(), tokens.full)
    keep = ~stop & (tokens.is_num | (tokens.length >= 2))
    return tokens.subset(keep)


def stem_sets(texts: pd.Series | list[str | None]) -> np.ndarray:
    """Sorted unique ``row | stem`` keys of the content stems of each text."""
    return unique_sorted(row_keys(content_tokens(tokenize(texts))))


@dataclass(frozen=True)
class TextSignals:
    relevance: np.ndarray  # float, NaN = NULL
    grounding: np.ndarray  # float, NaN = NULL
    unsupported_numbers: (
        np.ndarray
    )  # int: distinct answer numbers found in neither context nor query


def _counts(keys: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(key_rows(keys), weights=weights, minlength=n)[:n]


def _chunk_signals(
    queries: pd.Series, responses: pd.Series, contexts: pd.Series | None
) -> TextSignals:
    n = len(queries)
    q = stem_sets(queries)
    a = stem_sets(responses)

    q_size = _counts(q, n)
    a_size = _counts(a, n)
    shared = _counts(a[contains_sorted(q, a)], n)
    with np.errstate(divide="ignore", invalid="ignore"):
        cosine = np.where(
            q_size == 0,
            np.nan,
            np.where(a_size == 0, 0.0, shared / np.sqrt(q_size * np.maximum(a_size, 1))),
        )
    relevance = 1.0 - np.exp(-cosine / RELEVANCE_SCALE)

    grounding = np.full(n, np.nan)
    unsupported_numbers = np.zeros(n, dtype=np.int64)
    if contexts is not None:
        c = stem_sets(contexts)
        has_context = _counts(c, n) > 0
        supported = contains_sorted(c, a) | contains_sorted(q, a)
        is_num = key_is_num(a)
        t_words = _counts(a[~is_num], n)
        t_nums = _counts(a[is_num], n)
        s_words = _counts(a[~is_num & supported], n)
        s_nums = _counts(a[is_num & supported], n)
        unsupported_numbers = (t_nums - s_nums).astype(np.int64)
        total = t_words + NUMBER_WEIGHT * t_nums
        with np.errstate(divide="ignore", invalid="ignore"):
            share = (s_words + NUMBER_WEIGHT * s_nums) / total
        g = share * np.power(UNSUPPORTED_NUMBER_FACTOR, unsupported_numbers)
        measurable = has_context & (total > 0)
        grounding = np.where(measurable, g, np.nan)
        unsupported_numbers = np.where(has_context, unsupported_numbers, 0)
    return TextSignals(
        np.clip(relevance, 0.0, 1.0), np.clip(grounding, 0.0, 1.0), unsupported_numbers
    )


def text_signals(
    queries: pd.Series,
    responses: pd.Series,
    contexts: pd.Series | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> TextSignals:
    """Relevance, grounding and unsupported-number counts for paired rows.

    ``contexts`` holds each row's retrieved passages joined into one string (empty
    or NULL when the row had no retrieval).
    """
    n = len(queries)
    if len(responses) != n or (contexts is not None and len(contexts) != n):
        raise ValueError("queries, responses and contexts must have the same length")
    parts: list[TextSignals] = []
    for lo in range(0, max(n, 1), chunk_rows):
        hi = min(lo + chunk_rows, n)
        parts.append(
            _chunk_signals(
                queries.iloc[lo:hi].reset_index(drop=True),
                responses.iloc[lo:hi].reset_index(drop=True),
                None if contexts is None else contexts.iloc[lo:hi].reset_index(drop=True),
            )
        )
    return TextSignals(
        np.concatenate([p.relevance for p in parts]),
        np.concatenate([p.grounding for p in parts]),
        np.concatenate([p.unsupported_numbers for p in parts]),
    )


def relevance_proxy(queries: pd.Series, responses: pd.Series) -> np.ndarray:
    """Row-wise query–answer cosine (see module docstring); NaN where undefined."""
    return text_signals(queries, responses).relevance


def grounding_proxy(
    responses: pd.Series, contexts: pd.Series, queries: pd.Series | None = None
) -> np.ndarray:
    """Share of the answer supported by context (see module docstring); NaN where undefined."""
    if queries is None:
        queries = pd.Series([""] * len(responses), dtype=object)
    return text_signals(queries, responses, contexts).grounding
