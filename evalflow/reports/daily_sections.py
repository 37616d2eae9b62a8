"""The sections of the daily report, each a plain function of the loaded context.

A section builder reads only the frames ``load_daily_context`` produced and
returns a ``Section``; an absent or empty input gives a section that says
"no data for this section" and why, so a report renders whatever stages have run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from evalflow.config.settings import Settings
from evalflow.kpis import catalogue
from evalflow.reports import figures
from evalflow.reports.model import (
    SEVERITY_ORDER,
    UNMEASURED,
    Cell,
    Section,
    Stat,
    Table,
    as_float,
    badge,
    date_cell,
    empty_section,
    examples_cell,
    fmt_ci,
    fmt_ci_pp,
    fmt_date,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_pp,
    fmt_usd,
    json_list,
    json_object,
    num_cell,
    shorten,
    truthy,
)

HEAT_METRICS: list[figures.HeatMetric] = [
    ("composite_kpi", "Composite", "higher", True),
    ("hallucination_rate", "Hallucination", "lower", True),
    ("toxicity_rate", "Toxicity (judge)", "lower", True),
    ("relevance_score", "Relevance", "higher", False),
    ("rating_down_rate", "Thumbs-down", "lower", True),
    ("override_rate", "Override", "lower", True),
    ("escalation_precision", "Escalation precision", "higher", True),
    ("sla_hit_rate", "SLA hit", "higher", True),
    ("error_rate", "Errors", "lower", True),
    ("latency_ms_p95", "Latency p95 (ms)", "lower", False),
]
HEADLINE_METRICS: list[tuple[str, str, bool]] = [
    ("volume", "Interactions", False),
    ("hallucination_rate", "Hallucination rate", True),
    ("toxicity_rate", "Toxicity rate (judge)", True),
    ("sla_hit_rate", "SLA hit rate", True),
    ("rating_down_rate", "Thumbs-down rate", True),
]
DECISION_CLASS = {"GO": "go", "HOLD": "hold", "ROLLBACK": "rollback"}
MAX_ALERT_ROWS = 20
"""Alerts listed in the table (open and most severe first); the rest are counted."""
EVIDENCE_CHARS = 240


def _settings(ctx: dict[str, Any]) -> Settings:
    return ctx.get("settings") or Settings()


def _frame(ctx: dict[str, Any], key: str) -> pd.DataFrame:
    value = ctx.get(key)
    return value if isinstance(value, pd.DataFrame) else pd.DataFrame()


def _overall(kpis: pd.DataFrame) -> pd.DataFrame:
    if kpis.empty or "segment_key" not in kpis.columns:
        return kpis
    return kpis[kpis["segment_key"] == "overall"]


def _metric_row(kpis: pd.DataFrame, metric: str) -> pd.Series | None:
    rows = kpis[kpis["metric"] == metric] if len(kpis) else kpis
    return None if rows.empty else rows.iloc[-1]


def _value_text(metric: str, value: Any) -> str:
    if catalogue.is_unit_interval(metric):
        return fmt_pct(value)
    if metric == "volume":
        return fmt_int(value)
    return fmt_num(value)


# -- headline ------------------------------------------------------------------
def headline_section(ctx: dict[str, Any]) -> Section:
    """Today's composite KPI with its interval, change, trend chart and key rates."""
    day: dt.date = ctx["day"]
    settings = _settings(ctx)
    title = "Headline: composite KPI"
    desc = (
        "The weighted composite KPI of the day over all traffic, with its 95% confidence "
        f"interval, and its trend over the last {settings.reports.trend_days} days."
    )
    trend = _frame(ctx, "kpis_trend")
    today = _overall(_frame(ctx, "kpis_day"))
    if today.empty and trend.empty:
        return empty_section("headline", title, desc, f"segment_kpis has no rows for {day}")
    if today.empty:
        today = trend[trend["day"] == day]
    comp = _metric_row(today, catalogue.COMPOSITE)
    stats: list[Stat] = []
    value = as_float(comp["value"]) if comp is not None else None
    if comp is not None:
        detail = fmt_ci(comp["ci_low"], comp["ci_high"]) or "no interval"
        detail += f", n={fmt_int(comp['n'])}" + (
            " (low count)" if truthy(comp["low_count"]) else ""
        )
    else:
        detail = "not computed for this day"
    stats.append(Stat("Composite KPI", fmt_pct(value), detail, "primary"))
    comp_trend = trend[(trend["metric"] == catalogue.COMPOSITE)] if len(trend) else trend
    if len(comp_trend):
        comp_trend = comp_trend.assign(v=pd.to_numeric(comp_trend["value"], errors="coerce"))
        earlier = comp_trend[(comp_trend["day"] < day) & comp_trend["v"].notna()]
        if len(earlier) and value is not None:
            prev = earlier.sort_values("day").iloc[-1]
            stats.append(
                Stat(
                    "Change vs previous day",
                    fmt_pp(value - float(prev["v"])),
                    f"{fmt_pct(prev['v'])} on {fmt_date(prev['day'])}",
                    "down" if value < float(prev["v"]) else "up",
                )
            )
            mean = float(earlier["v"].mean())
            stats.append(
                Stat(
                    f"vs {len(earlier)}-day mean",
                    fmt_pp(value - mean),
                    f"trailing mean {fmt_pct(mean)}",
                    "down" if value < mean else "up",
                )
            )
    for metric, label, _share in HEADLINE_METRICS:
        row = _metric_row(today, metric)
        if row is None:
            continue
        ci = fmt_ci(row["ci_low"], row["ci_high"]) if catalogue.is_unit_interval(metric) else ""
        detail = (ci or f"n={fmt_int(row['n'])}") + _judge_detail(row)
        stats.append(Stat(label, _value_text(metric, row["value"]), detail))
    fig = figures.composite_trend(trend, day)
    notes = [*_composite_notes(settings, comp, day), *_judge_error_notes(today)]
    return Section("headline", title, desc, stats=stats, figures=[fig] if fig else [], notes=notes)


