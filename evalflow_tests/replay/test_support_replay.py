"""A second support application's dialogues (ABCD sample), turn by turn: nothing to page about.

The agent's replies are procedural (asking for a name, an order id, confirming an
action), written by people for a support app that is not evalflow's simulator. It is
healthy traffic: nothing high or critical may fire, and every turn is kept.
"""

from __future__ import annotations

import datetime as dt

import pytest

from evalflow_tests.replay.harness import replay_config, run_replay
from evalflow_tests.replay.logs import Replay
from evalflow_tests.replay.sets import SupportDialogue, abcd_rows
from evalflow_tests.scenarios.harness import ALERTS, ScenarioRun

START = dt.date(2026, 9, 7)


def _exchanges(d: SupportDialogue) -> list[tuple[str, str]]:
    """(customer message, the agent's reply to it), joining consecutive turns of one speaker."""
    pairs: list[tuple[str, str]] = []
    query, reply = "", []
    for speaker, text in d.turns:
        if speaker == "customer":
            if query and reply:
                pairs.append((query, " ".join(reply)))
                reply = []
            query = f"{query} {text}".strip() if not reply and query else text
        elif speaker == "agent" and query:
            reply.append(text)
    if query and reply:
        pairs.append((query, " ".join(reply)))
    return pairs


def _replay() -> Replay:
    replay = Replay(START, 1)
    for d in abcd_rows():
        for turn, (query, reply) in enumerate(_exchanges(d)):
            replay.add(
                0,
                {
                    "interaction_id": f"abcd-{d.convo_id}-{turn}",
                    "conversation_id": d.convo_id,
                    "turn": turn,
                    "query": query,
                    "response": reply,
                    "segment": {"queue": d.flow},
                },
            )
    return replay


@pytest.fixture(scope="module")
def support(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    replay = _replay()
    assert len(replay.records) >= 10
    return run_replay(
        tmp_path_factory.mktemp("replay"), "support", replay, replay_config(["queue"]), ALERTS
    )


def test_every_turn_is_kept_as_a_conversation(support: ScenarioRun) -> None:
    kept = support.query(
        "SELECT count(*) AS n, count(DISTINCT conversation_id) AS c FROM raw_interactions"
    )
    assert kept["c"].iloc[0] == 3
    assert kept["n"].iloc[0] == support.per_day


def test_nothing_high_or_critical(support: ScenarioRun) -> None:
    loud = support.query(
        "SELECT kind, severity, metric, segment_key, segment_value, evidence FROM quality_alerts "
        "WHERE status = 'open' AND severity IN ('high', 'critical')"
    )
    assert loud.empty, loud.to_string()
