"""The simulator's second style: open-domain chat whose answers paraphrase their context.

Three bots, no outcome block, thumbs on a minority of turns, one degenerate bot, and
from 60% of the period ``bolt`` changes a number in a quarter of its answers. This is
the traffic the support style's cues were not designed on: a judge that measures
word overlap calls every paraphrase a hallucination, and a composite built on outcome
fields is unmeasured here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalflow_tests.replay.harness import replay_config
from evalflow_tests.scenarios.harness import ALERTS, ScenarioRun, run_scenario, to_date

DAYS = 10
PER_DAY = 300


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRun:
    root: Path = tmp_path_factory.mktemp("scenario_chat")
    settings = replay_config(["bot", "language", "channel"])
    return run_scenario(
        root, "hallucination_spike", DAYS, PER_DAY, ALERTS, style="chat", settings=settings
    )


def test_no_outcome_is_logged_and_nothing_is_lost(chat: ScenarioRun) -> None:
    truth = chat.truth()
    kept = chat.query("SELECT count(*) AS n, count(outcome_resolved) AS o FROM raw_interactions")
    assert kept["n"].iloc[0] == len(truth)
    assert kept["o"].iloc[0] == 0


def test_no_loud_alert_where_nothing_happened(chat: ScenarioRun) -> None:
    """Before the onset nothing is wrong anywhere; after it, only bot=bolt (and overall) is."""
    onset = to_date(chat.incidents_of("hallucination_spike")[0]["start_day"])
    loud = chat.query(
        "SELECT day, kind, severity, metric, segment_key, segment_value, evidence "
        "FROM quality_alerts WHERE status = 'open' AND severity IN ('high', 'critical')"
    )
    quiet = loud[
        (loud["day"] < onset)
        | ~(
            (loud["metric"] == "hallucination_rate")
            & loud["segment_value"].isin(["bolt", "overall"])
        )
    ]
    # The degenerate bot is a real, standing problem: a judge or signal may say so loudly.
    quiet = quiet[~((quiet["segment_key"] == "bot") & (quiet["segment_value"] == "echo"))]
    assert quiet.empty, quiet.to_string()


def test_paraphrases_are_not_called_hallucinations(chat: ScenarioRun) -> None:
    truth = chat.truth()[["interaction_id", "hallucinated"]]
    verdicts = chat.query(
        "SELECT interaction_id, verdict FROM judge_scores "
        "WHERE criterion = 'faithfulness' AND status = 'ok'"
    ).merge(truth, on="interaction_id")
    faithful = verdicts[~verdicts["hallucinated"].astype(bool)]
    false_fail = float((faithful["verdict"] == "fail").mean())
    print(f"chat style: false-fail rate on faithful answers {false_fail:.3f} of {len(faithful)}")
    assert false_fail <= 0.05


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known gap: census intervals are real now, but without human labels on this traffic "
        "the paraphrase-blind judge's error cannot be corrected (judge_correction='none') (#12)"
    ),
)
def test_the_hallucination_interval_covers_the_truth(chat: ScenarioRun) -> None:
    truth = chat.truth()
    true_rate = truth.assign(day=truth["day"].map(to_date)).groupby("day")["hallucinated"].mean()
    kpis = chat.query(
        "SELECT day, ci_low, ci_high FROM segment_kpis "
        "WHERE metric = 'hallucination_rate' AND segment_key = 'overall'"
    )
    missed = [
        (r.day, round(true_rate[r.day], 3), round(r.ci_low, 3), round(r.ci_high, 3))
        for r in kpis.itertuples()
        if not (r.ci_low <= true_rate[r.day] <= r.ci_high)
    ]
    assert len(kpis) == DAYS
    assert not missed, f"(day, truth, ci_low, ci_high) not covered: {missed}"


def test_the_composite_ranks_the_bots_like_their_users(chat: ScenarioRun) -> None:
    kpis = chat.query(
        "SELECT segment_value AS bot, metric, avg(value) AS value FROM segment_kpis "
        "WHERE segment_key = 'bot' AND metric IN ('composite_kpi', 'rating_up_rate') "
        "GROUP BY ALL"
    ).pivot(index="bot", columns="metric", values="value")
    assert kpis["composite_kpi"].notna().all(), kpis
    by_users = kpis["rating_up_rate"].sort_values().index.tolist()
    by_composite = kpis["composite_kpi"].sort_values().index.tolist()
    assert by_composite == by_users, kpis
