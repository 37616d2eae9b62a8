"""Personal data in text: detection for the signals table, redaction for the judges.

Detected types and how false positives are kept down:

* ``email`` — the usual ``local@domain.tld`` shape, Unicode letters included
  (``josé.núñez@correo.es``, internationalised domains): an ASCII-only pattern masks
  only the tail of such an address and leaks the name.
* ``card`` — 13–19 digits (optionally grouped by spaces, dots or hyphens, one kind of
  separator per number), first digit 2–6
  (the major networks' IIN ranges), and a valid **Luhn** checksum; an order number
  of 16 digits passes the Luhn test one time in ten, so the IIN rule matters too.
* ``iban`` — two letters, two check digits, then the BBAN, in any case (people type
  ``fr14 2004 …``); the candidate is upper-cased and cut to
  the country's registered IBAN length (ISO 13616 registry) and must satisfy the
  **mod-97** check (``python-stdnum``'s validator, which also checks the country's
  BBAN format), so capitalised reference codes are not taken for accounts.
* ``national_id`` — formats that are either checksummed or unmistakable:
  US SSN written ``AAA-GG-SSSS`` (area not 000/666/9xx, group not 00, serial not
  0000); Spanish DNI/NIE (``12345678Z``, ``X1234567L``) with its **mod-23 check
  letter**; French NIR (sécurité sociale, 15 digits) with its **mod-97 key**; UK
  National Insurance number (two letters from the allowed set, six digits, A–D).
  German Steuer-ID (11 digits) only next to its name (``Steuer-ID``, ``IdNr``,
  ``Steueridentifikationsnummer``) and with its ISO 7064 check digit
  (``stdnum.de.idnr``): alone, 11 digits look like any order number.
* ``phone`` — international (``+`` or ``00`` prefix), North American
  (``(555) 123-4567``, ``555-123-4567``), national numbers with a trunk ``0``
  (``030 1234 5678``, ``06 12 34 56 78``) and Spanish 9-digit numbers
  (``612 345 678``); 8–15 digits in total (E.164 allows at most 15) and not a
  date (``05.10.2026``). Then Google's ``phonenumbers`` matcher (leniency VALID:
  the number must exist in the numbering plan) for the simulator's regions (US, GB,
  ES, DE, FR) catches what the shapes miss, notably bare digit runs such as
  ``4155550177``; a run right after an id word (order, invoice, ticket, pedido,
  Bestellung, commande, ``#`` …) is left alone, since order numbers are not PII.

Order of application: email, IBAN, national ids, card, phone. Each validated match is
replaced by its placeholder before the next detector runs, so the digits of an IBAN
are never re-read as a card and a card is never re-read as a phone. Placeholders
(``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[IBAN]``, ``[NATIONAL_ID]``) contain no
digits and no ``@``, so redaction is idempotent.

Vectorisation: a single RE2 pass over the column (pyarrow) finds rows that *could*
hold PII (a superset of every detector's pattern); only those rows go through the
precise Python scanners and checksum validators.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.de import idnr as stdnum_de_idnr

from evalflow.signals.arrow_text import matches, to_arrow

PII_TYPES: tuple[str, ...] = ("email", "phone", "card", "iban", "national_id")
PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "card": "[CARD]",
    "iban": "[IBAN]",
    "national_id": "[NATIONAL_ID]",
}

# ISO 13616 registered IBAN lengths (a subset covering Europe and common partners).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VG": 24,
    "XK": 20,
}
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NINO_BAD_PREFIXES = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}

# --- precise (Python) patterns -----------------------------------------------------
EMAIL_RE = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}")
IBAN_RE = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,32}\b")
CARD_RE = re.compile(r"(?<![\d\-.])(?:\d[ .\-]?){12,18}\d(?![\d\-]|\.\d)")
STEUER_ID_RE = re.compile(
    r"(?i)\b(steuer-?id(?:entifikationsnummer)?|steuer-?idnr|idnr)\.?(\s*[:#]?\s*)"
    r"(\d{2} ?\d{3} ?\d{3} ?\d{3})\b"
)
SSN_RE = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
DNI_RE = re.compile(r"\b([XYZ]?)(\d{7,8})-?([A-Z])\b")
NIR_RE = re.compile(
    r"\b([12]) ?(\d{2}) ?(0[1-9]|1[0-2]|[2-9]\d) ?(\d{2}|2[AB]) ?(\d{3}) ?(\d{3}) ?(\d{2})\b"
)
NINO_RE = re.compile(r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
PHONE_RE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)[1-9]\d{0,2}[\s.\-]?(?:\(\d{1,4}\)[\s.\-]?)?\d{1,4}(?:[\s.\-]?\d{2,4}){1,5}"
    r"|\(\d{3}\)\s?\d{3}[\s.\-]\d{4}"
    r"|\d{3}[\s.\-]\d{3}[\s.\-]\d{4}"
    r"|0\d{1,4}(?:[\s./\-]\d{2,4}){2,4}"
    r"|[6789]\d{2}(?: \d{2,3}){2,3}"
    r")(?![\w])"
)
_DATE_RE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}")
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "ES", "DE", "FR")
"""Numbering plans checked by ``phonenumbers``: the simulator's languages' countries."""
_PHONE_HINT = re.compile(r"\(?\d(?:[\s.\-/()]{0,2}\d){6,}")
_ID_WORD_BEFORE = re.compile(
    r"(?i)(?:order|invoice|ticket|ref(?:erence)?|tracking|case|account|sku|"
    r"pedido|factura|referencia|bestellung|rechnung|auftrag|commande|facture|"
    r"lot|lote|batch|charge|ean|isbn|gtin|serial|"
    r"n[º°o]|nr|#)\.?\s*[:#]?\s*$"
)

# --- candidate filter (RE2): a superset of all of the above -------------------------
_CANDIDATES = "|".join(
    [
        r"@",  # email (any script: RE2's \w is ASCII-only)
        r"\b[A-Za-z]{2}\d{2} ?[A-Za-z0-9]{4}",  # iban, any case
        r"(?:\d[ .\-]?){12,18}\d",  # card / long digit runs
        r"\d(?:[\s.\-/()]{0,2}\d){6,}",  # anything phonenumbers may take for a number
        r"\b\d{3}-\d{2}-\d{4}\b",  # ssn
        r"\b[XYZ]?\d{7,8}-?[A-Z]\b",  # dni / nie
        r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b",  # nir
        r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",  # nino
        r"(?:\+|\b00)[1-9]",  # international phone
        r"\(\d{3}\)\s?\d{3}",  # (555) 123
        r"\b\d{3}[\s.\-]\d{3}[\s.\-]\d{4}\b",  # 555-123-4567
        r"\b0\d{1,4}[\s./\-]\d{2,4}[\s./\-]\d{2,4}",  # trunk prefix
        r"\b[6789]\d{2} \d{2,3} \d{2,3}",  # spanish
    ]
)


# --- validators ----------------------------------------------------------------------
def luhn_valid(number: str) -> bool:
    """Luhn (mod-10) checksum of a digit string (separators allowed)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_valid_many(numbers: pd.Series | list[str]) -> np.ndarray:
    """Vectorised Luhn over many digit strings (separators ignored), as a bool mask."""
    s = pd.Series(numbers, dtype=object).fillna("").astype(str).str.replace(r"\D", "", regex=True)
    lens = s.str.len().to_numpy()
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    width = max(int(lens.max()), 1)
    padded = s.str.pad(width, side="left", fillchar="0")
    mat = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8).reshape(len(s), width)
    mat = mat.astype(np.int64) - ord("0")
    from_right = np.arange(width)[::-1]
    doubled = mat * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    contrib = np.where(from_right % 2 == 1, doubled, mat)
    return (contrib.sum(axis=1) % 10 == 0) & (lens >= 2)


