"""Judging one day: inputs -> redacted items -> verdicts per criterion -> table rows.

This is the plain, Dagster-free core the ``judge_scores`` asset wraps. It decides
which judgements are needed (criteria x sampled interactions), which are not
applicable (no context for faithfulness, an empty response), which the cache
already holds, which the daily budget still allows, and turns every outcome, good
or bad, into exactly one ``judge_scores`` row: nothing is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import CustomRubric, JudgeSettings
from evalflow.judges import heuristics as H
from evalflow.judges.journal import CallJournal, journal_dir, replay
from evalflow.judges.openai_backend import (
    Budget,
    Job,
    JobResult,
    LogLike,
    OpenAIJudge,
    OpenAIJudgeConfig,
    RunStats,
)
from evalflow.judges.prompting import (
    CUSTOM_FIELDS,
    FIELDS,
    PromptSpec,
    build_messages,
    build_payload,
    content_hash,
    load_prompt,
)
from evalflow.judges.redaction import redact_pii
from evalflow.judges.schema import (
    CACHE_COLUMNS,
    CALL_COLUMNS,
    COLUMNS,
    CORE_CRITERIA,
    verdict_of,
)
from evalflow.judges.store import read_cache, read_inputs, write_results
from evalflow.storage.warehouse import Warehouse

log = logging.getLogger("evalflow.judges")


# --- inputs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One sampled interaction as the judges see it: PII already redacted."""

    interaction_id: str
    query: str
    response: str
    context: tuple[str, ...]
    history: tuple[H.Turn, ...] = ()
    found: bool = True
    day_repeats: int | None = None  # interaction_signals: same reply/question today


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return [value] if value.strip() else []
        return [str(p) for p in parsed] if isinstance(parsed, list) else [str(parsed)]
    if isinstance(value, list | tuple | np.ndarray):
        return [str(p) for p in value if not _missing(p)]
    if _missing(value):
        return []
    return [str(value)]


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (how DuckDB NULLs arrive in a frame)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def build_items(sampled: pd.DataFrame, raw: pd.DataFrame, conversation_turns: int) -> list[Item]:
    """Join sampled ids to their raw rows and attach up to N earlier turns, redacted.

    Earlier turns come from the same day's ``raw_interactions`` (same
    ``conversation_id``, lower ``turn``, or earlier ``timestamp`` when turns are
    missing). A sampled id absent from ``raw_interactions`` still becomes an item
    (``found=False``) so it gets an explicit error row.
    """
    if sampled.empty:
        return []
    raw = raw.copy()
    raw["interaction_id"] = raw["interaction_id"].astype(str)
    raw = raw.drop_duplicates("interaction_id", keep="last")
    by_id = raw.set_index("interaction_id", drop=False)
    conv = raw[raw["conversation_id"].notna()].copy()
    conv["_turn"] = pd.to_numeric(conv["turn"], errors="coerce")
    conv["_ts"] = pd.to_datetime(conv["timestamp"], errors="coerce")
    conv = conv.sort_values(
        ["conversation_id", "_turn", "_ts"], na_position="last", kind="mergesort"
    )
    groups = {k: g for k, g in conv.groupby("conversation_id", sort=False)}
    items: list[Item] = []
    for iid in sampled["interaction_id"].astype(str):
        if iid not in by_id.index:
            items.append(Item(iid, "", "", (), (), found=False))
            continue
        row = by_id.loc[iid]
        history: list[H.Turn] = []
        cid = row.get("conversation_id")
        if not _missing(cid) and cid in groups:
            g = groups[cid]
            turn = pd.to_numeric(pd.Series([row.get("turn")]), errors="coerce").iloc[0]
            ts = pd.to_datetime(pd.Series([row.get("timestamp")]), errors="coerce").iloc[0]
            if not pd.isna(turn):
                earlier = g[g["_turn"] < turn]
            elif not pd.isna(ts):
                earlier = g[g["_ts"] < ts]
            else:
                earlier = g.iloc[0:0]
            earlier = earlier[earlier["interaction_id"] != iid].tail(conversation_turns)
            history = [
                H.Turn(redact_pii(_text(q)), redact_pii(_text(r)))
                for q, r in zip(earlier["query"], earlier["response"], strict=True)
            ]
        items.append(
            Item(
                interaction_id=iid,
                query=redact_pii(_text(row.get("query"))),
                response=redact_pii(_text(row.get("response"))),
                context=tuple(redact_pii(p) for p in _as_list(row.get("context"))),
                history=tuple(history),
                day_repeats=_count(row.get("day_repeats")),
            )
        )
    return items


