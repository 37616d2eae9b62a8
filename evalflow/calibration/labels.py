"""Human labels: read every label file people drop under ``$EVALFLOW_HOME/labels/``.

Labels are written by hand or exported from spreadsheets, so the reader expects
mistakes: a misspelt criterion, ``passed`` typed as "ok", a broken JSON line, a
review-queue row nobody filled in. Such rows are never fatal and never silently
dropped; each goes to a quarantine frame with its file, line and reason, so the
``label_quarantine`` table tells the labelling team exactly what to fix.

Several people may label the same (interaction, criterion). All their votes are
kept (inter-rater agreement needs them); ``resolve_labels`` reduces them to one
human label by majority, ties going to the most recent vote.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_CRITERIA: tuple[str, ...] = ("faithfulness", "relevance", "safety", "helpfulness")
LABEL_SUFFIXES = (".csv", ".jsonl")
UNKNOWN_LABELER = "unknown"
MAX_RAW_CHARS = 2000

_TRUE = frozenset({"true", "1", "yes", "pass", "passed"})
_FALSE = frozenset({"false", "0", "no", "fail", "failed"})
# Characters a spreadsheet treats as the start of a formula; the review-queue
# writer prefixes such cells with an apostrophe, which the reader undoes.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

LABEL_COLUMNS = [
    "interaction_id",
    "criterion",
    "passed",
    "labeler",
    "labelled_at",
    "note",
    "source_file",
    "source_line",
    "file_mtime",
]
QUARANTINE_COLUMNS = ["file", "line", "reason", "raw"]
QUARANTINE_TYPES = {
    "day": "DATE",
    "file": "VARCHAR",
    "line": "BIGINT",
    "reason": "VARCHAR",
    "raw": "VARCHAR",
}
RESOLVED_COLUMNS = [
    "interaction_id",
    "criterion",
    "human_passed",
    "n_labelers",
    "n_fail_votes",
    "n_pass_votes",
    "labelled_at",
]


def parse_passed(value: Any) -> bool | None:
    """``True``/``False`` for the accepted spellings, ``None`` when it is not one of them.

    Accepted (case-insensitive, surrounding spaces ignored): true/false, 1/0,
    yes/no, pass/fail (and passed/failed); JSON booleans and the integers 0/1.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value == 1:
            return True
        if value == 0:
            return False
        return None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def unescape_cell(value: str) -> str:
    """Undo the review-queue writer's spreadsheet escape (``'=x`` back to ``=x``)."""
    if len(value) >= 2 and value[0] == "'" and (value[1] in FORMULA_PREFIXES or value[1] == "'"):
        return value[1:]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    return unescape_cell(str(value).strip())


def _raw(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:MAX_RAW_CHARS]


class _Collector:
    """Accumulates good rows and quarantined rows while files are parsed."""

    def __init__(self, criteria: Collection[str]) -> None:
        self.criteria = {c.lower() for c in criteria}
        self.rows: list[dict[str, Any]] = []
        self.bad: list[dict[str, Any]] = []

    def quarantine(self, file: str, line: int | None, reason: str, raw: Any = "") -> None:
        self.bad.append({"file": file, "line": line, "reason": reason, "raw": _raw(raw)})

    def record(
        self, rec: dict[str, Any], file: str, line: int, mtime: dt.datetime, raw: Any
    ) -> None:
        """Validate one record (keys already lower-cased) and file it as good or bad."""
        interaction_id = _text(rec.get("interaction_id"))
        if not interaction_id:
            self.quarantine(file, line, "missing_interaction_id", raw)
            return
        criterion = _text(rec.get("criterion")).lower()
        if criterion not in self.criteria:
            shown = criterion or "(empty)"
            self.quarantine(file, line, f"unknown_criterion: {shown!r}", raw)
            return
        value = rec.get("passed")
        if value is None or (isinstance(value, str) and not value.strip()):
            self.quarantine(file, line, "passed_empty: row not labelled", raw)
            return
        passed = parse_passed(value)
        if passed is None:
            self.quarantine(file, line, f"bad_passed: {str(value)[:40]!r}", raw)
            return
        self.rows.append(
            {
                "interaction_id": interaction_id,
                "criterion": criterion,
                "passed": passed,
                "labeler": _text(rec.get("labeler")) or UNKNOWN_LABELER,
                "labelled_at": _text(rec.get("labelled_at")) or None,
                "note": _text(rec.get("note")) or None,
                "source_file": file,
                "source_line": line,
                "file_mtime": mtime,
            }
        )


def _read_text(path: Path, rel: str, out: _Collector) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.quarantine(rel, None, f"unreadable_file: not UTF-8 ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        out.quarantine(rel, None, f"unreadable_file: {exc.strerror or exc}")
    return None


def _parse_csv(text: str, rel: str, mtime: dt.datetime, out: _Collector) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        out.quarantine(rel, 1, f"bad_csv: {exc}")
        return
    keys = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in ("interaction_id", "criterion", "passed") if c not in keys]
    if missing:
        out.quarantine(rel, 1, f"missing_columns: {', '.join(missing)}", ",".join(header))
        return
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.quarantine(rel, start, f"bad_csv: {exc}")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue  # a blank line is not a record
        rec = dict(zip(keys, values, strict=False))
        out.record(rec, rel, line, mtime, ",".join(values))


def _parse_jsonl(text: str, rel: str, mtime: dt.datetime, out: _Collector) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            out.quarantine(rel, number, f"bad_json: {exc.msg} at column {exc.colno}", line)
            continue
        if not isinstance(obj, dict):
            out.quarantine(rel, number, "bad_json: line is not a JSON object", line)
            continue
        rec = {str(k).strip().lower(): v for k, v in obj.items()}
        out.record(rec, rel, number, mtime, line)


