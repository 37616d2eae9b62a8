"""Degenerate replies on 100% of a day's traffic: empty, looping, generic, repeated.

A reply can be polite, on-topic by word overlap and still useless: "shoot kill kill
kill ...", a bare "lol", or the same "what do you do for a living ?" asked of every
user. Overlap-based judges pass those (they share words with the query, or there is
nothing to contradict), so the cues here look at the reply's *form* and at the day's
traffic as a whole, which no per-row judge can see:

empty_response
    NULL or whitespace only.
repetition_ratio
    ``max(rep-3, run share)`` over the reply's word tokens: ``rep-3 = 1 − distinct
    trigrams / trigrams`` (the repetition measure of Welleck et al., 2019, "Neural text
    degeneration with unlikelihood training") and the share of tokens equal to the token
    before them ("kill kill kill"). Natural text scores near 0; a loop scores ≥ 0.5.
generic_reply
    The whole reply, normalised, is a stock non-answer ("i don't know", "ok", "lol",
    "that's nice", en/es/de/fr). A reply that *contains* such a phrase is not generic.
reply_repeats_day / _conversation
    How many rows of the day (of the same conversation) carry the same reply after
    normalisation (case, accents, punctuation, whitespace and digits), so templates
    that differ only by an order number count as one: near-duplicates by key, not by
    pairwise comparison.
question_repeats_day / _conversation
    The same for the last question the reply asks (≥ 3 words), so "nice! what do you
    do for a living ?" and "cool. what do you do for a living?" count together.

Everything is one DuckDB query (list functions and window counts over hashed keys), so
cost is linear in the day's rows; there is no loop over rows or pairs in Python. A
template repeated across *different* conversations is normal for support bots, so the
day counts are reported, not flagged; repetition *within* one conversation is flagged.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

REPETITION_FLAG = 0.5
"""repetition_ratio at which a reply counts as looping (natural text is far below)."""
MIN_TOKENS_FOR_REPETITION = 4
"""Shorter replies ("no no", "ha ha") are not judged for loops."""
MIN_QUESTION_WORDS = 3

GENERIC_REPLIES: tuple[str, ...] = (
    # en
    "ok", "okay", "k", "kk", "ok ok", "okay okay", "alright", "all right", "fine", "sure",
    "lol", "lmao", "haha", "hahaha", "ha ha", "hehe", "hmm", "hm", "umm", "um", "uh", "ah",
    "oh", "oh ok", "oh okay", "oh really", "really", "wow", "cool", "nice", "great", "good",
    "that's nice", "that is nice", "that's cool", "that is cool", "that's great",
    "that is great", "that's good", "that is good", "that's interesting",
    "that is interesting", "interesting", "i see", "i know", "i don't know",
    "i do not know", "i dont know", "idk", "not sure", "i'm not sure", "i am not sure",
    "no idea", "i have no idea", "who knows", "whatever", "me too", "same", "same here",
    "yes", "no", "yeah", "yep", "nope", "maybe", "thanks", "thank you", "you're welcome",
    "good for you", "sounds good", "sounds fun", "sounds great", "how about you",
    "what about you", "and you", "i understand", "got it", "noted",
    # es
    "vale", "bien", "si", "claro", "jaja", "no se", "no lo se", "que bien", "genial",
    "gracias", "de acuerdo",
    # de
    "okay danke", "gut", "ja", "nein", "danke", "weiss nicht", "ich weiss nicht", "keine ahnung",
    "aha", "schon", "na gut", "alles klar",
    # fr
    "d'accord", "oui", "non", "merci", "je ne sais pas", "je sais pas", "aucune idee", "cool merci",
    "c'est bien", "c'est cool", "ah bon",
)  # fmt: skip
"""Normalised whole-reply non-answers. "yes"/"no" are kept: as an entire reply a bare
yes or no carries no content, and the judge (which sees the question) decides whether
it answered a yes/no question."""

COLUMNS: dict[str, tuple[str, str]] = {
    "empty_response": ("BOOLEAN", "the response is NULL or whitespace only"),
    "repetition_ratio": (
        "DOUBLE",
        "0–1 max(rep-3, repeated-token run share) of the response's words; NULL if empty",
    ),
    "generic_reply": (
        "BOOLEAN",
        "the whole response is a stock non-answer ('ok', 'lol', 'i don't know', en/es/de/fr)",
    ),
    "reply_repeats_day": (
        "INTEGER",
        "rows of the day with the same normalised response (itself included); NULL if empty",
    ),
    "reply_repeats_conversation": (
        "INTEGER",
        "rows of the same conversation with the same normalised response; NULL without conversation_id",
    ),
    "question_repeats_day": (
        "INTEGER",
        "rows of the day whose response asks the same last question; NULL if it asks none",
    ),
    "question_repeats_conversation": (
        "INTEGER",
        "the same within the conversation; NULL if no question or no conversation_id",
    ),
    "degenerate": (
        "BOOLEAN",
        "empty, looping (repetition_ratio>=0.5), generic, or reply/question repeated in its conversation",
    ),
    "degenerate_reason": (
        "VARCHAR",
        "empty,repetitive,generic,repeated_reply,repeated_question (comma-separated); NULL if none",
    ),
}

# Normalisation shared by the reply key and the question key: accents folded, every
# run of non-letters (digits included) collapsed, so templates differing only by an
# order number or punctuation share a key. \p{L} keeps non-Latin scripts intact.
_NORM = "trim(regexp_replace(lower(strip_accents({x})), '[^\\p{{L}}''?]+', ' ', 'g'))"

_SQL = f"""
WITH t AS (
  SELECT _row, _conv,
         coalesce(trim(_resp), '') = '' AS empty,
         {_NORM.format(x="coalesce(_resp, '')")} AS norm,
         string_split_regex(trim(regexp_replace(lower(coalesce(_resp, '')), '[^\\p{{L}}\\p{{N}}'']+', ' ', 'g')), ' ') AS toks,
         regexp_extract_all(coalesce(_resp, ''), '[^.!?\\n]*\\?') AS qs
  FROM frame
), f AS (
  SELECT *,
         CASE WHEN toks = [''] THEN 0 ELSE len(toks) END AS n_tok,
         trim(replace({_NORM.format(x="coalesce(qs[-1], '')")}, '?', '')) AS q_norm
  FROM t
), r AS (
  SELECT *,
         CASE WHEN n_tok >= 3 THEN 1.0 - len(list_distinct(list_transform(range(1, n_tok - 1),
                  lambda i: toks[i] || ' ' || toks[i + 1] || ' ' || toks[i + 2]))) / (n_tok - 2.0)
              ELSE 0.0 END AS rep3,
         CASE WHEN n_tok >= 2 THEN len(list_filter(range(2, n_tok + 1), lambda i: toks[i] = toks[i - 1]))
                  / n_tok::DOUBLE ELSE 0.0 END AS runs,
         replace(norm, '?', '') AS r_norm
  FROM f
)
SELECT _row, empty,
       CASE WHEN empty THEN NULL ELSE greatest(rep3, runs) END AS repetition_ratio,
       n_tok,
       NOT empty AND trim(replace(r_norm, '''', ' ')) IN (SELECT g FROM generic) AS generic_reply,
       CASE WHEN empty THEN NULL ELSE count(*) OVER (PARTITION BY empty, hash(r_norm)) END
           AS reply_repeats_day,
       CASE WHEN empty OR _conv IS NULL THEN NULL
            ELSE count(*) OVER (PARTITION BY empty, _conv, hash(r_norm)) END
           AS reply_repeats_conversation,
       len(string_split(q_norm, ' ')) >= {MIN_QUESTION_WORDS} AND q_norm <> '' AS has_q,
       count(*) OVER (PARTITION BY len(string_split(q_norm, ' ')) >= {MIN_QUESTION_WORDS},
                                   hash(q_norm)) AS q_day,
       count(*) OVER (PARTITION BY len(string_split(q_norm, ' ')) >= {MIN_QUESTION_WORDS},
                                   _conv, hash(q_norm)) AS q_conv
FROM r
ORDER BY _row
"""


def _generic_keys() -> pd.DataFrame:
    """The generic list under the same normalisation as the replies (apostrophes → space)."""
    keys = {" ".join(g.replace("'", " ").split()) for g in GENERIC_REPLIES}
    return pd.DataFrame({"g": sorted(keys)})


def degenerate_signals(
    response: pd.Series, conversation_id: pd.Series | None = None
) -> pd.DataFrame:
    """The columns of :data:`COLUMNS` for each row (same index order as ``response``)."""
    n = len(response)
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(t)) for c, (t, _) in COLUMNS.items()})
    conv = conversation_id if conversation_id is not None else pd.Series([None] * n)
    frame = pd.DataFrame(
        {
            "_row": np.arange(n),
            "_resp": response.astype(object).where(response.notna(), None).to_numpy(),
            "_conv": conv.astype(object).where(conv.notna(), None).to_numpy(),
        }
    )
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        con.register("generic", _generic_keys())
        d = con.execute(_SQL).df()
    finally:
        con.close()
    return _assemble(d)


def _assemble(d: pd.DataFrame) -> pd.DataFrame:
    """Counts to nullable columns, and the flags with their reasons."""
    has_q = d["has_q"].to_numpy(dtype=bool)
    has_conv = d["reply_repeats_conversation"].notna().to_numpy()
    out = pd.DataFrame(
        {
            "empty_response": d["empty"].to_numpy(dtype=bool),
            "repetition_ratio": d["repetition_ratio"].astype(float).to_numpy(),
            "generic_reply": d["generic_reply"].fillna(False).to_numpy(dtype=bool),
            "reply_repeats_day": pd.array(d["reply_repeats_day"], dtype="Int64"),
            "reply_repeats_conversation": pd.array(d["reply_repeats_conversation"], dtype="Int64"),
            "question_repeats_day": pd.array(d["q_day"].where(has_q), dtype="Int64"),
            "question_repeats_conversation": pd.array(
                d["q_conv"].where(has_q & has_conv), dtype="Int64"
            ),
        }
    )
    reasons = {
        "empty": out["empty_response"].to_numpy(),
        "repetitive": (
            (np.nan_to_num(out["repetition_ratio"].to_numpy(), nan=0.0) >= REPETITION_FLAG)
            & (d["n_tok"].to_numpy() >= MIN_TOKENS_FOR_REPETITION)
        ),
        "generic": out["generic_reply"].to_numpy(),
        "repeated_reply": out["reply_repeats_conversation"].fillna(0).to_numpy() >= 2,
        "repeated_question": out["question_repeats_conversation"].fillna(0).to_numpy() >= 2,
    }
    out["degenerate"] = np.logical_or.reduce(list(reasons.values()))
    out["degenerate_reason"] = _join_reasons(reasons, len(out))
    return out


def _join_reasons(reasons: dict[str, np.ndarray], n: int) -> np.ndarray:
    text = pd.Series([""] * n, dtype=object)
    for name, mask in reasons.items():
        text = text.where(~mask, text + "," + name)
    text = text.str.lstrip(",")
    return text.where(text != "", None).to_numpy(dtype=object)


def _dtype(duck: str) -> str:
    return {"DOUBLE": "float64", "BOOLEAN": "bool", "INTEGER": "Int64"}.get(duck, "object")
