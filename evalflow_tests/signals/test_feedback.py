"""Comment sentiment with negation in en/es/de/fr."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalflow.signals.feedback import comment_sentiment

CASES = [
    ("Thanks, very helpful!", 1.0),
    ("Not helpful at all, wrong answer", -1.0),
    ("doesn't work", -1.0),
    ("didn't help", -1.0),
    ("¡Gracias, perfecto!", 1.0),
    ("No es útil, la información es incorrecta", -1.0),
    ("No, gracias", 1.0),
    ("Sehr hilfreich, danke", 1.0),
    ("Funktioniert nicht", -1.0),
    ("Das war nicht hilfreich", -1.0),
    ("Parfait, merci", 1.0),
    ("Ça ne marche pas", -1.0),
    ("Ce n'est pas utile", -1.0),
    ("pas mal", 1.0),
    ("The answer was wrong but fast", 0.0),
    ("ok", 0.0),
]


@pytest.mark.parametrize(("comment", "expected"), CASES)
def test_sentiment(comment: str, expected: float) -> None:
    assert comment_sentiment(pd.Series([comment])).iloc[0] == pytest.approx(expected)


def test_null_without_comment_and_range() -> None:
    s = comment_sentiment(pd.Series([None, "  ", "great but slow and confusing"], index=[7, 8, 9]))
    assert list(s.index) == [7, 8, 9]
    assert np.isnan(s.iloc[0]) and np.isnan(s.iloc[1])
    assert -1.0 <= s.iloc[2] <= 1.0
    assert s.iloc[2] == pytest.approx((1 - 2) / 3)
    assert comment_sentiment(pd.Series([], dtype=object)).empty
