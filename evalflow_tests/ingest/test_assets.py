"""Ingestion through Dagster: two days, reruns, late data, empty days, checks, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from evalflow.config import Paths
from evalflow.ingest import assets as A
from evalflow.ingest import schema as S
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse
from evalflow_tests.ingest import corpus as C

CHECKS = [
    A.raw_interactions_contract,
    A.raw_interactions_value_ranges,
    A.ingest_reconciliation,
    A.quarantine_share,
]


def materialize(
    instance: dg.DagsterInstance, day: dt.date, checks: bool = True
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [A.ingest_interactions, *(CHECKS if checks else [])],
        partition_key=day.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )


def table(home: Paths, name: str, day: dt.date) -> pd.DataFrame:
    return Warehouse(home.database).read_partition(name, day)


def sorted_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["source_file", "source_line"]).reset_index(drop=True)


def checks_by_name(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


@pytest.mark.e2e
def test_two_days_rerun_and_late_data(home: Paths, instance: dg.DagsterInstance) -> None:
    C.write_corpus(home.landing)
    r1 = materialize(instance, C.D1)
    r2 = materialize(instance, C.D2, checks=False)
    assert r1.success and r2.success
    raw1, raw2 = table(home, "raw_interactions", C.D1), table(home, "raw_interactions", C.D2)
    assert set(raw1["interaction_id"]) == C.D1_IDS and set(raw2["interaction_id"]) == C.D2_IDS
    assert len(table(home, "quarantined_records", C.D1)) == 17
    assert len(table(home, "quarantined_records", C.D2)) == 9
    rec = table(home, "ingest_reconciliation", C.D1)
    assert int(rec["records_read"].sum()) == 35 and rec["balanced"].all()
    files = Warehouse(home.database).query_df("SELECT * FROM landing_files ORDER BY source_file")
    assert len(files) == len(C.EXPECTED_FILES)
    assert (
        files["records_read"] == files["kept"] + files["quarantined"] + files["duplicates"]
    ).all()

    checks = checks_by_name(r1)
    assert checks["raw_interactions_contract"].passed
    assert checks["raw_interactions_value_ranges"].passed
    assert checks["ingest_reconciliation"].passed
    assert not checks["quarantine_share"].passed  # the corpus is mostly bad records: a warning
    assert checks["quarantine_share"].severity == dg.AssetCheckSeverity.WARN

    mat = {
        e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
        for e in r1.get_asset_materialization_events()
    }
    meta = mat["raw_interactions"]
    assert meta["dagster/row_count"].value == 15
    assert (
        meta["records_read"].value,
        meta["kept"].value,
        meta["quarantined"].value,
        meta["duplicates_folded"].value,
    ) == (35, 15, 17, 3)
    assert (
        "35 read = 15 kept + 17 quarantined + 3 duplicates folded" in meta["reconciliation"].value
    )
    assert meta["ignored_files"].value == C.EXPECTED_IGNORED
    assert meta["paths_not_read"].value == len(C.EXPECTED_IGNORED)
    assert mat["quarantined_records"]["by_reason"].value["oversized field"] == 1

    # Rerun: the same rows, no duplicates.
    assert materialize(instance, C.D1, checks=False).success
    pd.testing.assert_frame_equal(
        sorted_rows(table(home, "raw_interactions", C.D1)), sorted_rows(raw1)
    )
    assert (
        Warehouse(home.database)
        .query_df("SELECT count(*) AS n FROM raw_interactions WHERE day = ?", [C.D1])
        .iloc[0]["n"]
        == 15
    )

    # Late data: a file arriving later with a record of the first day, and a re-send
    # moving an id from the second day to the first.
    late = home.landing / "late/arrived-later.jsonl"
    late.write_text(
        C._rec("late-1", "2026-10-05T22:00:00Z", "late record", "ok")
        + "\n"
        + C._rec("g-2", "2026-10-05T12:00:00Z", "moved back", "ok")
        + "\n"
    )
    os.utime(late, (C.T0 + 500, C.T0 + 500))
    assert materialize(instance, C.D1, checks=False).success
    assert materialize(instance, C.D2, checks=False).success
    after1 = table(home, "raw_interactions", C.D1).set_index("interaction_id")
    assert set(after1.index) == C.D1_IDS | {"late-1", "g-2"}
    assert after1.loc["g-2", "query"] == "moved back"
    assert "g-2" not in set(table(home, "raw_interactions", C.D2)["interaction_id"])


@pytest.mark.e2e
def test_empty_day_writes_typed_empty_partitions(home: Paths, instance: dg.DagsterInstance) -> None:
    result = materialize(instance, dt.date(2026, 10, 7))
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    wh = Warehouse(home.database)
    types = wh.query_df(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_name IN ('raw_interactions', 'quarantined_records')"
    )
    raw = dict(
        types[types["table_name"] == "raw_interactions"][["column_name", "data_type"]].values
    )
    assert raw == {c: t for c, (t, _) in S.RAW_COLUMNS.items()}
    assert wh.query_df("SELECT count(*) AS n FROM raw_interactions").iloc[0]["n"] == 0


@pytest.mark.e2e
def test_contract_checks_fail_on_a_broken_partition(
    home: Paths, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home.landing / "a.jsonl").parent.mkdir(parents=True, exist_ok=True)
    (home.landing / "a.jsonl").write_text(C._rec("x-1", "2026-10-05T10:00:00Z") + "\n")
    real_write = A.write_ingest

    def write_then_corrupt(wh: Warehouse, result: object) -> None:
        real_write(wh, result)  # type: ignore[arg-type]
        wh.execute(
            "INSERT INTO raw_interactions SELECT * FROM raw_interactions WHERE day = ?", [C.D1]
        )
        wh.execute("UPDATE raw_interactions SET traffic_share = 7 WHERE day = ?", [C.D1])

    monkeypatch.setattr(A, "write_ingest", write_then_corrupt)
    result = dg.materialize(
        [A.ingest_interactions, *CHECKS],
        partition_key=C.D1.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success  # a blocking ERROR check failed
    checks = checks_by_name(result)
    contract = checks["raw_interactions_contract"]
    assert not contract.passed and contract.severity == dg.AssetCheckSeverity.ERROR
    failures = contract.metadata["failures_json"].value
    assert failures == [
        {
            "expectation": "expect_column_values_to_be_unique",
            "column": "interaction_id",
            "unexpected_count": 2,
            "sample": ["x-1", "x-1"],
            "error": None,
        }
    ]
    ranges = checks["raw_interactions_value_ranges"]
    assert not ranges.passed and ranges.severity == dg.AssetCheckSeverity.WARN
    assert "traffic_share" in ranges.metadata["failures"].value
    recon = checks["ingest_reconciliation"]
    assert not recon.passed and "raw_interactions has 2" in recon.description


RUNNER = """
import sys, time, pathlib
import dagster as dg
from evalflow.ingest.assets import ingest_interactions
from evalflow.resources import EvalflowResource
day, barrier = sys.argv[1], pathlib.Path(sys.argv[2])
(barrier / f"ready-{day}").touch()
deadline = time.time() + 60
while len(list(barrier.glob("ready-*"))) < 2 and time.time() < deadline:
    time.sleep(0.05)
