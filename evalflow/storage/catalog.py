"""The one catalogue of evalflow's tables: name, columns and types, owning asset, grain.

Each stage declares its columns beside the code that fills them (a ``COLUMNS``-style
mapping of column -> (type, description)); this module is where they are gathered,
so that one place answers "which asset writes this table, at what grain, with which
columns". ``docs/tables.md`` and the warehouse are checked against it by the tests,
and readers use :func:`require_columns` so that a column the contract promises but
the upstream table lacks fails loudly instead of reading as NULL.

Contracts are referenced as ``module:ATTRIBUTE`` strings and imported on first use:
the storage layer must not import every stage at start-up (stages import storage).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

Grain = Literal["daily", "weekly", "snapshot", "log"]
ColumnSpec = Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class TableSpec:
    """One table: who writes it, how it is partitioned, where its column contract lives.

    ``grain``: ``daily``/``weekly`` tables are replaced one partition at a time;
    ``snapshot`` tables are replaced whole; ``log`` tables only grow (a judge call
    trace, a cache, a delivery ledger). ``dynamic`` marks contracts whose column set
    also depends on configuration (``seg_<key>`` columns for the configured segments).
    """

    name: str
    owner: str
    grain: Grain
    contract: str
    dynamic: bool = False

    def columns(self) -> dict[str, tuple[str, str]]:
        module, _, attr = self.contract.partition(":")
        value = getattr(importlib.import_module(module), attr)
        if callable(value):
            value = value(())
        if isinstance(value, Mapping):
            return {
                c: (spec if isinstance(spec, tuple) else (str(spec), ""))
                for c, spec in value.items()
            }
        return {c: ("", "") for c in value}


TABLES: tuple[TableSpec, ...] = (
    TableSpec("raw_interactions", "raw_interactions", "daily", "evalflow.ingest.schema:raw_columns", dynamic=True),
    TableSpec("quarantined_records", "quarantined_records", "daily", "evalflow.ingest.schema:QUARANTINE_COLUMNS"),
    TableSpec("ingest_reconciliation", "raw_interactions", "daily", "evalflow.ingest.schema:RECONCILIATION_COLUMNS"),
    TableSpec("landing_files", "raw_interactions", "snapshot", "evalflow.ingest.schema:LANDING_FILES_COLUMNS"),
    TableSpec("interaction_signals", "interaction_signals", "daily", "evalflow.signals.compute:COLUMNS"),
    TableSpec("sampled_interactions", "sampled_interactions", "daily", "evalflow.sampling.design:OUTPUT_COLUMNS"),
    TableSpec("judge_scores", "judge_scores", "daily", "evalflow.judges.schema:COLUMNS"),
    TableSpec("judge_calls", "judge_scores", "log", "evalflow.judges.schema:CALL_COLUMNS"),
    TableSpec("judge_cache", "judge_scores", "log", "evalflow.judges.schema:CACHE_COLUMNS"),
    TableSpec("judge_calibration", "judge_calibration", "daily", "evalflow.calibration.metrics:COLUMNS"),
    TableSpec("label_quarantine", "judge_calibration", "daily", "evalflow.calibration.labels:QUARANTINE_COLUMNS"),
    TableSpec("segment_kpis", "segment_kpis", "daily", "evalflow.kpis.metrics:COLUMNS"),
    TableSpec("rollout_decisions", "rollout_decisions", "daily", "evalflow.rollout.daily:COLUMNS"),
    TableSpec("model_comparison", "model_comparison", "weekly", "evalflow.rollout.comparison:COLUMNS"),
    TableSpec("quality_alerts", "quality_alerts", "daily", "evalflow.alerts.common:COLUMNS"),
    TableSpec("fairness_audit", "fairness_audit", "weekly", "evalflow.fairness.schema:COLUMNS"),
    TableSpec("failure_clusters", "failure_clusters", "daily", "evalflow.discovery.clusters:CLUSTER_COLUMNS"),
    TableSpec("failure_cluster_members", "failure_clusters", "daily", "evalflow.discovery.clusters:MEMBER_COLUMNS"),
    TableSpec("usage_intents", "usage_intents", "daily", "evalflow.discovery.intents:INTENT_COLUMNS"),
    TableSpec("issue_priorities", "issue_priorities", "daily", "evalflow.priorities.scoring:PRIORITY_COLUMNS"),
    TableSpec("regression_cases", "regression_cases", "daily", "evalflow.regression.curation:CASE_COLUMNS"),
    TableSpec("daily_report", "daily_report", "daily", "evalflow.reports.publish:DAILY_COLUMNS"),
    TableSpec("weekly_report", "weekly_report", "weekly", "evalflow.reports.publish:WEEKLY_COLUMNS"),
    TableSpec("alert_deliveries", "alert_delivery_sensor", "log", "evalflow.notifications.ledger:LEDGER_SCHEMA"),
)  # fmt: skip


@cache
def by_name() -> dict[str, TableSpec]:
    return {t.name: t for t in TABLES}


def spec(table: str) -> TableSpec:
    try:
        return by_name()[table]
    except KeyError:
        raise KeyError(
            f"table {table!r} is not in the catalogue (evalflow/storage/catalog.py)"
        ) from None


class SchemaDrift(RuntimeError):
    """An upstream table lacks a column its contract promises: a bug, never silently NULL."""


def require_columns(table: str, present: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The wanted columns the table's contract promises but the stored table lacks.

    Raises :class:`SchemaDrift` naming them. Columns outside the contract (for example
    ``seg_<key>`` of a segment the logs never carried) are optional and not checked.
    """
    promised = set(spec(table).columns())
    missing = [c for c in wanted if c in promised and c not in set(present)]
    if missing and present:
        raise SchemaDrift(
            f"{table} has no column(s) {', '.join(missing)} although its contract "
            f"({spec(table).contract}) defines them; rematerialise {spec(table).owner} "
            "for this partition"
        )
    return missing
