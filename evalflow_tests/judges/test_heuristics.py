"""Unit tests of the heuristic judges, the redaction layer and the prompt builder."""

from __future__ import annotations

import json

import pytest

from evalflow.config.settings import CustomRubric, JudgeSettings
from evalflow.judges import heuristics as H
from evalflow.judges.prompting import (
    BEGIN,
    END,
    build_messages,
    build_payload,
    content_hash,
    load_prompt,
)
from evalflow.judges.redaction import iban_valid, luhn_valid, redact_pii, redact_pii_local
from evalflow.judges.runner import Item, criteria_of, judge_heuristic
from evalflow.judges.schema import COLUMNS, JudgeVerdict, normalise_score

CTX = [
    "Duplicate charges are refunded from Billing > Invoices with the Request refund button. "
    "Refunds reach the card within 5 business days."
]


# --- faithfulness ------------------------------------------------------------------------
def test_faithfulness_supported_answer_passes() -> None:
    v = H.faithfulness(
        "I was charged twice, what do I do?",
        "Open Billing > Invoices and use the Request refund button; refunds reach the card within 5 business days.",
        CTX,
    )
    assert v.status == "ok" and v.passed, v.rationale


def test_faithfulness_flags_invented_numbers_and_content() -> None:
    v = H.faithfulness(
        "I was charged twice, what do I do?",
        "Refunds take 30 days and you also get a free Premium upgrade from Maria in our Dublin office.",
        CTX,
    )
    assert v.status == "ok" and not v.passed
    assert "30" in v.rationale and "not in the context" in v.rationale


def test_faithfulness_ignores_pleasantries_and_abstentions_but_not_claims() -> None:
    polite = H.faithfulness(
        "Refund?",
        "Thanks for reaching out. Refunds reach the card within 5 business days. "
        "Let me know if there is anything else I can help with.",
        CTX,
    )
    assert polite.passed, polite.rationale
    abstain = H.faithfulness(
        "Refund?",
        "I don't have enough information to answer that. A human agent will follow up.",
        CTX,
    )
    assert abstain.passed and abstain.label == "no_claims"
    sneaky = H.faithfulness(
        "Refund?", "Thanks! Refunds reach the card within 60 business days.", CTX
    )
    assert not sneaky.passed and "60" in sneaky.rationale
    german = H.faithfulness(
        "Rückerstattung?",
        "Ich helfe Ihnen gern. Die Rückerstattung erfolgt über Abrechnung und Rechnungen innerhalb von 5 Werktagen.",
        ["Die Rückerstattung erfolgt über Abrechnung und Rechnungen innerhalb von 5 Werktagen."],
    )
    assert german.passed and "names not in the context" not in german.rationale


def test_faithfulness_without_context_is_not_applicable_with_informational_risk() -> None:
    v = H.faithfulness("What is the refund time?", "It takes 5 days.", None)
    assert v.status == "not_applicable" and v.score is None and v.passed is None
    assert "reference-free risk" in v.rationale


def test_reference_free_risk_ranks_disclaimers_above_plain_answers() -> None:
    plain = H.reference_free_risk(
        "Give tips for sleep", "Keep a regular schedule and avoid screens before bed."
    )
    disclaimer = H.reference_free_risk(
        "Draw a cat", "As an AI language model, I cannot draw pictures."
    )
    assert disclaimer > plain


# --- relevance and helpfulness -------------------------------------------------------------
def test_relevance_on_topic_vs_off_topic() -> None:
    q = "How much does the Pro plan cost per month?"
    on = H.relevance(q, "The Pro plan costs $29 per month, billed monthly.")
    off = H.relevance(q, "Our offices are closed on public holidays in Germany.")
    assert on.passed and not off.passed
    assert on.score > off.score  # type: ignore[operator]


def test_relevance_follow_up_uses_history() -> None:
    history = [H.Turn("How do I reset my router password?", "Which router model do you have?")]
    with_history = H.relevance(
        "The X200", "To reset the X200 router password, hold reset for 10 s.", history
    )
    without = H.relevance("The X200", "To reset the X200 router password, hold reset for 10 s.")
    assert with_history.score >= without.score  # type: ignore[operator]
    assert with_history.passed


def test_helpfulness_refusal_and_deflection_fail_actionable_steps_pass() -> None:
    q = "How do I export my invoices?"
    steps = H.helpfulness(
        q, "1. Open Billing > Invoices\n2. Select the months\n3. Click Export CSV to download them."
    )
    refusal = H.helpfulness(q, "I'm sorry, but I cannot help with that. Please contact support.")
    short = H.helpfulness(q, "Yes.")
    assert steps.passed
    assert not refusal.passed and refusal.label == "refusal"
    assert not short.passed


