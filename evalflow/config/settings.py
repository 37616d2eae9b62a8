"""The validated shape of ``$EVALFLOW_HOME/evalflow.yaml``.

Every section is a pydantic model with ``extra="forbid"`` so a misspelt key is an
error that names the key, not a silently ignored setting. ``load_settings`` turns
validation failures into a ``ConfigError`` whose message lists each bad key and the
problem, one line each, so the CLI can print it without a traceback.

The file is read strictly: a key given twice is an error (YAML would silently keep
the last one), values are validated in pydantic's strict mode over the file's
JSON-like data (``true`` is not a number, ``"5"`` is not an int), and an empty file
is an error rather than a silent switch to the defaults (a missing file means the
defaults).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message says where."""


_UNSAFE = re.compile(r"[^0-9A-Za-z_]")
INTERSECTION_SEP = "×"
"""How ``fairness`` names a two-key intersection (``language×customer_tier``)."""


def segment_column(key: str) -> str:
    """The ``raw_interactions`` column of segment key ``key``: ``seg_<key>``, made safe.

    Real logs use keys such as ``app-version``; a column name must be a plain SQL
    identifier, so every character other than ASCII letters, digits and ``_``
    becomes ``_`` (``seg_app_version``). Deterministic, and ``Settings`` rejects two
    keys that would share a column. The original key stays in ``segment_json`` and
    in the column's description.
    """
    return "seg_" + _UNSAFE.sub("_", key)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlaSettings(_Section):
    latency_ms: Positive = 3000.0
    """Responses slower than this breach the latency SLA."""


class CompositeTerm(_Section):
    metric: str
    weight: Positive
    direction: Literal["higher", "lower"] = "higher"


class KpiSettings(_Section):
    min_cell_count: Annotated[int, Field(ge=1)] = 30
    """Cells with fewer rows than this are marked ``low_count`` (shown, never hidden)."""
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    composite: list[CompositeTerm] = Field(
        default_factory=lambda: [
            CompositeTerm(metric="rating_up_rate", weight=0.25, direction="higher"),
            CompositeTerm(metric="escalation_precision", weight=0.30, direction="higher"),
            CompositeTerm(metric="sla_hit_rate", weight=0.25, direction="higher"),
            CompositeTerm(metric="override_rate", weight=0.20, direction="lower"),
        ]
    )
    """Terms unmeasured on a day's traffic are dropped and the rest renormalised, so the
    default covers user feedback (thumbs) where the application logs it and business
    outcomes where it logs those (evalflow/kpis/composite.py)."""
    baseline_days: Annotated[int, Field(ge=2, le=365)] = 14
    """Trailing days behind the baseline that thresholds not set explicitly compare with."""
    baseline_min_days: Annotated[int, Field(ge=1, le=365)] = 7
    """Fewer measured trailing days than this: the cell has no baseline yet."""

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> KpiSettings:
        total = sum(t.weight for t in self.composite)
        if self.composite and abs(total - 1.0) > 1e-6:
            raise ValueError(f"composite weights must sum to 1.0, they sum to {total:g}")
        if self.baseline_min_days > self.baseline_days:
            raise ValueError("baseline_min_days must not exceed baseline_days")
        return self