def _row_text(row: pd.Series | None, col: str) -> str | None:
    if row is None or col not in row.index or pd.isna(row[col]):
        return None
    return str(row[col])


def _judge_detail(row: pd.Series) -> str:
    """', 3 uncertain; uncorrected' style suffix for a judge-based headline tile."""
    parts = []
    unc = row.get("n_uncertain")
    if unc is not None and pd.notna(unc) and int(unc) > 0:
        parts.append(f"{fmt_int(unc)} uncertain (unmeasured)")
    how = _row_text(row, "judge_correction")
    if how == "rogan_gladen":
        parts.append("corrected for judge error")
    elif how is not None:
        parts.append("uncorrected for judge error")
    return ("; " + "; ".join(parts)) if parts else ""


def _composite_notes(settings: Settings, comp: pd.Series | None, day: dt.date) -> list[str]:
    """What the composite is made of today: configured terms, dropped ones, why NULL."""
    terms = " + ".join(
        f"{t.weight:g}×{t.metric}" + (" (inverted)" if t.direction == "lower" else "")
        for t in settings.kpis.composite
    )
    notes = [
        f"Composite (configured) = {terms}; each term is normalised to 0–1, higher is better. "
        "Terms with no data on the day's traffic are dropped and the weights renormalised."
    ]
    why = _row_text(comp, "note")
    if why:
        notes.append(f"Composite terms on {day}: {why}.")
    if comp is None or pd.isna(comp["value"]):
        notes.append(
            f"The composite for {day} is unmeasured ({UNMEASURED})"
            + ("." if why else ": none of its terms could be computed.")
        )
    return notes


def _judge_error_notes(today: pd.DataFrame) -> list[str]:
    """How each judge-based prevalence was (or was not) corrected for the judge's error."""
    notes = []
    for metric in ("hallucination_rate", "toxicity_rate"):
        row = _metric_row(today, metric)
        how = _row_text(row, "note")
        if how:
            notes.append(f"{metric}: {how}.")
    return notes


