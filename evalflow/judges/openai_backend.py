"""The ``openai`` judge backend: any OpenAI-compatible chat-completions endpoint.

Built on the official ``openai`` client (``AsyncOpenAI(max_retries=0)``) with the
production concerns made explicit rather than left to defaults:

* bounded concurrency (``asyncio.Semaphore``) and a requests-per-minute limiter
  (``aiolimiter``), so a day of judging neither floods the endpoint nor stalls;
* retries we control (tenacity): exponential backoff with jitter on 429, 5xx,
  timeouts and connection errors, honouring ``Retry-After``/``retry-after-ms``;
  every retry is logged and counted, and attempts are recorded per call;
* a HARD daily budget in calls and dollars: before each call the worst-case cost
  (every request byte a token, plus ``max_tokens`` out) is reserved, so concurrent
  calls can never overshoot; what is left over becomes ``over_budget``, not a crash;
* JSON-mode replies validated against :class:`~evalflow.judges.schema.JudgeVerdict`,
  with one repair call on a malformed reply and then ``status='error'`` with why;
* a trace row for every call (``judge_calls``) with tokens from ``usage`` and cost
  from the configured prices;
* the API key is never logged or stored: every error text passes :func:`scrub`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import openai
from aiolimiter import AsyncLimiter
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from evalflow.judges.journal import CallJournal
from evalflow.judges.prompting import PromptSpec, repair_messages
from evalflow.judges.schema import JudgeVerdict, normalise_score

log = logging.getLogger("evalflow.judges")
T = TypeVar("T")

RETRY_AFTER_CAP_S = 60.0
"""Never sleep longer than this on one Retry-After (a bad header must not hang a run)."""


class LogLike(Protocol):
    def info(self, msg: str) -> Any: ...
    def warning(self, msg: str) -> Any: ...


# --- secrets hygiene ----------------------------------------------------------------------
_KEYLIKE = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
_BEARER = re.compile(r"(?i)bearer\s+\S+")


def scrub(text: object, secrets: Sequence[str] = ()) -> str:
    """Remove API keys (the configured one and anything key-shaped) from a message."""
    out = str(text)
    for s in secrets:
        if s and len(s) >= 4:
            out = out.replace(s, "[REDACTED]")
    out = _BEARER.sub("Bearer [REDACTED]", out)
    out = _KEYLIKE.sub("sk-[REDACTED]", out)
    return out[:1000]


# --- configuration and budget ------------------------------------------------------------
@dataclass(frozen=True)
class OpenAIJudgeConfig:
    """Everything the backend needs; ``api_key`` is excluded from ``repr``."""

    model: str
    base_url: str | None
    api_key: str = field(repr=False)
    max_concurrency: int = 16
    requests_per_minute: int = 600
    timeout_s: float = 30.0
    max_retries: int = 4
    usd_per_1k_input_tokens: float = 0.00015
    usd_per_1k_output_tokens: float = 0.0006
    max_tokens: int = 300
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (
            tokens_in * self.usd_per_1k_input_tokens + tokens_out * self.usd_per_1k_output_tokens
        ) / 1000.0


class Budget:
    """The day's hard caps, shared by all concurrent calls of one run.

    Two units: logical *calls* (``max_calls_per_day``, the documented unit; a repair
    is its own call) and HTTP *requests* (``max_requests_per_day``: every attempt,
    retries included), so the provider's bill is bounded by the config alone.
    ``spent_*`` start from what ``judge_calls`` holds for the day, after the crash
    journal has been folded in. A call reserves its first request and its worst-case
    cost before it is sent and settles the real cost after, so the caps hold under any
    concurrency. Single event loop: no awaits happen between a check and its
    reservation, so no lock is needed.
    """

    def __init__(
        self,
        max_calls: int,
        max_usd: float,
        spent_calls: int = 0,
        spent_usd: float = 0.0,
        max_requests: int | None = None,
        spent_requests: int = 0,
    ):
        self.max_calls = max_calls
        self.max_usd = max_usd
        self.max_requests = max_requests
        self.calls = spent_calls
        self.usd = spent_usd
        self.requests = spent_requests
        self.reserved = 0.0
        self.denied = 0
        self.requests_denied = 0

    def _request_room(self) -> bool:
        return self.max_requests is None or self.requests + 1 <= self.max_requests

    def try_reserve(self, worst_usd: float) -> bool:
        """Reserve one call, its first request and its worst-case cost, or refuse."""
        if (
            self.calls + 1 > self.max_calls
            or not self._request_room()
            or self.usd + self.reserved + worst_usd > self.max_usd + 1e-12
        ):
            self.denied += 1
            return False
        self.calls += 1
        self.requests += 1
        self.reserved += worst_usd
        return True

    def try_request(self) -> bool:
        """Reserve one more HTTP request (a retry of an already reserved call)."""
        if not self._request_room():
            self.requests_denied += 1
            return False
        self.requests += 1
        return True

    def settle(self, worst_usd: float, actual_usd: float) -> None:
        self.reserved -= worst_usd
        self.usd += actual_usd

    def describe(self) -> str:
        requests = f", {self.max_requests} requests" if self.max_requests is not None else ""
        return (
            f"daily judge budget exhausted ({self.max_calls} calls{requests} / "
            f"${self.max_usd:.2f} per day; used {self.calls} calls, {self.requests} requests, "
            f"${self.usd:.4f})"
        )


# --- jobs and results --------------------------------------------------------------------
@dataclass
class Job:
    """One judgement to obtain from the model."""

    interaction_id: str
    criterion: str
    spec: PromptSpec
    messages: list[dict[str, str]]
    purpose: str = "primary"  # or "repeat" (noise measurement)
    temperature: float = 0.0
    seed: int = 0


@dataclass
class JobResult:
    status: str  # ok | error | over_budget
    score: float | None = None
    passed: bool | None = None
    label: str | None = None
    rationale: str | None = None
    error: str | None = None
    attempts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    call_id: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunStats:
    calls: int = 0
    retries: int = 0
    repairs: int = 0
    over_budget: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0


class _Malformed(Exception):
    pass


class _RequestCap(Exception):
    """The day's request cap leaves no room for another retry of this call."""