class ThresholdSettings(_Section):
    toxicity_rate_max: Fraction = 0.0
    """Any toxicity above this rate alerts; 0 means any toxic response."""
    hallucination_rate_max: Fraction = 0.05
    relevance_floor: Fraction = 0.4
    """Mean judged relevance below this alerts (heuristic judge: on-topic answers score 0.5-0.9)."""
    relevance_proxy_floor: Fraction = 0.3
    """Mean online relevance proxy below this alerts (its own scale: on-topic 0.6-1)."""
    error_rate_max: Fraction = 0.05
    sla_hit_rate_min: Fraction = 0.9
    pii_rate_max: Fraction = 0.0
    attribution_min_lift: Annotated[float, Field(ge=1.0)] = 2.0
    """A segment cell gets its own alert only if its rate is this many times the rest's."""
    attribution_min_events: Annotated[int, Field(ge=1)] = 3
    """... and it holds at least this many of the day's bad events ..."""
    attribution_alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.01
    """... and the concentration is significant (one-sided Fisher test) at this level."""

    def is_explicit(self, name: str) -> bool:
        """True when the user set ``thresholds.<name>`` in the config file.

        A limit left at its default is relative to the application's own trailing
        baseline (``evalflow.kpis.baseline``), not the constant above.
        """
        if name not in type(self).model_fields:
            raise KeyError(f"unknown threshold setting {name!r}")
        return name in self.model_fields_set


class DriftSettings(_Section):
    baseline_days: list[Annotated[int, Field(ge=2)]] = Field(default_factory=lambda: [7, 28])
    fdr_alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.01
    """Benjamini-Hochberg false discovery rate across all drift tests of a day."""
    psi_threshold: Positive = 0.2
    min_effect: Fraction = 0.02
    """Absolute change in a rate below which a significant shift is not worth an alert."""


class RolloutGuardrails(_Section):
    max_toxicity_rate: Fraction = 0.0
    max_hallucination_rate: Fraction = 0.05
    override_rise_alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05


class RolloutSettings(_Section):
    control_arm: str = "control"
    treatment_arm: str = "treatment"
    phases: list[Fraction] = Field(default_factory=lambda: [0.10, 0.25, 0.50, 1.0])
    min_samples: Annotated[int, Field(ge=1)] = 200
    """Per arm; below it the gate says HOLD for lack of evidence."""
    composite_margin: Fraction = 0.02
    """Treatment's composite KPI may trail control by at most this much."""
    rollback_margin: Fraction = 0.05
    """Trailing by more than this (significantly) means ROLLBACK, not HOLD."""
    guardrails: RolloutGuardrails = Field(default_factory=RolloutGuardrails)


class SamplingSettings(_Section):
    daily_budget_rows: Annotated[int, Field(ge=1)] = 600
    daily_budget_usd: Annotated[float, Field(ge=0.0)] = 5.0
    strata: list[str] = Field(default_factory=lambda: ["queue", "urgency"])
    min_per_cell: Annotated[int, Field(ge=0)] = 3
    must_review_share: Fraction = 0.4
    """At most this share of the row budget goes to must-review rows."""
    risk_share: Fraction = 0.8
    """Share of the remaining budget drawn with probability proportional to risk."""
    max_inclusion_prob: Fraction = 1.0
    seed: int = 17


class CustomRubric(_Section):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    description: str
    prompt_file: str | None = None
    pass_threshold: Fraction = 0.5
    keywords: list[str] = Field(default_factory=list)
    """For the heuristic backend: terms whose presence in the answer counts as meeting the rubric."""


class JudgeSettings(_Section):
    backend: Literal["heuristic", "openai"] = "heuristic"
    model: str = "gpt-4o-mini"
    criteria: list[str] = Field(
        default_factory=lambda: ["faithfulness", "relevance", "safety", "helpfulness"]
    )
    custom_rubrics: list[CustomRubric] = Field(default_factory=list)
    max_concurrency: Annotated[int, Field(ge=1, le=512)] = 16
    requests_per_minute: Annotated[int, Field(ge=1)] = 600
    max_calls_per_day: Annotated[int, Field(ge=0)] = 5000
    max_usd_per_day: Annotated[float, Field(ge=0.0)] = 10.0
    max_requests_per_day: Annotated[int, Field(ge=0)] | None = None
    """HTTP requests per day, retries and repairs included (the provider bills these).
    Unset: ``max_calls_per_day * (1 + max_retries)``, the most the call cap can cause."""
    timeout_s: Positive = 30.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 4
    usd_per_1k_input_tokens: Annotated[float, Field(ge=0.0)] = 0.00015
    usd_per_1k_output_tokens: Annotated[float, Field(ge=0.0)] = 0.0006
    noise_repeat_share: Fraction = 0.05
    """Share of judged rows scored twice to measure the judge's own noise."""
    conversation_turns: Annotated[int, Field(ge=1, le=50)] = 6
    """Earlier turns of the same conversation shown to the judge."""

    @property
    def request_cap(self) -> int:
        """The effective daily request cap (see ``max_requests_per_day``)."""
        if self.max_requests_per_day is not None:
            return self.max_requests_per_day
        return self.max_calls_per_day * (1 + self.max_retries)


