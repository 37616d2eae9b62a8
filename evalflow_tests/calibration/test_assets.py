"""``judge_calibration`` materialises through Dagster on seeded tables and on an empty day."""

from __future__ import annotations

import csv
import datetime as dt

import dagster as dg
import numpy as np
import pandas as pd

from evalflow.calibration.assets import judge_calibration
from evalflow.config import Paths
from evalflow.resources import EvalflowResource
from evalflow.storage import Warehouse

DAY = dt.date(2026, 10, 5)
JUDGE_TYPES = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "criterion": "VARCHAR",
    "backend": "VARCHAR",
    "model": "VARCHAR",
    "judge_version": "VARCHAR",
    "status": "VARCHAR",
    "score": "DOUBLE",
    "passed": "BOOLEAN",
    "label": "VARCHAR",
    "rationale": "VARCHAR",
}
RAW_TYPES = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "query": "VARCHAR",
    "response": "VARCHAR",
    "context": "VARCHAR[]",
    "seg_queue": "VARCHAR",
    "feedback_rating": "VARCHAR",
}


def _judge_day(day: dt.date, n: int, seed: int) -> pd.DataFrame:
    """faithfulness + safety verdicts for n interactions of the day (ids unique per day)."""
    rng = np.random.default_rng(seed)
    rows = []
    for criterion, fail_rate in (("faithfulness", 0.3), ("safety", 0.1)):
        fails = rng.random(n) < fail_rate
        scores = np.where(fails, rng.uniform(0.05, 0.45, n), rng.uniform(0.55, 0.95, n))
        for i in range(n):
            rows.append(
                {
                    "day": day,
                    "interaction_id": f"{day:%m%d}-{i:03d}",
                    "criterion": criterion,
                    "backend": "heuristic",
                    "model": "heuristic",
                    "judge_version": "h1",
                    "status": "ok",
                    "score": float(scores[i]),
                    "passed": bool(not fails[i]),
                    "label": "fail" if fails[i] else "pass",
                    "rationale": "seeded",
                }
            )
    return pd.DataFrame(rows)


def _seed(paths: Paths) -> pd.DataFrame:
    wh = Warehouse(paths.database)
    judged = []
    for offset, seed in ((1, 11), (0, 12)):
        day = DAY - dt.timedelta(days=offset)
        jd = _judge_day(day, 60, seed)
        judged.append(jd)
        wh.replace_partition("judge_scores", jd, day, schema=JUDGE_TYPES)
        ids = sorted(jd["interaction_id"].unique())
        # Users rate by the faithfulness judge's verdict (faithful -> up), 9 in 10 times.
        faith = jd[jd["criterion"] == "faithfulness"].set_index("interaction_id")["passed"]
        agree = np.random.default_rng(seed + 100).random(len(ids)) < 0.9
        rating = [
            ("up" if faith[i] else "down") if a else ("down" if faith[i] else "up")
            for i, a in zip(ids, agree, strict=True)
        ]
        raw = pd.DataFrame(
            {
                "day": day,
                "interaction_id": ids,
                "query": [f"why was my billing charged twice? #{i}" for i in range(len(ids))],
                "response": ["=1+1 refunds take 5 days"] * len(ids),
                "context": [["Refund policy: 5 business days.", "Billing FAQ"]] * len(ids),
                "seg_queue": "billing",
                "feedback_rating": rating,
            }
        )
        wh.replace_partition("raw_interactions", raw, day, schema=RAW_TYPES)
    return pd.concat(judged, ignore_index=True)