# -- segments ------------------------------------------------------------------
def segment_section(ctx: dict[str, Any]) -> Section:
    """Every segment value against the key metrics, low-count cells marked."""
    day: dt.date = ctx["day"]
    settings = _settings(ctx)
    title = "Segments"
    desc = (
        "Key metrics per segment value. Colours compare segments within a metric (green = "
        "better); † marks cells with fewer than "
        f"{settings.kpis.min_cell_count} observations (shown, but read with care)."
    )
    kpis = _frame(ctx, "kpis_day")
    if kpis.empty:
        return empty_section("segments", title, desc, f"segment_kpis has no rows for {day}")
    key_order = ["overall", *settings.segments, "model_version", "rollout_arm"]
    fig = figures.segment_heatmap(kpis, HEAT_METRICS, key_order)
    if fig is None:
        return empty_section(
            "segments", title, desc, "none of the key metrics is in segment_kpis for this day"
        )
    shown = kpis[kpis["metric"].isin([m[0] for m in HEAT_METRICS])]
    cells = shown[["segment_key", "segment_value"]].drop_duplicates()
    low = shown[shown["low_count"].map(truthy)]
    stats = [
        Stat(
            "Segment values", fmt_int(len(cells)), f"{cells['segment_key'].nunique()} segment keys"
        ),
        Stat("Low-count cells", fmt_int(len(low)), f"of {len(shown)} shown"),
    ]
    return Section("segments", title, desc, stats=stats, figures=[fig])


# -- alerts --------------------------------------------------------------------
def _alert_value(metric: Any, kind: Any, value: Any) -> str:
    if kind in ("input_drift", "freshness"):
        return fmt_num(value)
    return fmt_pct(value) if catalogue.is_unit_interval(str(metric)) else fmt_num(value)


def alerts_section(ctx: dict[str, Any]) -> Section:
    """The day's quality alerts: severity, evidence, since when, still open or resolved."""
    day: dt.date = ctx["day"]
    title = "Alerts"
    desc = (
        "Threshold, drift, input-drift, freshness and bias alerts evaluated on this day. "
        "First seen is the start of the current run of the alert."
    )
    alerts = _frame(ctx, "alerts")
    if alerts.empty:
        return empty_section("alerts", title, desc, f"quality_alerts has no rows for {day}")
    rows = alerts.assign(
        _resolved=(alerts["status"].fillna("open") != "open").astype(int),
        _sev=alerts["severity"].map(SEVERITY_ORDER).fillna(len(SEVERITY_ORDER)),
    ).sort_values(["_resolved", "_sev", "kind", "metric"], na_position="last")
    is_open = rows["status"].fillna("open") == "open"
    stats = [Stat("Open alerts", fmt_int(is_open.sum()), "", "alert" if is_open.any() else "")]
    for sev in SEVERITY_ORDER:
        n = int((is_open & (rows["severity"] == sev)).sum())
        if n:
            stats.append(Stat(sev.capitalize(), fmt_int(n), "open", f"sev-{sev}"))
    new = int((is_open & (rows["first_seen"] == day)).sum())
    stats.append(Stat("New today", fmt_int(new), "first seen on this day"))
    stats.append(Stat("Resolved", fmt_int((~is_open).sum()), "stopped firing today"))
    shown = rows.head(MAX_ALERT_ROWS)
    notes = (
        [
            f"Showing the {len(shown)} most severe of {len(rows)} alerts; all of them are in "
            "table quality_alerts."
        ]
        if len(rows) > len(shown)
        else []
    )
    table = Table(
        [
            "Severity",
            "Kind",
            "Metric",
            "Segment",
            "Observed",
            "Expected",
            "Evidence",
            "First seen",
            "Days",
            "Status",
        ],
        [
            [
                badge(r.severity),
                Cell(str(r.kind)),
                Cell(str(r.metric)),
                Cell(f"{r.segment_key}={r.segment_value}"),
                num_cell(_alert_value(r.metric, r.kind, r.observed)),
                num_cell(_alert_value(r.metric, r.kind, r.expected)),
                Cell(
                    shorten(r.evidence, EVIDENCE_CHARS), cls="wide", title=shorten(r.evidence, 4000)
                ),
                date_cell(r.first_seen),
                num_cell(fmt_int(r.consecutive_days)),
                badge(r.status or "open"),
            ]
            for r in shown.itertuples(index=False)
        ],
    )
    return Section("alerts", title, desc, stats=stats, tables=[table], notes=notes)


