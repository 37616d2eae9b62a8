"""PII detection, checksum validation and redaction."""

from __future__ import annotations

import pandas as pd
import pytest

from evalflow.signals.pii import (
    PLACEHOLDERS,
    card_valid,
    detect_pii,
    dni_valid,
    iban_valid,
    luhn_valid,
    luhn_valid_many,
    redact_pii,
    redact_pii_series,
    scan,
)


def test_luhn() -> None:
    assert luhn_valid("4111 1111 1111 1111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("1")
    got = luhn_valid_many(["4111111111111111", "4111-1111-1111-1112", "79927398713", "", None])
    assert got.tolist() == [True, False, True, False, False]


def test_card_needs_iin_length_and_luhn() -> None:
    assert card_valid("5555 5555 5555 4444")  # Mastercard test number
    assert card_valid("378282246310005")  # Amex test number (15 digits)
    assert not card_valid("0000 0000 0000 0000")  # Luhn-valid, but no network starts with 0
    assert not card_valid("4111 1111 1111")  # too short


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "ES91 2100 0418 4502 0005 1332",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
    ],
)
def test_valid_ibans(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE00 3704 0044 0532 0130 00",  # wrong check digits
        "DE89 3704 0044 0532 0130 0",  # wrong length for DE
        "XX12 ABCD",  # too short
        "ORDER1234567890ABCDEF",
    ],
)
def test_invalid_ibans(iban: str) -> None:
    assert not iban_valid(iban)


def test_spanish_check_letter() -> None:
    assert dni_valid("", "12345678", "Z")
    assert not dni_valid("", "12345678", "A")
    assert dni_valid("X", "1234567", "L")


CASES = [
    ("Write to jane.doe+billing@example.co.uk please.", ["email"], "[EMAIL]"),
    ("Call +44 20 7946 0958 today.", ["phone"], "[PHONE]"),
    ("Call (555) 123-4567 or 555-123-4567.", ["phone"], "[PHONE]"),
    ("Ruf an: 030 1234 5678", ["phone"], "[PHONE]"),
    ("Appelez le 06 12 34 56 78", ["phone"], "[PHONE]"),
    ("Llama al +34 612 345 678", ["phone"], "[PHONE]"),
    ("The card on file is 4111 1111 1111 1111.", ["card"], "[CARD]"),
    ("IBAN DE89 3704 0044 0532 0130 00 as before.", ["iban"], "[IBAN]"),
    ("SSN 123-45-6789 on file.", ["national_id"], "[NATIONAL_ID]"),
    ("DNI 12345678Z y NIE X1234567L.", ["national_id"], "[NATIONAL_ID]"),
    ("NIR 1 85 05 78 006 084 91", ["national_id"], "[NATIONAL_ID]"),
    ("NINO AB 12 34 56 C", ["national_id"], "[NATIONAL_ID]"),
]


@pytest.mark.parametrize(("text", "types", "placeholder"), CASES)
def test_detects_and_redacts(text: str, types: list[str], placeholder: str) -> None:
    redacted, found = scan(text)
    assert found == types
    assert placeholder in redacted
    assert not any(ch.isdigit() for ch in redacted), redacted  # every digit was PII here
    assert "@" not in redacted


@pytest.mark.parametrize(
    "text",
    [
        "Delivery on 05.10.2026, order 2026-10-05, ticket 48213.",
        "Version 2.10.3 costs 1,299.00 EUR, refund in 5 days.",
        "Order ORD-1234567890123 shipped.",
        "The card 4111 1111 1111 1112 was declined.",  # not Luhn-valid
        "SSN-like 000-12-3456 and 666-12-3456 are never issued.",
        "Reference DE00 1234 5678 9012 3456 78 is wrong.",
        "Error code 0x80070005 at 10:30.",
    ],
)
def test_no_false_positives(text: str) -> None:
    redacted, found = scan(text)
    assert found == []
    assert redacted == text


def test_iban_is_not_read_again_as_card_or_phone() -> None:
    redacted, found = scan("Send it to GB82 WEST 1234 5698 7654 32 tomorrow")
    assert found == ["iban"]
    assert redacted == "Send it to [IBAN] tomorrow"


def test_redaction_is_idempotent_and_series_keeps_nulls() -> None:
    text = "mail a@b.io, card 4111-1111-1111-1111, tel +1 415 555 0134"
    once = redact_pii(text)
    assert once == "mail [EMAIL], card [CARD], tel [PHONE]"
    assert redact_pii(once) == once
    assert all(redact_pii(p) == p for p in PLACEHOLDERS.values())
    s = pd.Series([text, None, "nothing here", ""], index=[5, 6, 7, 8])
    out = redact_pii_series(s)
    assert list(out.index) == [5, 6, 7, 8]
    assert out.iloc[0] == once
    assert out.iloc[1] is None
    assert out.iloc[2] == "nothing here"
    assert out.iloc[3] == ""


def test_detect_pii_frame() -> None:
    s = pd.Series(["mail a@b.io and +44 20 7946 0958", "clean", None])
    out = detect_pii(s)
    assert out["pii_in_response"].tolist() == [True, False, False]
    assert out["pii_types"].tolist() == ["email,phone", None, None]
    assert out["redacted"].iloc[0] == "mail [EMAIL] and [PHONE]"