result = dg.materialize([ingest_interactions], partition_key=day,
                        resources={"evalflow": EvalflowResource()})
sys.exit(0 if result.success else 1)
"""


@pytest.mark.e2e
def test_two_processes_ingest_different_days_at_once(home: Paths, tmp_path: Path) -> None:
    lines = []
    for day in (5, 6):
        lines += [
            C._rec(f"d{day}-{n}", f"2026-10-0{day}T{n % 24:02d}:00:00Z", f"q{n}")
            for n in range(300)
        ]
    (home.landing / "both.jsonl").parent.mkdir(parents=True, exist_ok=True)
    (home.landing / "both.jsonl").write_text("\n".join(lines) + "\n")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "EVALFLOW_HOME": str(home.home)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER, day, str(barrier)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parents[2],
        )
        for day in ("2026-10-05", "2026-10-06")
    ]
    outputs = [p.communicate(timeout=240)[0].decode(errors="replace") for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out[-3000:]
    wh = Warehouse(home.database)
    counts = wh.query_df(
        "SELECT day, count(*) AS n, count(DISTINCT interaction_id) AS ids "
        "FROM raw_interactions GROUP BY day ORDER BY day"
    )
    assert counts["n"].tolist() == [300, 300] and counts["ids"].tolist() == [300, 300]
    files = wh.query_df("SELECT records_read, kept FROM landing_files")
    assert files.values.tolist() == [[600, 600]]
    assert json.loads((home.staging / "index.json").read_text()).keys() == {"both.jsonl"}