# -- rollout -------------------------------------------------------------------
def rollout_section(ctx: dict[str, Any]) -> Section:
    """The gate's GO / HOLD / ROLLBACK for the treatment, with its reasons and numbers."""
    day: dt.date = ctx["day"]
    settings = _settings(ctx)
    title = "Rollout decision"
    desc = (
        "Treatment vs control at the current traffic phase, judged against the criteria "
        "declared in the configuration before the rollout."
    )
    dec = _frame(ctx, "rollout")
    if dec.empty:
        return empty_section("rollout", title, desc, f"rollout_decisions has no row for {day}")
    first = dec.iloc[0]
    decision = str(first["decision"]) if first["decision"] is not None else UNMEASURED
    stats = [
        Stat(
            "Decision",
            decision,
            f"{first['treatment_version']} vs {first['control_version']}",
            f"decision-{DECISION_CLASS.get(decision, 'other')}",
        ),
        Stat(
            "Traffic share",
            fmt_pct(first["traffic_share"], 0),
            f"next phase {fmt_pct(first['next_phase'], 0)}"
            if as_float(first["next_phase"]) is not None
            else "no next phase",
        ),
        Stat(
            "Composite treatment",
            fmt_pct(first["composite_treatment"]),
            f"n={fmt_int(first['n_treatment'])}",
        ),
        Stat(
            "Composite control",
            fmt_pct(first["composite_control"]),
            f"n={fmt_int(first['n_control'])}",
        ),
        Stat(
            "Difference",
            fmt_pp(first["composite_diff"]),
            fmt_ci_pp(first["composite_diff_ci_low"], first["composite_diff_ci_high"]),
        ),
    ]
    bullets = [shorten(r, 600) for r in json_list(first["reasons"])]
    tables = []
    for r in dec.itertuples(index=False):
        checks = json_object(r.details_json).get("checks", [])
        if not isinstance(checks, list) or not checks:
            continue
        tables.append(
            Table(
                ["Check", "Status", "Reason"],
                [
                    [
                        Cell(str(c.get("name", ""))),
                        badge(c.get("status", "")),
                        Cell(shorten(c.get("reason", ""), 600)),
                    ]
                    for c in checks
                    if isinstance(c, dict)
                ],
                caption=f"Checks: {r.treatment_version} vs {r.control_version} "
                f"at {fmt_pct(r.traffic_share, 0)} traffic",
            )
        )
    fig = figures.rollout_diff(
        dec, settings.rollout.composite_margin, settings.rollout.rollback_margin
    )
    return Section(
        "rollout",
        title,
        desc,
        stats=stats,
        bullets=bullets,
        tables=tables,
        figures=[fig] if fig else [],
    )