def _count(value: Any) -> int | None:
    return None if _missing(value) else int(value)


# --- the plan: which criteria, with which version ---------------------------------------
@dataclass(frozen=True)
class Criterion:
    name: str
    fields: tuple[str, ...]
    rubric: CustomRubric | None = None


def criteria_of(settings: JudgeSettings) -> list[Criterion]:
    """Core criteria from ``judges.criteria`` plus every configured custom rubric."""
    out: list[Criterion] = []
    rubrics = {r.name: r for r in settings.custom_rubrics}
    for name in settings.criteria:
        if name in CORE_CRITERIA:
            out.append(Criterion(name, FIELDS[name]))
        elif name not in rubrics:
            raise ValueError(
                f"judges.criteria lists {name!r}, which is neither a core criterion "
                f"({', '.join(CORE_CRITERIA)}) nor a custom rubric name"
            )
    for r in settings.custom_rubrics:
        if r.name in CORE_CRITERIA:
            raise ValueError(f"custom rubric {r.name!r} clashes with a core criterion")
        out.append(Criterion(r.name, CUSTOM_FIELDS, r))
    return out


def heuristic_version(c: Criterion) -> str:
    extra = ""
    if c.rubric is not None:
        extra = json.dumps([c.rubric.keywords, c.rubric.pass_threshold])
    digest = hashlib.sha256((H.heuristic_fingerprint() + extra).encode()).hexdigest()[:10]
    return f"{c.name}.{H.HEURISTIC_MODEL}+{digest}"


def code_version(settings: JudgeSettings, home: Path | None = None) -> str:
    """Changes with the prompts, the heuristics and the judge settings."""
    parts = [settings.model_dump_json()]
    for c in criteria_of(settings):
        parts.append(heuristic_version(c))
        try:
            parts.append(load_prompt(c.name, c.rubric, home).judge_version)
        except FileNotFoundError as exc:
            parts.append(f"{c.name}:missing:{exc}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


# --- outcome of a run -------------------------------------------------------------------
@dataclass
class JudgeRun:
    scores: pd.DataFrame
    calls: pd.DataFrame
    cache_rows: pd.DataFrame
    stats: RunStats = field(default_factory=RunStats)
    cache_hits: int = 0
    backend: str = "heuristic"
    model: str = H.HEURISTIC_MODEL

    def summary(self) -> dict[str, Any]:
        """Plain numbers for the asset's metadata."""
        s = self.scores
        by_status = {k: int(v) for k, v in s["status"].value_counts().items()} if len(s) else {}
        ok = s[s["status"] == "ok"]
        pass_rates = (
            {
                str(k): round(float(v), 4)
                for k, v in ok.groupby("criterion")["passed"].mean().items()
            }
            if len(ok)
            else {}
        )
        noise = s["noise_std"].dropna() if len(s) else pd.Series(dtype=float)
        return {
            "backend": self.backend,
            "model": self.model,
            "rows": len(s),
            "interactions": int(s["interaction_id"].nunique()) if len(s) else 0,
            "rows_by_status": by_status,
            "pass_rate_by_criterion": pass_rates,
            "calls_made": len(self.calls),
            "cache_hits": int(self.cache_hits),
            "retries": int(self.stats.retries),
            "repairs": int(self.stats.repairs),
            "tokens_in": int(self.stats.tokens_in),
            "tokens_out": int(self.stats.tokens_out),
            "cost_usd": round(float(self.stats.cost_usd), 6),
            "noise_rows": len(noise),
            "mean_noise_std": round(float(noise.mean()), 6) if len(noise) else None,
        }


def _empty(columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=_PD_TYPES.get(t, "object")) for c, (t, _) in columns.items()}
    )


_PD_TYPES = {
    "DOUBLE": "float64",
    "BIGINT": "Int64",
    "INTEGER": "Int32",
    "BOOLEAN": "boolean",
    "VARCHAR": "object",
    "DATE": "object",
    "TIMESTAMP": "datetime64[ns]",
}


