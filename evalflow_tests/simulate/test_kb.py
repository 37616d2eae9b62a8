"""The knowledge base loaded from ``simulate/data``: immutable shapes, loud errors on bad data."""

from __future__ import annotations

import pytest

from evalflow.simulate import kb


def test_pools_and_facts_keep_their_python_shapes() -> None:
    """Callers index and hash these; lists from JSON must not leak through."""
    assert isinstance(kb.FACTS, tuple) and all(isinstance(f, kb.Fact) for f in kb.FACTS)
    for fact in kb.FACTS:
        assert isinstance(fact.wrong_values, tuple) and len(fact.wrong_values) == 3
        assert all(isinstance(q, tuple) for q in fact.queries.values())
    for pool in (kb.FABRICATIONS, kb.COMMENTS_GOOD, kb.THEME_QUERIES):
        assert set(pool) == set(kb.LANGS)
        assert all(isinstance(v, tuple) and v for v in pool.values())
    assert isinstance(kb.ERRORS, tuple) and kb.ERRORS
    assert kb.FACTS_PER_QUEUE * len(kb.QUEUES) == len(kb.FACTS)


def test_missing_pool_is_named() -> None:
    with pytest.raises(ValueError, match="no pool 'NOT_A_POOL'"):
        kb._pool("NOT_A_POOL")


def test_fact_with_wrong_number_of_wrong_values_is_rejected() -> None:
    raw = {"key": "refund_window", "wrong_values": ["14", "60"]}
    with pytest.raises(ValueError, match="refund_window needs exactly three wrong values"):
        kb._fact(raw)


def test_missing_translation_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool without one language would otherwise surface as a KeyError mid-generation."""
    monkeypatch.setattr(kb, "TOXIC", {k: v for k, v in kb.TOXIC.items() if k != "fr"})
    with pytest.raises(ValueError, match=r"TOXIC lacks \['fr'\]"):
        kb._check()