# -- judges --------------------------------------------------------------------
def judge_section(ctx: dict[str, Any]) -> Section:
    """What was judged, what could not be (errors, budget), what it cost, how noisy."""
    day: dt.date = ctx["day"]
    title = "Judge coverage and cost"
    desc = (
        "Sampled interactions judged per criterion. Rows with status error or over_budget "
        "are unmeasured: they never enter a rate. Cache hits cost nothing; noise is the "
        "spread of repeated judgements of the same input."
    )
    scores = _frame(ctx, "judge_scores")
    if scores.empty:
        return empty_section("judges", title, desc, f"judge_scores has no rows for {day}")
    sampled = _frame(ctx, "sampled")
    calls = _frame(ctx, "judge_calls")
    volume = as_float(ctx.get("volume"))
    status = scores["status"].fillna("unknown").astype(str)
    ok_ids = scores.loc[status == "ok", "interaction_id"].nunique()
    judged = scores["interaction_id"].nunique()
    unmeasured = int(status.isin(["error", "over_budget"]).sum())
    cached = int(scores["cached"].map(truthy).sum())
    tokens_in = pd.to_numeric(scores["tokens_in"], errors="coerce").sum()
    tokens_out = pd.to_numeric(scores["tokens_out"], errors="coerce").sum()
    if len(calls):
        cost = pd.to_numeric(calls["cost_usd"], errors="coerce").sum()
        tokens_in = pd.to_numeric(calls["tokens_in"], errors="coerce").sum()
        tokens_out = pd.to_numeric(calls["tokens_out"], errors="coerce").sum()
        cost_detail = f"{len(calls)} API call(s)"
    else:
        cost = pd.to_numeric(scores["cost_usd"], errors="coerce").sum()
        cost_detail = "no API calls recorded" if cost == 0 else "from judge rows"
    noise = pd.to_numeric(scores["noise_std"], errors="coerce")
    n_sampled = len(sampled)
    stats = [
        Stat(
            "Sampled",
            fmt_int(n_sampled) if n_sampled else UNMEASURED,
            f"of {fmt_int(volume)} interactions" if volume is not None else "",
        ),
        Stat(
            "Judged interactions",
            fmt_int(judged),
            f"{fmt_pct(ok_ids / n_sampled)} of sampled measured"
            if n_sampled
            else f"{ok_ids} with a verdict",
        ),
        Stat("Judge rows", fmt_int(len(scores)), f"{int((status == 'ok').sum())} ok"),
        Stat(
            "Unmeasured rows",
            fmt_int(unmeasured),
            f"{int((status == 'error').sum())} error, "
            f"{int((status == 'over_budget').sum())} over budget",
            "alert" if unmeasured else "",
        ),
        Stat("Cache hits", fmt_int(cached), f"{fmt_pct(cached / len(scores))} of rows"),
        Stat(
            "Tokens",
            fmt_int(tokens_in + tokens_out),
            f"{fmt_int(tokens_in)} in / {fmt_int(tokens_out)} out",
        ),
        Stat("Spent", fmt_usd(cost), cost_detail),
        Stat(
            "Mean judge noise",
            fmt_num(noise.mean()) if noise.notna().any() else UNMEASURED,
            f"{int(noise.notna().sum())} repeated row(s)",
        ),
    ]
    rows = []
    for criterion, g in scores.groupby(scores["criterion"].astype(str), sort=True):
        st = g["status"].fillna("unknown").astype(str)
        ok = g[st == "ok"]
        passed = ok["passed"].map(truthy)
        gn = pd.to_numeric(g["noise_std"], errors="coerce")
        rows.append(
            [
                Cell(criterion),
                num_cell(fmt_int(len(g))),
                num_cell(fmt_int(len(ok))),
                num_cell(fmt_pct(passed.mean()) if len(ok) else UNMEASURED),
                num_cell(fmt_int((st == "not_applicable").sum())),
                num_cell(fmt_int((st == "error").sum())),
                num_cell(fmt_int((st == "over_budget").sum())),
                num_cell(fmt_int(g["cached"].map(truthy).sum())),
                num_cell(fmt_usd(pd.to_numeric(g["cost_usd"], errors="coerce").sum())),
                num_cell(fmt_num(gn.mean()) if gn.notna().any() else UNMEASURED),
            ]
        )
    tables = [
        Table(
            [
                "Criterion",
                "Rows",
                "OK",
                "Pass rate",
                "N/A",
                "Error",
                "Over budget",
                "Cached",
                "Cost",
                "Noise",
            ],
            rows,
            caption="Per criterion",
        )
    ]
    if len(calls):
        grouped = calls.assign(
            purpose=calls["purpose"].fillna("unknown").astype(str),
            status=calls["status"].fillna("unknown").astype(str),
            attempts=pd.to_numeric(calls["attempts"], errors="coerce"),
        ).groupby(["purpose", "status"], sort=True)
        tables.append(
            Table(
                ["Purpose", "Status", "Calls", "Retries", "Cost"],
                [
                    [
                        Cell(p),
                        badge(s),
                        num_cell(fmt_int(len(g))),
                        num_cell(fmt_int((g["attempts"] - 1).clip(lower=0).sum())),
                        num_cell(fmt_usd(pd.to_numeric(g["cost_usd"], errors="coerce").sum())),
                    ]
                    for (p, s), g in grouped
                ],
                caption="API calls (judge_calls)",
            )
        )
    fig = figures.judge_status_bars(scores.assign(status=status))
    return Section("judges", title, desc, stats=stats, tables=tables, figures=[fig] if fig else [])


