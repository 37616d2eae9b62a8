"""Question answering with candidate sentences (WikiQA dev): people marked which one answers.

Every candidate sentence is logged as the application's answer to the question. The
relevance judge must score the sentences people marked as answers above the others.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from evalflow_tests.replay.harness import replay_config, run_replay
from evalflow_tests.replay.logs import Replay, spread
from evalflow_tests.replay.sets import wikiqa_rows
from evalflow_tests.scenarios.harness import KPIS, ScenarioRun

START = dt.date(2026, 9, 7)
DAYS = 2


def _replay() -> Replay:
    replay = Replay(START, DAYS)
    for i, (day, pair) in enumerate(spread(list(wikiqa_rows()), DAYS, "wikiqa")):
        replay.add(
            day,
            {
                "interaction_id": f"w-{i}",
                "query": pair.question,
                "response": pair.sentence,
                "segment": {"source": "wikiqa"},
            },
            answers=pair.answers,
        )
    return replay


@pytest.fixture(scope="module")
def relevance(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioRun, pd.DataFrame]:
    replay = _replay()
    settings = replay_config(["source"], sampling={"daily_budget_rows": 1000})
    run = run_replay(tmp_path_factory.mktemp("replay"), "relevance", replay, settings, KPIS)
    truth = pd.DataFrame.from_dict(replay.truth, orient="index").rename_axis("interaction_id")
    return run, truth.reset_index()


def test_answers_score_above_other_sentences(
    relevance: tuple[ScenarioRun, pd.DataFrame],
) -> None:
    run, truth = relevance
    scores = run.query(
        "SELECT interaction_id, score FROM judge_scores "
        "WHERE criterion = 'relevance' AND status = 'ok' AND score IS NOT NULL"
    ).merge(truth, on="interaction_id")
    auc = roc_auc_score(scores["answers"].astype(bool), scores["score"])
    print(f"relevance AUC on WikiQA as traffic: {auc:.3f} over {len(scores)} rows")
    assert auc >= 0.6