class CalibrationSettings(_Section):
    review_queue_size: Annotated[int, Field(ge=0, le=10000)] = 50
    """Rows exported per day to ``review/YYYY-MM-DD.csv`` for human labelling."""
    failure_share: Fraction = 0.5
    """Share of the review queue reserved for rows the judge failed (rare, so oversampled)."""
    borderline_margin: Fraction = 0.1
    """Scores this close to the pass threshold count as borderline."""
    borderline_weight: Positive = 4.0
    """How much likelier a borderline row is to be queued than another row of its stratum."""
    min_labels: Annotated[int, Field(ge=2)] = 20
    """Fewer labelled pairs than this and the agreement metrics are NULL (noted why)."""
    bootstrap_resamples: Annotated[int, Field(ge=0, le=100000)] = 1000
    """Bootstrap resamples for the kappa confidence interval; 0 leaves the interval NULL."""
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    seed: int = 23
    validity_window_days: Annotated[int, Field(ge=1, le=90)] = 7
    """Trailing days of judged rows compared with the users' own signals (judge validity)."""
    validity_min_per_class: Annotated[int, Field(ge=2)] = 10
    """Fewer bad (or good) user-signal rows than this in a cell: validity insufficient_data."""
    validity_alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05
    """Benjamini-Hochberg level over all the day's judge-vs-user-signal tests."""


class FairnessSettings(_Section):
    min_group_size: Annotated[int, Field(ge=1)] = 50
    ratio_bounds: tuple[Positive, Positive] = (0.8, 1.25)
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05
    reference_groups: dict[str, str] = Field(default_factory=dict)
    """Attribute -> reference group; the largest group when an attribute is not listed."""
    intersections: list[tuple[str, str]] = Field(
        default_factory=lambda: [("language", "customer_tier")]
    )
    severe_ratio_bounds: tuple[Positive, Positive] = (0.6, 1.67)
    """A bias alert whose disparity ratio is beyond these is high severity (else medium)."""


class PrioritySettings(_Section):
    business_weights: dict[str, dict[str, Positive]] = Field(
        default_factory=lambda: {"queue": {"billing": 1.5, "outage": 2.0}}
    )
    """Segment key -> value -> weight (default 1.0)."""
    effort: dict[str, Positive] = Field(
        default_factory=lambda: {
            "cluster": 3.0,
            "kpi_alert": 2.0,
            "drift": 2.0,
            "fairness": 5.0,
        }
    )
    high_impact_min: Annotated[float, Field(ge=0.0)] = 4.0
    """Impact (Frequency x User impact x Severity x Business weight) at or above this is high."""
    high_effort_min: Positive = 3.0
    """Effort at or above this is high (clusters and fairness gaps by default)."""
    persistent_days: Annotated[int, Field(ge=1)] = 7
    """A prompt-type cluster older than this suggests fine-tuning data rather than prompt work."""
    same_issue_jaccard: Fraction = 0.5
    """Issues whose affected interactions overlap this much (Jaccard) are one issue."""