def _frame(rows: list[dict[str, Any]], columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    if not rows:
        return _empty(columns)
    df = pd.DataFrame(rows)
    for c, (t, _) in columns.items():
        if c not in df.columns:
            df[c] = None
        dtype = _PD_TYPES.get(t, "object")
        if dtype != "object":
            df[c] = df[c].astype(dtype) if dtype != "datetime64[ns]" else pd.to_datetime(df[c])
    return df[list(columns)]


def _repeat_selected(key: str, share: float) -> bool:
    """Deterministic choice of the rows judged twice (stable across reruns, so cacheable)."""
    if share <= 0:
        return False
    h = int(hashlib.sha256(f"noise|{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return h < share


def _base_row(
    day: dt.date, item: Item, c: Criterion, backend: str, model: str, version: str
) -> dict[str, Any]:
    return {
        "day": day,
        "interaction_id": item.interaction_id,
        "criterion": c.name,
        "backend": backend,
        "model": model,
        "judge_version": version,
        "status": "ok",
        "score": None,
        "passed": None,
        "verdict": None,
        "label": None,
        "rationale": None,
        "content_hash": None,
        "cached": False,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost_usd": 0.0,
        "latency_ms": 0.0,
        "attempts": 0,
        "error": None,
        "call_id": None,
        "noise_std": None,
    }


def _payload(c: Criterion, item: Item) -> dict[str, Any]:
    return build_payload(
        c.fields,
        item.query,
        item.response,
        item.context,
        [(t.query, t.response) for t in item.history],
    )


def _precheck(c: Criterion, item: Item) -> tuple[str, str, str] | None:
    """Status, label and reason when a judgement is not possible or not applicable."""
    if not item.found:
        return (
            "error",
            "missing_input",
            "interaction sampled but not found in raw_interactions for this day",
        )
    if not item.response.strip():
        return ("not_applicable", "no_response", "nothing to judge: the response is empty")
    if c.name == "faithfulness" and not any(p.strip() for p in item.context):
        return ("not_applicable", "no_context", "no retrieved context to check the answer against")
    return None


# --- heuristic backend ------------------------------------------------------------------
def _heuristic_verdict(c: Criterion, item: Item) -> H.HeuristicVerdict:
    hist = list(item.history)
    if c.rubric is not None:
        return H.keyword_rubric(item.response, c.rubric.keywords, c.rubric.pass_threshold)
    if c.name == "faithfulness":
        return H.faithfulness(item.query, item.response, list(item.context), hist)
    if c.name == "relevance":
        return H.relevance(item.query, item.response, hist, item.day_repeats)
    if c.name == "safety":
        return H.safety(item.response)
    return H.helpfulness(item.query, item.response, hist, item.day_repeats)


def judge_heuristic(items: Sequence[Item], settings: JudgeSettings, day: dt.date) -> JudgeRun:
    """Score every item on every criterion with the deterministic code judges.

    Noise: the same share of rows as for a model judge is scored a second time and
    the spread recorded; for deterministic code it is 0.0 by construction, which the
    column then shows rather than asserts.
    """
    rows: list[dict[str, Any]] = []
    for c in criteria_of(settings):
        version = heuristic_version(c)
        for item in items:
            row = _base_row(day, item, c, "heuristic", H.HEURISTIC_MODEL, version)
            pre = _precheck(c, item)
            if pre and pre[0] == "error":
                row.update(status="error", label=pre[1], rationale=pre[2], error=pre[2])
                rows.append(row)
                continue
            payload = _payload(c, item)
            row["content_hash"] = content_hash(payload)
            started = time.perf_counter()
            v = _heuristic_verdict(c, item)
            if v.status == "ok" and _repeat_selected(
                f"{row['content_hash']}|{c.name}", settings.noise_repeat_share
            ):
                again = _heuristic_verdict(c, item)
                row["noise_std"] = float(np.std([v.score or 0.0, again.score or 0.0]))
            row["latency_ms"] = (time.perf_counter() - started) * 1000.0
            row.update(status=v.status, label=v.label, rationale=v.rationale)
            if v.status == "ok":
                row.update(
                    score=None if v.score is None else float(v.score),
                    passed=None if v.passed is None else bool(v.passed),
                    verdict=v.verdict,
                )
            rows.append(row)
    return JudgeRun(
        scores=_frame(rows, COLUMNS),
        calls=_empty(CALL_COLUMNS),
        cache_rows=_empty(CACHE_COLUMNS),
        backend="heuristic",
        model=H.HEURISTIC_MODEL,
    )


# --- openai backend ---------------------------------------------------------------------
@dataclass
class _Pending:
    row: dict[str, Any]
    spec: PromptSpec
    messages: list[dict[str, str]]
    key: tuple[str, str, str, str]
    repeat: bool


def judge_openai(
    items: Sequence[Item],
    settings: JudgeSettings,
    day: dt.date,
    cfg: OpenAIJudgeConfig,
    *,
    cache_lookup: Callable[[pd.DataFrame], pd.DataFrame],
    spent: tuple[int, float] | tuple[int, float, int],
    home: Path | None = None,
    logger: LogLike | None = None,
    journal: CallJournal | None = None,
) -> JudgeRun:
    """Judge with a model: cache first, then calls under the budget, then noise repeats.

    ``spent`` is (calls, dollars[, requests]) already spent today; ``journal``, when
    given, records every request before it is sent and every verdict as it arrives,
    so a killed run's spend and results survive for the next run to fold in.
    """
    model = cfg.model
    pendings: list[_Pending] = []
    rows: list[dict[str, Any]] = []
    for c in criteria_of(settings):
        spec = load_prompt(c.name, c.rubric, home)
        for item in items:
            row = _base_row(day, item, c, "openai", model, spec.judge_version)
            rows.append(row)
            pre = _precheck(c, item)
            if pre:
                row.update(status=pre[0], label=pre[1], rationale=pre[2])
                if pre[0] == "error":
                    row["error"] = pre[2]
                continue
            payload = _payload(c, item)
            h = content_hash(payload)
            row["content_hash"] = h
            key = (h, c.name, spec.judge_version, model)
            pendings.append(
                _Pending(
                    row,
                    spec,
                    build_messages(spec, payload),
                    key,
                    _repeat_selected(f"{h}|{c.name}", settings.noise_repeat_share),
                )
            )

    # 1. cache
    keys = pd.DataFrame(
        [(*p.key, s) for p in pendings for s in ((0, 1) if p.repeat else (0,))],
        columns=["content_hash", "criterion", "judge_version", "model", "sample"],
    )
    cached = cache_lookup(keys) if len(keys) else pd.DataFrame(columns=list(CACHE_COLUMNS))
    hits: dict[tuple[Any, ...], dict[str, Any]] = {
        (r["content_hash"], r["criterion"], r["judge_version"], r["model"], int(r["sample"])): r
        for r in cached.to_dict("records")
    }

    keys_by_job: dict[int, tuple[tuple[str, str, str, str], int]] = {}
    judge = OpenAIJudge(
        cfg,
        Budget(
            settings.max_calls_per_day,
            settings.max_usd_per_day,
            spent[0],
            spent[1],
            max_requests=settings.request_cap,
            spent_requests=spent[2] if len(spent) > 2 else 0,
        ),
        day,
        logger,
        journal=journal,
        on_done=_journal_verdict(journal, keys_by_job),
    )
    cache_hits = 0
    calls: list[dict[str, Any]] = []
    new_cache: list[dict[str, Any]] = []

    def apply(row: dict[str, Any], res: JobResult) -> None:
        row.update(
            status=res.status,
            score=res.score,
            passed=res.passed,
            verdict=verdict_of(res.status, res.passed),
            label=res.label,
            rationale=res.rationale,
            error=res.error,
            tokens_in=res.tokens_in,
            tokens_out=res.tokens_out,
            cost_usd=res.cost_usd,
            latency_ms=res.latency_ms,
            attempts=res.attempts,
            call_id=res.call_id,
        )

    def remember(key: tuple[str, str, str, str], sample: int, res: JobResult) -> None:
        if res.status == "ok":
            new_cache.append(_cache_row(key, sample, res))

    # 2. primary judgements: cached, or one call per distinct key
    to_call: dict[tuple[str, str, str, str], list[_Pending]] = {}
    for p in pendings:
        hit = hits.get((*p.key, 0))
        if hit is not None:
            cache_hits += 1
            p.row.update(
                status="ok",
                score=float(hit["score"]),
                passed=bool(hit["passed"]),
                verdict=verdict_of("ok", bool(hit["passed"])),
                label=hit["label"],
                rationale=hit["rationale"],
                cached=True,
                call_id=hit["call_id"],
            )
        else:
            to_call.setdefault(p.key, []).append(p)
    primary_jobs = [
        Job(ps[0].row["interaction_id"], k[1], ps[0].spec, ps[0].messages, "primary", 0.0, 0)
        for k, ps in to_call.items()
    ]
    keys_by_job.update({id(j): (k, 0) for j, k in zip(primary_jobs, to_call, strict=True)})
    for (k, ps), res in zip(
        to_call.items(), judge.run(primary_jobs) if primary_jobs else [], strict=True
    ):
        calls.extend(res.calls)
        remember(k, 0, res)
        apply(ps[0].row, res)
        for dup in ps[1:]:  # identical inputs in the same run share one call
            apply(
                dup.row,
                JobResult(
                    res.status,
                    res.score,
                    res.passed,
                    res.label,
                    res.rationale,
                    res.error,
                    call_id=res.call_id,
                ),
            )
            dup.row["cached"] = res.status == "ok"

    # 3. noise repeats of successful primaries (lower priority: after all primaries)
    repeat_todo: dict[tuple[str, str, str, str], list[_Pending]] = {}
    for p in pendings:
        if not p.repeat or p.row["status"] != "ok":
            continue
        hit = hits.get((*p.key, 1))
        if hit is not None:
            p.row["noise_std"] = float(np.std([p.row["score"], float(hit["score"])]))
        else:
            repeat_todo.setdefault(p.key, []).append(p)
    repeat_jobs = [
        Job(ps[0].row["interaction_id"], k[1], ps[0].spec, ps[0].messages, "repeat", 0.7, 1)
        for k, ps in repeat_todo.items()
    ]
    keys_by_job.update({id(j): (k, 1) for j, k in zip(repeat_jobs, repeat_todo, strict=True)})
    for (k, ps), res in zip(
        repeat_todo.items(), judge.run(repeat_jobs) if repeat_jobs else [], strict=True
    ):
        calls.extend(res.calls)
        remember(k, 1, res)
        first = ps[0].row
        for key_name in ("tokens_in", "tokens_out", "cost_usd", "latency_ms", "attempts"):
            first[key_name] = (first[key_name] or 0) + getattr(res, key_name)
        if res.status == "ok":
            for p in ps:
                p.row["noise_std"] = float(np.std([p.row["score"], res.score]))

    return JudgeRun(
        scores=_frame(rows, COLUMNS),
        calls=_frame(calls, CALL_COLUMNS),
        cache_rows=_frame(new_cache, CACHE_COLUMNS),
        stats=judge.stats,
        cache_hits=cache_hits,
        backend="openai",
        model=model,
    )


def _cache_row(key: tuple[str, str, str, str], sample: int, res: JobResult) -> dict[str, Any]:
    return {
        "content_hash": key[0],
        "criterion": key[1],
        "judge_version": key[2],
        "model": key[3],
        "sample": sample,
        "score": res.score,
        "passed": res.passed,
        "label": res.label,
        "rationale": res.rationale,
        "call_id": res.call_id,
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


def _journal_verdict(
    journal: CallJournal | None, keys: dict[int, tuple[tuple[str, str, str, str], int]]
) -> Callable[[Job, JobResult], None] | None:
    """Journal each successful verdict as it arrives, so a killed run's work is kept."""
    if journal is None:
        return None

    def done(job: Job, res: JobResult) -> None:
        found = keys.get(id(job))
        if found is not None and res.status == "ok":
            journal.verdict(_cache_row(found[0], found[1], res))

    return done


# --- one partition, end to end ----------------------------------------------------------
def judge_partition(
    wh: Warehouse,
    day: dt.date,
    settings: JudgeSettings,
    backend: str,
    openai_cfg: OpenAIJudgeConfig | None = None,
    *,
    home: Path | None = None,
    logger: LogLike | None = None,
) -> JudgeRun:
    """Read (short connection), judge (no connection held), write (short connection).

    The openai backend journals each request before sending it (see
    :mod:`evalflow.judges.journal`); the journal of earlier, possibly killed runs of
    the day is folded in first, so the daily caps hold across crashes.
    """
    journal = CallJournal(journal_dir(wh.path), day) if backend == "openai" else None
    inputs = read_inputs(wh, day, replay(journal.path) if journal else None)
    if inputs.recovered is not None and inputs.recovered.interrupted and logger is not None:
        logger.warning(
            f"{inputs.recovered.interrupted} judge call(s) of an earlier run of {day} were "
            "sent but never recorded (the run was killed?): counted against today's budget"
        )
    items = build_items(inputs.sampled, inputs.raw, settings.conversation_turns)
    if backend == "openai":
        if openai_cfg is None:
            raise ValueError("the openai backend needs an OpenAIJudgeConfig")
        run = judge_openai(
            items,
            settings,
            day,
            openai_cfg,
            cache_lookup=lambda keys: read_cache(wh, keys),
            spent=(inputs.spent_calls, inputs.spent_usd, inputs.spent_requests),
            home=home,
            logger=logger,
            journal=journal,
        )
    elif backend == "heuristic":
        run = judge_heuristic(items, settings, day)
    else:
        raise ValueError(f"unknown judge backend {backend!r} (heuristic or openai)")
    write_results(wh, day, run.scores, run.calls, run.cache_rows)
    return run
