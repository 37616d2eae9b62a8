"""User feedback signals: comment sentiment (en/es/de/fr) and implicit negatives.

Comment sentiment is a small word lexicon with negation, computed on hashed tokens
for the whole column at once (``evalflow.signals.tokens``): each positive word counts
+1 and each negative word −1; a word is flipped when one of the two words before it
is a negator ("not helpful", "no es útil", "nicht hilfreich", "n'est pas utile",
"doesn't work" → ``doesn`` ``t`` ``work``) or, for German and French, when it is
followed by ``nicht`` / ``pas`` ("funktioniert nicht", "ça marche pas"). Some verbs
are neutral on their own but negative when negated ("didn't help"). The score is
``(positives - negatives) / (positives + negatives)`` in [−1, 1]; 0 for a comment
with no sentiment word; NULL without a comment. A lexicon misses sarcasm; it is a
triage signal for sampling, not a verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from evalflow.signals.arrow_text import to_arrow
from evalflow.signals.tokens import contains_sorted, lexicon_hashes, tokenize, wordlist

POSITIVE = wordlist("""
thanks thank thx great good helpful perfect excellent awesome amazing love loved fantastic
brilliant nice solved fixed resolved works worked working clear quick fast easy useful
appreciate appreciated accurate correct
gracias genial perfecto perfecta excelente útil util bueno buena buenísimo increíble
resuelto resuelta solucionado solucionada funciona funcionó funciono claro clara rápido
rapido rápida fácil facil encanta correcto correcta
danke super toll perfekt hilfreich gut klasse prima funktioniert gelöst schnell einfach
klar hervorragend ausgezeichnet richtig
merci parfait parfaite génial excellent excellente utile bien bon bonne résolu réglé
fonctionne marche rapide facile clair claire top exact correcte
""")

NEGATIVE = wordlist("""
wrong useless bad terrible awful horrible incorrect unhelpful confusing confused slow broken
annoying frustrating frustrated hallucinated irrelevant rude worst waste fake nonsense
disappointed disappointing poor garbage inaccurate misleading
incorrecto incorrecta inútil inutil malo mala mal terrible horrible confuso confusa lento
lenta equivocado equivocada falso falsa pésimo pesimo roto rota basura decepcionado
frustrante engañoso
falsch nutzlos schlecht schlechte furchtbar schrecklich unbrauchbar verwirrend langsam
kaputt ärgerlich nervig enttäuscht enttäuschend unsinn quatsch irreführend
faux fausse inutile mauvais mauvaise nul nulle incorrect incorrecte lent lente confus
confuse erroné erronée pire décevant déçu frustrant trompeur
""")

NEGATIVE_WHEN_NEGATED = wordlist("""
help helped work answer answered solve solved fix understand
ayudó ayuda ayudado sirve sirvió responde respondió
hilft geholfen klappt geht beantwortet
aide aidé répond répondu
""")

NEGATORS = wordlist("""
not no never t nothing hardly neither nor
nunca nada ni tampoco
nicht kein keine keinen keiner nie niemals nichts
ne n pas jamais rien aucun aucune
""")

POST_NEGATORS = ["nicht", "pas"]

GRATITUDE = ["thanks", "thank", "thx", "gracias", "danke", "merci"]
"""Never flipped: "no, gracias" / "no thanks" are polite, not negative."""


def comment_sentiment(comments: pd.Series) -> pd.Series:
    """Sentiment in [−1, 1] per comment, NULL (NaN) where there is no comment."""
    n = len(comments)
    if n == 0:
        return pd.Series(np.zeros(0), index=comments.index, name="comment_sentiment")
    arr = to_arrow(comments)
    has_comment = (
        pc.utf8_length(pc.utf8_trim_whitespace(arr)).to_numpy(zero_copy_only=False) > 0
    ) & comments.notna().to_numpy()
    toks = tokenize(arr, skip_list_markers=False)
    full, row = toks.full, toks.row

    def _isin(words: list[str]) -> np.ndarray:
        return contains_sorted(lexicon_hashes(words), full)

    pos, neg = _isin(POSITIVE), _isin(NEGATIVE)
    neutral = _isin(NEGATIVE_WHEN_NEGATED)
    negator, post = _isin(NEGATORS), _isin(POST_NEGATORS)
    gratitude = _isin(GRATITUDE)

    def _shifted(mask: np.ndarray, by: int) -> np.ndarray:
        """mask of the token ``by`` positions away (negative = before), same row only."""
        out = np.zeros(mask.size, dtype=bool)
        if by < 0:
            k = -by
            out[k:] = mask[:-k] & (row[k:] == row[:-k])
        else:
            out[:-by] = mask[by:] & (row[:-by] == row[by:])
        return out

    negated = (_shifted(negator, -1) | _shifted(negator, -2) | _shifted(post, 1)) & ~gratitude
    polarity = np.where(pos, 1, np.where(neg, -1, 0))
    polarity = np.where(negated, -polarity, polarity)
    polarity = np.where(neutral & negated & (polarity == 0), -1, polarity)
    p = np.bincount(row, weights=(polarity > 0), minlength=n)[:n]
    m = np.bincount(row, weights=(polarity < 0), minlength=n)[:n]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(p + m > 0, (p - m) / (p + m), 0.0)
    score = np.where(has_comment, score, np.nan)
    return pd.Series(score, index=comments.index, name="comment_sentiment")