class DiscoverySettings(_Section):
    max_cluster_rows: Annotated[int, Field(ge=50)] = 20000
    """Failing rows used to fit the clustering (deterministic sample); all are then assigned."""
    intent_fit_rows: Annotated[int, Field(ge=50)] = 50000
    """Queries used to fit the intent model; every query of the day is then assigned."""
    background_rows: Annotated[int, Field(ge=50)] = 50000
    """Queries of the whole day that distinctive cluster terms are contrasted with."""
    k_min: Annotated[int, Field(ge=2)] = 2
    k_max: Annotated[int, Field(ge=2)] = 12
    intent_k_min: Annotated[int, Field(ge=2)] = 4
    intent_k_max: Annotated[int, Field(ge=2)] = 16
    svd_components: Annotated[int, Field(ge=2, le=512)] = 64
    min_cluster_size: Annotated[int, Field(ge=1)] = 3
    """Smaller groups are not reported as themes (their rows stay unclustered)."""
    history_days: Annotated[int, Field(ge=1, le=90)] = 14
    """Earlier days a theme is matched against to keep its id."""
    match_jaccard: Fraction = 0.3
    """Top-term Jaccard at or above which two themes are the same."""
    match_cosine: Fraction = 0.5
    """Centroid cosine (hashing space) at or above which two themes are the same."""
    merge_jaccard: Fraction = 0.2
    """Two coherent themes of one day are one theme split by KMeans if their top terms
    overlap at least this much (Jaccard) ..."""
    merge_cosine: Fraction = 0.4
    """... and their centroids are at least this similar (cosine)."""
    emerging_days: Annotated[int, Field(ge=0)] = 2
    emerging_growth: Annotated[float, Field(gt=1.0)] = 2.0
    """Size at least this multiple of the trailing average marks a theme emerging."""
    trend_tolerance: Fraction = 0.2
    """Relative change vs the trailing average within which a theme is stable."""
    anomaly_share: Annotated[float, Field(gt=0.0, le=0.5)] = 0.01
    """Isolation-forest contamination: at most this share of the day is anomalous."""
    anomaly_z: Positive = 3.5
    """An anomaly also needs one signal this many robust standard deviations out."""
    top_terms: Annotated[int, Field(ge=1, le=50)] = 10
    max_examples: Annotated[int, Field(ge=1, le=50)] = 5
    intent_segments: list[str] = Field(default_factory=lambda: ["queue"])
    """Segment keys usage intents are broken down by (besides overall)."""
    seed: int = 7

    @model_validator(mode="after")
    def _ranges_ordered(self) -> DiscoverySettings:
        if self.k_min > self.k_max or self.intent_k_min > self.intent_k_max:
            raise ValueError("k_min/intent_k_min must not exceed k_max/intent_k_max")
        return self


class RegressionSettings(_Section):
    top_issues: Annotated[int, Field(ge=0)] = 10
    """Examples of this many top-priority issues become cases."""
    include_judge_failures: bool = True
    max_per_cluster: Annotated[int, Field(ge=1)] = 5
    """Cap per theme (cluster or issue) and day, so one theme cannot flood the set."""
    max_cases_per_day: Annotated[int, Field(ge=1)] = 200
    conversation_turns: Annotated[int, Field(ge=0, le=50)] = 6
    """Earlier turns of the same conversation kept as the case's input."""


class PrivacySettings(_Section):
    raw_text_in_regression: bool = False
    """Keep customers' raw text (PII included) in ``regression/*.jsonl``. Off by default:
    every file that leaves the warehouse is PII-redacted; turn on only for a regression
    set that stays inside the team's own controlled storage."""


class AlertChannel(_Section):
    type: Literal["log", "file", "webhook", "email"]
    path: str | None = None
    url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    min_severity: Literal["low", "medium", "high", "critical"] = "low"

    @model_validator(mode="after")
    def _required_fields(self) -> AlertChannel:
        needed = {"file": ["path"], "webhook": ["url"], "email": ["smtp_host", "sender"]}
        missing = [f for f in needed.get(self.type, []) if not getattr(self, f)]
        if missing:
            raise ValueError(f"a {self.type} channel needs {', '.join(missing)}")
        if self.type == "email" and not self.recipients:
            raise ValueError("an email channel needs at least one recipient")
        return self


