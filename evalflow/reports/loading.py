"""Read everything a report shows, in one short DuckDB connection.

Reports sit at the end of the pipeline and must render whatever has been run so
far: any table may be absent (its stage never ran), empty (a quiet day) or older
than the contract (a column added later). So each read asks the catalogue which
tables and columns exist, selects missing columns as NULL, and returns typed empty
frames for absent tables; the section then says "no data for this section"
instead of failing the run. All filters travel as parameters, never as text built
from data. The connection is closed before any figure is drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pandas as pd

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.config.settings import Settings
from evalflow.kpis.metrics import COLUMNS as KPI_COLUMNS
from evalflow.reports.model import json_list
from evalflow.signals.pii import redact_pii, redact_value
from evalflow.storage.warehouse import Warehouse, ident

KPI_FIELDS = list(KPI_COLUMNS)
ALERT_FIELDS = list(ALERT_COLUMNS)
ROLLOUT_FIELDS = [
    "day",
    "treatment_version",
    "control_version",
    "traffic_share",
    "decision",
    "next_phase",
    "reasons",
    "n_treatment",
    "n_control",
    "composite_treatment",
    "composite_control",
    "composite_diff",
    "composite_diff_ci_low",
    "composite_diff_ci_high",
    "details_json",
]
JUDGE_FIELDS = [
    "interaction_id",
    "criterion",
    "backend",
    "model",
    "status",
    "passed",
    "cached",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "noise_std",
]
CALL_FIELDS = ["call_id", "purpose", "status", "attempts", "tokens_in", "tokens_out", "cost_usd"]
SAMPLE_FIELDS = ["interaction_id", "reason", "est_judge_cost_usd"]
ISSUE_FIELDS = [
    "day",
    "issue_id",
    "source",
    "title",
    "frequency",
    "user_impact",
    "severity",
    "business_weight",
    "effort",
    "priority",
    "rank",
    "category",
    "suggested_improvement",
    "example_ids",
    "first_seen",
    "affected",
    "users_affected",
    "segment_key",
    "segment_value",
    "status",
]
CLUSTER_FIELDS = [
    "day",
    "cluster_id",
    "label",
    "top_terms",
    "size",
    "users_affected",
    "share_users",
    "share_traffic",
    "example_ids",
    "first_seen",
    "last_seen",
    "status",
    "is_anomaly_cluster",
    "severity",
    "failure_mix",
]
COMPARISON_FIELDS = [
    "week_start",
    "metric",
    "baseline_version",
    "new_version",
    "baseline_value",
    "new_value",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "rel_change",
    "significant",
    "n_baseline",
    "n_new",
    "recommendation",
    "recommendation_reasons",
]
CALIBRATION_FIELDS = [
    "day",
    "criterion",
    "backend",
    "source",
    "n",
    "agreement",
    "precision",
    "recall",
    "specificity",
    "kappa",
    "kappa_ci_low",
    "kappa_ci_high",
    "auc",
    "n_judged",
    "note",
    "reference",
    "segment_key",
    "segment_value",
    "window_start",
    "n_bad",
    "auc_ci_low",
    "auc_ci_high",
    "p_adjusted",
    "validity",
    "validity_reason",
]
FAIRNESS_FIELDS = [
    "week_start",
    "attribute",
    "group_value",
    "reference_group",
    "metric",
    "direction",
    "n",
    "rate",
    "reference_rate",
    "disparity_ratio",
    "disparity_diff",
    "p_value",
    "p_adjusted",
    "significant",
    "flagged",
    "small_group",
]
REGRESSION_FIELDS = [
    "case_id",
    "day",
    "issue_id",
    "interaction_id",
    "query",
    "response",
    "failure",
    "cluster_id",
    "source",
    "priority_rank",
]
DATE_FIELDS = ("day", "week_start", "first_seen", "last_seen")

REPORT_TABLES = (
    "raw_interactions",
    "sampled_interactions",
    "judge_scores",
    "judge_calls",
    "judge_calibration",
    "segment_kpis",
    "rollout_decisions",
    "model_comparison",
    "quality_alerts",
    "fairness_audit",
    "failure_clusters",
    "issue_priorities",
    "regression_cases",
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class TableReader:
    """Column-aware parameterised reads over one open connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall():
            self.columns.setdefault(str(table), []).append(str(column))
        self.errors: list[str] = []

    def has(self, table: str, *required: str) -> bool:
        cols = self.columns.get(table)
        return cols is not None and set(required) <= set(cols)

    def select(
        self,
        table: str,
        fields: Sequence[str],
        where: str,
        params: Sequence[Any],
        required: Sequence[str],
        order: str = "",
    ) -> pd.DataFrame:
        """``fields`` of ``table`` rows matching ``where``; NULL for columns the table lacks.

        ``where``/``order`` are fixed SQL from this module and may only name ``required``
        columns; values come in ``params``.
        """
        if not self.has(table, *required):
            if table in self.columns:
                missing = sorted(set(required) - set(self.columns[table]))
                self.errors.append(f"{table} lacks column(s) {', '.join(missing)}")
            return empty_frame(fields)
        have = set(self.columns[table])
        sel = ", ".join(ident(f) if f in have else f"NULL AS {ident(f)}" for f in fields)
        sql = f"SELECT {sel} FROM {ident(table)} WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        try:
            df = self.con.execute(sql, list(params)).df()
        except duckdb.Error as exc:
            self.errors.append(f"{table}: {type(exc).__name__}: {exc}")
            return empty_frame(fields)
        return normalise_dates(df)

    def scalar(self, table: str, sql: str, params: Sequence[Any], required: Sequence[str]) -> Any:
        if not self.has(table, *required):
            return None
        try:
            row = self.con.execute(sql, list(params)).fetchone()
        except duckdb.Error as exc:
            self.errors.append(f"{table}: {type(exc).__name__}: {exc}")
            return None
        return row[0] if row else None

    def queries(self, ids: Iterable[str], start: dt.date, end: dt.date) -> dict[str, str]:
        """interaction_id -> query for example ids (searched in the days start..end)."""
        wanted = sorted({str(i) for i in ids if i is not None and str(i)})
        if not wanted or not self.has("raw_interactions", "day", "interaction_id", "query"):
            return {}
        try:
            rows = self.con.execute(
                "SELECT interaction_id, query FROM raw_interactions WHERE day BETWEEN ? AND ? "
                "AND interaction_id IN (SELECT UNNEST(?::VARCHAR[]))",
                [start, end, wanted],
            ).fetchall()
        except duckdb.Error as exc:
            self.errors.append(f"raw_interactions: {type(exc).__name__}: {exc}")
            return {}
        return {str(i): "" if q is None else str(q) for i, q in rows}

    def present(self) -> list[str]:
        return [t for t in REPORT_TABLES if t in self.columns]


