"""``simulate`` on disk: determinism, the SPEC record schema, formats, late/duplicate/dirty truth."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from evalflow.simulate import (
    PHASES,
    SCENARIOS,
    generate_day,
    read_incidents,
    read_interaction_truth,
    read_manifest,
    simulate,
)
from evalflow.simulate.runner import file_format
from evalflow.simulate.writer import MALFORMED_KINDS, gzip_file

START = dt.date(2026, 10, 5)
DAYS = 8
VOCAB = {
    "queue": {"billing", "technical", "account", "outage", "shipping"},
    "urgency": {"low", "medium", "high", "critical"},
    "region": {"na", "emea", "apac", "latam"},
    "language": {"en", "es", "de", "fr"},
    "channel": {"chat", "email", "web"},
    "customer_tier": {"free", "pro", "enterprise"},
}
FEEDBACK_BOOLS = ("copied", "edited", "retried")
OUTCOME_BOOLS = (
    "escalated",
    "escalation_correct",
    "analyst_override",
    "resolved",
    "sla_met",
    "incident_missed",
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    simulate(START, DAYS, 250, 11, "demo", out)
    return out


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _jsonl_records(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _all_records(root: Path) -> list[tuple[str, dict]]:
    """Every landing record as a SPEC-shaped dict (CSV's JSON-string columns decoded)."""
    out: list[tuple[str, dict]] = []
    for path in sorted((root / "app=copilot").rglob("part-*")):
        rel = path.relative_to(root).as_posix()
        if path.name.endswith((".jsonl", ".jsonl.gz")):
            out += [(rel, r) for r in _jsonl_records(path)]
        elif path.suffix == ".parquet":
            df = pq.read_table(path).to_pandas()
            df["context"] = df["context"].map(list)
            out += [(rel, r) for r in df.to_dict("records")]
        elif path.suffix == ".csv":
            df = pd.read_csv(
                path,
                dtype={"error": "string"},
                keep_default_na=False,
                na_values={"error": [""], "conversation_id": [""]},
            )
            for col in ("segment", "context", "feedback", "outcome"):
                df[col] = df[col].map(json.loads)
            df["error"] = df["error"].astype(object).where(df["error"].notna(), None)
            out += [(rel, r) for r in df.to_dict("records")]
    return out


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        simulate(START, 5, 120, 3, "demo", out, dirty=True)
    assert _digest(a) == _digest(b)
    simulate(START, 5, 120, 4, "demo", tmp_path / "c")
    assert _digest(a) != _digest(tmp_path / "c"), "a different seed must change the data"


def test_every_format_is_written_and_readable(landing: Path) -> None:
    files = sorted((landing / "app=copilot").rglob("part-*"))
    suffixes = {p.name.split(".", 1)[1] for p in files}
    assert suffixes == {"jsonl", "jsonl.gz", "parquet", "csv"}
    assert [file_format(i, DAYS) for i in range(DAYS)].count("csv") == 1
    for path in files:
        assert path.parent.name.startswith("date=")
        if path.suffix == ".parquet":
            assert pq.read_table(path).num_rows > 0
            assert len(pd.read_parquet(path)) > 0
        elif path.suffix == ".csv":
            assert len(pd.read_csv(path)) > 0
        else:
            df = pd.read_json(path, lines=True, convert_dates=False, dtype=False)
            n_duck = duckdb.sql(
                "SELECT count(*) FROM read_json(?, format='newline_delimited')",
                params=[str(path)],
            ).fetchall()[0][0]
            assert len(df) == n_duck > 0


def test_every_record_matches_the_spec_schema(landing: Path) -> None:
    records = _all_records(landing)
    assert len(records) > 1000
    epoch = 0
    for rel, r in records:
        assert isinstance(r["interaction_id"], str) and r["interaction_id"].startswith("int_")
        ts = r["timestamp"]
        if isinstance(ts, int | float):
            epoch += 1
            when = dt.datetime.fromtimestamp(ts, dt.UTC)
        else:
            when = dt.datetime.fromisoformat(ts)
            assert when.utcoffset() is not None, f"{rel}: timestamp without offset {ts}"
        assert START <= when.astimezone(dt.UTC).date() < START + dt.timedelta(days=DAYS)
        assert isinstance(r["query"], str) and r["query"]
        assert isinstance(r["response"], str)
        assert (r["response"] == "") == (r["error"] is not None), rel
        assert isinstance(r["conversation_id"], str) and int(r["turn"]) >= 1
        assert isinstance(r["user_id"], str)
        assert (r["model_version"], r["rollout_arm"]) in {
            ("copilot-v1", "control"),
            ("copilot-v2", "treatment"),
        }
        assert r["traffic_share"] in PHASES
        assert set(r["segment"]) == set(VOCAB)
        for key, value in r["segment"].items():
            assert value in VOCAB[key]
        assert 1 <= len(r["context"]) <= 4 and all(isinstance(c, str) for c in r["context"])
        assert r["latency_ms"] > 0 and r["tokens_in"] > 0 and r["tokens_out"] >= 0
        assert r["cost_usd"] > 0
        fb = r["feedback"]
        assert fb["rating"] in ("up", "down", None)
        assert fb["comment"] is None or (isinstance(fb["comment"], str) and fb["rating"])
        assert all(fb[k] in (True, False, None) for k in FEEDBACK_BOOLS)
        oc = r["outcome"]
        assert all(oc[k] in (True, False, None) for k in OUTCOME_BOOLS)
        assert (oc["escalation_correct"] is None) == (not oc["escalated"])
        assert oc["incident_missed"] is not None and oc["resolution_minutes"] > 0
    assert epoch > 0, "some records must log the timestamp as epoch seconds"


def test_offsets_vary_by_region_and_include_half_hours() -> None:
    df = generate_day(START, 3000, 5, "quiet")
    iso = df[~df["timestamp"].str.endswith("Z")]
    offsets = iso["timestamp"].str[-6:]
    region = df.loc[iso.index, "segment"].map(lambda s: s["region"])
    by_region = offsets.groupby(region).agg(lambda s: set(s))
    assert all(o.startswith("-") for o in by_region["na"])
    assert all(o.startswith("+") for o in by_region["apac"])
    assert "+05:30" in by_region["apac"]  # India
    assert {"+01:00", "+02:00"} & by_region["emea"]
    local_hour = iso["timestamp"].str[11:13].astype(int)
    working = local_hour.between(8, 17).mean()
    assert working > 0.6, "traffic concentrates in local working hours"


def test_manifest_reconciles_lines_late_and_duplicates(landing: Path) -> None:
    manifest = read_manifest(landing)
    assert manifest["scenario"] == "demo" and manifest["days"] == DAYS
    assert [p["traffic_share"] for p in manifest["rollout_phases"]] == list(PHASES)
    truth = read_interaction_truth(landing)
    assert truth["interaction_id"].is_unique
    assert len(read_interaction_truth(landing, [START])) == (truth["day"] == START).sum() > 0
    records = _all_records(landing)
    by_file: dict[str, list[dict]] = {}
    for rel, r in records:
        by_file.setdefault(rel, []).append(r)
    for entry in manifest["files"]:
        rows = by_file[entry["path"]]
        assert len(rows) == entry["lines"] == entry["records"] + entry["duplicates"]
        ids = [r["interaction_id"] for r in rows]
        assert len(ids) - len(set(ids)) == entry["duplicates"]
        folder_day = dt.date.fromisoformat(entry["arrival_day"])
        days = [_utc_day(r["timestamp"]) for r in rows]
        late = sum(d == folder_day - dt.timedelta(days=1) for d in days)
        assert late == entry["late_from_previous_day"]
        assert all(d in (folder_day, folder_day - dt.timedelta(days=1)) for d in days)
    totals = manifest["totals"]
    assert totals["interactions"] == len(truth) == len({r["interaction_id"] for _, r in records})
    assert totals["late"] == int(truth["late"].sum()) > 0
    assert totals["duplicates"] == int(truth["resends"].sum()) > 0
    assert totals["lines"] == len(records) and totals["malformed"] == 0


def _utc_day(ts: str | float) -> dt.date:
    if isinstance(ts, int | float):
        return dt.datetime.fromtimestamp(ts, dt.UTC).date()
    return dt.datetime.fromisoformat(ts).astimezone(dt.UTC).date()


def test_resends_are_identical_copies(landing: Path) -> None:
    seen: dict[str, str] = {}
    copies = 0
    for path in sorted((landing / "app=copilot").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rid = json.loads(line)["interaction_id"]
            if rid in seen:
                copies += 1
                assert seen[rid] == line
            seen[rid] = line
    assert copies > 0


def test_dirty_injects_recorded_malformed_lines(tmp_path: Path) -> None:
    summary = simulate(START, 4, 150, 2, "quiet", tmp_path, dirty=True)
    manifest = json.loads((tmp_path / "_truth" / "manifest.json").read_text())
    bad = manifest["malformed_lines"]
    assert summary.malformed == len(bad) == manifest["totals"]["malformed"] >= 5
    assert {b["kind"] for b in bad} <= set(MALFORMED_KINDS)
    for entry in bad:
        raw = (tmp_path / entry["file"]).read_bytes().split(b"\n")[entry["line"] - 1]
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        usable = (
            isinstance(record, dict)
            and isinstance(record.get("query"), str)
            and "interaction_id" in record
            and "timestamp" in record
            and record["timestamp"] != "yesterday afternoon"
        )
        assert not usable, f"{entry} is a usable record"
    per_file = {f["path"]: f["malformed"] for f in manifest["files"]}
    assert sum(per_file.values()) == len(bad)


def test_incidents_truth_file(landing: Path) -> None:
    frame = read_incidents(landing)
    assert set(frame["kind"]) >= {"bias", "rollout_regression"}
    assert (frame["start_day"] <= frame["end_day"]).all()
    incidents = json.loads((landing / "_truth" / "incidents.json").read_text())
    required = {
        "id",
        "kind",
        "start_day",
        "end_day",
        "segment_key",
        "segment_value",
        "metric",
        "magnitude",
        "description",
    }
    assert incidents and all(required <= set(i) for i in incidents)
    kinds = {i["kind"] for i in incidents}
    assert kinds == {
        "bias",
        "toxicity_burst",
        "new_failure_theme",
        "rollout_regression",
        "hallucination_spike",
    }
    for inc in incidents:
        assert START.isoformat() <= inc["start_day"] <= inc["end_day"]
        assert inc["end_day"] <= (START + dt.timedelta(days=DAYS - 1)).isoformat()


def test_rerun_replaces_outputs_and_summary_prints(tmp_path: Path) -> None:
    simulate(START, 3, 100, 1, "demo", tmp_path)
    summary = simulate(START, 3, 100, 1, "quiet", tmp_path)
    assert json.loads((tmp_path / "_truth" / "incidents.json").read_text()) == []
    assert len(list((tmp_path / "app=copilot").rglob("part-*"))) == 3
    assert "interactions" in str(summary) and summary.files
    assert set(SCENARIOS) >= {
        "quiet",
        "hallucination_spike",
        "toxicity_burst",
        "rollout_regression",
        "new_failure_theme",
        "bias",
        "input_drift",
        "demo",
    }
    assert all(isinstance(s.description, str) and s.description for s in SCENARIOS.values())


def test_gzip_members_decompress_to_the_plain_bytes(tmp_path: Path, monkeypatch) -> None:
    import evalflow.simulate.writer as writer

    monkeypatch.setattr(writer, "GZIP_MEMBER_BYTES", 1000)
    src = tmp_path / "plain.jsonl"
    src.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(2000)))
    gzip_file(src, tmp_path / "a.gz")
    raw = (tmp_path / "a.gz").read_bytes()
    assert raw.count(b"\x1f\x8b\x08") > 10  # many members
    assert gzip.decompress(raw) == src.read_bytes()
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    gzip_file(empty, tmp_path / "e.gz")
    assert gzip.decompress((tmp_path / "e.gz").read_bytes()) == b""


def test_no_partial_or_hidden_files_are_left(landing: Path) -> None:
    leftovers = [p for p in landing.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_bench_reports_throughput(capsys: pytest.CaptureFixture[str]) -> None:
    from evalflow.simulate.bench import bench

    result = bench(per_day=3000)
    assert result["records"] > 2000 and result["records_per_second"] > 0
    assert result["seconds"] >= result["generate_seconds"] + result["write_seconds"] - 1e-6
    assert result["bytes_written"] > 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