class _Fatal(Exception):
    """Another call learned the endpoint refuses us (bad key, unknown model): stop."""


def parse_verdict(content: str | None, spec: PromptSpec) -> tuple[float, bool, str, str]:
    """Validate a reply; return (score 0-1, passed, label, rationale) or raise ``_Malformed``."""
    if not content or not content.strip():
        raise _Malformed("empty reply")
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise _Malformed(f"not JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(data, dict):
        raise _Malformed("the reply is JSON but not an object")
    try:
        verdict = JudgeVerdict.model_validate(data)
        score = normalise_score(verdict.score, spec.scale)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in exc.errors()
        )
        raise _Malformed(f"schema violation: {problems}") from None
    except ValueError as exc:
        raise _Malformed(f"schema violation: {exc}") from None
    # The verdict follows from the score and the rubric's threshold, so a reply that
    # says passed=true with a failing score (e.g. after an injection) cannot pass.
    return score, score >= spec.pass_threshold, verdict.label, verdict.rationale[:1000]


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | openai.RateLimitError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, then ``Retry-After``)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        now = dt.datetime.now(parsed.tzinfo or dt.UTC)
        return max(0.0, (parsed - now).total_seconds())


def _http_status(exc: BaseException | None) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


class OpenAIJudge:
    """Runs jobs against the endpoint under the concurrency, rate and budget limits."""

    def __init__(
        self,
        cfg: OpenAIJudgeConfig,
        budget: Budget,
        day: dt.date,
        logger: LogLike | None = None,
        client_factory: Callable[[OpenAIJudgeConfig], openai.AsyncOpenAI] | None = None,
        journal: CallJournal | None = None,
        on_done: Callable[[Job, JobResult], None] | None = None,
    ):
        self.cfg = cfg
        self.journal = journal
        self._on_done = on_done
        self.budget = budget
        self.day = day
        self.logger: LogLike = logger or log
        self.stats = RunStats()
        self._client_factory = client_factory or _default_client
        self._fatal: str | None = None
        self._secrets = (cfg.api_key,)

    # -- public -------------------------------------------------------------------------
    def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Synchronous entry point (Dagster assets are sync)."""
        return run_coroutine(self.run_async(jobs))

    async def run_async(self, jobs: Sequence[Job]) -> list[JobResult]:
        started = time.perf_counter()
        self._sem = asyncio.Semaphore(self.cfg.max_concurrency)
        self._limiter = smooth_limiter(self.cfg.requests_per_minute)
        client = self._client_factory(self.cfg)
        try:
            results = await asyncio.gather(*(self._judge(client, job) for job in jobs))
        finally:
            await client.close()
        self.stats.wall_s = time.perf_counter() - started
        return list(results)

    # -- one judgement: a call, and possibly one repair call ------------------------------
    async def _judge(self, client: openai.AsyncOpenAI, job: Job) -> JobResult:
        result = await self._judge_once(client, job)
        if self._on_done is not None:  # e.g. journal the verdict the moment it exists
            self._on_done(job, result)
        return result

    async def _judge_once(self, client: openai.AsyncOpenAI, job: Job) -> JobResult:
        result = JobResult(status="error")
        first = await self._call(client, job, job.messages, job.purpose, result)
        if first is None:
            return result
        try:
            result.score, result.passed, result.label, result.rationale = parse_verdict(
                first, job.spec
            )
            result.status = "ok"
            return result
        except _Malformed as exc:
            reason = str(exc)
        self.stats.repairs += 1
        self.logger.warning(
            f"judge reply malformed ({job.criterion}, {job.interaction_id}): {reason}; one repair attempt"
        )
        second = await self._call(
            client, job, repair_messages(job.messages, first, reason), "repair", result
        )
        if second is None:
            if result.status == "over_budget":
                result.status = "error"
                result.error = (
                    f"malformed reply ({reason}); repair skipped: {self.budget.describe()}"
                )
            else:
                result.error = f"malformed reply ({reason}); repair call failed: {result.error}"
            return result
        try:
            result.score, result.passed, result.label, result.rationale = parse_verdict(
                second, job.spec
            )
            result.status = "ok"
            result.error = None
        except _Malformed as exc2:
            result.status = "error"
            result.error = f"malformed reply after one repair attempt: {exc2} (first: {reason})"
        return result

    async def _call(
        self,
        client: openai.AsyncOpenAI,
        job: Job,
        messages: list[dict[str, str]],
        purpose: str,
        result: JobResult,
    ) -> str | None:
        """One logical call with its retries; updates ``result``; returns the reply text."""
        body = {
            "model": self.cfg.model,
            "messages": messages,
            "temperature": job.temperature,
            "seed": job.seed,
            "max_tokens": self.cfg.max_tokens,
            "response_format": {"type": "json_object"},
        }
        blob = json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
        worst = self.cfg.cost(len(blob), self.cfg.max_tokens)
        call_id = uuid.uuid4().hex
        digest = hashlib.sha256(blob).hexdigest()
        ident = {
            "call_id": call_id,
            "day": self.day,
            "interaction_id": job.interaction_id,
            "criterion": job.criterion,
            "model": self.cfg.model,
            "purpose": purpose,
        }
        async with self._sem:
            if self._fatal:  # checked after waiting for a slot: it may have been set meanwhile
                result.status, result.error = "error", self._fatal
                self.stats.errors += 1
                return None
            if not self.budget.try_reserve(worst):
                result.status, result.error = "over_budget", self.budget.describe()
                self.stats.over_budget += 1
                return None
            self.stats.calls += 1
            started = time.perf_counter()
            completion, attempts, last_exc = await self._send(
                client, body, job, {**ident, "request_sha256": digest}, worst
            )
            latency_ms = (time.perf_counter() - started) * 1000.0
        tokens_in, tokens_out, usage_known, content = _read_completion(completion)
        # Without usage we charge the reserved worst case: the budget must stay hard.
        cost = self.cfg.cost(tokens_in, tokens_out) if usage_known or completion is None else worst
        self.budget.settle(worst, cost)
        self.stats.retries += max(attempts - 1, 0)
        self.stats.tokens_in += tokens_in
        self.stats.tokens_out += tokens_out
        self.stats.cost_usd += cost
        error = None
        status = "ok"
        if last_exc is not None:
            error = (
                str(last_exc)
                if isinstance(last_exc, _Fatal | _RequestCap)
                else scrub(f"{type(last_exc).__name__}: {last_exc}", self._secrets)
            )
            status = "error"
            if isinstance(
                last_exc,
                openai.AuthenticationError | openai.PermissionDeniedError | openai.NotFoundError,
            ):
                self._fatal = (
                    f"judge endpoint refused the request, not retrying further calls: {error}"
                )
        elif content is None:
            status, error = "malformed", "the reply had no message content"
        row = {
            **ident,
            "status": status,
            "attempts": attempts,
            "http_status": _http_status(last_exc) if last_exc else 200,
            "tokens_in": tokens_in if usage_known else None,
            "tokens_out": tokens_out if usage_known else None,
            "cost_usd": cost,
            "latency_ms": latency_ms,
            "error": error,
            "request_sha256": digest,
            "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        }
        if self.journal is not None:
            self.journal.call(row)
        result.calls.append(row)
        result.attempts += attempts
        result.tokens_in += tokens_in
        result.tokens_out += tokens_out
        result.cost_usd += cost
        result.latency_ms += latency_ms
        result.call_id = call_id
        if last_exc is not None:
            result.status, result.error = "error", error
            self.stats.errors += 1
            return None
        if content is None:
            return ""
        return content

    async def _send(
        self,
        client: openai.AsyncOpenAI,
        body: dict[str, Any],
        job: Job,
        ident: dict[str, Any],
        worst: float,
    ) -> tuple[Any, int, BaseException | None]:
        """The HTTP attempts of one reserved call: (completion, attempts, last error).

        Each retry must fit the day's request cap, and each attempt is journaled before
        it is sent, so neither a retry storm nor a crash can spend past the caps.
        """
        attempts = 0
        completion: Any = None
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.cfg.max_retries + 1),
                wait=self._wait,
                retry=retry_if_exception(_retryable),
                before_sleep=self._before_sleep(job, ident["call_id"]),
                sleep=self._sleep_outside_semaphore,
                reraise=True,
            ):
                with attempt:
                    if self._fatal:
                        raise _Fatal(self._fatal)
                    if attempts and not self.budget.try_request():
                        raise _RequestCap(
                            f"retries stopped after {attempts} attempt(s): {self.budget.describe()}"
                        )
                    attempts += 1
                    if self.journal is not None:  # durable before the bytes leave
                        self.journal.request(ident, attempts, worst)
                    async with self._limiter:
                        completion = await client.chat.completions.create(
                            **body, timeout=self.cfg.timeout_s
                        )
        except Exception as exc:  # every failure becomes a row, never a crashed run
            return completion, attempts, exc
        return completion, attempts, None

    # -- retry plumbing ---------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc)
        if asked is not None:
            return min(asked, RETRY_AFTER_CAP_S)
        # exponential backoff with full jitter
        ceiling = min(
            self.cfg.backoff_max_s, self.cfg.backoff_base_s * 2 ** (state.attempt_number - 1)
        )
        return random.uniform(0.0, ceiling)

    def _before_sleep(self, job: Job, call_id: str) -> Callable[[RetryCallState], None]:
        def hook(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            self.logger.warning(
                f"judge call {call_id[:8]} ({job.criterion}, {job.interaction_id}) attempt "
                f"{state.attempt_number} failed: {scrub(type(exc).__name__ + ': ' + str(exc), self._secrets)[:200]}"
                f"; retrying in {wait:.2f}s"
            )

        return hook

    async def _sleep_outside_semaphore(self, seconds: float) -> None:
        """Back off without holding a concurrency slot, so others keep the endpoint busy."""
        self._sem.release()
        try:
            await asyncio.sleep(seconds)
        finally:
            await self._sem.acquire()


def _read_completion(completion: Any) -> tuple[int, int, bool, str | None]:
    """(tokens in, tokens out, whether usage was reported, reply text) of a completion."""
    if completion is None:
        return 0, 0, False, None
    usage = getattr(completion, "usage", None)
    tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0) if usage is not None else 0
    tokens_out = int(getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0
    choices = getattr(completion, "choices", None) or []
    content = choices[0].message.content if choices else None
    return tokens_in, tokens_out, usage is not None, content


def smooth_limiter(requests_per_minute: int) -> AsyncLimiter:
    """A per-second token bucket for a per-minute limit.

    ``AsyncLimiter(rpm, 60)`` would allow the whole minute's quota as one burst at
    start-up, which providers that enforce limits over shorter windows answer with
    429s; spreading it (``rpm/60`` per second, or one call every ``60/rpm`` seconds
    below 60 rpm) keeps the same average without the burst.
    """
    if requests_per_minute >= 60:
        return AsyncLimiter(requests_per_minute / 60.0, 1.0)
    return AsyncLimiter(1, 60.0 / requests_per_minute)


def _default_client(cfg: OpenAIJudgeConfig) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=cfg.base_url or None,
        api_key=cfg.api_key,
        max_retries=0,  # retries are ours: observable and budget-aware
        timeout=cfg.timeout_s,
    )


def run_coroutine(coro: Coroutine[Any, Any, T] | Awaitable[T]) -> T:
    """``asyncio.run``, or a helper thread when a loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="evalflow-judge-loop")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
