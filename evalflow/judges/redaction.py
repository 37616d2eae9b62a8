"""PII redaction applied to every text before a judge sees it.

Logged conversations carry customers' e-mail addresses, phone numbers, card numbers,
IBANs and national ids. The openai backend sends text to a third-party server, so
all of it is masked first: the server must never receive those values, and the
content hash (hence the cache) is computed on the redacted text.

The signals stage owns the project's PII detector (``evalflow.signals.pii.redact_pii``).
When it is importable it runs first; this module's own detector always runs after it
as a second, independent layer for the *validated* types (e-mails in any script,
IBANs in any case with mod-97, Luhn-valid cards grouped by spaces, dots or hyphens,
SSN and DNI/NIE with their check letter), so judging is safe even while the signals
stage is absent or changes. Phone numbers have no checksum: a second hand-written
phone pattern only added false positives (dates, reference numbers; 3 of 20 clean
texts in ``evalflow_tests/pii_corpus.py``) and no recall, so phones are the signals
detector's alone (shape patterns plus Google's ``phonenumbers``).
Both produce the same placeholders (``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[IBAN]``,
``[NATIONAL_ID]``), which neither detector matches again, so layering is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Callable

try:  # the signals stage's detector, when that stage is installed
    from evalflow.signals.pii import redact_pii as _signals_redact_pii
except ImportError:  # pragma: no cover - depends on which stages exist
    _signals_redact_pii = None

SIGNALS_REDACTOR_AVAILABLE: bool = _signals_redact_pii is not None

_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")
# 13-19 digits, optionally grouped by spaces, dots or hyphens (as people type them).
_CARD = re.compile(r"(?<![\w.])(?:\d[ .\-]?){12,18}\d(?![\w]|\.\d)")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b")
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_DNI = re.compile(r"\b([XYZ]?)(\d{7,8})[ \-]?([A-Z])\b")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies (cuts false positives)."""
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 mod-97 check, so an order number in capitals is not taken for an IBAN."""
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _card_sub(m: re.Match[str]) -> str:
    if len(set(re.findall(r"[ .\-]", m.group(0)))) > 1:  # one kind of separator per number
        return m.group(0)
    digits = re.sub(r"[ .\-]", "", m.group(0))
    return "[CARD]" if luhn_valid(digits) else m.group(0)


def _iban_sub(m: re.Match[str]) -> str:
    return "[IBAN]" if iban_valid(m.group(0)) else m.group(0)


def _dni_sub(m: re.Match[str]) -> str:
    prefix, number, letter = m.group(1), m.group(2), m.group(3)
    if prefix:  # Spanish NIE: X/Y/Z stand for 0/1/2
        number = str("XYZ".index(prefix)) + number
    if len(number) != 8:
        return m.group(0)
    return "[NATIONAL_ID]" if _DNI_LETTERS[int(number) % 23] == letter else m.group(0)


_STEPS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (_EMAIL, "[EMAIL]"),
    (_IBAN, _iban_sub),
    (_CARD, _card_sub),
    (_SSN, "[NATIONAL_ID]"),
    (_DNI, _dni_sub),
]


def redact_pii_local(text: str) -> str:
    """This module's own detector: e-mails, IBANs, Luhn-valid cards, SSN, DNI/NIE."""
    for pattern, repl in _STEPS:
        text = pattern.sub(repl, text)
    return text


def redact_pii(text: str | None) -> str:
    """Mask PII with both detectors (signals' first when present); ``None`` becomes ``""``."""
    if not text:
        return ""
    out = str(text)
    if _signals_redact_pii is not None:
        out = _signals_redact_pii(out)
    return redact_pii_local(out)
