"""The sections of the weekly report (Monday-to-Sunday), each a function of the context.

Week-over-week numbers are pooled from the daily ``segment_kpis`` rows with the
KPI stage's own pooling rules (counts add, census rates recombine, sample-based
estimates are weighted by volume) and the composite is recomputed from the pooled
terms, so the weekly figure agrees with how the KPI stage defines it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import Settings
from evalflow.kpis import catalogue
from evalflow.kpis.composite import composite_rows
from evalflow.kpis.pooling import pool_days
from evalflow.kpis.stats import z_value
from evalflow.reports import figures
from evalflow.reports.daily_sections import issues_table
from evalflow.reports.model import (
    UNMEASURED,
    Cell,
    Section,
    Stat,
    Table,
    as_float,
    date_cell,
    empty_section,
    fmt_ci,
    fmt_ci_pp,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_pp,
    fmt_signed,
    json_list,
    num_cell,
    shorten,
    truthy,
)

WOW_METRICS: list[tuple[str, str, bool]] = [
    ("composite_kpi", "Composite KPI", True),
    ("volume", "Interactions", False),
    ("hallucination_rate", "Hallucination rate", True),
    ("toxicity_rate", "Toxicity rate (judge)", True),
    ("relevance_score", "Relevance score", False),
    ("rating_down_rate", "Thumbs-down rate", True),
    ("override_rate", "Override rate", True),
    ("escalation_precision", "Escalation precision", True),
    ("sla_hit_rate", "SLA hit rate", True),
    ("error_rate", "Error rate", True),
    ("latency_ms_p95", "Latency p95 (ms)", False),
    ("cost_per_interaction", "Cost per interaction ($)", False),
]
LOWER_IS_BETTER = {
    "hallucination_rate",
    "toxicity_rate",
    "rating_down_rate",
    "override_rate",
    "error_rate",
    "latency_ms_p50",
    "latency_ms_p95",
    "cost_per_interaction",
    "retried_rate",
    "edited_rate",
    "incident_miss_rate",
    "refusal_rate",
    "pii_signal_rate",
    "toxicity_signal_rate",
    "latency_sla_breach_rate",
    "resolution_minutes_p50",
    "resolution_minutes_p90",
    "judge_unmeasured",
}
NEUTRAL = {"volume", "escalation_rate", "feedback_rate"}
SUMMARY_GROUP = "(all groups)"
"""fairness_audit's group_value on per-attribute summary rows."""
"""Changes that are neither better nor worse in themselves (traffic, how often users rate)."""


def change_class(metric: str, change: float | None) -> str:
    """``worse``/``better`` for a change of ``metric`` (every other metric: higher is better)."""
    if change is None or change == 0 or metric in NEUTRAL:
        return ""
    return "worse" if (change > 0) == (metric in LOWER_IS_BETTER) else "better"


def _settings(ctx: dict[str, Any]) -> Settings:
    return ctx.get("settings") or Settings()


def _frame(ctx: dict[str, Any], key: str) -> pd.DataFrame:
    value = ctx.get(key)
    return value if isinstance(value, pd.DataFrame) else pd.DataFrame()


def _fmt(metric: str, value: Any, share: bool) -> str:
    if metric == "volume":
        return fmt_int(value)
    return fmt_pct(value) if share else fmt_num(value)


