"""The code location as the Dagster UI loads it: every asset documented and typed.

The webserver loads ``evalflow.definitions.defs``, validates it, and serialises
the repository into a snapshot (``RepositorySnap``) that the UI renders. These
tests do the same and then check what a data engineer browsing the asset
catalogue relies on: a group, a description, owners and kinds on every asset, a
column schema for every table-writing asset, and the asset checks in place.
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap

from evalflow.definitions import defs
from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB

SPEC_ASSETS = {
    "raw_interactions",
    "quarantined_records",
    "interaction_signals",
    "sampled_interactions",
    "judge_scores",
    "judge_calibration",
    "segment_kpis",
    "rollout_decisions",
    "model_comparison",
    "quality_alerts",
    "fairness_audit",
    "failure_clusters",
    "usage_intents",
    "issue_priorities",
    "regression_cases",
    "daily_report",
    "weekly_report",
}
"""Assets named by the spec and docs/tables.md (each writes the table of its name)."""
GROUPS = {
    "ingest",
    "online_signals",
    "judging",
    "kpis",
    "alerts",
    "audits",
    "improvement",
    "reports",
}
EXPECTED_CHECKS = {
    "raw_interactions": {"raw_interactions_contract", "raw_interactions_value_ranges"},
}
"""Checks that must stay in place: the Great Expectations suites on the raw table."""


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    dg.Definitions.validate_loadable(defs)
    return defs.get_repository_def().asset_graph


def _materializable(graph: dg.AssetGraph) -> list[dg.AssetKey]:
    return sorted(
        (k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable),
        key=lambda k: k.to_user_string(),
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_ui_snapshot_builds() -> None:
    """What the webserver serialises for the UI; fails on unserialisable metadata."""
    repo = defs.get_repository_def()
    snap = RepositorySnap.from_def(repo)
    names = {n.asset_key.to_user_string() for n in snap.asset_nodes}
    assert {"daily_report", "weekly_report"} <= names
    assert {DAILY_JOB, WEEKLY_JOB} <= {j.name for j in snap.get_job_datas()}
    checks = {c.name for c in snap.asset_check_nodes or []}
    assert EXPECTED_CHECKS["raw_interactions"] <= checks


def test_every_spec_asset_is_defined(graph: dg.AssetGraph) -> None:
    defined = {k.to_user_string() for k in _materializable(graph)}
    missing = sorted(SPEC_ASSETS - defined)
    assert not missing, f"assets named by the spec but not defined (or only referenced): {missing}"


def test_every_asset_is_documented_for_the_catalogue(graph: dg.AssetGraph) -> None:
    problems: list[str] = []
    for key in _materializable(graph):
        node = graph.get(key)
        name = key.to_user_string()
        if not node.group_name or node.group_name == "default":
            problems.append(f"{name}: no group")
        elif node.group_name not in GROUPS:
            problems.append(f"{name}: group {node.group_name!r} is not one of {sorted(GROUPS)}")
        if not (node.description or "").strip() or len(node.description.split()) < 8:
            problems.append(f"{name}: no real description")
        if not node.owners:
            problems.append(f"{name}: no owners")
        if not node.kinds:
            problems.append(f"{name}: no kinds")
        if node.kinds and len(node.kinds) > 3:
            problems.append(f"{name}: more than 3 kinds (the UI shows at most 3)")
        schema = node.metadata.get("dagster/column_schema")
        if not isinstance(schema, dg.TableSchema) or not schema.columns:
            problems.append(f"{name}: no column schema")
        elif any(not (c.description or "").strip() for c in schema.columns):
            undocumented = [c.name for c in schema.columns if not (c.description or "").strip()]
            problems.append(f"{name}: columns without description {undocumented}")
        if node.metadata.get("dagster/table_name") is None:
            problems.append(f"{name}: no dagster/table_name")
    assert not problems, "\n".join(problems)


def test_asset_checks_are_present_and_attached(graph: dg.AssetGraph) -> None:
    checks: dict[str, set[str]] = {}
    for ck in graph.asset_check_keys:
        assert graph.has(ck.asset_key), f"check {ck.name} targets unknown {ck.asset_key}"
        checks.setdefault(ck.asset_key.to_user_string(), set()).add(ck.name)
    for asset, names in EXPECTED_CHECKS.items():
        assert names <= checks.get(asset, set()), (
            f"{asset} lacks checks {names - checks.get(asset, set())}"
        )


def test_report_assets(graph: dg.AssetGraph) -> None:
    daily = graph.get(dg.AssetKey("daily_report"))
    weekly = graph.get(dg.AssetKey("weekly_report"))
    assert daily.group_name == weekly.group_name == "reports"
    assert set(daily.kinds) == set(weekly.kinds) == {"plotly", "html", "duckdb"}
    assert isinstance(daily.partitions_def, dg.DailyPartitionsDefinition)
    assert isinstance(weekly.partitions_def, dg.WeeklyPartitionsDefinition)
    assert dg.AssetKey("segment_kpis") in daily.parent_keys
    # a weekly report depends on exactly the seven days of its week
    upstream = graph.get_parent_partition_keys_for_child(
        "2026-10-05", dg.AssetKey("segment_kpis"), dg.AssetKey("weekly_report")
    )
    assert sorted(upstream.partitions_subset.get_partition_keys()) == [
        f"2026-10-{d:02d}" for d in range(5, 12)
    ]
    for parent in (
        "model_comparison",
        "fairness_audit",
        "judge_calibration",
        "issue_priorities",
        "regression_cases",
    ):
        assert dg.AssetKey(parent) in weekly.parent_keys
    repo = defs.get_repository_def()
    assert dg.AssetKey("daily_report") in repo.get_job(DAILY_JOB).asset_layer.executable_asset_keys
    assert (
        dg.AssetKey("weekly_report") in repo.get_job(WEEKLY_JOB).asset_layer.executable_asset_keys
    )
