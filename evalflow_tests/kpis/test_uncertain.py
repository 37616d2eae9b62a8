"""'uncertain' verdicts are unmeasured: neither pass nor fail, counted in n_uncertain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import KpiSettings
from evalflow.kpis.metrics import compute_segment_kpis
from evalflow_tests.kpis.fixtures import DAY, tiny_judges, tiny_raw, tiny_sampled, tiny_signals

CRITERIA = ["faithfulness", "relevance", "safety", "helpfulness"]


def _kpis(judges: pd.DataFrame) -> pd.DataFrame:
    return compute_segment_kpis(
        tiny_raw(),
        tiny_signals(),
        tiny_sampled(),
        judges,
        segments=["queue"],
        criteria=CRITERIA,
        kpi=KpiSettings(min_cell_count=3),
        day=DAY,
    ).frame


def _row(frame: pd.DataFrame, metric: str) -> pd.Series:
    return frame[(frame.segment_key == "overall") & (frame.metric == metric)].iloc[0]


def _with_uncertain(with_verdict: bool) -> pd.DataFrame:
    """a3/faithfulness and a1/relevance judged ok but uncertain (score set, passed NULL)."""
    j = tiny_judges()
    p = j["passed"]
    j["verdict"] = np.where(p.isna(), None, np.where(p.fillna(False), "pass", "fail"))
    for iid, crit, score in (("a3", "faithfulness", 0.55), ("a1", "relevance", 0.8)):
        at = (j.interaction_id == iid) & (j.criterion == crit)
        j.loc[at, ["status", "score", "verdict"]] = ["ok", score, "uncertain"]
        j.loc[at, "passed"] = pd.NA
    return j if with_verdict else j.drop(columns="verdict")


@pytest.mark.parametrize("with_verdict", [True, False])
def test_uncertain_rows_are_neither_pass_nor_fail(with_verdict: bool) -> None:
    judges = _with_uncertain(with_verdict)
    # Reference: the same day without the uncertain rows at all.
    gone = judges[~judges["passed"].isna() | (judges["status"] != "ok")]
    base, got = _kpis(gone), _kpis(judges)
    for metric in ("hallucination_rate", "judge_pass_rate:faithfulness", "relevance_score"):
        a, b = _row(base, metric), _row(got, metric)
        assert (a.value, a.ci_low, a.ci_high, a.n) == pytest.approx(
            (b.value, b.ci_low, b.ci_high, b.n), nan_ok=True
        ), metric
    assert _row(got, "hallucination_rate").n_uncertain == 1
    assert _row(got, "judge_pass_rate:faithfulness").n_uncertain == 1
    # The uncertain relevance row's score (0.8) does not enter the mean either.
    assert _row(got, "relevance_score").n_uncertain == 1
    assert _row(got, "relevance_score").value == pytest.approx(0.4)
    assert _row(got, "judge_pass_rate:safety").n_uncertain == 0


def test_census_metrics_have_no_uncertain_count() -> None:
    frame = _kpis(_with_uncertain(True))
    assert pd.isna(_row(frame, "volume").n_uncertain)
    assert pd.isna(_row(frame, "sla_hit_rate").n_uncertain)
    assert frame["n_uncertain"].dtype == "Int64"


def test_an_uncertain_row_in_a_segment_is_counted_in_its_cell() -> None:
    frame = _kpis(_with_uncertain(True))
    raw = tiny_raw().set_index("interaction_id")
    queue = raw.loc["a3", "seg_queue"]
    cell = frame[
        (frame.segment_key == "queue")
        & (frame.segment_value == queue)
        & (frame.metric == "hallucination_rate")
    ].iloc[0]
    assert cell.n_uncertain == 1
