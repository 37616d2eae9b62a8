"""A RAG application's traffic built from human groundedness labels (BEGIN, HaluEval QA).

Every answer comes with the passage it should be grounded in, and people said whether
it is. A quarter of the unfaithful answers are kept (a production-like rate of about
one in five, not the sets' one in two). Answers that people judged faithful go to
``queue=docs``, whose true hallucination rate is therefore 0; the others are mixed into
``queue=open`` with faithful ones. Nobody on the project wrote these answers, so the judges' cues were not
fitted to them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalflow_tests.replay.harness import replay_config, run_replay
from evalflow_tests.replay.logs import Replay, spread, unit_hash
from evalflow_tests.replay.sets import Grounded, begin_rows, halueval_qa_rows
from evalflow_tests.scenarios.harness import ALERTS, ScenarioRun

START = dt.date(2026, 9, 7)
DAYS = 4


def _replay() -> Replay:
    rows: list[Grounded] = [
        r
        for i, r in enumerate([*begin_rows(), *halueval_qa_rows()])
        if r.faithful or unit_hash("keep", i) < 0.25
    ]
    replay = Replay(START, DAYS)
    for i, (day, row) in enumerate(spread(rows, DAYS, "grounded")):
        docs = row.faithful and unit_hash("docs", i) < 0.7
        replay.add(
            day,
            {
                "interaction_id": f"g-{i}",
                "query": row.query,
                "response": row.response,
                "context": [row.context],
                "user_id": f"u-{i % 97}",
                "model_version": row.source,
                "segment": {"queue": "docs" if docs else "open"},
                "latency_ms": 900 + (i % 7) * 100,
            },
            faithful=row.faithful,
            queue="docs" if docs else "open",
        )
    return replay


@pytest.fixture(scope="module")
def grounded(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioRun, pd.DataFrame]:
    replay = _replay()
    settings = replay_config(["queue"], sampling={"daily_budget_rows": 1000})
    run = run_replay(tmp_path_factory.mktemp("replay"), "grounded", replay, settings, ALERTS)
    truth = pd.DataFrame.from_dict(replay.truth, orient="index").rename_axis("interaction_id")
    return run, truth.reset_index()


def test_every_record_is_kept(grounded: tuple[ScenarioRun, pd.DataFrame]) -> None:
    run, truth = grounded
    kept = run.query("SELECT count(*) AS n FROM raw_interactions")["n"].iloc[0]
    assert kept == len(truth)


def test_no_loud_alert_on_the_segment_with_no_hallucination(
    grounded: tuple[ScenarioRun, pd.DataFrame],
) -> None:
    run, _ = grounded
    loud = run.query(
        "SELECT day, kind, severity, metric, evidence FROM quality_alerts "
        "WHERE status = 'open' AND severity IN ('high', 'critical') "
        "AND segment_key = 'queue' AND segment_value = 'docs'"
    )
    assert loud.empty, loud.to_string()


def test_judged_hallucinations_are_mostly_real(grounded: tuple[ScenarioRun, pd.DataFrame]) -> None:
    """A `fail` verdict needs evidence: most of them must be answers people called unfaithful."""
    run, truth = grounded
    verdicts = run.query(
        "SELECT interaction_id, verdict FROM judge_scores "
        "WHERE criterion = 'faithfulness' AND status = 'ok'"
    ).merge(truth, on="interaction_id")
    failed = verdicts[verdicts["verdict"] == "fail"]
    assert len(failed) > 0
    precision = float((~failed["faithful"].astype(bool)).mean())
    faithful = verdicts[verdicts["faithful"].astype(bool)]
    false_alarm = float((faithful["verdict"] == "fail").mean())
    print(
        f"faithfulness fail precision {precision:.2f}, false-fail rate on faithful {false_alarm:.2f}"
    )
    assert precision >= 0.6
    assert false_alarm <= 0.2


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known gap: census intervals are real now, but with no human labels on this traffic "
        "the judge's error stays uncorrected (judge_correction='none') (#12 item 2)"
    ),
)
def test_the_hallucination_interval_covers_the_truth(
    grounded: tuple[ScenarioRun, pd.DataFrame],
) -> None:
    run, truth = grounded
    kpis = run.query(
        "SELECT day, value, ci_low, ci_high FROM segment_kpis "
        "WHERE metric = 'hallucination_rate' AND segment_key = 'overall'"
    )
    true_rate = 1.0 - truth.assign(day=truth["day"]).groupby("day")["faithful"].mean()
    assert len(kpis) == DAYS
    missed = [
        (r.day, round(true_rate[r.day], 3), round(r.ci_low, 3), round(r.ci_high, 3))
        for r in kpis.itertuples()
        if not (r.ci_low <= true_rate[r.day] <= r.ci_high)
    ]
    assert not missed, f"(day, truth, ci_low, ci_high) not covered: {missed}"
