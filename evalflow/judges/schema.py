"""Column contracts of the judging tables and the structured verdict a judge must return.

``judge_scores`` is what every downstream stage reads; ``judge_calls`` is the trace of
every HTTP call (so spend is auditable and the daily budget can be counted from it);
``judge_cache`` makes a rerun of unchanged data free.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CORE_CRITERIA = ("faithfulness", "relevance", "safety", "helpfulness")
STATUSES = ("ok", "error", "over_budget", "not_applicable")
VERDICTS = ("pass", "fail", "uncertain")

COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day of the judged interaction (the partition)"),
    "interaction_id": ("VARCHAR", "the sampled interaction"),
    "criterion": ("VARCHAR", "faithfulness | relevance | safety | helpfulness | <custom rubric>"),
    "backend": ("VARCHAR", "heuristic | openai"),
    "model": ("VARCHAR", "judge model, e.g. gpt-4o-mini or heuristic-v1"),
    "judge_version": ("VARCHAR", "criterion + prompt/heuristic version + hash of its text"),
    "status": ("VARCHAR", "ok | error | over_budget | not_applicable"),
    "score": ("DOUBLE", "0-1, higher is better; NULL unless status = ok"),
    "passed": (
        "BOOLEAN",
        "the judge found evidence either way; NULL unless status = ok and verdict != uncertain",
    ),
    "verdict": (
        "VARCHAR",
        "pass | fail | uncertain (no evidence either way: unmeasured in KPIs, reviewed first);"
        " NULL unless status = ok",
    ),
    "label": ("VARCHAR", "short verdict label from the judge"),
    "rationale": ("VARCHAR", "why, in one or two sentences (or why not judged)"),
    "content_hash": ("VARCHAR", "sha256 of the redacted inputs the judge saw"),
    "cached": ("BOOLEAN", "result came from judge_cache, no new call"),
    "tokens_in": ("BIGINT", "prompt tokens spent by this run for this row"),
    "tokens_out": ("BIGINT", "completion tokens spent by this run for this row"),
    "cost_usd": ("DOUBLE", "dollars spent by this run for this row"),
    "latency_ms": ("DOUBLE", "wall time of the judgement (all attempts)"),
    "attempts": ("INTEGER", "HTTP attempts made (retries and repair included); 0 for heuristic"),
    "error": ("VARCHAR", "error text when status is error or over_budget"),
    "call_id": ("VARCHAR", "judge_calls.call_id of the call that produced the verdict"),
    "noise_std": (
        "DOUBLE",
        "spread over repeated judgements of the same input; NULL if not repeated",
    ),
}

CALL_COLUMNS: dict[str, tuple[str, str]] = {
    "call_id": ("VARCHAR", "unique id of one logical call (its retries included)"),
    "day": ("DATE", "partition day the call was made for (the budget is counted per day)"),
    "interaction_id": ("VARCHAR", "the interaction judged"),
    "criterion": ("VARCHAR", "criterion judged"),
    "model": ("VARCHAR", "model requested"),
    "purpose": (
        "VARCHAR",
        "primary | repeat (noise measurement) | repair (after a malformed reply)",
    ),
    "status": ("VARCHAR", "ok | malformed | error"),
    "attempts": ("INTEGER", "HTTP attempts (1 + retries)"),
    "http_status": ("INTEGER", "last HTTP status seen, NULL on connection errors/timeouts"),
    "tokens_in": ("BIGINT", "usage.prompt_tokens of the response"),
    "tokens_out": ("BIGINT", "usage.completion_tokens of the response"),
    "cost_usd": ("DOUBLE", "tokens priced with the configured per-1k prices"),
    "latency_ms": ("DOUBLE", "wall time including backoff waits"),
    "error": ("VARCHAR", "last error (API keys scrubbed)"),
    "request_sha256": ("VARCHAR", "sha256 of the exact request body sent"),
    "created_at": ("TIMESTAMP", "UTC time the call finished"),
}

CACHE_COLUMNS: dict[str, tuple[str, str]] = {
    "content_hash": ("VARCHAR", "sha256 of the redacted prompt inputs"),
    "criterion": ("VARCHAR", ""),
    "judge_version": ("VARCHAR", ""),
    "model": ("VARCHAR", ""),
    "sample": ("INTEGER", "0 = primary judgement, 1 = the noise repeat"),
    "score": ("DOUBLE", ""),
    "passed": ("BOOLEAN", ""),
    "label": ("VARCHAR", ""),
    "rationale": ("VARCHAR", ""),
    "call_id": ("VARCHAR", "the call that produced it"),
    "created_at": ("TIMESTAMP", ""),
}
CACHE_KEY = ("content_hash", "criterion", "judge_version", "model", "sample")


def verdict_of(status: str, passed: bool | None) -> str | None:
    """The three-way verdict of a judged row: NULL unless judged, ``uncertain`` when no evidence."""
    if status != "ok":
        return None
    if passed is None:
        return "uncertain"
    return "pass" if passed else "fail"


class JudgeVerdict(BaseModel):
    """The JSON object a model judge must reply with.

    ``score`` is accepted on the scale the prompt declares (1-5 or 0-1) and mapped to
    0-1 by :func:`normalise_score`; anything else is a schema violation that triggers
    the repair retry.
    """

    model_config = ConfigDict(extra="ignore")

    score: float = Field(ge=0.0, le=5.0)
    passed: bool
    label: str = Field(min_length=1)
    rationale: str = Field(min_length=1)

    @field_validator("label", "rationale", mode="after")
    @classmethod
    def _tidy(cls, v: str, info: object) -> str:
        """One line, bounded length: a verbose but valid verdict is kept, not repaired."""
        v = " ".join(v.split())
        if not v:
            raise ValueError("must not be blank")
        limit = 80 if getattr(info, "field_name", "") == "label" else 2000
        return v[:limit]


Scale = Literal["1-5", "0-1"]


def normalise_score(score: float, scale: Scale) -> float:
    """Map a verdict's score to 0-1; raise ``ValueError`` when it is off the declared scale."""
    if scale == "1-5":
        if not 1.0 <= score <= 5.0:
            raise ValueError(f"score {score:g} is outside the 1-5 scale")
        return (score - 1.0) / 4.0
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score {score:g} is outside the 0-1 scale")
    return float(score)
