"""Relevance and helpfulness on open dialogue: fail on evidence, pass on coherence,
uncertain in between; and the degenerate cues shared with interaction_signals."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalflow.config.settings import JudgeSettings
from evalflow.judges import dialogue
from evalflow.judges import heuristics as H
from evalflow.judges.runner import Item, build_items, judge_heuristic
from evalflow.signals.degenerate import degenerate_signals

T = H.Turn


def _both(query: str, response: str, history: list[H.Turn] | None = None, repeats=None):
    return (
        H.relevance(query, response, history, repeats),
        H.helpfulness(query, response, history, repeats),
    )


def test_a_looping_reply_fails_both_whatever_it_shares_with_the_turn() -> None:
    for v in _both("who would you shoot first?", "shoot kill kill kill kill kill kill kill"):
        assert v.verdict == "fail" and v.label == "repetitive"
        assert "loops" in v.rationale


@pytest.mark.parametrize("reply", ["lol", "ok", "I don't know.", "That's nice!", "idk"])
def test_stock_non_answers_fail(reply: str) -> None:
    for v in _both("What is the best way to learn to play the guitar?", reply):
        assert v.verdict == "fail" and v.label == "generic"


def test_a_bare_yes_to_a_yes_no_question_is_not_a_non_answer() -> None:
    rel = H.relevance("do you like dogs?", "yes")
    assert rel.verdict != "fail"


@pytest.mark.parametrize("reply", ["", "   \n"])
def test_an_empty_reply_fails(reply: str) -> None:
    for v in _both("Where is my parcel?", reply):
        assert v.verdict == "fail" and v.label == "empty"


def test_asking_again_what_the_bot_already_asked_fails() -> None:
    history = [T("hi there", "hi! what do you do for a living ?")]
    for v in _both("i work as a nurse", "Cool. What do you do for a living?", history):
        assert v.verdict == "fail" and v.label == "repeated_question"


def test_repeating_an_earlier_reply_and_parroting_fail() -> None:
    history = [T("how are you", "I am doing well, thanks for asking!")]
    rel = H.relevance("and today?", "i am doing well , thanks for asking", history)
    assert rel.verdict == "fail" and rel.label == "repeated_reply"
    parrot = H.relevance("can you tell me the weather?", "Can you tell me the weather?")
    assert parrot.verdict == "fail" and parrot.label == "parrot"


def test_an_apt_chit_chat_reply_with_no_shared_words_is_not_failed() -> None:
    """Low overlap alone is not evidence: "what do you do?" / "I teach" is a fine turn."""
    for v in _both("what do you do for a living?", "I teach psychology at a college."):
        assert v.verdict != "fail"


def test_coherent_dialogue_and_support_replies_pass() -> None:
    pets = _both(
        "do you have any pets?",
        "Yes, I have two dogs, a beagle and a poodle, and they love long walks in the park.",
    )
    assert all(v.verdict == "pass" for v in pets)
    # a paraphrase of the asked-for answer ("when" answered with a time span)
    parcel = H.relevance(
        "When will my package arrive?",
        "It left the depot this morning and should be delivered in 2 days.",
    )
    assert parcel.verdict == "pass"


def test_off_topic_with_strong_evidence_fails_but_short_turns_are_uncertain() -> None:
    off = H.relevance(
        "Why was I charged twice for shipping on my last order?",
        "Bananas are rich in potassium and grow well in tropical climates.",
    )
    assert off.verdict == "fail" and off.label == "off_topic"
    short = H.relevance("hey", "Bananas are rich in potassium and grow well in tropical climates.")
    assert short.verdict == "uncertain"


def test_partial_repetition_lowers_the_score() -> None:
    q = "are you shy?"
    plain = H.relevance(q, "i am a little shy around new people")
    looped = H.relevance(q, "i am a little shy but i am a little shy")
    assert looped.score < plain.score  # type: ignore[operator]


def test_a_template_given_all_day_that_ignores_the_turn_is_canned() -> None:
    q = "my daughter scored her first goal at the football match today"
    reply = "what do you do for a living ?"
    assert H.relevance(q, reply).verdict != "fail"  # alone: no evidence
    for v in _both(q, reply, repeats=381):
        assert v.verdict == "fail" and v.label == "canned" and "381 times" in v.rationale
    # a template that does address the turn stays a pass
    ok = H.relevance("How much is the Pro plan?", "The Pro plan costs $29 per month.", None, 500)
    assert ok.verdict == "pass"


@pytest.mark.parametrize(
    "text",
    [
        "shoot kill kill kill kill",
        "i am a little shy but i am a little shy",
        "Refunds reach your card within 5 business days.",
        "ha ha",
        "no no no no",
    ],
)
def test_judge_and_signal_measure_repetition_the_same_way(text: str) -> None:
    signal = degenerate_signals(pd.Series([text]))["repetition_ratio"].iloc[0]
    assert dialogue.repetition_ratio(text) == pytest.approx(signal)


def test_day_repeats_reach_the_judge_through_the_runner() -> None:
    raw = pd.DataFrame(
        {
            "interaction_id": ["x1"],
            "query": ["my daughter scored her first goal at the football match today"],
            "response": ["what do you do for a living ?"],
            "context": [None],
            "conversation_id": [None],
            "turn": [None],
            "timestamp": [None],
            "day_repeats": [381],
        }
    )
    items = build_items(pd.DataFrame({"interaction_id": ["x1"]}), raw, 3)
    assert items[0].day_repeats == 381
    settings = JudgeSettings(criteria=["relevance", "helpfulness"])
    df = judge_heuristic(items, settings, dt.date(2026, 10, 5)).scores
    assert set(df["label"]) == {"canned"} and set(df["verdict"]) == {"fail"}
    plain = Item("x2", items[0].query, items[0].response, ())
    df2 = judge_heuristic([plain], settings, dt.date(2026, 10, 5)).scores
    assert "fail" not in set(df2["verdict"])


def test_an_answer_to_a_yes_no_question_in_other_words_is_not_off_topic() -> None:
    q = "it is the main source of news for many adults . do you use facebook yourself ?"
    v = H.relevance(q, "constantly , unfortunately . i have more than a thousand friends there")
    assert v.verdict != "fail"
    # a statement in chit-chat invites a change of topic: not evidence either
    shift = H.relevance("i play the piano and the violin .", "i saw the easter bunny yesterday")
    assert shift.verdict != "fail"


def test_regenerating_judges_md_keeps_the_dialogue_figures(tmp_path) -> None:
    from evalflow.judges.benchmark import DIALOGUE_END, DIALOGUE_START, _kept_dialogue_section

    doc = tmp_path / "judges.md"
    assert "evalflow_tests.benchmarks.dialogue" in _kept_dialogue_section(
        doc
    )  # no file yet: a pointer
    doc.write_text(f"# Judges\n{DIALOGUE_START}\n| usr | 0.63 |\n{DIALOGUE_END}\nrest\n")
    kept = _kept_dialogue_section(doc)
    assert kept.startswith(DIALOGUE_START) and "| usr | 0.63 |" in kept
    assert DIALOGUE_END not in kept
