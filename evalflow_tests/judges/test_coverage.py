"""A judge stage that measured nothing fails its check and raises an alert (issue #17).

Materialised through Dagster against the local OpenAI-compatible server answering
every request with HTTP 500: every row ends ``status=error`` (coverage 0.0).
"""

from __future__ import annotations

import dagster as dg
import pandas as pd
import yaml

from evalflow.alerts.assets import quality_alerts
from evalflow.alerts.judge_coverage import judge_coverage_alerts
from evalflow.config import Paths
from evalflow.judges.assets import judge_coverage, judge_scores
from evalflow.judges.coverage import coverage_of
from evalflow.judges.resource import JudgeResource
from evalflow.resources import EvalflowResource
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.judges.fake_openai import DAY, FakeOpenAIServer, raw_row, seed_upstream

KEY = "sk-test-coverage-0123456789abcdef"


def _fast_retries(home: Paths) -> None:
    cfg = yaml.safe_load(home.config_file.read_text())
    cfg["judges"].update(max_retries=1, criteria=["relevance", "safety"])
    home.config_file.write_text(yaml.safe_dump(cfg))


def _materialise(home: Paths, instance: dg.DagsterInstance, srv: FakeOpenAIServer):
    return dg.materialize(
        [judge_scores, judge_coverage, quality_alerts],
        partition_key=DAY.isoformat(),
        resources={
            "evalflow": EvalflowResource(),
            "judge": JudgeResource(backend="openai", base_url=srv.base_url, api_key=KEY),
        },
        instance=instance,
        raise_on_error=False,
    )


def test_all_errors_fail_the_check_and_raise_a_high_alert(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    _fast_retries(home)
    wh = Warehouse(home.database)
    seed_upstream(wh, [raw_row(f"c{i}", f"Question {i}?", f"Answer {i}.") for i in range(5)])
    with FakeOpenAIServer() as srv:
        srv.queue("500", times=1000)
        result = _materialise(home, instance, srv)
        assert srv.call_count == 5 * 2 * 2  # 5 rows x 2 criteria x (1 + 1 retry)
    scores = wh.read_partition("judge_scores", DAY)
    assert (scores["status"] == "error").all()
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "judge_coverage"
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["coverage"].value == 0.0
    assert check.metadata["error_share"].value == 1.0
    assert "measured nothing" in check.description
    alerts = wh.read_partition("quality_alerts", DAY)
    cov = alerts[alerts["kind"] == "judge_coverage"]
    assert len(cov) == 1
    row = cov.iloc[0]
    assert (row["severity"], row["status"], row["observed"]) == ("high", "open", 0.0)
    assert "measured nothing" in row["evidence"]


def test_healthy_day_passes_and_raises_nothing(home: Paths, instance: dg.DagsterInstance) -> None:
    _fast_retries(home)
    wh = Warehouse(home.database)
    seed_upstream(wh, [raw_row(f"c{i}", f"Question {i}?", f"Answer {i}.") for i in range(5)])
    with FakeOpenAIServer() as srv:
        result = _materialise(home, instance, srv)
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    alerts = wh.read_partition("quality_alerts", DAY)
    assert (alerts["kind"] != "judge_coverage").all()


def _scores(statuses: list[str], verdicts: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"status": statuses, "verdict": verdicts})


def test_severity_rules() -> None:
    ok = ["ok"] * 10
    assert coverage_of(_scores(ok, ["pass"] * 10)).findings() == []
    # not_applicable rows are not due: a day with only those is not an incident
    assert coverage_of(_scores(["not_applicable"] * 3, [None] * 3)).findings() == []
    # 2 of 10 errors: warn
    st = ["error"] * 2 + ["ok"] * 8
    [(sev, _)] = coverage_of(_scores(st, [None] * 2 + ["pass"] * 8)).findings()
    assert sev == "warn"
    # over budget beyond 20 %: warn; all uncertain: nothing measured, error
    st = ["over_budget"] * 3 + ["ok"] * 7
    assert coverage_of(_scores(st, [None] * 3 + ["fail"] * 7)).findings()[0][0] == "warn"
    assert coverage_of(_scores(ok, ["uncertain"] * 10)).findings()[0][0] == "error"
    medium = judge_coverage_alerts(_scores(st, [None] * 3 + ["fail"] * 7))
    assert medium["severity"].tolist() == ["medium"]
