"""The daily human review queue: which judged rows people should label next.

Labelling time is scarce, so the queue is small (``review_queue_size`` rows a day)
and chosen to make each label count:

* stratified by criterion x backend x judge verdict, so every judge gets checked;
* judge failures are oversampled (``failure_share`` of the queue): they are rare,
  yet precision and the corrected failure rate hinge on them;
* within a stratum, rows whose score sits near the pass threshold are
  ``borderline_weight`` times likelier to be picked: that is where judges err;
* rows already labelled are never queued again;
* the draw is seeded by the setting and the day, so a rerun writes the same file.

The file is opened in spreadsheets, and its text comes straight from user logs, so
every cell is written with ``csv`` quoting and a cell that a spreadsheet would run
as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
import zlib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalflow.calibration.labels import FORMULA_PREFIXES
from evalflow.calibration.metrics import (
    DEFAULT_PASS_THRESHOLD,
    infer_threshold,
    usable_judge_rows,
)
from evalflow.config.settings import CalibrationSettings
from evalflow.signals.pii import redact_pii_series

MAX_CELL_CHARS = 30000  # spreadsheets cap a cell at 32,767 characters
CONTEXT_SEPARATOR = "\n---\n"
REVIEW_COLUMNS = [
    "interaction_id",
    "criterion",
    "backend",
    "stratum",
    "judge_passed",
    "judge_score",
    "query",
    "response",
    "context",
    "passed",
    "labeler",
    "note",
]
HUMAN_COLUMNS = ("passed", "labeler", "note")
TEXT_COLUMNS = ("query", "response", "context")
"""Customers' text: redacted in the CSV (see ``write_review_csv``)."""


def review_path(review_dir: Path, day: dt.date) -> Path:
    return Path(review_dir) / f"{day.isoformat()}.csv"