def card_valid(number: str) -> bool:
    """A plausible payment card: 13–19 digits, IIN starting 2–6, Luhn-valid, and at
    most one kind of separator (``4012.8888.8888.1881`` yes, ``12.30-4 …`` no)."""
    if len(set(re.findall(r"[ .\-]", number))) > 1:
        return False
    digits = re.sub(r"\D", "", number)
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


def iban_valid(candidate: str) -> bool:
    """ISO 13616 via ``python-stdnum``: country length, BBAN format and mod-97, any case."""
    s = re.sub(r"\s", "", candidate).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    expected = IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    # check_country=False: the national layers also look the bank code up in a registry,
    # and a bank missing from it must not make its customers' IBANs leak.
    return bool(stdnum_iban.is_valid(s, check_country=False))


def dni_valid(prefix: str, number: str, letter: str) -> bool:
    """Spanish DNI (8 digits) / NIE (X/Y/Z + 7 digits) check letter (mod 23)."""
    if prefix:
        if len(number) != 7:
            return False
        number = str("XYZ".index(prefix)) + number
    if len(number) != 8:
        return False
    return _DNI_LETTERS[int(number) % 23] == letter


def nir_valid(match: re.Match[str]) -> bool:
    """French NIR: key == 97 - (first 13 digits mod 97); Corsica 2A/2B count as 19/18."""
    sex, year, month, dept, commune, order, key = match.groups()
    dept_num = {"2A": "19", "2B": "18"}.get(dept, dept)
    body = int(sex + year + month + dept_num + commune + order)
    return 97 - body % 97 == int(key)