def _write_labels(paths: Paths, judged: pd.DataFrame) -> None:
    """Two labelers: ana labels day-1 faithfulness and 40 safety rows, bo overlaps 30."""
    paths.labels.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    faith = judged[judged["criterion"] == "faithfulness"]
    with (paths.labels / "ana.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["interaction_id", "criterion", "passed", "labeler"])
        for r in faith.itertuples():  # the judge is right 90% of the time
            agree = rng.random() < 0.9
            w.writerow(
                [r.interaction_id, r.criterion, "pass" if r.passed == agree else "fail", "ana"]
            )
        w.writerow(["x-1", "hallucination", "fail", "ana"])  # unknown criterion
        w.writerow(["x-2", "safety", "perhaps", "ana"])  # unparseable passed
    with (paths.labels / "bo.jsonl").open("w", encoding="utf-8") as fh:
        for r in faith.head(30).itertuples():
            agree = rng.random() < 0.8
            fh.write(
                f'{{"interaction_id": "{r.interaction_id}", "criterion": "faithfulness",'
                f' "passed": {str(r.passed == agree).lower()}, "labeler": "bo"}}\n'
            )
        fh.write("{broken json\n")


def test_asset_materialises_with_labels_and_writes_review_queue(
    home: Paths, instance: dg.DagsterInstance
) -> None:
    judged = _seed(home)
    _write_labels(home, judged)
    result = dg.materialize(
        [judge_calibration],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    wh = Warehouse(home.database)
    table = wh.read_partition("judge_calibration", DAY)
    by = table[table["reference"] == "human_labels"].set_index(["criterion", "backend"])
    faith = by.loc[("faithfulness", "heuristic")]
    assert faith["n"] == 120 and faith["source"] == "production"
    assert 0.5 < faith["kappa"] <= 1.0
    assert faith["kappa_ci_low"] <= faith["kappa"] <= faith["kappa_ci_high"]
    assert 0.0 <= faith["corrected_prevalence"] <= 1.0 and faith["n_judged"] == 60
    assert faith["auc"] > 0.5
    safety = by.loc[("safety", "heuristic")]
    assert safety["n"] == 0 and pd.isna(safety["kappa"]) and safety["note"] == "no human labels yet"
    human = by.loc[("faithfulness", "human")]
    assert human["n"] == 30 and human["kappa"] is not None
    assert "inter-rater" in human["note"]

    # Validity on the traffic: users' thumbs follow the faithfulness verdicts.
    status = table[table["reference"] == "any"].set_index("criterion")
    assert status.loc["faithfulness", "validity"] == "validated"
    thumbs = table[(table["reference"] == "user:thumbs") & (table["segment_key"] == "overall")]
    faith_thumbs = thumbs.set_index("criterion").loc["faithfulness"]
    assert faith_thumbs["n"] == 120 and faith_thumbs["auc"] > 0.75
    assert faith_thumbs["auc_ci_low"] > 0.5 and faith_thumbs["validity"] == "validated"
    assert "AUC" in status.loc["faithfulness", "validity_reason"]
    # Safety's scores are independent of the thumbs and it has no labels.
    assert status.loc["safety", "validity"] in {"unvalidated", "insufficient_data"}
    billing = table[(table["segment_key"] == "queue") & (table["segment_value"] == "billing")]
    assert len(billing) == 2  # one per judge: the only queue cell

    quarantine = wh.read_partition("label_quarantine", DAY)
    assert sorted(quarantine["reason"].str.split(":").str[0]) == [
        "bad_json",
        "bad_passed",
        "unknown_criterion",
    ]

    queue_file = home.review / "2026-10-05.csv"
    with queue_file.open(encoding="utf-8-sig", newline="") as fh:
        queue = list(csv.DictReader(fh))
    assert len(queue) == 50
    # Faithfulness of both days is fully labelled: only safety rows are queued.
    assert {r["criterion"] for r in queue} == {"safety"}
    assert all(r["interaction_id"].startswith("1005-") for r in queue)
    assert all(r["response"].startswith("'=") for r in queue)
    assert all(r["context"] == "Refund policy: 5 business days.\n---\nBilling FAQ" for r in queue)

    mat = result.asset_materializations_for_node("judge_calibration")[0]
    md = mat.metadata
    assert md["quarantined_labels"].value == 3
    assert md["labels"].value == 150  # 120 by ana + 30 by bo
    assert md["review_queue"].value == str(queue_file)
    assert "| faithfulness | heuristic | 120 |" in md["calibration"].value
    assert "| faithfulness | heuristic | **validated** | thumbs 0." in md["judge_validity"].value
    assert md["judges_validated"].value >= 1

    # Rerun: same partition replaced, not duplicated; same queue.
    again = dg.materialize(
        [judge_calibration],
        partition_key=DAY.isoformat(),
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert again.success
    assert len(wh.read_partition("judge_calibration", DAY)) == len(table)
    with queue_file.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.DictReader(fh)) == queue


def test_asset_succeeds_on_an_empty_day(home: Paths, instance: dg.DagsterInstance) -> None:
    result = dg.materialize(
        [judge_calibration],
        partition_key="2026-10-07",
        resources={"evalflow": EvalflowResource()},
        instance=instance,
    )
    assert result.success
    wh = Warehouse(home.database)
    assert wh.table_exists("judge_calibration") and wh.table_exists("label_quarantine")
    assert wh.read_partition("judge_calibration", dt.date(2026, 10, 7)).empty
    cols = wh.query_df(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'judge_calibration'"
    ).set_index("column_name")["data_type"]
    assert cols["kappa"] == "DOUBLE" and cols["n"] == "BIGINT" and cols["day"] == "DATE"
    queue_file = home.review / "2026-10-07.csv"
    assert queue_file.read_text(encoding="utf-8-sig").startswith("interaction_id,criterion")