def empty_frame(fields: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({f: pd.Series(dtype=object) for f in fields})


def normalise_dates(df: pd.DataFrame) -> pd.DataFrame:
    """DATE columns as ``datetime.date`` whatever DuckDB/pandas made of them."""
    for col in DATE_FIELDS:
        if col in df.columns and len(df):
            df[col] = pd.to_datetime(df[col], errors="coerce").dt.date
    return df


def example_ids(frames: Iterable[pd.DataFrame], per_row: int) -> list[str]:
    out: list[str] = []
    for frame in frames:
        if "example_ids" in frame.columns:
            for value in frame["example_ids"]:
                out.extend(str(x) for x in json_list(value)[:per_row])
    return out


TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "alerts": ("evidence",),
    "issues": ("title", "suggested_improvement"),
    "clusters": ("label", "top_terms"),
    "regression": ("query", "response", "failure"),
}
"""Columns that can carry customers' text (quoted queries, terms mined from them)."""


def redact_context(ctx: dict[str, Any]) -> dict[str, Any]:
    """Mask PII in every text a report renders: a report is shared beyond the warehouse.

    The example queries, regression cases, alert evidence and theme labels come from
    users' messages; redaction happens here, once, before any section sees them.
    """
    for key, cols in TEXT_FIELDS.items():
        frame = ctx.get(key)
        if isinstance(frame, pd.DataFrame) and len(frame):
            frame = frame.copy()
            for col in cols:
                if col in frame.columns:
                    frame[col] = frame[col].map(redact_value)
            ctx[key] = frame
    if ctx.get("examples"):
        ctx["examples"] = {k: redact_pii(v) for k, v in ctx["examples"].items()}
    return ctx


