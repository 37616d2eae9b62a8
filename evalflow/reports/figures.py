"""Plotly figure builders: plain functions from frames to ``go.Figure``.

Every builder returns ``None`` when it has nothing to draw, so a section can say
"no data" instead of showing empty axes. Any text that came from logs (segment
values, issue titles, theme labels, group names) goes through ``plot_text``,
because plotly.js reads a subset of HTML inside labels and hover boxes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evalflow.reports.model import as_float, fmt_num, fmt_pct, plot_text, truthy

BLUE = "#1f77b4"
GREY = "#8c8c8c"
RED = "#d62728"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
PURPLE = "#9467bd"
STATUS_COLOURS = {"ok": GREEN, "not_applicable": GREY, "error": RED, "over_budget": ORANGE}
THEME_COLOURS = {
    "new": RED,
    "emerging": ORANGE,
    "growing": PURPLE,
    "stable": BLUE,
    "shrinking": GREY,
}
CATEGORY_COLOURS = {"quick_win": GREEN, "strategic": BLUE, "research": PURPLE, "maintenance": GREY}
PALETTE = [BLUE, ORANGE, GREEN, RED, PURPLE, "#8c564b", "#e377c2", "#17becf"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template="plotly_white",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"},
        hoverlabel={"align": "left"},
    )
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _band(
    x: Sequence[object], low: Sequence[float], high: Sequence[float], colour: str, name: str
) -> go.Scatter:
    """A filled confidence band (upper edge forwards, lower edge back)."""
    return go.Scatter(
        x=[*x, *reversed(list(x))],
        y=[*high, *reversed(list(low))],
        fill="toself",
        fillcolor=_rgba(colour, 0.18),
        line={"width": 0},
        hoverinfo="skip",
        name=name,
        showlegend=True,
    )


# -- daily ---------------------------------------------------------------------
def composite_trend(
    trend: pd.DataFrame, day: dt.date, metric: str = "composite_kpi"
) -> go.Figure | None:
    """The composite KPI per day (overall) with its confidence band; ``day`` highlighted."""
    rows = trend[(trend["metric"] == metric)] if len(trend) else trend
    if rows.empty:
        return None
    rows = rows.assign(
        value=pd.to_numeric(rows["value"], errors="coerce"),
        ci_low=pd.to_numeric(rows["ci_low"], errors="coerce"),
        ci_high=pd.to_numeric(rows["ci_high"], errors="coerce"),
    )
    rows = rows.sort_values("day").drop_duplicates("day", keep="last")
    if rows["value"].notna().sum() == 0:
        return None
    fig = go.Figure()
    band = rows.dropna(subset=["ci_low", "ci_high"])
    if len(band):
        fig.add_trace(
            _band(
                list(band["day"]),
                list(band["ci_low"]),
                list(band["ci_high"]),
                BLUE,
                "95% confidence band",
            )
        )
    hover = [
        f"{d}: {fmt_pct(v)} ({fmt_pct(lo)}–{fmt_pct(hi)}), n={n}"
        for d, v, lo, hi, n in zip(
            rows["day"], rows["value"], rows["ci_low"], rows["ci_high"], rows["n"], strict=True
        )
    ]
    fig.add_trace(
        go.Scatter(
            x=list(rows["day"]),
            y=list(rows["value"]),
            mode="lines+markers",
            name="composite KPI",
            line={"color": BLUE, "width": 2},
            hovertext=hover,
            hoverinfo="text",
        )
    )
    today = rows[rows["day"] == day]
    if len(today) and pd.notna(today["value"].iloc[0]):
        fig.add_trace(
            go.Scatter(
                x=[day],
                y=[float(today["value"].iloc[0])],
                mode="markers",
                name=str(day),
                marker={"size": 13, "color": RED, "symbol": "diamond"},
                hoverinfo="skip",
            )
        )
    fig.update_yaxes(tickformat=".0%", title="composite KPI")
    fig.update_xaxes(title="day")
    return _layout(fig, f"Composite KPI, last {rows['day'].nunique()} day(s) with data")


HeatMetric = tuple[str, str, str, bool]
"""(metric, column label, direction 'higher'|'lower', is a share)."""


def segment_heatmap(
    kpis: pd.DataFrame, metrics: Sequence[HeatMetric], key_order: Sequence[str]
) -> go.Figure | None:
    """Segment values × key metrics; colour = better/worse within each metric column.

    Columns have different units and directions, so each column is min-max scaled
    with "better" mapped to green. Cells below the configured minimum count carry a
    dagger and say so on hover; missing cells stay blank (unmeasured).
    """
    if kpis.empty:
        return None
    names = [m[0] for m in metrics]
    part = kpis[kpis["metric"].isin(names)].copy()
    if part.empty:
        return None
    part["cell"] = part["segment_key"].astype(str) + "=" + part["segment_value"].astype(str)
    order = {k: i for i, k in enumerate(key_order)}
    cells = (
        part[["segment_key", "segment_value", "cell"]]
        .drop_duplicates("cell")
        .assign(o=lambda d: d["segment_key"].map(order).fillna(len(order)))
        .sort_values(["o", "segment_key", "segment_value"])
    )
    cell_ids = list(cells["cell"])
    part = part.drop_duplicates(["cell", "metric"], keep="last").set_index(["cell", "metric"])
    present = [m for m in metrics if m[0] in part.index.get_level_values("metric")]
    z = np.full((len(cell_ids), len(present)), np.nan)
    text = [["" for _ in present] for _ in cell_ids]
    hover = [["" for _ in present] for _ in cell_ids]
    for j, (metric, label, direction, share) in enumerate(present):
        raw = np.array(
            [
                as_float(part["value"].get((c, metric))) if (c, metric) in part.index else None
                for c in cell_ids
            ],
            dtype=float,
        )
        good = raw if direction == "higher" else -raw
        finite = good[np.isfinite(good)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            z[:, j] = np.where(
                np.isfinite(good), (good - lo) / (hi - lo) if hi > lo else 0.5, np.nan
            )
        for i, c in enumerate(cell_ids):
            if (c, metric) not in part.index:
                continue
            rec = part.loc[(c, metric)]
            val = fmt_pct(rec["value"]) if share else fmt_num(rec["value"])
            low = truthy(rec["low_count"])
            text[i][j] = val + (" †" if low else "")
            ci = (
                f" (95% CI {fmt_pct(rec['ci_low'])}–{fmt_pct(rec['ci_high'])})"
                if share and as_float(rec["ci_low"]) is not None
                else ""
            )
            hover[i][j] = f"{plot_text(c)}<br>{label}: {val}{ci}<br>n={rec['n']}" + (
                "<br>low count: read with care" if low else ""
            )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[m[1] for m in present],
            y=[plot_text(c, 40) for c in cell_ids],
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            colorscale="RdYlGn",
            zmin=0,
            zmax=1,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=-30)
    _layout(
        fig,
        "Segments × key metrics (green = better within the column, † = low count)",
        height=max(320, 170 + 26 * len(cell_ids)),
    )
    fig.update_layout(margin={"t": 150}, title={"y": 0.99, "yanchor": "top"})
    return fig


def judge_status_bars(scores: pd.DataFrame) -> go.Figure | None:
    """Judge rows per criterion, stacked by status (ok / not_applicable / error / over_budget)."""
    if scores.empty:
        return None
    counts = scores.groupby(["criterion", "status"], dropna=False).size().unstack(fill_value=0)
    fig = go.Figure()
    for status in [*STATUS_COLOURS, *[s for s in counts.columns if s not in STATUS_COLOURS]]:
        if status not in counts.columns:
            continue
        fig.add_trace(
            go.Bar(
                x=[plot_text(c) for c in counts.index],
                y=counts[status].tolist(),
                name=plot_text(status),
                marker_color=STATUS_COLOURS.get(str(status), PURPLE),
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="judge rows")
    return _layout(fig, "Judge rows by criterion and status")


def rollout_diff(
    decisions: pd.DataFrame, composite_margin: float, rollback_margin: float
) -> go.Figure | None:
    """Treatment − control composite with its CI against the HOLD and ROLLBACK margins."""
    if decisions.empty:
        return None
    rows = decisions.assign(diff=pd.to_numeric(decisions["composite_diff"], errors="coerce"))
    rows = rows[rows["diff"].notna()]
    if rows.empty:
        return None
    labels = [
        plot_text(f"{t} @ {fmt_pct(s, 0)}")
        for t, s in zip(rows["treatment_version"], rows["traffic_share"], strict=True)
    ]
    lo = pd.to_numeric(rows["composite_diff_ci_low"], errors="coerce")
    hi = pd.to_numeric(rows["composite_diff_ci_high"], errors="coerce")
    colours = [
        {"GO": GREEN, "HOLD": ORANGE, "ROLLBACK": RED}.get(str(d), GREY) for d in rows["decision"]
    ]
    fig = go.Figure(
        go.Scatter(
            x=rows["diff"].tolist(),
            y=labels,
            mode="markers",
            marker={"size": 14, "color": colours},
            error_x={
                "type": "data",
                "symmetric": False,
                "color": GREY,
                "array": (hi - rows["diff"]).fillna(0).tolist(),
                "arrayminus": (rows["diff"] - lo).fillna(0).tolist(),
            },
            hovertext=[
                f"{lab}: diff {fmt_pct(d)}" for lab, d in zip(labels, rows["diff"], strict=True)
            ],
            hoverinfo="text",
            name="treatment − control",
        )
    )
    fig.add_vline(x=0, line={"color": GREY, "dash": "dot"})
    fig.add_vline(
        x=-composite_margin,
        line={"color": ORANGE, "dash": "dash"},
        annotation_text="HOLD below",
        annotation_position="top right",
    )
    fig.add_vline(
        x=-rollback_margin,
        line={"color": RED, "dash": "dash"},
        annotation_text="ROLLBACK below",
        annotation_position="top left",
    )
    fig.update_xaxes(tickformat="+.1%", title="composite KPI difference (treatment − control)")
    return _layout(
        fig, "Rollout gate: composite difference with 95% CI", height=200 + 40 * len(rows)
    )


def issue_bars(
    issues: pd.DataFrame, value_col: str = "priority", title: str = "Priority of the top issues"
) -> go.Figure | None:
    """Horizontal bars of priority per issue, coloured by roadmap category."""
    if issues.empty:
        return None
    rows = issues.assign(v=pd.to_numeric(issues[value_col], errors="coerce")).dropna(subset=["v"])
    if rows.empty:
        return None
    rows = rows.reset_index(drop=True)
    ranks = (
        pd.to_numeric(rows["rank"], errors="coerce")
        if "rank" in rows.columns
        else pd.Series(np.nan, index=rows.index)
    )
    rows["lab"] = [
        plot_text(f"#{int(r) if pd.notna(r) else i + 1} {t}", 60)
        for i, (r, t) in enumerate(zip(ranks, rows["title"], strict=True))
    ]
    fig = go.Figure()
    for category, part in rows.groupby(rows["category"].astype(str), sort=False):
        fig.add_trace(
            go.Bar(
                x=part["v"].tolist(),
                y=part["lab"].tolist(),
                orientation="h",
                name=plot_text(category),
                marker_color=CATEGORY_COLOURS.get(category, ORANGE),
            )
        )
    fig.update_yaxes(
        categoryorder="array", categoryarray=rows["lab"].tolist(), autorange="reversed"
    )
    fig.update_xaxes(title=value_col.replace("_", " "))
    return _layout(fig, title, height=max(260, 80 + 30 * len(rows)))


def cluster_sizes(clusters: pd.DataFrame) -> go.Figure | None:
    """Failure themes of the day by size, new and emerging ones in warm colours."""
    if clusters.empty:
        return None
    rows = clusters[~clusters["is_anomaly_cluster"].map(truthy)]
    rows = rows.assign(size=pd.to_numeric(rows["size"], errors="coerce")).dropna(subset=["size"])
    if rows.empty:
        return None
    rows = rows.sort_values("size", ascending=False).head(25)
    fig = go.Figure()
    for status, part in rows.groupby(rows["status"].astype(str), sort=False):
        fig.add_trace(
            go.Bar(
                x=part["size"].tolist(),
                y=[
                    plot_text(f"{lab} [{cid}]", 60)
                    for lab, cid in zip(part["label"], part["cluster_id"], strict=True)
                ],
                orientation="h",
                name=plot_text(status),
                marker_color=THEME_COLOURS.get(status, GREY),
            )
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="failing interactions")
    return _layout(fig, "Failure themes of the day by size", height=max(260, 80 + 26 * len(rows)))


# -- weekly --------------------------------------------------------------------
def week_over_week(
    daily: pd.DataFrame, week_start: dt.date, metrics: Sequence[tuple[str, str, bool]]
) -> go.Figure | None:
    """Small multiples: each key metric by weekday, this week against last week."""
    if daily.empty:
        return None
    present = [m for m in metrics if (daily["metric"] == m[0]).any()]
    if not present:
        return None
    cols = 3
    nrows = math.ceil(len(present) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[m[1] for m in present],
        vertical_spacing=min(0.12, 0.5 / max(nrows, 1)),
    )
    prev_start = week_start - dt.timedelta(days=7)
    for k, (metric, _label, share) in enumerate(present):
        r, c = k // cols + 1, k % cols + 1
        part = daily[daily["metric"] == metric].drop_duplicates("day", keep="last")
        for start, name, colour, dash in (
            (prev_start, "last week", GREY, "dash"),
            (week_start, "this week", BLUE, "solid"),
        ):
            days = [start + dt.timedelta(days=i) for i in range(7)]
            values = part.set_index("day")["value"].reindex(days)
            y = pd.to_numeric(values, errors="coerce").tolist()
            fig.add_trace(
                go.Scatter(
                    x=WEEKDAYS,
                    y=y,
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=k == 0,
                    line={"color": colour, "dash": dash},
                    hovertext=[
                        f"{d}: {fmt_pct(v) if share else fmt_num(v)}"
                        for d, v in zip(days, y, strict=True)
                    ],
                    hoverinfo="text",
                ),
                row=r,
                col=c,
            )
        if share:
            fig.update_yaxes(tickformat=".1%", row=r, col=c)
    _layout(fig, "Key KPIs by weekday: this week vs last week", height=260 * nrows + 90)
    fig.update_layout(margin={"t": 90})
    return fig


def comparison_forest(
    comparison: pd.DataFrame, metrics: Sequence[tuple[str, str, bool]]
) -> go.Figure | None:
    """New − baseline difference with its CI for the key share metrics."""
    if comparison.empty:
        return None
    labels = {m: lab for m, lab, share in metrics if share}
    rows = comparison[comparison["metric"].isin(labels)].copy()
    rows["diff"] = pd.to_numeric(rows["diff"], errors="coerce")
    rows = rows.dropna(subset=["diff"])
    if rows.empty:
        return None
    lo = pd.to_numeric(rows["diff_ci_low"], errors="coerce")
    hi = pd.to_numeric(rows["diff_ci_high"], errors="coerce")
    colours = [RED if truthy(s) else BLUE for s in rows["significant"]]
    fig = go.Figure(
        go.Scatter(
            x=rows["diff"].tolist(),
            y=[labels[m] for m in rows["metric"]],
            mode="markers",
            marker={"size": 11, "color": colours},
            error_x={
                "type": "data",
                "symmetric": False,
                "color": GREY,
                "array": (hi - rows["diff"]).fillna(0).tolist(),
                "arrayminus": (rows["diff"] - lo).fillna(0).tolist(),
            },
            hovertext=[
                f"{labels[m]}: {fmt_pct(b)} → {fmt_pct(n)}"
                for m, b, n in zip(
                    rows["metric"], rows["baseline_value"], rows["new_value"], strict=True
                )
            ],
            hoverinfo="text",
            name="new − baseline",
        )
    )
    fig.add_vline(x=0, line={"color": GREY, "dash": "dot"})
    fig.update_xaxes(tickformat="+.1%", title="new − baseline (red = CI excludes 0)")
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig, "Baseline vs new model: differences with 95% CI", height=140 + 34 * len(rows)
    )


def calibration_over_time(calibration: pd.DataFrame) -> go.Figure | None:
    """Judge-vs-human kappa (with CI band) and agreement per criterion over the weeks."""
    if calibration.empty:
        return None
    rows = calibration.copy()
    for col in ("kappa", "kappa_ci_low", "kappa_ci_high", "agreement"):
        rows[col] = pd.to_numeric(rows[col], errors="coerce")
    if rows[["kappa", "agreement"]].notna().sum().sum() == 0:
        return None
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=["Cohen's kappa (judge vs human) with 95% CI", "Agreement"],
    )
    groups = rows.groupby([rows["criterion"].astype(str), rows["backend"].astype(str)], sort=True)
    for k, ((criterion, backend), part) in enumerate(groups):
        colour = PALETTE[k % len(PALETTE)]
        part = part.sort_values("day")
        name = plot_text(f"{criterion} ({backend})")
        band = part.dropna(subset=["kappa_ci_low", "kappa_ci_high"])
        if len(band):
            trace = _band(
                list(band["day"]),
                list(band["kappa_ci_low"]),
                list(band["kappa_ci_high"]),
                colour,
                name + " CI",
            )
            trace.update(legendgroup=name, showlegend=False)
            fig.add_trace(trace, row=1, col=1)
        fig.add_trace(
            go.Scatter(
                x=list(part["day"]),
                y=part["kappa"].tolist(),
                mode="lines+markers",
                name=name,
                legendgroup=name,
                line={"color": colour},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=list(part["day"]),
                y=part["agreement"].tolist(),
                mode="lines+markers",
                name=name,
                legendgroup=name,
                showlegend=False,
                line={"color": colour, "dash": "dot"},
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(range=[-0.1, 1.05], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    return _layout(fig, "Judge calibration over time", height=560)


def _group_status(flagged: object, significant: object, small: object) -> tuple[str, str]:
    """(colour, marker symbol) of one audited group."""
    if truthy(flagged):
        return RED, "diamond"
    if truthy(small):
        return GREY, "circle-open"
    if truthy(significant):
        return ORANGE, "circle"
    return BLUE, "circle"


def fairness_disparities(
    audit: pd.DataFrame, metrics: Sequence[str], bounds: tuple[float, float]
) -> go.Figure | None:
    """Disparity ratio per attribute group, one panel per metric, with the acceptable band.

    Red = flagged, orange = significant but not flagged, hollow grey = group too small
    to judge, blue = fine. Log axis, so 0.8 and 1.25 sit symmetrically around 1.
    """
    if audit.empty or not metrics:
        return None
    rows = audit[audit["metric"].isin(metrics)].copy()
    rows["ratio"] = pd.to_numeric(rows["disparity_ratio"], errors="coerce")
    rows = rows[rows["ratio"] > 0]
    if rows.empty:
        return None
    present = [m for m in metrics if (rows["metric"] == m).any()]
    rows["label"] = [
        plot_text(f"{a}: {g}", 50)
        for a, g in zip(rows["attribute"], rows["group_value"], strict=True)
    ]
    order = rows.sort_values(["attribute", "group_value"])["label"].drop_duplicates().tolist()
    fig = make_subplots(
        rows=1,
        cols=len(present),
        shared_yaxes=True,
        subplot_titles=[plot_text(m) for m in present],
        horizontal_spacing=0.02,
    )
    lo, hi = bounds
    xs = rows["ratio"].to_numpy(float)
    span = [min(lo, float(xs.min())) * 0.9, max(hi, float(xs.max())) * 1.1]
    for k, metric in enumerate(present, start=1):
        part = rows[rows["metric"] == metric]
        styles = [
            _group_status(f, s, sm)
            for f, s, sm in zip(
                part["flagged"], part["significant"], part["small_group"], strict=True
            )
        ]
        hover = [
            plot_text(
                f"{a}={g} vs {ref}, {metric}: rate {fmt_pct(r)} vs {fmt_pct(rr)}, "
                f"ratio {fmt_num(x)}, n={n}, p_adj={fmt_num(p)}",
                240,
            )
            for a, g, ref, r, rr, x, n, p in zip(
                part["attribute"],
                part["group_value"],
                part["reference_group"],
                part["rate"],
                part["reference_rate"],
                part["ratio"],
                part["n"],
                part["p_adjusted"],
                strict=True,
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=part["ratio"].tolist(),
                y=part["label"].tolist(),
                mode="markers",
                marker={
                    "size": 11,
                    "color": [c for c, _ in styles],
                    "symbol": [sym for _, sym in styles],
                    "line": {"width": 1.5, "color": [c for c, _ in styles]},
                },
                hovertext=hover,
                hoverinfo="text",
                showlegend=False,
            ),
            row=1,
            col=k,
        )
        fig.add_vrect(x0=lo, x1=hi, fillcolor=_rgba(GREEN, 0.12), line_width=0, row=1, col=k)
        fig.add_vline(x=1.0, line={"color": GREY, "dash": "dot"}, row=1, col=k)
        fig.update_xaxes(type="log", range=[math.log10(span[0]), math.log10(span[1])], row=1, col=k)
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed")
    fig.update_xaxes(title_text="ratio to reference", row=1, col=1)
    return _layout(
        fig,
        f"Disparity ratios (band {lo:g}–{hi:g}; red = flagged)",
        height=max(300, 130 + 22 * len(order)),
    )


def fairness_overview(audit: pd.DataFrame, bounds: tuple[float, float]) -> go.Figure | None:
    """Every group × metric ratio at a glance; cells outside the band coloured, ⚑ = flagged."""
    if audit.empty:
        return None
    rows = audit.copy()
    rows["ratio"] = pd.to_numeric(rows["disparity_ratio"], errors="coerce")
    rows = rows[rows["ratio"] > 0]
    if rows.empty:
        return None
    rows["label"] = rows["attribute"].astype(str) + ": " + rows["group_value"].astype(str)
    rows = rows.sort_values(["attribute", "group_value"]).drop_duplicates(["label", "metric"])
    labels = rows["label"].drop_duplicates().tolist()
    metrics = sorted(rows["metric"].astype(str).unique())
    table = rows.set_index(["label", "metric"])
    lo, hi = bounds
    lim = max(abs(math.log(lo)), abs(math.log(hi))) * 3
    z = np.full((len(labels), len(metrics)), np.nan)
    text = [["" for _ in metrics] for _ in labels]
    for i, lab in enumerate(labels):
        for j, m in enumerate(metrics):
            if (lab, m) not in table.index:
                continue
            rec = table.loc[(lab, m)]
            r = float(rec["ratio"])
            z[i, j] = float(np.clip(math.log(r), -lim, lim))
            text[i][j] = f"{r:.2f}" + (" ⚑" if truthy(rec["flagged"]) else "")
    # inside the band is white; beyond it, blue below 1 and red above
    band = abs(math.log(lo)) / (2 * lim)
    scale = [
        [0.0, "#2166ac"],
        [0.5 - band, "#d1e5f0"],
        [0.5 - band, "#f7f7f7"],
        [0.5 + band, "#f7f7f7"],
        [0.5 + band, "#fddbc7"],
        [1.0, "#b2182b"],
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[plot_text(m, 30) for m in metrics],
            y=[plot_text(lab, 50) for lab in labels],
            text=text,
            texttemplate="%{text}",
            colorscale=scale,
            zmin=-lim,
            zmax=lim,
            showscale=False,
            xgap=1,
            ygap=1,
            hovertemplate="%{y}<br>%{x}: ratio %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=-30)
    _layout(
        fig,
        "All groups × metrics: disparity ratio (⚑ = flagged)",
        height=max(320, 190 + 24 * len(labels)),
    )
    fig.update_layout(margin={"t": 170, "l": 220}, title={"y": 0.99, "yanchor": "top"})
    return fig


def regression_by_day(cases: pd.DataFrame) -> go.Figure | None:
    """Regression cases added per day of the week, by where they came from."""
    if cases.empty:
        return None
    counts = cases.groupby(["day", cases["source"].fillna("unknown").astype(str)]).size()
    counts = counts.unstack(fill_value=0)
    fig = go.Figure()
    for k, source in enumerate(counts.columns):
        fig.add_trace(
            go.Bar(
                x=[str(d) for d in counts.index],
                y=counts[source].tolist(),
                name=plot_text(source),
                marker_color=PALETTE[k % len(PALETTE)],
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="cases", tickformat=",d", rangemode="tozero")
    return _layout(fig, "Regression cases added per day", height=320)
