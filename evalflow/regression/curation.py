"""Production failures curated into a regression dataset for offline evaluation.

Each day, the example interactions of the top-priority issues and the judge
failures become *cases*: the input (query plus earlier turns of the conversation),
the retrieved context, the bad response, what went wrong (judge rationales,
flags, user feedback), the judges' verdicts and the theme/issue it belongs to.

Rules that keep the dataset useful rather than large:
- ``case_id`` is a hash of the interaction id, so reruns produce the same ids;
- near-duplicate queries (same normalised text: case, numbers, punctuation,
  whitespace folded) collapse to the highest-priority one;
- at most ``max_per_cluster`` cases per theme (cluster, else issue, else
  "unclustered") per day, then round-robin across themes up to
  ``max_cases_per_day``, so one loud theme cannot crowd out the others;
- the table partition is replaced on rerun, and ``regression/cases.jsonl`` is
  rebuilt from the whole table (sorted by ``case_id``; a query already captured on
  an earlier day is kept once, from its earliest day), so reruns never duplicate lines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from evalflow.config.settings import RegressionSettings
from evalflow.discovery.clusters import ANOMALY_CLUSTER_ID, empty_frame
from evalflow.discovery.textspace import normalize_text
from evalflow.signals.pii import redact_value

CASE_COLUMNS: dict[str, tuple[str, str]] = {
    "case_id": ("VARCHAR", "stable: rc- + hash of interaction_id"),
    "day": ("DATE", "UTC day (partition)"),
    "issue_id": ("VARCHAR", "issue_priorities.issue_id the case illustrates (NULL if none)"),
    "interaction_id": ("VARCHAR", "the production interaction"),
    "query": ("VARCHAR", "the user's message"),
    "context": ("VARCHAR", "JSON list of retrieved passages"),
    "response": ("VARCHAR", "the bad response"),
    "failure": ("VARCHAR", "what went wrong: judge rationales, flags, feedback"),
    "judge_verdicts": ("VARCHAR", "JSON {criterion: {status, score, passed, label, rationale}}"),
    "cluster_id": ("VARCHAR", "failure_clusters.cluster_id of the interaction (NULL if none)"),
    "history": ("VARCHAR", "JSON list of earlier turns [{turn, query, response}]"),
    "source": ("VARCHAR", "issue_example|judge_failure"),
    "priority_rank": ("INTEGER", "rank of the issue the case came from (NULL if none)"),
    "query_hash": ("VARCHAR", "hash of the normalised query (the de-duplication key)"),
}
JSON_FIELDS = ("context", "judge_verdicts", "history")
INT_FIELDS = ("priority_rank",)
CANDIDATE_SLACK = 4
"""Candidates kept per theme = slack x max_per_cluster (room for near-duplicates)."""


def case_id(interaction_id: str) -> str:
    return "rc-" + hashlib.sha256(str(interaction_id).encode()).hexdigest()[:16]


def query_hash(queries: pd.Series) -> pd.Series:
    norm = normalize_text(queries)
    return norm.map(lambda t: hashlib.sha256(t.encode()).hexdigest()[:16])


def _json_list(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return []
        return [str(v) for v in parsed] if isinstance(parsed, list) else []
    return []


def select_candidates(
    priorities: pd.DataFrame,
    members: pd.DataFrame,
    judge_failures: pd.DataFrame,
    settings: RegressionSettings,
) -> pd.DataFrame:
    """Candidate interactions in priority order: top issues' examples, then judge failures.

    Returns ``interaction_id, issue_id, cluster_id, source, priority_rank`` (one row
    per interaction, first occurrence kept; at most ``CANDIDATE_SLACK x max_per_cluster``
    per theme so a day with 300k judge failures stays cheap). ``judge_failures`` has
    ``interaction_id, min_score`` of interactions with at least one failed criterion.
    """
    cluster_of = _cluster_of(members)
    issue_of_cluster: dict[str, tuple[str, int]] = {}
    rows: list[dict] = []
    if len(priorities):
        pr = priorities.sort_values("rank")
        for r in pr.to_dict("records"):
            if isinstance(r.get("cluster_id"), str):
                issue_of_cluster.setdefault(r["cluster_id"], (r["issue_id"], int(r["rank"])))
        for r in pr[pr["rank"] <= settings.top_issues].to_dict("records"):
            for iid in _json_list(r.get("example_ids")):
                rows.append(
                    {
                        "interaction_id": iid,
                        "issue_id": r["issue_id"],
                        "cluster_id": r["cluster_id"]
                        if isinstance(r.get("cluster_id"), str)
                        else cluster_of.get(iid),
                        "source": "issue_example",
                        "priority_rank": int(r["rank"]),
                    }
                )
    if settings.include_judge_failures and len(judge_failures):
        jf = judge_failures[["interaction_id", "min_score"]].copy()
        jf["interaction_id"] = jf["interaction_id"].astype(str)
        jf["cluster_id"] = jf["interaction_id"].map(cluster_of)
        issue = jf["cluster_id"].map(lambda c: issue_of_cluster.get(c, (None, None)))
        jf["issue_id"] = issue.map(lambda t: t[0])
        jf["priority_rank"] = pd.array(issue.map(lambda t: t[1]), dtype="Int64")
        jf = jf.sort_values(["priority_rank", "min_score", "interaction_id"], na_position="last")
        jf["source"] = "judge_failure"
        rows += jf[["interaction_id", "issue_id", "cluster_id", "source", "priority_rank"]].to_dict(
            "records"
        )
    out = pd.DataFrame(
        rows, columns=["interaction_id", "issue_id", "cluster_id", "source", "priority_rank"]
    )
    out["cluster_id"] = out["cluster_id"].where(
        out["cluster_id"].map(lambda c: isinstance(c, str)), None
    )
    out = out.drop_duplicates("interaction_id", keep="first").reset_index(drop=True)
    # Bounded work on huge days: no theme can contribute more than a few times its cap,
    # so candidates beyond that (before de-duplication) are dropped early.
    theme = out["cluster_id"].fillna(out["issue_id"]).fillna("unclustered")
    keep = theme.groupby(theme).cumcount() < settings.max_per_cluster * CANDIDATE_SLACK
    return out[keep.to_numpy()].reset_index(drop=True)


def _cluster_of(members: pd.DataFrame) -> dict[str, str]:
    """interaction -> theme; real themes win over the anomaly group."""
    if members is None or members.empty:
        return {}
    m = members.assign(_anom=members["cluster_id"] == ANOMALY_CLUSTER_ID)
    m = m.sort_values(["_anom", "interaction_id"]).drop_duplicates("interaction_id", keep="first")
    return dict(zip(m["interaction_id"].astype(str), m["cluster_id"].astype(str), strict=True))


def curate(
    candidates: pd.DataFrame,
    raw: pd.DataFrame,
    verdicts: pd.DataFrame,
    reasons: pd.DataFrame,
    history: pd.DataFrame,
    day: dt.date,
    settings: RegressionSettings,
) -> pd.DataFrame:
    """Turn candidates into de-duplicated, balanced, capped cases.

    ``raw``: ``interaction_id, query, response, context, feedback_comment,
    conversation_id, turn`` of the candidates; ``verdicts``: their ``judge_scores``
    rows; ``reasons``: ``interaction_id, reasons`` (day frame); ``history``: rows
    ``conversation_id, turn, query, response, timestamp`` of their conversations.
    """
    if candidates.empty or raw.empty:
        return empty_frame(CASE_COLUMNS)
    c = candidates.merge(raw.drop_duplicates("interaction_id"), on="interaction_id", how="inner")
    if c.empty:
        return empty_frame(CASE_COLUMNS)
    c["_order"] = np.arange(len(c))
    c["query_hash"] = query_hash(c["query"])
    c = c.drop_duplicates("query_hash", keep="first")
    c["_theme"] = c["cluster_id"].fillna(c["issue_id"]).fillna("unclustered")
    c["_pos"] = c.groupby("_theme").cumcount()
    c = c[c["_pos"] < settings.max_per_cluster]
    c = c.sort_values(["_pos", "_order"]).head(settings.max_cases_per_day)
    c = c.sort_values("_order").reset_index(drop=True)

    verdict_json = _verdicts(verdicts)
    reason_of = (
        dict(zip(reasons["interaction_id"].astype(str), reasons["reasons"], strict=True))
        if len(reasons)
        else {}
    )
    hist_json = _histories(c, history, settings.conversation_turns)
    out = pd.DataFrame(
        {
            "case_id": c["interaction_id"].map(case_id),
            "day": day,
            "issue_id": c["issue_id"],
            "interaction_id": c["interaction_id"].astype(str),
            "query": c["query"],
            "context": c["context"].map(_context_json),
            "response": c["response"],
            "failure": [
                _failure_text(verdicts, iid, reason_of.get(iid), comment)
                for iid, comment in zip(
                    c["interaction_id"],
                    c.get("feedback_comment", pd.Series([None] * len(c))),
                    strict=True,
                )
            ],
            "judge_verdicts": c["interaction_id"].map(lambda i: verdict_json.get(i, "{}")),
            "cluster_id": c["cluster_id"],
            "history": c["interaction_id"].map(lambda i: hist_json.get(i, "[]")),
            "source": c["source"],
            "priority_rank": pd.array(c["priority_rank"], dtype="Int64"),
            "query_hash": c["query_hash"],
        }
    )
    return out[list(CASE_COLUMNS)]


def _context_json(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "[]"
    if isinstance(value, str):
        return json.dumps([value])
    try:
        return json.dumps([str(v) for v in list(value)])  # type: ignore[arg-type]
    except TypeError:
        return json.dumps([str(value)])


def _verdicts(verdicts: pd.DataFrame) -> dict[str, str]:
    if verdicts is None or verdicts.empty:
        return {}
    out: dict[str, str] = {}
    v = verdicts.sort_values(["interaction_id", "criterion"])
    for iid, g in v.groupby("interaction_id", sort=True):
        d = {}
        for r in g.to_dict("records"):
            d[str(r["criterion"])] = {
                "status": r.get("status"),
                "score": None if pd.isna(r.get("score")) else float(r["score"]),
                "passed": None if pd.isna(r.get("passed")) else bool(r["passed"]),
                "label": None if pd.isna(r.get("label")) else str(r["label"]),
                "rationale": None if pd.isna(r.get("rationale")) else str(r["rationale"]),
            }
        out[str(iid)] = json.dumps(d, sort_keys=True)
    return out


def _failure_text(verdicts: pd.DataFrame, iid: str, reasons: object, comment: object) -> str:
    parts: list[str] = []
    if verdicts is not None and len(verdicts):
        bad = verdicts[
            (verdicts["interaction_id"] == iid)
            & (verdicts["status"] == "ok")
            & verdicts["passed"].eq(False)
        ]
        for r in bad.sort_values("criterion").to_dict("records"):
            why = r.get("rationale")
            parts.append(
                f"{r['criterion']} failed" + (f": {why}" if isinstance(why, str) and why else "")
            )
    if isinstance(reasons, str) and reasons:
        flags = [f for f in reasons.split(",") if not f.startswith("judge:")]
        if flags:
            parts.append("flags: " + ", ".join(flags))
    if isinstance(comment, str) and comment.strip():
        parts.append(f"user comment: {comment.strip()[:500]}")
    return "; ".join(parts) if parts else "selected as an example of a prioritised issue"


def _histories(cases: pd.DataFrame, history: pd.DataFrame, turns: int) -> dict[str, str]:
    """Earlier turns of each case's conversation (at most ``turns``, oldest first).

    "Earlier" means a smaller ``turn``; without turn numbers, an earlier timestamp.
    """
    if turns == 0 or history is None or history.empty or "conversation_id" not in cases:
        return {}
    h = history.dropna(subset=["conversation_id"]).rename(
        columns={
            "interaction_id": "h_id",
            "turn": "h_turn",
            "query": "h_query",
            "response": "h_response",
            "timestamp": "h_ts",
        }
    )
    cols = [c for c in ("interaction_id", "conversation_id", "turn", "timestamp") if c in cases]
    j = cases[cols].dropna(subset=["conversation_id"]).merge(h, on="conversation_id")
    if j.empty:
        return {}
    turn, h_turn = (
        pd.to_numeric(j.get("turn"), errors="coerce"),
        pd.to_numeric(j["h_turn"], errors="coerce"),
    )
    earlier = (h_turn < turn).fillna(False).to_numpy(dtype=bool)
    if "timestamp" in j and "h_ts" in j:
        no_turns = (turn.isna() | h_turn.isna()).to_numpy(dtype=bool)
        by_time = (pd.to_datetime(j["h_ts"]) < pd.to_datetime(j["timestamp"])).to_numpy(dtype=bool)
        earlier |= no_turns & by_time
    j = j[earlier & (j["h_id"] != j["interaction_id"]).to_numpy(dtype=bool)]
    j = j.assign(_t=pd.to_numeric(j["h_turn"], errors="coerce"))
    sort_cols = ["interaction_id", "_t"] + (["h_ts"] if "h_ts" in j else [])
    out: dict[str, str] = {}
    for iid, g in j.sort_values(sort_cols).groupby("interaction_id", sort=True):
        g = g.tail(turns)
        out[str(iid)] = json.dumps(
            [
                {"turn": None if pd.isna(t) else int(t), "query": q, "response": r}
                for t, q, r in zip(g["_t"], g["h_query"], g["h_response"], strict=True)
            ]
        )
    return out


def jsonl_records(cases: pd.DataFrame) -> list[dict]:
    """Cases as JSON-ready dicts: JSON columns parsed, dates as ISO strings."""
    recs = []
    for r in cases.to_dict("records"):
        rec = {}
        for k, v in r.items():
            if k in JSON_FIELDS and isinstance(v, str):
                with contextlib.suppress(json.JSONDecodeError):
                    v = json.loads(v)
            elif isinstance(v, (dt.date, pd.Timestamp)):
                v = pd.Timestamp(v).date().isoformat()
            elif v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
                v = None
            elif isinstance(v, np.integer) or (k in INT_FIELDS and isinstance(v, float)):
                v = int(v)
            rec[k] = v
        recs.append(rec)
    return recs


def _atomic_write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dedupe_for_dataset(all_cases: pd.DataFrame) -> pd.DataFrame:
    """One case per normalised query across days (earliest day wins), sorted by case_id."""
    if all_cases.empty:
        return all_cases
    df = all_cases.sort_values(["day", "case_id"])
    df = df.drop_duplicates("query_hash", keep="first") if "query_hash" in df else df
    return df.drop_duplicates("case_id", keep="first").sort_values("case_id").reset_index(drop=True)


TEXT_FIELDS = ("query", "context", "response", "failure", "judge_verdicts", "history")
"""Fields that carry customers' text (or judges' rationales quoting it)."""


def redact_records(records: list[dict]) -> list[dict]:
    """PII-masked copies of JSONL records: only the text fields (ids and hashes stay)."""
    return [
        {k: redact_value(v) if k in TEXT_FIELDS else v for k, v in rec.items()} for rec in records
    ]


def write_jsonl_files(
    folder: Path, day: dt.date, read_all: Callable[[], pd.DataFrame], *, raw_text: bool = False
) -> tuple[Path, Path, int]:
    """Rebuild ``cases.jsonl`` (whole dataset) and write ``YYYY-MM-DD.jsonl`` (the day).

    ``read_all`` reads the whole ``regression_cases`` table; it is called inside the
    file lock so two concurrent runs cannot publish a dataset missing the other's
    day. Files are written to a temporary name and renamed: readers never see half
    a file. Text fields are PII-redacted unless ``raw_text`` (the
    ``privacy.raw_text_in_regression`` setting): the files leave the warehouse.
    Returns both paths and the dataset's line count.
    """
    publish = (lambda recs: recs) if raw_text else redact_records
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".cases.lock"), timeout=600):
        all_cases = read_all()
        dataset = dedupe_for_dataset(all_cases)
        if len(all_cases):
            days = pd.to_datetime(all_cases["day"]).dt.date
            day_cases = all_cases[(days == day).to_numpy()].sort_values("case_id")
        else:
            day_cases = all_cases
        all_path = folder / "cases.jsonl"
        day_path = folder / f"{day.isoformat()}.jsonl"
        _atomic_write(
            all_path,
            [
                json.dumps(r, sort_keys=True, ensure_ascii=False)
                for r in publish(jsonl_records(dataset))
            ],
        )
        _atomic_write(
            day_path,
            [
                json.dumps(r, sort_keys=True, ensure_ascii=False)
                for r in publish(jsonl_records(day_cases))
            ],
        )
    return all_path, day_path, len(dataset)