# -- week over week ------------------------------------------------------------
def pooled_week(rows: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One pooled value per metric for a week of overall daily rows, composite included."""
    if rows.empty:
        return pd.DataFrame(columns=["metric", "value", "ci_low", "ci_high", "n", "days"])
    z = z_value(settings.kpis.confidence)
    frame = rows.copy()
    for col in ("value", "ci_low", "ci_high", "se", "n"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    known = frame["metric"].map(_known_metric)
    pooled = pool_days(frame[known], z)
    if pooled.empty:
        return pooled
    cell = pooled.assign(segment_key="overall", segment_value="week", low_count=False)
    comp = composite_rows(cell, settings.kpis.composite, z, settings.kpis.min_cell_count)
    if len(comp):
        comp = comp.assign(days=int(frame["day"].nunique()))
        pooled = pd.concat(
            [pooled, comp[[c for c in pooled.columns if c in comp.columns]]], ignore_index=True
        )
    return pooled


def _known_metric(metric: Any) -> bool:
    try:
        catalogue.metric_kind(str(metric))
    except KeyError:
        return False
    return True


def wow_section(ctx: dict[str, Any]) -> Section:
    """Key KPIs this week against last week, pooled over each week's days."""
    settings = _settings(ctx)
    week_start: dt.date = ctx["week_start"]
    prev_start: dt.date = ctx["prev_start"]
    title = "Week over week"
    desc = (
        "Key KPIs over all traffic, pooled over the seven days of this week and of last "
        "week, with the change. The chart shows each day, aligned by weekday."
    )
    daily = _frame(ctx, "kpis_overall")
    this = daily[daily["day"] >= week_start] if len(daily) else daily
    if this.empty:
        return empty_section(
            "wow", title, desc, f"segment_kpis has no rows for the week of {week_start}"
        )
    last = daily[(daily["day"] >= prev_start) & (daily["day"] < week_start)]
    now, before = pooled_week(this, settings), pooled_week(last, settings)
    now_i, before_i = now.set_index("metric"), before.set_index("metric")
    rows, stats = [], []
    for metric, label, share in WOW_METRICS:
        if metric not in now_i.index:
            continue
        v = as_float(now_i.loc[metric, "value"])
        b = as_float(before_i.loc[metric, "value"]) if metric in before_i.index else None
        change = (v - b) if v is not None and b is not None else None
        if change is None:
            change_text = UNMEASURED
        elif share:
            change_text = fmt_pp(change)
        else:
            change_text = fmt_signed(change) + (f" ({change / b:+.1%})" if b else "")
        direction = change_class(metric, change)
        worse = direction == "worse"
        cls = f"num {direction}".strip()
        rows.append(
            [
                Cell(label),
                num_cell(_fmt(metric, b, share)),
                num_cell(_fmt(metric, v, share)),
                Cell(change_text, cls=cls),
                Cell(
                    fmt_ci(now_i.loc[metric, "ci_low"], now_i.loc[metric, "ci_high"])
                    if share
                    else ""
                ),
                num_cell(fmt_int(now_i.loc[metric, "days"])),
            ]
        )
        if metric in ("composite_kpi", "volume", "hallucination_rate", "sla_hit_rate"):
            stats.append(
                Stat(
                    label,
                    _fmt(metric, v, share),
                    f"{change_text} vs last week" if change is not None else "no data last week",
                    "worse" if worse else "",
                )
            )
    table = Table(
        [
            "KPI",
            f"Last week ({prev_start})",
            f"This week ({week_start})",
            "Change",
            "Interval (this week)",
            "Days",
        ],
        rows,
    )
    fig = figures.week_over_week(daily, week_start, WOW_METRICS)
    notes = []
    if last.empty:
        notes.append("No KPI rows for last week: changes are unmeasured.")
    return Section(
        "wow", title, desc, stats=stats, tables=[table], notes=notes, figures=[fig] if fig else []
    )


# -- model comparison ----------------------------------------------------------
def comparison_section(ctx: dict[str, Any]) -> Section:
    """Baseline (control) vs new (treatment) model over the week, with the recommendation."""
    week_start: dt.date = ctx["week_start"]
    title = "Baseline vs new model"
    desc = (
        "Every KPI pooled per model version over the week; the difference (new − baseline) "
        "with its 95% CI, and the week's recommendation from the daily gates."
    )
    comp = _frame(ctx, "comparison")
    if comp.empty:
        return empty_section(
            "comparison", title, desc, f"model_comparison has no rows for the week of {week_start}"
        )
    first = comp.iloc[0]
    rec = str(first["recommendation"]) if first["recommendation"] is not None else UNMEASURED
    stats = [
        Stat(
            "Recommendation",
            rec,
            f"{first['baseline_version']} → {first['new_version']}",
            f"decision-{ {'expand': 'go', 'pause': 'hold', 'rollback': 'rollback'}.get(rec, 'other') }",
        )
    ]
    comp_row = comp[comp["metric"] == catalogue.COMPOSITE]
    if len(comp_row):
        r = comp_row.iloc[0]
        stats += [
            Stat(
                "Composite baseline", fmt_pct(r["baseline_value"]), f"n={fmt_int(r['n_baseline'])}"
            ),
            Stat("Composite new", fmt_pct(r["new_value"]), f"n={fmt_int(r['n_new'])}"),
            Stat("Difference", fmt_pp(r["diff"]), fmt_ci_pp(r["diff_ci_low"], r["diff_ci_high"])),
        ]
    bullets = [shorten(x, 600) for x in json_list(first["recommendation_reasons"])]
    order = {m: i for i, (m, _, _) in enumerate(WOW_METRICS)}
    rows = comp.assign(_o=comp["metric"].map(order).fillna(len(order))).sort_values(
        ["_o", "metric"]
    )
    table_rows = []
    for r in rows.itertuples(index=False):
        metric = str(r.metric)
        share = catalogue.is_unit_interval(metric)
        diff = fmt_pp(r.diff) if share else fmt_num(r.diff)
        table_rows.append(
            [
                Cell(metric),
                num_cell(_fmt(metric, r.baseline_value, share)),
                num_cell(_fmt(metric, r.new_value, share)),
                Cell(
                    diff,
                    cls=f"num {change_class(metric, as_float(r.diff))}".strip()
                    if truthy(r.significant)
                    else "num",
                ),
                Cell(
                    fmt_ci_pp(r.diff_ci_low, r.diff_ci_high)
                    if share
                    else fmt_ci(r.diff_ci_low, r.diff_ci_high, pct=False)
                ),
                num_cell(
                    fmt_pct(r.rel_change) if as_float(r.rel_change) is not None else UNMEASURED
                ),
                Cell("yes" if truthy(r.significant) else "no"),
                num_cell(fmt_int(r.n_baseline)),
                num_cell(fmt_int(r.n_new)),
            ]
        )
    table = Table(
        [
            "Metric",
            "Baseline",
            "New",
            "Difference",
            "Interval",
            "Relative",
            "Significant",
            "n baseline",
            "n new",
        ],
        table_rows,
    )
    fig = figures.comparison_forest(
        comp, [(m, lab, s) for m, lab, s in WOW_METRICS if s and m != "volume"]
    )
    return Section(
        "comparison",
        title,
        desc,
        stats=stats,
        bullets=bullets,
        tables=[table],
        figures=[fig] if fig else [],
    )


# -- calibration ---------------------------------------------------------------
def calibration_section(ctx: dict[str, Any]) -> Section:
    """How far the judges can be trusted: agreement and kappa with humans over time."""
    settings = _settings(ctx)
    week_end: dt.date = ctx["week_end"]
    title = "Judge calibration"
    desc = (
        f"Judge verdicts against human labels over the last "
        f"{settings.reports.calibration_weeks} week(s): Cohen's kappa with its bootstrap "
        "95% CI, and agreement. 'human' rows are inter-rater agreement between labelers. "
        "Below: each judge's validity on this traffic, its agreement with the users' own "
        "signals (thumbs, retries, edits, escalations, overrides)."
    )
    cal = _frame(ctx, "calibration")
    if cal.empty:
        return empty_section(
            "calibration", title, desc, f"judge_calibration has no rows up to {week_end}"
        )
    validity = validity_table(cal, week_end)
    cal = human_label_rows(cal)
    if cal.empty:
        return Section("calibration", title, desc, tables=[validity] if validity else [])
    latest = cal.sort_values("day").drop_duplicates(["criterion", "backend"], keep="last")
    latest = latest.sort_values(["backend", "criterion"])
    rows = [
        [
            Cell(str(r.criterion)),
            Cell(str(r.backend)),
            date_cell(r.day),
            num_cell(fmt_int(r.n)),
            num_cell(fmt_pct(r.agreement)),
            num_cell(fmt_pct(r.precision)),
            num_cell(fmt_pct(r.recall)),
            num_cell(fmt_num(r.kappa)),
            Cell(fmt_ci(r.kappa_ci_low, r.kappa_ci_high, pct=False)),
            num_cell(fmt_num(r.auc)),
            Cell(shorten(r.note, 300)),
        ]
        for r in latest.itertuples(index=False)
    ]
    kappas = pd.to_numeric(latest["kappa"], errors="coerce")
    judge_rows = latest[latest["backend"] != "human"]
    jk = pd.to_numeric(judge_rows["kappa"], errors="coerce")
    stats = [
        Stat(
            "Criteria measured",
            fmt_int(jk.notna().sum()),
            f"of {len(judge_rows)} judge criterion/backend pairs",
        ),
        Stat(
            "Lowest judge kappa",
            fmt_num(jk.min()) if jk.notna().any() else UNMEASURED,
            str(judge_rows.loc[jk.idxmin(), "criterion"]) if jk.notna().any() else "too few labels",
            "worse" if jk.notna().any() and jk.min() < 0.4 else "",
        ),
        Stat(
            "Labelled pairs",
            fmt_int(pd.to_numeric(judge_rows["n"], errors="coerce").sum()),
            "latest day, all criteria",
        ),
    ]
    notes = []
    if kappas.isna().all():
        notes.append(
            "No kappa could be measured yet (too few human labels); see the notes column for why."
        )
    fig = figures.calibration_over_time(cal)
    table = Table(
        [
            "Criterion",
            "Backend",
            "As of",
            "Pairs",
            "Agreement",
            "Precision",
            "Recall",
            "Kappa",
            "Kappa interval",
            "AUC",
            "Note",
        ],
        rows,
        caption="Latest calibration per criterion",
    )
    return Section(
        "calibration",
        title,
        desc,
        stats=stats,
        tables=[table, validity] if validity else [table],
        notes=notes,
        figures=[fig] if fig else [],
    )


def human_label_rows(cal: pd.DataFrame) -> pd.DataFrame:
    """Judge-vs-human (and inter-rater) rows; tables from before validity have no reference."""
    if "reference" not in cal.columns:
        return cal
    return cal[cal["reference"].isna() | (cal["reference"] == "human_labels")]


def validity_table(cal: pd.DataFrame, week_end: dt.date) -> Table | None:
    """Each judge's validity on this traffic as of the week's last calibrated day.

    One row per judge (criterion x backend): its status, then every overall
    user-signal AUC with its DeLong interval, and the segments where it was
    measured and did not agree. ``None`` when calibration wrote no validity rows.
    """
    if "reference" not in cal.columns or not (cal["reference"] == "any").any():
        return None
    last = max(d for d in cal.loc[cal["reference"] == "any", "day"])
    day = cal[cal["day"] == last]
    signals = day[day["reference"].astype(str).str.startswith("user:")]
    rows = []
    for r in day[day["reference"] == "any"].sort_values(["criterion", "backend"]).itertuples():
        mine = signals[(signals["criterion"] == r.criterion) & (signals["backend"] == r.backend)]
        overall = mine[mine["segment_key"] == "overall"]
        aucs = "; ".join(
            f"{str(s.reference).removeprefix('user:')} {fmt_num(s.auc)} "
            f"{fmt_ci(s.auc_ci_low, s.auc_ci_high, pct=False)} (n={fmt_int(s.n)})"
            for s in overall.itertuples()
            if not pd.isna(s.auc)
        )
        seg = mine[(mine["segment_key"] != "overall") & mine["auc"].notna()]
        disagree = seg[seg["validity"] == "unvalidated"]
        where = ", ".join(f"{d.segment_key}={d.segment_value}" for d in disagree.itertuples())
        rows.append(
            [
                Cell(str(r.criterion)),
                Cell(str(r.backend)),
                Cell(str(r.validity)),
                Cell(aucs or UNMEASURED),
                num_cell(f"{len(seg) - len(disagree)} of {len(seg)}"),
                Cell(shorten(where, 200)),
                Cell(shorten(r.validity_reason, 300)),
            ]
        )
    return Table(
        [
            "Criterion",
            "Backend",
            "Validity",
            "AUC vs user signals (95% CI)",
            "Segments agreeing",
            "Segments not shown to agree",
            "Why",
        ],
        rows,
        caption=(
            f"Judge validity on this traffic, as of {last} (trailing window; AUC of the judge "
            "score for the users' bad signal, 0.5 = chance; Benjamini-Hochberg over all "
            "cells). An unvalidated judge's alerts are at most medium."
        ),
    )


# -- fairness ------------------------------------------------------------------
MAX_FAIRNESS_PANELS = 4


def chart_metrics(audit: pd.DataFrame) -> list[str]:
    """The metrics worth a panel: those with flagged groups, else significant ones, else any.

    Every metric stays visible in the overview heatmap; the panels with the band are
    for the metrics a reader has to act on.
    """
    for mask in (
        audit["flagged"].map(truthy),
        audit["significant"].map(truthy),
        pd.Series(True, index=audit.index),
    ):
        picked = audit.loc[mask, "metric"].dropna().astype(str)
        if len(picked):
            counts = picked.value_counts()
            ranked = sorted(counts.index, key=lambda m: (-counts[m], m))
            return ranked[:MAX_FAIRNESS_PANELS]
    return []


def fairness_section(ctx: dict[str, Any]) -> Section:
    """Groups whose outcome or quality rates differ from the reference group."""
    settings = _settings(ctx)
    week_start: dt.date = ctx["week_start"]
    lo, hi = settings.fairness.ratio_bounds
    title = "Fairness disparities"
    desc = (
        f"Disparity ratio (group rate ÷ reference group rate) per audited group and metric; "
        f"inside {lo:g}–{hi:g} is acceptable (four-fifths rule). The panels show the metrics "
        "with flagged groups (red); groups under "
        f"{settings.fairness.min_group_size} interactions are hollow and never flagged. "
        "The heatmap shows every group and metric."
    )
    rows = _frame(ctx, "fairness")
    if rows.empty:
        return empty_section(
            "fairness", title, desc, f"fairness_audit has no rows for the week of {week_start}"
        )
    # summary rows (fairlearn between-group ratios per attribute) are not group-vs-reference
    summary_mask = (rows["direction"] == "summary") | (rows["group_value"] == SUMMARY_GROUP)
    audit, summary = rows[~summary_mask], rows[summary_mask]
    flagged = audit[audit["flagged"].map(truthy)]
    stats = [
        Stat(
            "Groups audited",
            fmt_int(audit[["attribute", "group_value"]].drop_duplicates().shape[0]),
            f"{audit['attribute'].nunique()} attribute(s), {audit['metric'].nunique()} metric(s)",
        ),
        Stat(
            "Flagged",
            fmt_int(len(flagged)),
            "group × metric pairs",
            "alert" if len(flagged) else "",
        ),
        Stat("Small groups", fmt_int(audit["small_group"].map(truthy).sum()), "too small to flag"),
    ]
    figs = [
        f
        for f in (
            figures.fairness_disparities(audit, chart_metrics(audit), (lo, hi)),
            figures.fairness_overview(audit, (lo, hi)),
        )
        if f is not None
    ]
    tables = []
    if len(flagged):
        tables.append(
            Table(
                [
                    "Attribute",
                    "Group",
                    "Reference",
                    "Metric",
                    "n",
                    "Rate",
                    "Reference rate",
                    "Ratio",
                    "Difference",
                    "p (adjusted)",
                ],
                [
                    [
                        Cell(str(r.attribute)),
                        Cell(str(r.group_value)),
                        Cell(str(r.reference_group)),
                        Cell(str(r.metric)),
                        num_cell(fmt_int(r.n)),
                        num_cell(fmt_pct(r.rate)),
                        num_cell(fmt_pct(r.reference_rate)),
                        num_cell(fmt_num(r.disparity_ratio)),
                        num_cell(fmt_pp(r.disparity_diff)),
                        num_cell(fmt_num(r.p_adjusted)),
                    ]
                    for r in flagged.sort_values(["attribute", "group_value", "metric"]).itertuples(
                        index=False
                    )
                ],
                caption="Flagged groups",
            )
        )
    if len(summary):
        tables.append(
            Table(
                ["Attribute", "Summary", "Ratio (min/max)", "Difference (max − min)"],
                [
                    [
                        Cell(str(r.attribute)),
                        Cell(str(r.metric)),
                        num_cell(fmt_num(r.disparity_ratio)),
                        num_cell(fmt_num(r.disparity_diff)),
                    ]
                    for r in summary.sort_values(["attribute", "metric"]).itertuples(index=False)
                ],
                caption="Between-group summaries (fairlearn)",
            )
        )
    notes = [] if len(flagged) else ["No group is flagged this week."]
    return Section("fairness", title, desc, stats=stats, figures=figs, tables=tables, notes=notes)


# -- issues --------------------------------------------------------------------
def weekly_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per issue of the week: its latest row, peak priority, best rank, days seen."""
    if issues.empty:
        return issues
    rows = issues.assign(
        priority=pd.to_numeric(issues["priority"], errors="coerce"),
        rank=pd.to_numeric(issues["rank"], errors="coerce"),
    )
    agg = rows.groupby("issue_id").agg(
        peak_priority=("priority", "max"),
        best_rank=("rank", "min"),
        days_seen=("day", "nunique"),
        first=("first_seen", "min"),
    )
    latest = rows.sort_values("day").drop_duplicates("issue_id", keep="last").set_index("issue_id")
    out = latest.join(agg).reset_index()
    out["priority"] = out["peak_priority"]
    out["first_seen"] = out["first"].where(out["first"].notna(), out["first_seen"])
    out = out.sort_values(
        ["peak_priority", "issue_id"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)
    out["week_rank"] = np.arange(1, len(out) + 1)
    return out


def issues_section(ctx: dict[str, Any]) -> Section:
    """The week's highest-priority issues (peak priority over the days they appeared)."""
    settings = _settings(ctx)
    week_start: dt.date = ctx["week_start"]
    n = settings.reports.top_issues
    title = f"Top {n} issues of the week"
    desc = (
        "Every issue seen this week, ranked by its peak daily priority; days seen tells "
        "whether it is persistent. Example queries come from its latest day."
    )
    issues = _frame(ctx, "issues")
    if issues.empty:
        return empty_section(
            "issues", title, desc, f"issue_priorities has no rows for the week of {week_start}"
        )
    week = weekly_issues(issues)
    top = week.head(n)
    stats = [
        Stat("Distinct issues", fmt_int(len(week)), "seen this week"),
        Stat("Persistent", fmt_int((week["days_seen"] >= 5).sum()), "seen on ≥ 5 days"),
        Stat(
            "New this week",
            fmt_int((week["first_seen"] >= week_start).sum()),
            "first seen this week",
        ),
    ]
    table = issues_table(
        top,
        ctx.get("examples") or {},
        settings,
        rank_col="week_rank",
        extra=[
            ("Days", lambda r: num_cell(fmt_int(r.days_seen))),
            ("Best rank", lambda r: num_cell(fmt_int(r.best_rank))),
        ],
    )
    fig = figures.issue_bars(
        top.assign(rank=top["week_rank"]), "priority", "Peak priority of the week's top issues"
    )
    return Section("issues", title, desc, stats=stats, tables=[table], figures=[fig] if fig else [])


# -- regression ----------------------------------------------------------------
def regression_section(ctx: dict[str, Any]) -> Section:
    """Production failures curated into the offline regression set this week."""
    settings = _settings(ctx)
    week_start: dt.date = ctx["week_start"]
    rs = settings.reports
    title = "Regression cases added"
    desc = (
        "Failing production interactions added this week to the regression set "
        "(regression/cases.jsonl) for offline evaluation of the next model or prompt."
    )
    cases = _frame(ctx, "regression")
    if cases.empty:
        return empty_section(
            "regression", title, desc, f"regression_cases has no rows for the week of {week_start}"
        )
    by_source = cases["source"].fillna("unknown").value_counts()
    stats = [
        Stat("Cases added", fmt_int(len(cases)), f"{cases['day'].nunique()} day(s)"),
        Stat("Issues covered", fmt_int(cases["issue_id"].dropna().nunique()), ""),
        Stat("Themes covered", fmt_int(cases["cluster_id"].dropna().nunique()), ""),
    ]
    stats += [Stat(str(s).replace("_", " "), fmt_int(k), "source") for s, k in by_source.items()]
    ranked = cases.assign(_r=pd.to_numeric(cases["priority_rank"], errors="coerce")).sort_values(
        ["_r", "day", "case_id"], na_position="last"
    )
    shown = ranked.head(max(rs.top_issues, 1))
    table = Table(
        ["Case", "Day", "Query", "Failure", "Theme", "Source", "Issue rank"],
        [
            [
                Cell(str(r.case_id)),
                date_cell(r.day),
                Cell(shorten(r.query, rs.max_text_chars), cls="wide"),
                Cell(shorten(r.failure, rs.max_text_chars), cls="medium"),
                Cell(str(r.cluster_id or "")),
                Cell(str(r.source or "")),
                num_cell(fmt_int(r.priority_rank)),
            ]
            for r in shown.itertuples(index=False)
        ],
        caption=f"Examples ({len(shown)} of {len(cases)}, highest-priority issues first)",
    )
    fig = figures.regression_by_day(cases)
    return Section(
        "regression", title, desc, stats=stats, tables=[table], figures=[fig] if fig else []
    )


WEEKLY_BUILDERS: list[Callable[[dict[str, Any]], Section]] = [
    wow_section,
    comparison_section,
    calibration_section,
    fairness_section,
    issues_section,
    regression_section,
]


def build_weekly_sections(ctx: dict[str, Any]) -> list[Section]:
    return [builder(ctx) for builder in WEEKLY_BUILDERS]


def weekly_headline(ctx: dict[str, Any]) -> dict[str, Any]:
    """The week's first-look numbers (also the asset's materialisation metadata)."""
    settings = _settings(ctx)
    week_start: dt.date = ctx["week_start"]
    daily = _frame(ctx, "kpis_overall")
    this = daily[daily["day"] >= week_start] if len(daily) else daily
    last = daily[daily["day"] < week_start] if len(daily) else daily

    def composite(rows: pd.DataFrame) -> float | None:
        pooled = pooled_week(rows, settings)
        hit = pooled[pooled["metric"] == catalogue.COMPOSITE] if len(pooled) else pooled
        return as_float(hit["value"].iloc[0]) if len(hit) else None

    comp = _frame(ctx, "comparison")
    audit = _frame(ctx, "fairness")
    cal = _frame(ctx, "calibration")
    cases = _frame(ctx, "regression")
    issues = _frame(ctx, "issues")
    alerts = _frame(ctx, "alerts")
    judge_cal = cal[cal["backend"] != "human"] if len(cal) else cal
    if len(judge_cal):
        latest = judge_cal.sort_values("day").drop_duplicates(["criterion", "backend"], keep="last")
        kappa = pd.to_numeric(latest["kappa"], errors="coerce")
        min_kappa = as_float(kappa.min())
    else:
        min_kappa = None
    volume = as_float(ctx.get("volume"))
    week = weekly_issues(issues)
    new_alerts = (
        alerts[(alerts["first_seen"] >= week_start)]["alert_id"].nunique() if len(alerts) else 0
    )
    return {
        "composite_this_week": composite(this),
        "composite_last_week": composite(last),
        "interactions": int(volume) if volume is not None else None,
        "recommendation": str(comp["recommendation"].iloc[0]) if len(comp) else None,
        "fairness_flagged": int(audit["flagged"].map(truthy).sum()) if len(audit) else 0,
        "min_judge_kappa": min_kappa,
        "regression_cases_added": len(cases),
        "distinct_issues": len(week),
        "top_issue": str(week["title"].iloc[0]) if len(week) else None,
        "alerts_opened": int(new_alerts),
    }
