"""Dagster wiring of the judging stage: the ``judge_scores`` asset and its resource.

The logic lives in :mod:`evalflow.judges.runner`; this module only reads settings,
resolves the backend from :class:`JudgeResource`, and reports what happened.
``RESOURCES`` is merged into the code location's ``Definitions`` by
``evalflow.definitions`` (key ``judge``).
"""

import json
import warnings

import dagster as dg

from evalflow.config.settings import load_settings
from evalflow.judges.coverage import coverage_of
from evalflow.judges.prompting import PROMPTS_DIR
from evalflow.judges.resource import JudgeResource, default_judge_resource
from evalflow.judges.runner import code_version, judge_partition
from evalflow.judges.schema import COLUMNS
from evalflow.orchestration.metadata import md_preview, table_metadata
from evalflow.partitions import daily_partitions, day_of
from evalflow.resources import EvalflowResource

RESOURCES: dict[str, dg.ConfigurableResource] = {"judge": default_judge_resource()}


def _code_version() -> str:
    """Prompt files, heuristic source and the default judge settings, hashed.

    Computed at load time from the committed configuration; a change to a prompt
    version or text (or a heuristic) therefore shows as a new code version in the UI.
    """
    try:
        settings = load_settings().judges
    except Exception:  # a broken config must not stop the code location from loading
        from evalflow.config.settings import JudgeSettings

        settings = JudgeSettings()
    prompts = sorted(p.name for p in PROMPTS_DIR.glob("*.v*.md"))
    return f"{code_version(settings)}-{len(prompts)}p"


PREVIEW_COLUMNS = [
    "interaction_id",
    "criterion",
    "status",
    "score",
    "passed",
    "label",
    "rationale",
    "cached",
]


@dg.asset(
    name="judge_scores",
    partitions_def=daily_partitions,
    group_name="judging",
    kinds={"duckdb", "openai"},
    owners=["team:ml-quality"],
    deps=["sampled_interactions", "raw_interactions"],
    description=(
        "Every sampled interaction judged on each criterion (faithfulness, relevance, "
        "safety, helpfulness and any configured custom rubric), by the offline heuristic "
        "judges or an OpenAI-compatible model. PII is redacted before any text leaves the "
        "machine; verdicts are cached by content and judge version so reruns are free; "
        "a hard daily budget turns excess rows into over_budget instead of failing. No "
        "DuckDB connection is held during judge calls (read, close, call, write), which is "
        "why this asset has no concurrency pool."
    ),
    metadata=table_metadata(COLUMNS, "judge_scores"),
    code_version=_code_version(),
)
def judge_scores(
    context: dg.AssetExecutionContext, evalflow: EvalflowResource, judge: JudgeResource
) -> dg.MaterializeResult:
    day = day_of(context.partition_key)
    settings = evalflow.settings().judges
    backend = judge.resolved_backend(settings)
    cfg = judge.openai_config(settings) if backend == "openai" else None
    context.log.info(f"judging {day} with {json.dumps(judge.describe(settings))}")
    run = judge_partition(
        evalflow.warehouse(),
        day,
        settings,
        backend,
        cfg,
        home=evalflow.paths.home,
        logger=context.log,
    )
    summary = run.summary()
    scores = run.scores
    meta: dict[str, object] = {
        "dagster/row_count": len(scores),
        "backend": backend,
        "model": run.model,
        "interactions": summary["interactions"],
        "rows_by_status": dg.MetadataValue.json(summary["rows_by_status"]),
        "pass_rate_by_criterion": dg.MetadataValue.json(summary["pass_rate_by_criterion"]),
        "calls_made": summary["calls_made"],
        "cache_hits": summary["cache_hits"],
        "retries": summary["retries"],
        "repairs": summary["repairs"],
        "tokens_in": summary["tokens_in"],
        "tokens_out": summary["tokens_out"],
        "cost_usd": summary["cost_usd"],
        "noise_rows": summary["noise_rows"],
        "mean_noise_std": (
            summary["mean_noise_std"] if summary["mean_noise_std"] is not None else "unmeasured"
        ),
        "judge_versions": dg.MetadataValue.json(
            sorted(scores["judge_version"].dropna().unique().tolist()) if len(scores) else []
        ),
        "preview": md_preview(scores[PREVIEW_COLUMNS] if len(scores) else scores),
    }
    if backend == "heuristic":
        meta["noise_note"] = "heuristic judges are deterministic: noise is 0 by construction"
    return dg.MaterializeResult(metadata=meta)


with warnings.catch_warnings():
    # Partitioned asset checks are a preview feature; they let the check look at
    # exactly the partition its run materialised.
    warnings.simplefilter("ignore", category=dg.PreviewWarning)

    @dg.asset_check(
        asset="judge_scores",
        name="judge_coverage",
        partitions_def=daily_partitions,
        description=(
            "Did the judges measure the day? Fails (ERROR) when no applicable judgement got a "
            "pass/fail verdict or at least half ended in error; warns on more than 5% errors, "
            "more than 20% over budget or more than half uncertain. Not blocking: the alerts "
            "downstream must still run and raise a judge_coverage alert."
        ),
    )
    def judge_coverage(
        context: dg.AssetCheckExecutionContext, evalflow: EvalflowResource
    ) -> dg.AssetCheckResult:
        day = day_of(context.partition_key)
        scores = evalflow.warehouse().read_partition(
            "judge_scores", day, columns=["status", "verdict"]
        )
        cov = coverage_of(scores)
        findings = cov.findings()
        worst = findings[0][0] if findings else None
        return dg.AssetCheckResult(
            passed=not findings,
            severity=dg.AssetCheckSeverity.ERROR
            if worst == "error"
            else dg.AssetCheckSeverity.WARN,
            description="; ".join(f for _, f in findings)
            or (
                f"{cov.measured} of {cov.applicable} applicable judgements measured"
                if cov.applicable
                else "nothing applicable to judge this day"
            ),
            metadata=cov.as_metadata(),
        )
