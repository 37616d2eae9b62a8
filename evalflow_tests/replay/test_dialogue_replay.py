"""Open-domain chat from six systems (USR), rated by people: does evalflow rank them alike?

Each system's replies are logged as a ``bot`` segment. A thumb is left on 40% of the
turns, more often up the better people rated the reply (noisy, like real users). Two
degenerate bots are added, of the kinds seen in real deployments: one asks the same
question whatever was said, one repeats a word. They are the only text here that the
project wrote, and it carries no cue the judges look for by name.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from scipy.stats import spearmanr

from evalflow_tests.replay.harness import replay_config, run_replay
from evalflow_tests.replay.logs import Replay, feedback_from_rating, spread
from evalflow_tests.replay.sets import RatedReply, usr_rows
from evalflow_tests.scenarios.harness import KPIS, ScenarioRun

START = dt.date(2026, 9, 7)
DAYS = 3
DEGENERATE = {
    "parrot": lambda history: "what do you do for a living ?",
    "stutter": lambda history: "shoot " + " ".join(["kill"] * 12),
}


def _rows() -> list[RatedReply]:
    rows = list(usr_rows())
    for dialogue in sorted({r.dialogue for r in rows}):
        history = next(r.history for r in rows if r.dialogue == dialogue)
        for bot, reply in DEGENERATE.items():
            rows.append(RatedReply(dialogue, history, bot, reply(history), overall=1.0))
    return rows


def _replay() -> Replay:
    replay = Replay(START, DAYS)
    for i, (day, row) in enumerate(spread(_rows(), DAYS, "usr")):
        record = {
            "interaction_id": f"c-{i}",
            "conversation_id": f"{row.dialogue}-{row.system}",
            "turn": len(row.history),
            "query": row.history[-1],
            "response": row.response,
            "user_id": f"u-{row.dialogue}",
            "model_version": row.system,
            "segment": {"bot": row.system},
            "latency_ms": 700,
        }
        feedback = feedback_from_rating((row.overall - 1.0) / 4.0, f"c-{i}")
        if feedback:
            record["feedback"] = feedback
        replay.add(day, record, system=row.system, overall=row.overall)
    return replay


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioRun, pd.DataFrame]:
    replay = _replay()
    settings = replay_config(["bot"], sampling={"daily_budget_rows": 1000})
    run = run_replay(tmp_path_factory.mktemp("replay"), "dialogue", replay, settings, KPIS)
    truth = pd.DataFrame.from_dict(replay.truth, orient="index").rename_axis("interaction_id")
    return run, truth.reset_index()


def _pooled(run: ScenarioRun, metric: str) -> pd.Series:
    kpis = run.query(
        "SELECT segment_value AS bot, value, n FROM segment_kpis "
        "WHERE segment_key = 'bot' AND metric = ? AND value IS NOT NULL",
        [metric],
    )
    kpis["w"] = kpis["value"] * kpis["n"]
    grouped = kpis.groupby("bot")[["w", "n"]].sum()
    return grouped["w"] / grouped["n"]


def test_the_composite_ranks_systems_like_their_users(
    dialogue: tuple[ScenarioRun, pd.DataFrame],
) -> None:
    run, truth = dialogue
    people = truth.groupby("system")["overall"].mean()
    composite = _pooled(run, "composite_kpi")
    assert set(composite.index) == set(people.index), composite
    rho = spearmanr(composite.sort_index(), people.sort_index()).statistic
    print(f"composite vs people: Spearman {rho:.2f}\n{pd.DataFrame({'c': composite, 'p': people})}")
    assert rho >= 0.6


@pytest.mark.xfail(
    strict=True,
    reason="known gap: a reply repeated across many conversations is counted "
    "(reply_repeats_day) but flagged only when it shares nothing with the user's turn",
)
def test_degenerate_bots_are_flagged(dialogue: tuple[ScenarioRun, pd.DataFrame]) -> None:
    """The same question to everyone, or a word looped: flagged on (nearly) every reply.

    Either the 100%-traffic ``degenerate`` signal or a judge's ``fail`` counts; people's
    replies are flagged far less often.
    """
    run, truth = dialogue
    flags = run.query(
        "SELECT s.interaction_id, s.degenerate, "
        "coalesce(bool_or(j.verdict = 'fail'), false) AS judged_fail "
        "FROM interaction_signals s LEFT JOIN judge_scores j "
        "ON j.interaction_id = s.interaction_id AND j.criterion IN ('relevance', 'helpfulness') "
        "GROUP BY ALL"
    ).merge(truth, on="interaction_id")
    flags["flagged"] = flags["degenerate"].astype(bool) | flags["judged_fail"].astype(bool)
    share = flags.groupby("system")["flagged"].mean()
    print(f"flagged share by system:\n{share}")
    for bot in DEGENERATE:
        assert share[bot] >= 0.8, f"{bot}: only {share[bot]:.0%} of its replies flagged"
    people = share.drop(list(DEGENERATE))
    assert people.max() <= 0.3, people