class AlertSettings(_Section):
    channels: list[AlertChannel] = Field(
        default_factory=lambda: [
            AlertChannel(type="log"),
            AlertChannel(type="file", path="alerts/alerts.jsonl"),
        ]
    )
    max_delivery_attempts: Annotated[int, Field(ge=1)] = 5


class ScheduleSettings(_Section):
    daily_hour: Annotated[int, Field(ge=0, le=23)] = 6
    weekly_hour: Annotated[int, Field(ge=0, le=23)] = 7
    timezone: str = "UTC"


class IngestSettings(_Section):
    """Limits and policies of the landing-file parser (see evalflow/ingest)."""

    max_field_bytes: Annotated[int, Field(ge=1)] = 100_000
    """A text field (query, response, a context passage, ...) larger than this many UTF-8
    bytes quarantines its record as ``oversized field``."""
    max_record_bytes: Annotated[int, Field(ge=1)] = 1_000_000
    """A whole record (JSON line or CSV/Parquet row) larger than this is quarantined as
    ``oversized record`` without being parsed."""
    naive_timestamps: Literal["utc", "quarantine"] = "utc"
    """A timestamp without a UTC offset is read as UTC (and counted), or quarantined."""
    min_year: Annotated[int, Field(ge=1)] = 2000
    max_year: Annotated[int, Field(le=9999)] = 2100
    """Timestamps outside [min_year, max_year] are quarantined as out of range."""
    follow_symlinks_outside_landing: bool = False
    """Read files that symlinks under landing/ point to outside it. Off by default: a
    link is an easy way to pull a file nobody meant to ingest into the warehouse (and
    into quarantined_records.raw); skipped links are listed with their reason."""
    quarantine_warn_share: Fraction = 0.05
    """A day whose quarantined share of records exceeds this gets a WARN check (an
    upstream format change usually shows up here first)."""

    @model_validator(mode="after")
    def _year_order(self) -> IngestSettings:
        if self.min_year > self.max_year:
            raise ValueError("min_year must not be after max_year")
        return self


class ReportSettings(_Section):
    """What the stakeholder reports show (evalflow/reports)."""

    trend_days: Annotated[int, Field(ge=2, le=365)] = 28
    """Days of composite-KPI history on the daily report's trend chart."""
    top_issues: Annotated[int, Field(ge=1, le=100)] = 10
    """Prioritised issues listed in the daily and weekly reports."""
    examples_per_issue: Annotated[int, Field(ge=0, le=20)] = 3
    """Example interactions (their queries) shown per issue or theme."""
    max_text_chars: Annotated[int, Field(ge=20, le=10000)] = 300
    """Log text longer than this is shortened in the reports (the table keeps it whole)."""
    calibration_weeks: Annotated[int, Field(ge=1, le=52)] = 4
    """Weeks of judge-calibration history on the weekly report."""
    self_contained: bool = False
    """Inline plotly.js (4.8 MB) in every report instead of sharing reports/assets/plotly-*.js;
    for a report that is mailed or copied on its own."""