def _iban_sub(m: re.Match[str]) -> str:
    raw = m.group(0)
    compact = raw.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None:
        return PLACEHOLDERS["iban"] if iban_valid(compact) else raw
    if len(compact) < expected or not iban_valid(compact[:expected]):
        return raw
    # Cut the raw match after `expected` alphanumerics, keep the rest of the text.
    seen = 0
    for pos, ch in enumerate(raw):
        if ch != " ":
            seen += 1
        if seen == expected:
            return PLACEHOLDERS["iban"] + raw[pos + 1 :]
    return raw  # pragma: no cover - expected <= len(compact) guarantees a return above


def _steuer_id_sub(m: re.Match[str]) -> str:
    number = m.group(3).replace(" ", "")
    if not stdnum_de_idnr.is_valid(number):
        return m.group(0)
    return m.group(1) + m.group(2) + PLACEHOLDERS["national_id"]


def _card_sub(m: re.Match[str]) -> str:
    return PLACEHOLDERS["card"] if card_valid(m.group(0)) else m.group(0)


def _dni_sub(m: re.Match[str]) -> str:
    ok = dni_valid(m.group(1), m.group(2), m.group(3))
    return PLACEHOLDERS["national_id"] if ok else m.group(0)


def _nir_sub(m: re.Match[str]) -> str:
    return PLACEHOLDERS["national_id"] if nir_valid(m) else m.group(0)


def _nino_sub(m: re.Match[str]) -> str:
    ok = m.group(1) not in _NINO_BAD_PREFIXES
    return PLACEHOLDERS["national_id"] if ok else m.group(0)


def _phone_sub(m: re.Match[str]) -> str:
    raw = m.group(0)
    n_digits = sum(c.isdigit() for c in raw)
    if not 8 <= n_digits <= 15 or _DATE_RE.fullmatch(raw):
        return raw
    if _ID_WORD_BEFORE.search(m.string[max(0, m.start() - 24) : m.start()]):
        return raw  # "SKU 100-200-3000", "order 555-123-4567": an id, not a number
    return PLACEHOLDERS["phone"]


_Repl = str | Callable[[re.Match[str]], str]
_STEPS: tuple[tuple[str, re.Pattern[str], _Repl], ...] = (
    ("email", EMAIL_RE, PLACEHOLDERS["email"]),
    ("iban", IBAN_RE, _iban_sub),
    ("national_id", SSN_RE, PLACEHOLDERS["national_id"]),
    ("national_id", DNI_RE, _dni_sub),
    ("national_id", NIR_RE, _nir_sub),
    ("national_id", NINO_RE, _nino_sub),
    ("national_id", STEUER_ID_RE, _steuer_id_sub),
    ("card", CARD_RE, _card_sub),
    ("phone", PHONE_RE, _phone_sub),
)


