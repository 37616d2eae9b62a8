"""The raw_interactions data contract as Great Expectations 1.x suites.

Two suites, because their failures mean different things:

* ``critical``: the partition is unusable downstream (a missing column, a NULL or
  repeated interaction_id, a timestamp outside the partition's day). Run as a
  blocking ERROR check: downstream assets do not run on a broken partition.
* ``ranges``: values outside their plausible domain (a traffic share above 1, a
  negative latency, an unknown rating or rollout arm). Ingest keeps such records
  (the types are right, only the values are odd), so this is a WARN check that
  makes the oddity visible without stopping the pipeline.

GX runs in an ephemeral context with a pandas data source over the day's
DataFrame; nothing is written to disk. GX is imported lazily (it takes seconds),
so loading the Dagster definitions stays fast.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config import Settings
from evalflow.ingest.schema import raw_columns

SAMPLE_SIZE = 5
"""Unexpected values shown per failing expectation."""

NON_NEGATIVE = (
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "outcome_resolution_minutes",
    "turn",
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, reduced to what an operator needs to see."""

    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    element_count: int | None
    sample: list[Any] = field(default_factory=list)
    observed: Any = None
    error: str | None = None


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def ephemeral_context() -> Any:
    """A throw-away GX data context: nothing on disk, no progress bars."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def build_suites(settings: Settings, day: dt.date, context: Any | None = None) -> dict[str, Any]:
    """The ``critical`` and ``ranges`` expectation suites for one day's partition.

    GX attaches suites to the active data context, so one is created when none is given.
    """
    gx = _gx()
    if context is None:
        ephemeral_context()
    E = gx.expectations
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    critical = gx.ExpectationSuite(name="raw_interactions_critical")
    for column in raw_columns(settings.segments):
        critical.add_expectation(E.ExpectColumnToExist(column=column))
    for column in ("interaction_id", "timestamp", "query", "response", "day", "source_file"):
        critical.add_expectation(E.ExpectColumnValuesToNotBeNull(column=column))
    critical.add_expectation(E.ExpectColumnValuesToBeUnique(column="interaction_id"))
    critical.add_expectation(
        E.ExpectColumnValuesToBeBetween(column="timestamp", min_value=start, max_value=end)
    )
    ranges = gx.ExpectationSuite(name="raw_interactions_ranges")
    ranges.add_expectation(
        E.ExpectColumnValuesToBeBetween(column="traffic_share", min_value=0.0, max_value=1.0)
    )
    for column in NON_NEGATIVE:
        ranges.add_expectation(E.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    ranges.add_expectation(
        E.ExpectColumnValuesToBeInSet(column="feedback_rating", value_set=["up", "down"])
    )
    arms = sorted({settings.rollout.control_arm, settings.rollout.treatment_arm})
    ranges.add_expectation(E.ExpectColumnValuesToBeInSet(column="rollout_arm", value_set=arms))
    return {"critical": critical, "ranges": ranges}


VALUE_COLUMNS = (
    "interaction_id",
    "timestamp",
    "day",
    "source_file",
    "traffic_share",
    *NON_NEGATIVE,
    "feedback_rating",
    "rollout_arm",
)
"""Columns whose values an expectation reads; the others are only checked to exist."""
PRESENCE_COLUMNS = ("query", "response")
"""Large text columns only checked for NULLs: GX sees a 1/NaN flag instead of the text."""


def _frame_for_gx(df: pd.DataFrame) -> pd.DataFrame:
    """A light copy of the day for GX, same column names, only the values it reads.

    GX's pandas engine copies the whole frame for every expectation; handing it the
    day's long query/response texts and lists made validation of 100k rows take
    seconds. Columns no expectation reads become a constant, texts only checked for
    NULL become a flag, nullable integers become floats with NaN.
    """
    data: dict[str, Any] = {}
    n = len(df)
    for column in df.columns:
        series = df[column]
        if column in VALUE_COLUMNS:
            if isinstance(series.dtype, pd.Int32Dtype | pd.Int64Dtype):
                series = pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=df.index)
            data[column] = series
        elif column in PRESENCE_COLUMNS:
            data[column] = np.where(series.isna().to_numpy(), np.nan, 1.0)
        else:
            data[column] = np.zeros(n, dtype=np.int8)
    return pd.DataFrame(data, index=df.index, columns=list(df.columns))


def _outcome(res: Any) -> ExpectationOutcome:
    cfg = res.expectation_config
    result = res.result or {}
    sample = list(result.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]
    error = None
    if res.exception_info and res.exception_info.get("raised_exception"):
        error = str(res.exception_info.get("exception_message"))
    return ExpectationOutcome(
        expectation=cfg.type,
        column=cfg.kwargs.get("column"),
        success=bool(res.success),
        unexpected_count=result.get("unexpected_count"),
        element_count=result.get("element_count"),
        sample=[_plain(v) for v in sample],
        observed=_plain(result.get("observed_value")),
        error=error,
    )


def _plain(value: Any) -> Any:
    """JSON-friendly value for metadata (timestamps and numpy scalars become text/numbers)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def validate(
    df: pd.DataFrame,
    settings: Settings,
    day: dt.date,
    suites: tuple[str, ...] = ("critical", "ranges"),
) -> dict[str, SuiteResult]:
    """Run the named suites (default both) on one day's raw_interactions frame."""
    gx = _gx()
    context = ephemeral_context()
    batch = (
        context.data_sources.add_pandas("evalflow")
        .add_dataframe_asset("raw_interactions")
        .add_batch_definition_whole_dataframe("day")
    )
    frame = _frame_for_gx(df)
    results: dict[str, SuiteResult] = {}
    for name, suite in build_suites(settings, day, context).items():
        if name not in suites:
            continue
        suite = context.suites.add(suite)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(data=batch, suite=suite, name=f"raw_interactions_{name}")
        )
        run = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        results[name] = SuiteResult(name, [_outcome(r) for r in run.results])
    return results


def failures_markdown(result: SuiteResult) -> str:
    """A markdown table of failing expectations (log text in samples is escaped)."""
    if result.success:
        return f"all {len(result.outcomes)} expectations passed"
    lines = [
        "| expectation | column | unexpected | sample |",
        "| --- | --- | --- | --- |",
    ]
    for o in result.failures:
        sample = ", ".join(_md(repr(v)) for v in o.sample) or _md(o.error or str(o.observed))
        lines.append(
            f"| {o.expectation} | {o.column or ''} | "
            f"{'' if o.unexpected_count is None else o.unexpected_count} | {sample} |"
        )
    return "\n".join(lines)


def _md(text: str, limit: int = 60) -> str:
    from evalflow.orchestration.metadata import md_escape

    return md_escape(text if len(text) <= limit else text[: limit - 1] + "…")
