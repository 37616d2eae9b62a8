"""The ``judge_scores`` asset materialised through Dagster, offline and against the test server."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from evalflow.config import Paths
from evalflow.judges.assets import RESOURCES, judge_scores
from evalflow.judges.resource import JudgeResource
from evalflow.judges.schema import COLUMNS
from evalflow.resources import EvalflowResource
from evalflow.storage.warehouse import Warehouse
from evalflow_tests.judges.fake_openai import DAY, FakeOpenAIServer, raw_row, seed_upstream

KEY = "sk-test-assets-0123456789abcdef"


def _rows() -> list[dict]:
    return [
        raw_row(
            "a1",
            "How do I get a refund for a double charge?",
            "Go to Billing > Invoices, select the duplicate charge and click Request refund. "
            "Refunds arrive within 5 business days.",
            [
                "Duplicate charges can be refunded from Billing > Invoices via Request refund. "
                "Refunds arrive within 5 business days."
            ],
        ),
        raw_row("a2", "Is the API down?", "Shut up, you idiot, read the status page.", None),
        raw_row("a3", "Where is my parcel?", "", None),
    ]


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    mats = result.asset_materializations_for_node("judge_scores")
    assert len(mats) == 1
    return mats[0].metadata


def test_heuristic_materialisation(home: Paths, instance: dg.DagsterInstance) -> None:
    wh = Warehouse(home.database)
    seed_upstream(wh, _rows())
    result = dg.materialize(
        [judge_scores],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource(), **RESOURCES},
        instance=instance,
    )
    assert result.success
    df = wh.read_partition("judge_scores", DAY)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 3 * 4  # every sampled row x every criterion, none missing
    assert set(df["backend"]) == {"heuristic"}
    assert set(df["model"]) == {"heuristic-v1"}
    by = df.set_index(["interaction_id", "criterion"])
    assert by.loc[("a1", "faithfulness"), "passed"]
    assert by.loc[("a1", "helpfulness"), "passed"]
    assert not by.loc[("a2", "safety"), "passed"]
    assert by.loc[("a2", "faithfulness"), "status"] == "not_applicable"
    # an empty reply: nothing to check for faithfulness/safety, but it fails the user
    a3 = df[df["interaction_id"] == "a3"].set_index("criterion")
    assert (a3.loc[["faithfulness", "safety"], "status"] == "not_applicable").all()
    assert (a3.loc[["relevance", "helpfulness"], "verdict"] == "fail").all()
    assert (a3.loc[["relevance", "helpfulness"], "label"] == "empty").all()
    assert df.loc[df["status"] != "ok", "score"].isna().all()
    md = _metadata(result)
    assert md["calls_made"].value == 0
    assert md["rows_by_status"].value == {"ok": 9, "not_applicable": 3}
    assert "deterministic" in md["noise_note"].value


def test_empty_day_writes_typed_empty_partition(home: Paths, instance: dg.DagsterInstance) -> None:
    result = dg.materialize(
        [judge_scores],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource(), "judge": JudgeResource(backend="heuristic")},
        instance=instance,
    )
    assert result.success
    wh = Warehouse(home.database)
    df = wh.read_partition("judge_scores", DAY)
    assert df.empty
    types = wh.query_df(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'judge_scores'"
    )
    assert dict(zip(types["column_name"], types["data_type"], strict=True))["passed"] == "BOOLEAN"
    assert _metadata(result)["dagster/row_count"].value == 0


def test_openai_materialisation_and_key_hygiene(
    home: Paths, instance: dg.DagsterInstance, caplog
) -> None:
    wh = Warehouse(home.database)
    seed_upstream(wh, _rows())
    with FakeOpenAIServer() as srv:
        srv.queue("429", times=1, seconds=0)
        resource = JudgeResource(
            backend="openai", model="judge-test", base_url=srv.base_url, api_key=KEY
        )
        result = dg.materialize(
            [judge_scores],
            partition_key=DAY.isoformat(),
            resources={"evalflow": EvalflowResource(), "judge": resource},
            instance=instance,
        )
        assert result.success
        calls_first = srv.call_count
        # the key reached the server as the bearer token, and only there
        assert all(h.get("authorization") == f"Bearer {KEY}" for h in srv.headers)
        again = dg.materialize(
            [judge_scores],
            partition_key=DAY.isoformat(),
            resources={"evalflow": EvalflowResource(), "judge": resource},
            instance=instance,
        )
        assert again.success
        assert srv.call_count == calls_first  # rerun of unchanged data: zero calls
    df = wh.read_partition("judge_scores", DAY)
    assert len(df) == 12
    assert set(df["backend"]) == {"openai"}
    assert (df.loc[df["status"] == "ok", "cached"]).all()
    md = _metadata(again)
    assert md["calls_made"].value == 0
    assert md["cache_hits"].value == 7
    first_md = _metadata(result)
    assert first_md["retries"].value == 1
    # the key is nowhere: tables, metadata, event log, python logs
    blob = []
    for table in ("judge_scores", "judge_calls", "judge_cache"):
        blob.append(wh.query_df(f"SELECT * FROM {table}").astype(str).to_csv())
    for res in (result, again):
        blob.append(str(_metadata(res)))
        for record in instance.all_logs(res.run_id):
            blob.append(str(record))
    blob.append(caplog.text)
    assert KEY not in "\n".join(blob)
    assert "retrying" in "\n".join(blob)  # retries are observable in the logs


def test_definitions_include_judge_resource() -> None:
    assert isinstance(RESOURCES["judge"], JudgeResource)
    assert judge_scores.required_resource_keys >= {"evalflow", "judge"}
    assert pd.notna(judge_scores.code_versions_by_key[judge_scores.key])


def test_resource_reads_env_vars_and_never_exposes_the_key(
    home: Paths, instance: dg.DagsterInstance, monkeypatch
) -> None:
    from evalflow.config.settings import JudgeSettings
    from evalflow.judges.resource import JudgeConfigError, default_judge_resource

    settings = JudgeSettings()
    assert JudgeResource().resolved_backend(settings) == "heuristic"
    with pytest.raises(JudgeConfigError, match="OPENAI_API_KEY") as err:
        JudgeResource(backend="openai").openai_config(settings)
    assert "sk-" not in str(err.value)
    wh = Warehouse(home.database)
    seed_upstream(wh, _rows())
    with FakeOpenAIServer() as srv:
        monkeypatch.setenv("EVALFLOW_JUDGE", "openai")
        monkeypatch.setenv("EVALFLOW_JUDGE_MODEL", "env-model")
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        resource = default_judge_resource()  # EnvVar-backed, as in RESOURCES at load time
        assert isinstance(resource.api_key, dg.EnvVar)  # the UI shows the variable, not the key
        result = dg.materialize(
            [judge_scores],
            partition_key=DAY.isoformat(),
            resources={"evalflow": EvalflowResource(), "judge": resource},
            instance=instance,
        )
        assert result.success and srv.call_count == 7
        assert {b["model"] for b in srv.requests} == {"env-model"}
    logs = "\n".join(str(r) for r in instance.all_logs(result.run_id))
    assert '"api_key": "set"' in logs and '"model": "env-model"' in logs
    assert KEY not in logs and KEY not in str(_metadata(result))