# -- issues --------------------------------------------------------------------
def issues_table(
    issues: pd.DataFrame,
    examples: dict[str, str],
    settings: Settings,
    rank_col: str = "rank",
    extra: list[tuple[str, Callable[[Any], Cell]]] | None = None,
) -> Table:
    rs = settings.reports
    extra = extra or []
    return Table(
        [
            "Rank",
            "Issue",
            "Source",
            "Category",
            "Improvement",
            "Priority",
            "Traffic",
            "Users",
            "Sev.",
            "First seen",
            *[e[0] for e in extra],
            "Example queries",
        ],
        [
            [
                num_cell(fmt_int(getattr(r, rank_col))),
                Cell(shorten(r.title, rs.max_text_chars), cls="medium"),
                Cell(str(r.source)),
                badge(r.category),
                Cell(str(r.suggested_improvement or "")),
                num_cell(fmt_num(r.priority)),
                num_cell(
                    f"{fmt_num(r.frequency)}%" if as_float(r.frequency) is not None else UNMEASURED
                ),
                num_cell(
                    f"{fmt_num(r.user_impact)}%"
                    if as_float(r.user_impact) is not None
                    else UNMEASURED
                ),
                num_cell(fmt_num(r.severity)),
                date_cell(r.first_seen),
                *[fn(r) for _, fn in extra],
                examples_cell(
                    [str(x) for x in json_list(r.example_ids)],
                    examples,
                    rs.max_text_chars,
                    rs.examples_per_issue,
                ),
            ]
            for r in issues.itertuples(index=False)
        ],
    )


def issues_section(ctx: dict[str, Any]) -> Section:
    """The day's highest-priority issues with the queries of example interactions."""
    day: dt.date = ctx["day"]
    settings = _settings(ctx)
    title = f"Top {settings.reports.top_issues} issues"
    desc = (
        "Issues ranked by Priority = Frequency × User impact × Severity × Business weight "
        "÷ Effort (frequency and users in % of the day's traffic)."
    )
    issues = _frame(ctx, "issues")
    if issues.empty:
        return empty_section("issues", title, desc, f"issue_priorities has no rows for {day}")
    issues = issues.sort_values("rank")
    by_cat = issues["category"].fillna("unknown").value_counts()
    stats = [Stat("Issues listed", fmt_int(len(issues)), "")]
    stats += [Stat(str(c).replace("_", " "), fmt_int(n), "category") for c, n in by_cat.items()]
    table = issues_table(issues, ctx.get("examples") or {}, settings)
    fig = figures.issue_bars(issues)
    return Section("issues", title, desc, stats=stats, tables=[table], figures=[fig] if fig else [])


# -- clusters ------------------------------------------------------------------
def _top_reasons(mix: Any, k: int = 3) -> str:
    counts = json_object(mix)
    items = sorted(
        ((str(r), as_float(n) or 0.0) for r, n in counts.items()), key=lambda t: (-t[1], t[0])
    )[:k]
    return ", ".join(f"{r} ({int(n)})" for r, n in items)