def allocate(total: int, capacity: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Split ``total`` slots over strata in proportion to ``weight``, capped by ``capacity``.

    Slots are handed out one at a time to the open stratum furthest below its
    share, so a full stratum's surplus flows to the others (water-filling) and
    ties go to the earlier stratum: deterministic.
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    alloc = np.zeros(len(capacity), dtype=np.int64)
    total = int(min(total, capacity.sum()))
    for _ in range(total):
        open_ = (alloc < capacity) & (weight > 0)
        if not open_.any():
            open_ = alloc < capacity
            ratio = alloc.astype(float)
        else:
            ratio = np.where(open_, alloc / np.where(weight > 0, weight, 1.0), np.inf)
        ratio = np.where(open_, ratio, np.inf)
        alloc[int(np.argmin(ratio))] += 1
    return alloc


def _context_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and pd.isna(value):
        return ""
    try:
        return CONTEXT_SEPARATOR.join("" if v is None else str(v) for v in value)
    except TypeError:
        return str(value)


SELECTED_COLUMNS = ["interaction_id", "criterion", "backend", "stratum", "passed", "score"]


def build_review_queue(
    judge_day: pd.DataFrame,
    interactions: pd.DataFrame,
    already_labelled: Collection[tuple[str, str]],
    day: dt.date,
    settings: CalibrationSettings,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Pick the day's rows for human labelling (``REVIEW_COLUMNS``, human columns empty).

    ``judge_day``: the day's ``judge_scores`` rows; ``interactions``: the day's
    ``raw_interactions`` (``interaction_id, query, response, context``);
    ``already_labelled``: (interaction_id, criterion) pairs with a label;
    ``thresholds``: known pass thresholds per criterion (custom rubrics), used when
    the scores do not reveal the cut.
    """
    picked = select_review_rows(judge_day, already_labelled, day, settings, thresholds)
    return attach_text(picked, interactions)


def select_review_rows(
    judge_day: pd.DataFrame,
    already_labelled: Collection[tuple[str, str]],
    day: dt.date,
    settings: CalibrationSettings,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The sampling half of ``build_review_queue``: which rows (``SELECTED_COLUMNS``).

    Split out so the asset fetches the text of the chosen rows only, not of the day.
    """
    thresholds = dict(thresholds or {})
    empty = pd.DataFrame(columns=SELECTED_COLUMNS)
    cand = usable_judge_rows(judge_day)
    if cand.empty or settings.review_queue_size == 0:
        return empty
    if already_labelled:
        labelled = pd.MultiIndex.from_tuples(list(already_labelled))
        keys = pd.MultiIndex.from_arrays([cand["interaction_id"], cand["criterion"]])
        cand = cand[~keys.isin(labelled)]
    if cand.empty:
        return empty
    # One row per (interaction, criterion): a human label serves every backend.
    # Prefer a failing verdict (the rarer, more informative one), then backend name.
    cand = cand.sort_values(
        ["interaction_id", "criterion", "passed", "backend"], kind="stable"
    ).drop_duplicates(["interaction_id", "criterion"], keep="first")
    cand = cand.sort_values(["criterion", "backend", "interaction_id"], kind="stable")
    cand = cand.reset_index(drop=True)

    cut = pd.Series(np.nan, index=cand.index)
    for (criterion, _backend), idx in cand.groupby(["criterion", "backend"]).groups.items():
        default = thresholds.get(str(criterion), DEFAULT_PASS_THRESHOLD)
        cut[idx] = infer_threshold(cand.loc[idx, "score"], cand.loc[idx, "passed"], default)
    borderline = (cand["score"] - cut).abs() <= settings.borderline_margin
    cand["borderline"] = borderline.fillna(False).astype(bool)
    verdict = np.where(cand["passed"], "pass", "fail")
    cand["stratum"] = cand["criterion"] + "|" + cand["backend"] + "|" + verdict

    strata = cand.groupby("stratum", sort=True).size()
    is_fail = strata.index.str.endswith("|fail")
    n_fail, n_pass = int(is_fail.sum()), int((~is_fail).sum())
    share_fail = settings.failure_share if n_pass else 1.0
    share_fail = share_fail if n_fail else 0.0
    weight = np.where(
        is_fail,
        share_fail / max(n_fail, 1),
        (1.0 - share_fail) / max(n_pass, 1),
    )
    alloc = pd.Series(
        allocate(settings.review_queue_size, strata.to_numpy(), weight), index=strata.index
    )

    rng = np.random.default_rng([settings.seed, day.toordinal(), zlib.crc32(b"review")])
    u = rng.random(len(cand))
    w = np.where(cand["borderline"], settings.borderline_weight, 1.0)
    # Efraimidis-Spirakis: the k largest log(u)/w are a weighted sample without replacement.
    cand["_key"] = np.log(u) / w
    cand["_quota"] = cand["stratum"].map(alloc).astype(int)
    cand = cand.sort_values(["stratum", "_key"], ascending=[True, False], kind="stable")
    cand["_rank"] = cand.groupby("stratum").cumcount()
    picked = cand[cand["_rank"] < cand["_quota"]]
    picked = picked.sort_values(["criterion", "backend", "passed", "interaction_id"], kind="stable")
    picked = picked.assign(
        stratum=picked["stratum"] + np.where(picked["borderline"], "|borderline", "")
    )
    return picked[SELECTED_COLUMNS].reset_index(drop=True)


def attach_text(picked: pd.DataFrame, interactions: pd.DataFrame) -> pd.DataFrame:
    """The review rows with the interaction's text and empty columns for the human."""
    text_cols = ["interaction_id", "query", "response", "context"]
    text = pd.DataFrame(columns=text_cols)
    if len(interactions):
        text = interactions[text_cols].drop_duplicates("interaction_id", keep="last")
    out = picked.merge(text, on="interaction_id", how="left")
    out["context"] = out["context"].map(_context_text)
    out["query"] = out["query"].fillna("")
    out["response"] = out["response"].fillna("")
    out["judge_passed"] = out["passed"].astype(bool)
    out["judge_score"] = out["score"]
    for col in HUMAN_COLUMNS:
        out[col] = ""
    return out[REVIEW_COLUMNS].reset_index(drop=True)


def spreadsheet_safe(value: Any) -> str:
    """A cell a spreadsheet will show as text, never evaluate.

    NUL bytes are dropped, very long text is cut to the cell limit, and text starting
    with a formula character (or an apostrophe, so the escape stays reversible) gets a
    leading apostrophe. Commas, quotes and newlines are left to ``csv`` quoting.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):.4f}"
    text = str(value).replace("\x00", "")
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    if text.startswith((*FORMULA_PREFIXES, "'")):
        text = "'" + text
    return text


def write_review_csv(queue: pd.DataFrame, path: Path) -> Path:
    """Write the queue atomically (temp file + rename): a reader never sees half a file.

    Always writes the header, so an empty day still has its (empty) queue file.
    UTF-8 with a byte-order mark so spreadsheets detect the encoding. The text
    columns are PII-redacted: the file leaves the warehouse (shared drives, labelling
    vendors), and a labeller judges the answer, not the customer's card number. The
    labels are read back by ``interaction_id`` and ``criterion``, never by text.
    """
    queue = queue.copy()
    for col in TEXT_COLUMNS:
        queue[col] = redact_pii_series(queue[col].astype(object))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(REVIEW_COLUMNS)
            for row in queue[REVIEW_COLUMNS].itertuples(index=False, name=None):
                writer.writerow([spreadsheet_safe(v) for v in row])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
