"""Recall and false positives of the PII detectors on the shared multi-language corpus.

The numbers are recorded in docs/signals.md; a change to a detector that loses
recall or adds a false positive fails here with the items it got wrong.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evalflow.judges.redaction import redact_pii as judge_redact
from evalflow.signals.pii import detect_pii, redact_pii, redact_pii_series
from evalflow_tests.pii_corpus import CLEAN, PII


@pytest.mark.parametrize("redact", [redact_pii, judge_redact], ids=["signals", "judges"])
def test_recall_on_the_corpus(redact) -> None:
    missed = [(lang, kind, value) for lang, kind, value, text in PII if value in redact(text)]
    recall = 1 - len(missed) / len(PII)
    assert recall == 1.0, f"recall {recall:.3f} on {len(PII)} items; missed {missed}"


@pytest.mark.parametrize("redact", [redact_pii, judge_redact], ids=["signals", "judges"])
def test_no_false_positives_on_pii_free_text(redact) -> None:
    changed = [(t, redact(t)) for _, t in CLEAN if redact(t) != t]
    assert not changed, f"{len(changed)} of {len(CLEAN)} clean texts changed: {changed}"


def test_every_language_and_kind_is_covered() -> None:
    """The corpus itself: each of the simulator's languages, each PII kind."""
    langs = {lang for lang, *_ in PII}
    kinds = {kind for _, kind, *_ in PII}
    assert langs == {"en", "es", "de", "fr"}
    assert kinds == {"phone", "card", "iban", "email", "national_id"}


def test_vectorised_paths_agree_with_the_scalar_one() -> None:
    """The RE2 candidate filter must not drop rows the precise scanners would change."""
    texts = pd.Series([t for *_, t in PII] + [t for _, t in CLEAN])
    assert redact_pii_series(texts).tolist() == [redact_pii(t) for t in texts]
    found = detect_pii(texts)
    assert found["pii_in_response"].iloc[: len(PII)].all()
    assert not found["pii_in_response"].iloc[len(PII) :].any()
    kinds = found["pii_types"].iloc[: len(PII)].tolist()
    assert all(k in got.split(",") for (_, k, _, _), got in zip(PII, kinds, strict=True))