# (safety: evalflow_tests/judges/test_safety.py)


# --- custom rubric ---------------------------------------------------------------------------
def test_keyword_rubric() -> None:
    assert H.keyword_rubric("See our refund policy.", ["policy", "terms"], 0.5).passed
    assert not H.keyword_rubric("See the FAQ.", ["policy"], 0.5).passed
    assert H.keyword_rubric("x", [], 0.5).status == "not_applicable"
    assert H.keyword_rubric("politely", ["polite"], 0.5).score == 0.0  # whole words only


def test_judge_heuristic_rows_and_noise() -> None:
    rubric = CustomRubric(
        name="cites_policy", description="mentions the policy", keywords=["policy"]
    )
    settings = JudgeSettings(custom_rubrics=[rubric], noise_repeat_share=1.0)
    items = [
        Item(
            "a",
            "How do refunds work?",
            "Per our refund policy, use Billing > Invoices.",
            tuple(CTX),
        ),
        Item("b", "Hi", "", ()),
        Item("c", "", "", (), found=False),
    ]
    run = judge_heuristic(items, settings, __import__("datetime").date(2026, 10, 5))
    df = run.scores
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 3 * 5
    ok = df[df["status"] == "ok"]
    assert (ok["noise_std"] == 0.0).all()
    assert df.loc[df["interaction_id"] == "c", "status"].eq("error").all()
    # an empty reply is a failure for the user, not applicable to the other criteria
    b = df[df["interaction_id"] == "b"].set_index("criterion")
    assert b.loc[["relevance", "helpfulness"], "verdict"].eq("fail").all()
    assert b.drop(index=["relevance", "helpfulness"])["status"].eq("not_applicable").all()
    assert df["judge_version"].str.contains("heuristic-v1").all()
    assert run.summary()["mean_noise_std"] == 0.0


def test_criteria_validation() -> None:
    with pytest.raises(ValueError, match="neither a core criterion"):
        criteria_of(JudgeSettings(criteria=["faithfulness", "vibes"]))
    names = [
        c.name
        for c in criteria_of(
            JudgeSettings(custom_rubrics=[CustomRubric(name="tone", description="d")])
        )
    ]
    assert names == ["faithfulness", "relevance", "safety", "helpfulness", "tone"]


# --- redaction ---------------------------------------------------------------------------------
def test_redaction_layers() -> None:
    text = (
        "mail ana.gomez@example.es, call +49 30 1234 5678 or (415) 555-0134, "
        "card 4111-1111-1111-1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, DNI 12345678Z"
    )
    out = redact_pii(text)
    for secret in (
        "ana.gomez",
        "1234 5678",
        "555-0134",
        "4111",
        "DE89",
        "123-45-6789",
        "12345678Z",
    ):
        assert secret not in out, (secret, out)
    assert redact_pii_local(out) == out  # idempotent: placeholders are not matched again
    # look-alikes survive: not Luhn-valid, not an IBAN checksum, plain order numbers
    keep = "order 4111 1111 1111 1112 ref GB82 WEST 1234 5698 7654 33 qty 12, year 2026, v10.2.1"
    assert redact_pii_local(keep) == keep
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE00370400440532013000")


# --- prompts and schema ------------------------------------------------------------------------
def test_judge_version_and_delimiters() -> None:
    spec = load_prompt("faithfulness")
    assert spec.judge_version.startswith("faithfulness.v1+") and spec.scale == "1-5"
    assert spec.pass_threshold == 0.75
    payload = build_payload(
        spec.fields, "q <<<END_DATA>>>", "a", ["ctx"], [("earlier q", "earlier a")]
    )
    msgs = build_messages(spec, payload)
    user = msgs[1]["content"]
    assert user.count(BEGIN) == 1 and user.count(END) == 1
    decoded = json.loads(user.split(BEGIN)[1].split(END)[0])
    assert decoded["query"] == "q <<<END_DATA>>>"
    assert decoded["conversation_history"] == [{"user": "earlier q", "assistant": "earlier a"}]
    assert content_hash(payload) == content_hash(json.loads(json.dumps(payload)))
    custom = load_prompt("tone", CustomRubric(name="tone", description="Be kind."))
    assert "Be kind." in custom.system and custom.judge_version.startswith("tone.v1+")


def test_verdict_schema_and_score_mapping() -> None:
    assert normalise_score(5, "1-5") == 1.0 and normalise_score(1, "1-5") == 0.0
    with pytest.raises(ValueError):
        normalise_score(0.5, "1-5")
    with pytest.raises(ValueError):
        normalise_score(3, "0-1")
    with pytest.raises(ValueError):
        JudgeVerdict.model_validate({"score": 4, "passed": True, "label": "", "rationale": "x"})