class Settings(_Section):
    segments: list[str] = Field(
        default_factory=lambda: [
            "queue",
            "urgency",
            "region",
            "language",
            "channel",
            "customer_tier",
        ]
    )
    audit_attributes: list[str] = Field(
        default_factory=lambda: ["language", "region", "customer_tier"]
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)
    judges: JudgeSettings = Field(default_factory=JudgeSettings)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
    fairness: FairnessSettings = Field(default_factory=FairnessSettings)
    priorities: PrioritySettings = Field(default_factory=PrioritySettings)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    regression: RegressionSettings = Field(default_factory=RegressionSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schedules: ScheduleSettings = Field(default_factory=ScheduleSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    partitions_start: dt.date | None = None
    """First day of the daily/weekly partition sets (``EVALFLOW_PARTITIONS_START`` wins)."""

    @model_validator(mode="after")
    def _attributes_are_segments(self) -> Settings:
        for name, keys in (
            ("audit_attributes", self.audit_attributes),
            ("sampling.strata", self.sampling.strata),
        ):
            unknown = [k for k in keys if k not in self.segments]
            if unknown:
                raise ValueError(f"{name} lists {unknown} which are not in segments")
        audited = set(self.audit_attributes) | {
            f"{a}{INTERSECTION_SEP}{b}" for a, b in self.fairness.intersections
        }
        stray = sorted(k for k in self.fairness.reference_groups if k not in audited)
        if stray:
            raise ValueError(
                f"fairness.reference_groups has {stray} which are not audited "
                "(not in audit_attributes or fairness.intersections)"
            )
        return self

    @model_validator(mode="after")
    def _segment_columns_are_distinct(self) -> Settings:
        columns: dict[str, str] = {}
        for key in self.segments:
            if not key or '"' in key or "\\" in key or not key.isprintable():
                raise ValueError(
                    f"segments: key {key!r} is empty or has a quote, backslash or control character"
                )
            col = segment_column(key)
            if col in columns and columns[col] != key:
                raise ValueError(
                    f"segments: keys {columns[col]!r} and {key!r} would both be column {col}"
                )
            columns[col] = key
        return self

    def with_env_overrides(self) -> Settings:
        """Apply ``EVALFLOW_JUDGE`` and ``EVALFLOW_JUDGE_MODEL`` on top of the file."""
        judges = self.judges
        backend = os.environ.get("EVALFLOW_JUDGE")
        model = os.environ.get("EVALFLOW_JUDGE_MODEL")
        if backend and backend not in ("heuristic", "openai"):
            raise ConfigError(f"EVALFLOW_JUDGE must be 'heuristic' or 'openai', got {backend!r}")
        if backend or model:
            judges = judges.model_copy(
                update={k: v for k, v in {"backend": backend, "model": model}.items() if v}
            )
        return self.model_copy(update={"judges": judges})

    def section_hash(self, *sections: str) -> str:
        """A short stable hash of some sections: a code version that changes with the config."""
        payload = {
            s: getattr(self, s).model_dump(mode="json")
            if isinstance(getattr(self, s), BaseModel)
            else getattr(self, s)
            for s in sections
        }
        blob = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"invalid configuration in {path}:"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against data/evalflow.yaml)"
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)


def parse_settings(raw: object, source: Path | str = "<config>") -> Settings:
    """Validate already-parsed YAML; raise ``ConfigError`` with every problem listed.

    Validation is strict over the data as JSON would carry it (YAML lists are
    arrays, so tuples still accept them): no bool or text where a number belongs.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid configuration in {source}: the top level must be a mapping")
    try:
        text = json.dumps(raw, default=str)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid configuration in {source}: {exc}") from None
    try:
        return Settings.model_validate_json(text, strict=True).with_env_overrides()
    except ValidationError as exc:
        raise ConfigError(_format_errors(Path(source), exc)) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise ConfigError(
                    f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                    "(YAML would silently keep only the last value)"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder, not a configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as exc:
        raise ConfigError(f"invalid configuration in {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"cannot parse {path}: {exc}") from None
    if raw is None:
        raise ConfigError(
            f"{path} holds no settings (empty, or only comments): delete it to run with "
            "the defaults, or copy data/evalflow.yaml there"
        )
    return raw


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and validate the config file; a missing file means all defaults."""
    from evalflow.config.paths import Paths

    path = Path(path) if path else Paths.from_env().config_file
    if not path.exists() and not path.is_symlink():
        return Settings().with_env_overrides()
    return parse_settings(_read_yaml(path), path)