def label_files(labels_dir: Path) -> list[Path]:
    """Every non-hidden file under the folder, in a stable order."""
    if not labels_dir.exists():
        return []
    return sorted(
        p
        for p in labels_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(labels_dir).parts)
    )


def load_labels(
    labels_dir: Path | str, criteria: Collection[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every label file; return ``(labels, quarantine)``.

    ``labels`` has one row per valid label line (``LABEL_COLUMNS``): every labeler's
    vote, nothing merged yet. ``labelled_at`` is a naive UTC timestamp (NaT when
    absent or unreadable; the file's modification time then orders votes).
    ``quarantine`` has ``file`` (relative to the folder), ``line`` (1-based, NULL for
    whole-file problems), ``reason`` (``code: detail``) and ``raw`` (truncated).
    ``criteria`` defaults to the four built-in judge criteria.
    """
    root = Path(labels_dir)
    out = _Collector(criteria if criteria is not None else DEFAULT_CRITERIA)
    for path in label_files(root):
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if suffix not in LABEL_SUFFIXES:
            out.quarantine(
                rel, None, f"unsupported_file_type: {suffix or '(none)'}; use .csv or .jsonl"
            )
            continue
        text = _read_text(path, rel, out)
        if text is None:
            continue
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).replace(tzinfo=None)
        if suffix == ".csv":
            _parse_csv(text, rel, mtime, out)
        else:
            _parse_jsonl(text, rel, mtime, out)
    labels = pd.DataFrame(out.rows, columns=LABEL_COLUMNS)
    labels["passed"] = labels["passed"].astype(bool)
    labels["source_line"] = labels["source_line"].astype("int64")
    labels["labelled_at"] = _to_utc_naive(labels["labelled_at"])
    labels["file_mtime"] = pd.to_datetime(labels["file_mtime"])
    quarantine = pd.DataFrame(out.bad, columns=QUARANTINE_COLUMNS)
    quarantine["line"] = quarantine["line"].astype("Int64")
    return labels, quarantine


def _to_utc_naive(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    return parsed.dt.tz_convert(None).astype("datetime64[us]")


def _vote_order(labels: pd.DataFrame) -> pd.DataFrame:
    """Votes sorted oldest first: by labelled time (file time when absent), file, line."""
    ordered = labels.assign(_when=labels["labelled_at"].fillna(labels["file_mtime"]))
    return ordered.sort_values(["_when", "source_file", "source_line"], kind="stable")


def labeler_votes(labels: pd.DataFrame) -> pd.DataFrame:
    """One vote per (interaction, criterion, labeler): a labeler's latest vote wins.

    A person relabelling an item is correcting themselves, not adding a second opinion.
    """
    if labels.empty:
        return labels.assign(_when=pd.Series(dtype="datetime64[us]"))
    ordered = _vote_order(labels)
    return ordered.drop_duplicates(["interaction_id", "criterion", "labeler"], keep="last")


def resolve_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """The human label per (interaction, criterion): majority of labelers, ties to the latest.

    Columns ``RESOLVED_COLUMNS``: ``human_passed`` plus the vote counts behind it.
    """
    votes = labeler_votes(labels)
    if votes.empty:
        out = pd.DataFrame(columns=RESOLVED_COLUMNS)
        return out.astype(
            {
                "human_passed": bool,
                "n_labelers": "int64",
                "n_fail_votes": "int64",
                "n_pass_votes": "int64",
                "labelled_at": "datetime64[us]",
            }
        )
    keys = ["interaction_id", "criterion"]
    votes = votes.assign(_fail=~votes["passed"].astype(bool))
    grouped = votes.groupby(keys, sort=True)
    counts = grouped.agg(
        n_labelers=("labeler", "size"),
        n_fail_votes=("_fail", "sum"),
        labelled_at=("_when", "max"),
    )
    latest = votes.drop_duplicates(keys, keep="last").set_index(keys)["passed"]
    counts["n_pass_votes"] = counts["n_labelers"] - counts["n_fail_votes"]
    majority_pass = counts["n_pass_votes"] > counts["n_fail_votes"]
    tie = counts["n_pass_votes"] == counts["n_fail_votes"]
    counts["human_passed"] = majority_pass.where(~tie, latest.reindex(counts.index).astype(bool))
    out = counts.reset_index()[RESOLVED_COLUMNS]
    return out.astype(
        {
            "human_passed": bool,
            "n_labelers": "int64",
            "n_fail_votes": "int64",
            "n_pass_votes": "int64",
            "labelled_at": "datetime64[us]",
        }
    )


def labels_fingerprint(labels_dir: Path | str) -> str:
    """A short hash of the label files' names, sizes and times: changes when labels do.

    Lets a sensor rerun calibration when someone drops new labels.
    """
    root = Path(labels_dir)
    h = hashlib.sha256()
    for path in label_files(root):
        st = path.stat()
        h.update(f"{path.relative_to(root).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def labelled_keys(labels: pd.DataFrame) -> set[tuple[str, str]]:
    """(interaction_id, criterion) pairs that already have at least one human label."""
    return set(zip(labels["interaction_id"], labels["criterion"], strict=True))


def known_criteria(judge_criteria: Iterable[str], custom_rubrics: Iterable[str]) -> list[str]:
    """Criteria a label may name: the configured judge criteria and custom rubrics."""
    return sorted({c.lower() for c in judge_criteria} | {c.lower() for c in custom_rubrics})