def load_daily_context(
    wh: Warehouse, day: dt.date, settings: Settings | None = None
) -> dict[str, Any]:
    """Every table the daily report of ``day`` shows, as plain frames and numbers."""
    settings = settings or Settings()
    rs = settings.reports
    trend_start = day - dt.timedelta(days=rs.trend_days - 1)
    on_day = "day = ?"
    with wh.connect() as con:
        r = TableReader(con)
        ctx: dict[str, Any] = {
            "kind": "daily",
            "day": day,
            "settings": settings,
            "generated_at": _utcnow(),
            "kpis_day": r.select(
                "segment_kpis",
                KPI_FIELDS,
                on_day,
                [day],
                ["day"],
                "segment_key, segment_value, metric",
            ),
            "kpis_trend": r.select(
                "segment_kpis",
                KPI_FIELDS,
                "day BETWEEN ? AND ? AND segment_key = 'overall'",
                [trend_start, day],
                ["day", "segment_key"],
                "day, metric",
            ),
            "alerts": r.select("quality_alerts", ALERT_FIELDS, on_day, [day], ["day"], "alert_id"),
            "rollout": r.select("rollout_decisions", ROLLOUT_FIELDS, on_day, [day], ["day"]),
            "judge_scores": r.select("judge_scores", JUDGE_FIELDS, on_day, [day], ["day"]),
            "judge_calls": r.select("judge_calls", CALL_FIELDS, on_day, [day], ["day"]),
            "sampled": r.select("sampled_interactions", SAMPLE_FIELDS, on_day, [day], ["day"]),
            "volume": r.scalar(
                "raw_interactions",
                "SELECT count(*) FROM raw_interactions WHERE day = ?",
                [day],
                ["day"],
            ),
            "issues": r.select(
                "issue_priorities",
                ISSUE_FIELDS,
                "day = ? AND rank <= ?",
                [day, rs.top_issues],
                ["day", "rank"],
                "rank, issue_id",
            ),
            "clusters": r.select(
                "failure_clusters",
                CLUSTER_FIELDS,
                on_day,
                [day],
                ["day"],
                "size DESC, cluster_id" if r.has("failure_clusters", "size", "cluster_id") else "",
            ),
        }
        ids = example_ids([ctx["issues"], ctx["clusters"]], rs.examples_per_issue)
        ctx["examples"] = r.queries(ids, day - dt.timedelta(days=6), day)
        ctx["tables_present"] = r.present()
        ctx["load_errors"] = r.errors
    return redact_context(ctx)


def load_weekly_context(
    wh: Warehouse, week_start: dt.date, settings: Settings | None = None
) -> dict[str, Any]:
    """Every table the weekly report of the week starting ``week_start`` (a Monday) shows."""
    settings = settings or Settings()
    rs = settings.reports
    week_end = week_start + dt.timedelta(days=6)
    prev_start = week_start - dt.timedelta(days=7)
    calib_start = week_start - dt.timedelta(days=7 * (rs.calibration_weeks - 1))
    in_week = "day BETWEEN ? AND ?"
    with wh.connect() as con:
        r = TableReader(con)
        ctx: dict[str, Any] = {
            "kind": "weekly",
            "week_start": week_start,
            "week_end": week_end,
            "prev_start": prev_start,
            "settings": settings,
            "generated_at": _utcnow(),
            "kpis_overall": r.select(
                "segment_kpis",
                KPI_FIELDS,
                "day BETWEEN ? AND ? AND segment_key = 'overall'",
                [prev_start, week_end],
                ["day", "segment_key"],
                "day, metric",
            ),
            "comparison": r.select(
                "model_comparison",
                COMPARISON_FIELDS,
                "week_start = ?",
                [week_start],
                ["week_start"],
            ),
            "calibration": r.select(
                "judge_calibration",
                CALIBRATION_FIELDS,
                in_week,
                [calib_start, week_end],
                ["day"],
                "day, criterion, backend",
            ),
            "fairness": r.select(
                "fairness_audit", FAIRNESS_FIELDS, "week_start = ?", [week_start], ["week_start"]
            ),
            "issues": r.select(
                "issue_priorities",
                ISSUE_FIELDS,
                in_week,
                [week_start, week_end],
                ["day"],
                "day, rank",
            ),
            "regression": r.select(
                "regression_cases",
                REGRESSION_FIELDS,
                in_week,
                [week_start, week_end],
                ["day"],
                "day, case_id",
            ),
            "alerts": r.select(
                "quality_alerts",
                ALERT_FIELDS,
                in_week,
                [week_start, week_end],
                ["day"],
                "day, alert_id",
            ),
            "volume": r.scalar(
                "raw_interactions",
                "SELECT count(*) FROM raw_interactions WHERE day BETWEEN ? AND ?",
                [week_start, week_end],
                ["day"],
            ),
        }
        issues = ctx["issues"]
        latest = (
            issues.sort_values("day").drop_duplicates("issue_id", keep="last")
            if len(issues)
            else issues
        )
        ids = example_ids([latest], rs.examples_per_issue)
        ctx["examples"] = r.queries(ids, week_start, week_end)
        ctx["tables_present"] = r.present()
        ctx["load_errors"] = r.errors
    return redact_context(ctx)
