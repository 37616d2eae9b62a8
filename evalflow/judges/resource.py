"""``JudgeResource``: which judge backend and endpoint the ``judge_scores`` asset uses.

Values come from environment variables (``EVALFLOW_JUDGE``, ``EVALFLOW_JUDGE_MODEL``,
``OPENAI_BASE_URL``, ``OPENAI_API_KEY``) and fall back to ``judges:`` in
``evalflow.yaml`` when unset. In ``RESOURCES`` (see ``evalflow.judges.assets``) a
variable that is set at load time is wired as a Dagster ``EnvVar``, so the UI shows
the variable's name, never the key; an unset one stays empty and is looked up again
at run time, because Dagster refuses to launch a run whose ``EnvVar`` is unset and
the offline default must work without any key.
"""

from __future__ import annotations

import os
from typing import Literal

import dagster as dg
from pydantic import Field

from evalflow.config.settings import JudgeSettings
from evalflow.judges.heuristics import HEURISTIC_MODEL
from evalflow.judges.openai_backend import OpenAIJudgeConfig

ENV_BACKEND = "EVALFLOW_JUDGE"
ENV_MODEL = "EVALFLOW_JUDGE_MODEL"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_API_KEY = "OPENAI_API_KEY"


class JudgeConfigError(ValueError):
    """The judge cannot run as configured (the message never contains the key)."""


class JudgeResource(dg.ConfigurableResource):
    """Judge backend selection and endpoint credentials.

    Empty fields mean "not set here": the environment is consulted at run time, then
    the project settings. ``api_key`` is only ever read, never logged or returned in
    metadata; :meth:`describe` reports whether it is set, not its value.
    """

    backend: str = Field(
        default="", description="heuristic | openai; empty = $EVALFLOW_JUDGE or settings"
    )
    model: str = Field(
        default="", description="judge model; empty = $EVALFLOW_JUDGE_MODEL or settings"
    )
    base_url: str = Field(
        default="", description="OpenAI-compatible base URL; empty = $OPENAI_BASE_URL"
    )
    api_key: str = Field(default="", description="API key; empty = $OPENAI_API_KEY")

    def resolved_backend(self, settings: JudgeSettings) -> Literal["heuristic", "openai"]:
        value = self.backend or os.environ.get(ENV_BACKEND) or settings.backend
        if value not in ("heuristic", "openai"):
            raise JudgeConfigError(f"judge backend must be 'heuristic' or 'openai', got {value!r}")
        return value  # type: ignore[return-value]

    def resolved_model(self, settings: JudgeSettings) -> str:
        if self.resolved_backend(settings) == "heuristic":
            return HEURISTIC_MODEL
        return self.model or os.environ.get(ENV_MODEL) or settings.model

    def openai_config(self, settings: JudgeSettings) -> OpenAIJudgeConfig:
        """The endpoint configuration; a missing key is a clear error, not a 401 per row."""
        key = self.api_key or os.environ.get(ENV_API_KEY, "")
        if not key:
            raise JudgeConfigError(
                f"the openai judge backend needs an API key: set {ENV_API_KEY} "
                f"(or use {ENV_BACKEND}=heuristic for the offline judges)"
            )
        return OpenAIJudgeConfig(
            model=self.resolved_model(settings),
            base_url=self.base_url or os.environ.get(ENV_BASE_URL) or None,
            api_key=key,
            max_concurrency=settings.max_concurrency,
            requests_per_minute=settings.requests_per_minute,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            usd_per_1k_input_tokens=settings.usd_per_1k_input_tokens,
            usd_per_1k_output_tokens=settings.usd_per_1k_output_tokens,
        )

    def describe(self, settings: JudgeSettings) -> dict[str, str]:
        """Safe to log or attach as metadata: no secret, only whether one is present."""
        backend = self.resolved_backend(settings)
        out = {"backend": backend, "model": self.resolved_model(settings)}
        if backend == "openai":
            out["base_url"] = self.base_url or os.environ.get(ENV_BASE_URL) or "(openai default)"
            out["api_key"] = "set" if (self.api_key or os.environ.get(ENV_API_KEY)) else "missing"
        return out


def env_or_empty(name: str) -> str | dg.EnvVar:
    """``EnvVar(name)`` when the variable is set at load time, else "" (resolved at run)."""
    return dg.EnvVar(name) if os.environ.get(name) else ""


def default_judge_resource() -> JudgeResource:
    return JudgeResource(
        backend=env_or_empty(ENV_BACKEND),
        model=env_or_empty(ENV_MODEL),
        base_url=env_or_empty(ENV_BASE_URL),
        api_key=env_or_empty(ENV_API_KEY),
    )