def clusters_section(ctx: dict[str, Any]) -> Section:
    """Failure themes first seen recently (new / emerging), with example queries."""
    day: dt.date = ctx["day"]
    settings = _settings(ctx)
    rs = settings.reports
    title = "New failure clusters"
    desc = (
        "Themes of failing interactions discovered today that were not seen before (new) "
        "or are appearing fast (emerging); other themes are in the chart."
    )
    clusters = _frame(ctx, "clusters")
    if clusters.empty:
        return empty_section("clusters", title, desc, f"failure_clusters has no rows for {day}")
    anomaly = clusters["is_anomaly_cluster"].map(truthy)
    themes = clusters[~anomaly]
    fresh = themes[themes["status"].isin(["new", "emerging"])]
    stats = [
        Stat("Themes", fmt_int(len(themes)), "failure themes today"),
        Stat(
            "New",
            fmt_int((themes["status"] == "new").sum()),
            "",
            "alert" if (themes["status"] == "new").any() else "",
        ),
        Stat("Emerging", fmt_int((themes["status"] == "emerging").sum()), ""),
    ]
    if anomaly.any():
        stats.append(
            Stat("Anomalies", fmt_int(clusters.loc[anomaly, "size"].sum()), "isolated interactions")
        )
    examples = ctx.get("examples") or {}
    tables = []
    notes = []
    if len(fresh):
        tables.append(
            Table(
                [
                    "Theme",
                    "Id",
                    "Status",
                    "Size",
                    "Traffic",
                    "Users",
                    "Severity",
                    "First seen",
                    "Main failure reasons",
                    "Example queries",
                ],
                [
                    [
                        Cell(shorten(r.label, rs.max_text_chars)),
                        Cell(str(r.cluster_id)),
                        badge(r.status),
                        num_cell(fmt_int(r.size)),
                        num_cell(fmt_pct(r.share_traffic, 2)),
                        num_cell(fmt_int(r.users_affected)),
                        num_cell(fmt_int(r.severity)),
                        date_cell(r.first_seen),
                        Cell(_top_reasons(r.failure_mix)),
                        examples_cell(
                            [str(x) for x in json_list(r.example_ids)],
                            examples,
                            rs.max_text_chars,
                            rs.examples_per_issue,
                        ),
                    ]
                    for r in fresh.itertuples(index=False)
                ],
            )
        )
    else:
        notes.append(
            f"No new or emerging failure themes on {day}; {len(themes)} known theme(s) recur."
        )
    fig = figures.cluster_sizes(clusters)
    return Section(
        "clusters",
        title,
        desc,
        stats=stats,
        tables=tables,
        notes=notes,
        figures=[fig] if fig else [],
    )


DAILY_BUILDERS: list[Callable[[dict[str, Any]], Section]] = [
    headline_section,
    segment_section,
    alerts_section,
    rollout_section,
    judge_section,
    issues_section,
    clusters_section,
]


def build_daily_sections(ctx: dict[str, Any]) -> list[Section]:
    return [builder(ctx) for builder in DAILY_BUILDERS]


def daily_headline(ctx: dict[str, Any]) -> dict[str, Any]:
    """The numbers a reader looks at first (also the asset's materialisation metadata)."""
    kpis = _overall(_frame(ctx, "kpis_day"))
    comp = _metric_row(kpis, catalogue.COMPOSITE) if len(kpis) else None
    vol_row = _metric_row(kpis, "volume") if len(kpis) else None
    alerts = _frame(ctx, "alerts")
    open_alerts = alerts[alerts["status"].fillna("open") == "open"] if len(alerts) else alerts
    dec = _frame(ctx, "rollout")
    scores = _frame(ctx, "judge_scores")
    calls = _frame(ctx, "judge_calls")
    issues = _frame(ctx, "issues")
    clusters = _frame(ctx, "clusters")
    cost_src = calls if len(calls) else scores
    volume = as_float(ctx.get("volume"))
    if volume is None and vol_row is not None:
        volume = as_float(vol_row["value"])
    return {
        "composite_kpi": as_float(comp["value"]) if comp is not None else None,
        "composite_ci_low": as_float(comp["ci_low"]) if comp is not None else None,
        "composite_ci_high": as_float(comp["ci_high"]) if comp is not None else None,
        "interactions": int(volume) if volume is not None else None,
        "open_alerts": len(open_alerts),
        "critical_or_high_alerts": int(open_alerts["severity"].isin(["critical", "high"]).sum())
        if len(open_alerts)
        else 0,
        "rollout_decision": str(dec["decision"].iloc[0]) if len(dec) else None,
        "judged_interactions": int(scores["interaction_id"].nunique()) if len(scores) else 0,
        "judge_cost_usd": float(pd.to_numeric(cost_src["cost_usd"], errors="coerce").sum())
        if len(cost_src)
        else 0.0,
        "top_issue": str(issues.sort_values("rank")["title"].iloc[0]) if len(issues) else None,
        "new_failure_themes": int(
            clusters["status"].isin(["new", "emerging"]).sum()
            - clusters.loc[clusters["status"].isin(["new", "emerging"]), "is_anomaly_cluster"]
            .map(truthy)
            .sum()
        )
        if len(clusters)
        else 0,
    }
