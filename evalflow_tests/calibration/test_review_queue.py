"""The human review queue: stratified, deterministic, never re-queues, spreadsheet-safe."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalflow.calibration.labels import load_labels
from evalflow.calibration.review_queue import (
    REVIEW_COLUMNS,
    allocate,
    build_review_queue,
    infer_threshold,
    review_path,
    spreadsheet_safe,
    write_review_csv,
)
from evalflow.config.settings import CalibrationSettings

DAY = dt.date(2026, 10, 5)
QUEUES = ["billing", "technical", "account", "outage", "shipping"]


def _judged(n: int = 400, fail_rate: float = 0.08, seed: int = 1) -> pd.DataFrame:
    """Judge rows of a day: 4 criteria, heuristic backend, scores around a 0.5 cut."""
    rng = np.random.default_rng(seed)
    rows = []
    for criterion in ("faithfulness", "relevance", "safety", "helpfulness"):
        fails = rng.random(n) < fail_rate
        scores = np.where(fails, rng.uniform(0.0, 0.49, n), rng.uniform(0.51, 1.0, n))
        for i in range(n):
            rows.append(
                (
                    DAY,
                    f"int-{i:04d}",
                    criterion,
                    "heuristic",
                    "ok",
                    round(float(scores[i]), 4),
                    not fails[i],
                )
            )
    rows.append((DAY, "int-err", "safety", "heuristic", "error", None, None))
    return pd.DataFrame(
        rows, columns=["day", "interaction_id", "criterion", "backend", "status", "score", "passed"]
    )


def _text(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interaction_id": ids,
            "query": [f"my {QUEUES[i % 5]} question {i}" for i in range(len(ids))],
            "response": ["Here is how to fix it."] * len(ids),
            "context": [np.array(["passage A", "passage B"], dtype=object)] * len(ids),
        }
    )


SETTINGS = CalibrationSettings(review_queue_size=48, failure_share=0.5)


def test_queue_is_stratified_and_oversamples_failures() -> None:
    judged = _judged()
    ids = sorted(judged["interaction_id"].unique())
    q = build_review_queue(judged, _text(ids), set(), DAY, SETTINGS)
    assert list(q.columns) == REVIEW_COLUMNS
    assert len(q) == 48
    cells = q.groupby(["criterion", "judge_passed"]).size()
    # 4 criteria x 2 verdicts, each gets 48/8 = 6 rows: half the queue is judge
    # failures although the judge fails only ~8% of rows.
    assert len(cells) == 8 and set(cells) == {6}
    assert (~q["judge_passed"]).mean() == pytest.approx(0.5)
    assert "int-err" not in set(q["interaction_id"])  # errored judgements are not labelled
    assert not q.duplicated(["interaction_id", "criterion"]).any()
    assert q["stratum"].str.match(r"^[a-z]+\|heuristic\|(pass|fail)(\|borderline)?$").all()
    assert (q["context"] == "passage A\n---\npassage B").all()
    assert (q[["passed", "labeler", "note"]] == "").all().all()


def test_borderline_scores_are_oversampled() -> None:
    judged = _judged(n=600, fail_rate=0.3, seed=3)
    settings = CalibrationSettings(
        review_queue_size=200, borderline_margin=0.1, borderline_weight=8.0
    )
    q = build_review_queue(judged, _text([]), set(), DAY, settings)
    near = (q["judge_score"] - 0.5).abs() <= 0.1
    base = ((judged["score"] - 0.5).abs() <= 0.1).mean()
    assert near.mean() > 2 * base
    assert (q["stratum"].str.endswith("|borderline") == near).all()


def test_queue_is_deterministic_whatever_the_input_order() -> None:
    judged = _judged()
    a = build_review_queue(judged, _text([]), set(), DAY, SETTINGS)
    shuffled = judged.sample(frac=1.0, random_state=99)
    b = build_review_queue(shuffled, _text([]), set(), DAY, SETTINGS)
    pd.testing.assert_frame_equal(a, b)
    other_day = build_review_queue(judged, _text([]), set(), DAY + dt.timedelta(days=1), SETTINGS)
    assert set(other_day["interaction_id"]) != set(a["interaction_id"])


def test_labelled_rows_are_not_requeued() -> None:
    judged = _judged()
    first = build_review_queue(judged, _text([]), set(), DAY, SETTINGS)
    done = set(zip(first["interaction_id"], first["criterion"], strict=True))
    second = build_review_queue(judged, _text([]), done, DAY, SETTINGS)
    assert len(second) == 48
    assert not done & set(zip(second["interaction_id"], second["criterion"], strict=True))
    # Label (almost) everything: the queue shrinks to what is left.
    everything = set(zip(judged["interaction_id"], judged["criterion"], strict=True))
    left = sorted(everything)[:5]
    third = build_review_queue(judged, _text([]), everything - set(left), DAY, SETTINGS)
    assert set(zip(third["interaction_id"], third["criterion"], strict=True)) <= set(left)


def test_one_row_per_item_when_two_backends_judged_it() -> None:
    judged = _judged(n=50)
    flipped = judged["passed"].map(lambda v: None if v is None else not v)
    other = judged.assign(backend="openai", passed=flipped)
    q = build_review_queue(pd.concat([judged, other]), _text([]), set(), DAY, SETTINGS)
    assert len(q) == 48 and not q.duplicated(["interaction_id", "criterion"]).any()
    # Every item was failed by one of the two backends: the failing verdict is queued.
    assert (~q["judge_passed"]).all()
    assert set(q["backend"]) == {"heuristic", "openai"}


def test_allocation_water_fills_and_thresholds() -> None:
    # Weights ask for 5/5/0 but stratum 0 has 2 rows: its surplus flows to stratum 1.
    assert allocate(10, np.array([2, 50, 50]), np.array([0.5, 0.5, 0.0])).tolist() == [2, 8, 0]
    # Positive-weight strata exhausted: the rest still get rows.
    assert allocate(10, np.array([2, 3, 50]), np.array([0.5, 0.5, 0.0])).tolist() == [2, 3, 5]
    assert allocate(100, np.array([2, 3]), np.array([1.0, 1.0])).tolist() == [2, 3]
    passed = pd.Series([False, False, True, True])
    assert infer_threshold(pd.Series([0.1, 0.3, 0.7, 0.9]), passed, 0.5) == pytest.approx(0.5)
    assert infer_threshold(pd.Series([0.1, 0.6, 0.7, 0.9]), passed, 0.5) == pytest.approx(0.65)
    assert infer_threshold(pd.Series([0.1, 0.8, 0.7, 0.9]), passed, 0.42) == 0.42  # overlap


def test_empty_inputs_give_empty_queue() -> None:
    empty = _judged().head(0)
    assert build_review_queue(empty, _text([]), set(), DAY, SETTINGS).empty
    zero = CalibrationSettings(review_queue_size=0)
    assert build_review_queue(_judged(), _text([]), set(), DAY, zero).empty


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("'already", "''already"),
        ("fine, with comma", "fine, with comma"),
        ("nul\x00byte", "nulbyte"),
        (None, ""),
        (True, "true"),
        (0.123456, "0.1235"),
        (float("nan"), ""),
    ],
)
def test_spreadsheet_safe(value: object, expected: str) -> None:
    assert spreadsheet_safe(value) == expected


def test_csv_neutralises_injection_and_round_trips_into_labels(tmp_path: Path) -> None:
    judged = _judged(n=30)
    judged.loc[judged["interaction_id"] == "int-0003", "interaction_id"] = "=cmd|' /C calc'!A0"
    ids = sorted(judged["interaction_id"].unique())
    text = _text(ids)
    text.loc[text["interaction_id"] == "int-0000", "query"] = (
        '=IMPORTXML("http://x", "//a"), "quoted"\nsecond line'
    )
    text.loc[text["interaction_id"] == "int-0001", "response"] = "@evil"
    settings = CalibrationSettings(review_queue_size=200)
    q = build_review_queue(judged, text, set(), DAY, settings)
    path = write_review_csv(q, review_path(tmp_path / "review", DAY))
    assert path.name == "2026-10-05.csv"
    assert not list(path.parent.glob(".*.tmp"))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(q)
    for row in rows:
        for col in ("interaction_id", "query", "response", "context"):
            assert not row[col].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert len(rows) == 120  # the queue is larger than the day: everything is queued
    by_id = {r["interaction_id"]: r for r in rows}
    assert by_id["int-0000"]["query"] == '\'=IMPORTXML("http://x", "//a"), "quoted"\nsecond line'
    assert by_id["int-0001"]["response"] == "'@evil"
    assert "'=cmd|' /C calc'!A0" in by_id

    # A human fills some rows and drops the file into labels/: the escaped id comes back.
    for i, row in enumerate(rows):
        row["passed"] = "pass" if i % 2 else "fail"
        row["labeler"] = "ana"
    rows[-1]["passed"] = ""  # left unlabelled
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    with (labels_dir / "filled.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=REVIEW_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    labels, quarantine = load_labels(labels_dir)
    assert len(labels) == len(rows) - 1
    assert list(quarantine["reason"].str.split(":").str[0]) == ["passed_empty"]
    assert "=cmd|' /C calc'!A0" in set(labels["interaction_id"])


def test_empty_queue_still_writes_a_header(tmp_path: Path) -> None:
    path = write_review_csv(pd.DataFrame(columns=REVIEW_COLUMNS), tmp_path / "r.csv")
    assert path.read_text(encoding="utf-8-sig").strip() == ",".join(REVIEW_COLUMNS)