@functools.lru_cache(maxsize=65536)
def _valid_phone(candidate: str) -> bool:
    """Whether a digit run is a valid number in one of ``PHONE_REGIONS``' numbering plans."""
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15:
        return False
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Spans of digit runs ``phonenumbers`` calls valid (dates and ids skipped).

    Each run the hint pattern finds is parsed as a whole, then shortened group by
    group from the right (``call 4155550177 12 times`` over-captures ``… 12``). Parsing
    candidates, rather than running ``PhoneNumberMatcher`` over whole texts once per
    region, keeps the signals stage fast on text full of amounts and dates.
    """
    spans: list[tuple[int, int]] = []
    for m in _PHONE_HINT.finditer(text):
        start = m.start()
        if start and text[start - 1] == "+":
            start -= 1
        if _ID_WORD_BEFORE.search(text[max(0, start - 24) : start]):
            continue
        if start and (text[start - 1].isalnum() or text[start - 1] in "-/_"):
            continue  # glued to a token (INV-2026-000123): part of an id, not a number
        run = text[start : m.end()]
        cuts = [len(run)] + [g.start() for g in reversed(list(re.finditer(r"[\s.\-/]+", run)))]
        for cut in cuts:
            candidate = run[:cut].rstrip(" .-/(")
            after = text[start + len(candidate) : start + len(candidate) + 2]
            if after[:1].isalnum() or re.match(r"[.,]\d", after):
                continue  # 20261005.3, 1234567,89: part of a longer number
            if re.fullmatch(r"\d{1,3}[.,]\d{4,}", candidate):
                continue  # a decimal fraction (48.858844), not a grouped number
            if re.search(r"\d{6}[\s.\-/]\d{1,2}$|[\s.\-/]\d$", candidate):
                continue  # 20260512-07, build 20261005.3: a suffix, not a phone's grouping
            if candidate and not _DATE_RE.fullmatch(candidate) and _valid_phone(candidate):
                spans.append((start, start + len(candidate)))
                break
    return spans


def _redact_phonenumbers(text: str) -> str:
    """The library pass after the shape patterns: what they missed (e.g. bare digits)."""
    if not _PHONE_HINT.search(text):
        return text
    for start, end in reversed(_phone_spans(text)):
        text = text[:start] + PLACEHOLDERS["phone"] + text[end:]
    return text


def scan(text: str | None) -> tuple[str, list[str]]:
    """(redacted text, PII types found in ``PII_TYPES`` order) for one text."""
    if not text:
        return ("" if text is None else text), []
    found: set[str] = set()
    out = text
    for kind, pattern, repl in _STEPS:
        placeholder = PLACEHOLDERS[kind]
        before = out.count(placeholder)
        out = pattern.sub(repl, out)
        if out.count(placeholder) > before:
            found.add(kind)
    before = out.count(PLACEHOLDERS["phone"])
    out = _redact_phonenumbers(out)
    if out.count(PLACEHOLDERS["phone"]) > before:
        found.add("phone")
    return out, [k for k in PII_TYPES if k in found]


def redact_pii(text: str) -> str:
    """``text`` with every detected e-mail, phone, card, IBAN and national id masked."""
    return scan(text)[0]


def candidate_mask(texts: pd.Series) -> np.ndarray:
    """Rows that may contain PII (one RE2 pass); all others certainly do not."""
    return matches(to_arrow(texts), _CANDIDATES, ignore_case=False)


def redact_pii_series(texts: pd.Series) -> pd.Series:
    """Vectorised ``redact_pii``: RE2 finds candidate rows, only those are rewritten.

    NULLs stay NULL; the index is preserved.
    """
    out = texts.astype(object).copy()
    if len(texts) == 0:
        return out
    cand = candidate_mask(texts) & texts.notna().to_numpy()
    if cand.any():
        out.iloc[np.flatnonzero(cand)] = [redact_pii(t) for t in texts.iloc[cand]]
    return out


def detect_pii(texts: pd.Series) -> pd.DataFrame:
    """Per text: ``pii_in_response``, ``pii_types`` (comma-separated, NULL if none) and
    ``redacted`` (the text with PII masked; identical to the input where none was found).
    """
    n = len(texts)
    types = np.full(n, None, dtype=object)
    redacted = texts.to_numpy(dtype=object).copy()
    if n:
        values = texts.to_numpy(dtype=object)
        for i in np.flatnonzero(candidate_mask(texts)):
            if not isinstance(values[i], str):
                continue
            masked, found = scan(values[i])
            if found:
                types[i] = ",".join(found)
                redacted[i] = masked
    return pd.DataFrame(
        {"pii_in_response": pd.notna(types), "pii_types": types, "redacted": redacted},
        index=texts.index,
    )


PLACEHOLDER_RE = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|NATIONAL_ID)\]")


def redact_value(value: object) -> object:
    """``redact_pii`` over every string inside a JSON-like value (dicts, lists, tuples).

    For payloads that leave the warehouse (alert notifications, regression files):
    keys and non-string values are kept as they are.
    """
    if isinstance(value, str):
        return redact_pii(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
