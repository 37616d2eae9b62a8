"""Every section builder with empty inputs (says "no data") and with seeded data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evalflow.reports import daily_sections as ds
from evalflow.reports import weekly_sections as ws
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.reports.model import NO_DATA, Section, plot_text
from evalflow.reports.render import make_environment, render_daily, render_weekly
from evalflow.storage import Warehouse
from evalflow_tests.reports import fixtures as fx


@pytest.fixture(scope="module")
def daily_ctx(seeded_db: Path) -> dict[str, Any]:
    return load_daily_context(Warehouse(seeded_db), fx.DAY)


@pytest.fixture(scope="module")
def weekly_ctx(seeded_db: Path) -> dict[str, Any]:
    return load_weekly_context(Warehouse(seeded_db), fx.WEEK)


@pytest.fixture(scope="module")
def empty_daily(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    wh = Warehouse(tmp_path_factory.mktemp("empty") / "evalflow.duckdb")
    return load_daily_context(wh, fx.DAY)


@pytest.fixture(scope="module")
def empty_weekly(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    wh = Warehouse(tmp_path_factory.mktemp("empty-w") / "evalflow.duckdb")
    return load_weekly_context(wh, fx.WEEK)


def _stat(section: Section, label: str) -> str:
    hits = [s.value for s in section.stats if s.label == label]
    assert hits, f"no stat {label!r} in {[s.label for s in section.stats]}"
    return hits[0]


def _render_one(section: Section) -> str:
    """One section through the real template (for the no-data text)."""
    env = make_environment()
    tpl = env.from_string(
        "{% for s in sections %}{% if not s.available %}<p>{{ no_data }}</p>"
        "<span>{{ s.missing }}</span>{% endif %}{% endfor %}"
    )
    return tpl.render(sections=[section], no_data=NO_DATA)


# -- empty inputs ---------------------------------------------------------------
@pytest.mark.parametrize("builder", ds.DAILY_BUILDERS, ids=lambda b: b.__name__)
def test_daily_builder_without_data_says_no_data(builder: Any, empty_daily: dict) -> None:
    section = builder(empty_daily)
    assert not section.available
    assert section.missing
    assert section.figures == [] and section.tables == []
    assert NO_DATA in _render_one(section)


@pytest.mark.parametrize("builder", ws.WEEKLY_BUILDERS, ids=lambda b: b.__name__)
def test_weekly_builder_without_data_says_no_data(builder: Any, empty_weekly: dict) -> None:
    section = builder(empty_weekly)
    assert not section.available
    assert NO_DATA in _render_one(section)


def test_reports_render_from_an_empty_warehouse(empty_daily: dict, empty_weekly: dict) -> None:
    daily = render_daily(empty_daily)
    weekly = render_weekly(empty_weekly)
    assert daily.count(f'<p class="nodata">{NO_DATA}') == len(ds.DAILY_BUILDERS)
    assert weekly.count(f'<p class="nodata">{NO_DATA}') == len(ws.WEEKLY_BUILDERS)
    assert empty_daily["tables_present"] == [] and empty_daily["volume"] is None


def test_empty_but_present_tables_are_no_data(tmp_path: Path) -> None:
    """A stage that ran on a quiet day leaves an empty partition: still "no data"."""
    wh = Warehouse(tmp_path / "evalflow.duckdb")
    wh.replace_partition(
        "quality_alerts",
        fx.quality_alerts(fx.DAY - dt.timedelta(days=1)),
        fx.DAY - dt.timedelta(days=1),
    )
    ctx = load_daily_context(wh, fx.DAY)
    assert "quality_alerts" in ctx["tables_present"]
    assert not ds.alerts_section(ctx).available


# -- daily, with data -------------------------------------------------------------
def test_headline(daily_ctx: dict) -> None:
    section = ds.headline_section(daily_ctx)
    assert section.available and len(section.figures) == 1
    overall = daily_ctx["kpis_day"].query("segment_key == 'overall' and metric == 'composite_kpi'")
    assert _stat(section, "Composite KPI") == f"{100 * overall['value'].iloc[0]:.1f}%"
    assert "Change vs previous day" in [s.label for s in section.stats]
    trend = section.figures[0]
    line = next(t for t in trend.data if t.name == "composite KPI")
    assert len(line.x) == 21  # every seeded day up to DAY, none after it
    band = [t for t in trend.data if t.fill == "toself"]
    assert band, "the confidence band is drawn"


def test_headline_names_dropped_composite_terms_and_judge_correction(daily_ctx: dict) -> None:
    ctx = dict(daily_ctx)
    kpis = ctx["kpis_day"].copy()
    overall = kpis["segment_key"] == "overall"
    comp = overall & (kpis["metric"] == "composite_kpi")
    hall = overall & (kpis["metric"] == "hallucination_rate")
    kpis["note"] = kpis["note"].astype(object)
    kpis["judge_correction"] = kpis["judge_correction"].astype(object)
    kpis.loc[comp, ["value", "ci_low", "ci_high"]] = None
    kpis.loc[comp, "note"] = "unmeasured: no composite term has data on this traffic (sla_hit_rate)"
    kpis.loc[hall, ["judge_correction", "note"]] = ["none", "uncorrected: no judge_calibration"]
    kpis.loc[hall, "n_uncertain"] = 7
    ctx["kpis_day"] = kpis
    section = ds.headline_section(ctx)
    text = " ".join(section.notes)
    assert "no composite term has data on this traffic (sla_hit_rate)" in text
    assert "unmeasured" in text
    assert "hallucination_rate: uncorrected: no judge_calibration" in text
    tile = next(s for s in section.stats if s.label == "Hallucination rate")
    assert "7 uncertain (unmeasured)" in tile.detail and "uncorrected" in tile.detail


def test_segments_heatmap_marks_low_count_and_escapes_labels(daily_ctx: dict) -> None:
    section = ds.segment_section(daily_ctx)
    heat = section.figures[0].data[0]
    assert plot_text(f"channel={fx.PAYLOAD}", 40) in heat.y
    assert not any(fx.PAYLOAD in str(y) for y in heat.y)
    daggers = sum(str(t).endswith("†") for row in heat.text for t in row)
    # the last value of each of the 5 seeded segment keys has n=12, on every heat metric
    assert daggers == 5 * len(ds.HEAT_METRICS)
    assert _stat(section, "Low-count cells") == str(daggers)
    assert heat.y[0] == "overall=overall"


def test_alerts(daily_ctx: dict) -> None:
    section = ds.alerts_section(daily_ctx)
    assert _stat(section, "Open alerts") == "2"
    assert _stat(section, "Critical") == "1"
    assert _stat(section, "Resolved") == "1"
    rows = section.tables[0].rows
    assert [r[0].text for r in rows] == ["critical", "high", "medium"]
    assert rows[1][6].text.endswith(fx.PAYLOAD)  # raw here; escaped when rendered
    assert rows[1][4].text == "8.1%" and rows[2][4].text == "0.12"  # PSI is not a rate


def test_rollout(daily_ctx: dict) -> None:
    section = ds.rollout_section(daily_ctx)
    assert _stat(section, "Decision") == "HOLD"
    assert _stat(section, "Difference") == "-2.6 pp"
    assert len(section.bullets) == 2
    assert [r[1].text for r in section.tables[0].rows] == ["pass", "fail", "pass"]
    assert len(section.figures) == 1


def test_judges(daily_ctx: dict) -> None:
    section = ds.judge_section(daily_ctx)
    assert _stat(section, "Sampled") == "20"
    assert _stat(section, "Judge rows") == "68"
    assert _stat(section, "Unmeasured rows") == "8"
    assert _stat(section, "Cache hits") == "20"
    assert _stat(section, "Tokens") == "680"  # from judge_calls when present
    assert _stat(section, "Spent") == "$0.0001"
    assert _stat(section, "Mean judge noise") == "0.05"
    per_criterion = section.tables[0].rows
    assert [r[0].text for r in per_criterion] == [
        "faithfulness",
        "helpfulness",
        "relevance",
        "safety",
    ]
    assert per_criterion[0][3].text == "78.6%"  # 11 of 14 ok rows passed
    assert section.tables[1].rows[0][3].text == "2"  # 3 attempts = 2 retries


def test_judges_unmeasured_without_calls_or_noise(daily_ctx: dict) -> None:
    ctx = {
        **daily_ctx,
        "judge_calls": pd.DataFrame(),
        "sampled": pd.DataFrame(),
        "judge_scores": daily_ctx["judge_scores"].assign(noise_std=None),
    }
    section = ds.judge_section(ctx)
    assert _stat(section, "Mean judge noise") == "—"
    assert _stat(section, "Sampled") == "—"


def test_issues_with_example_queries(daily_ctx: dict) -> None:
    section = ds.issues_section(daily_ctx)
    table = section.tables[0]
    assert [r[0].text for r in table.rows] == ["1", "2", "3"]
    lines = table.rows[0][-1].lines
    assert lines[0] == fx.PAYLOAD
    assert lines[2] == "(missing-id: query not found)"
    assert len(lines) == 3


def test_new_clusters(daily_ctx: dict) -> None:
    section = ds.clusters_section(daily_ctx)
    rows = section.tables[0].rows
    assert [r[1].text for r in rows] == ["cl-1"]  # only the new theme; anomalies apart
    assert _stat(section, "Anomalies") == "6"
    assert rows[0][-1].lines[0] == fx.PAYLOAD
    assert "judge:faithfulness (12)" in rows[0][8].text


def test_no_new_clusters_is_said(daily_ctx: dict) -> None:
    ctx = {**daily_ctx, "clusters": daily_ctx["clusters"].assign(status="stable")}
    section = ds.clusters_section(ctx)
    assert section.available and not section.tables
    assert "No new or emerging" in section.notes[0]


def test_daily_headline(daily_ctx: dict) -> None:
    h = ds.daily_headline(daily_ctx)
    assert h["open_alerts"] == 2 and h["critical_or_high_alerts"] == 2
    assert h["rollout_decision"] == "HOLD"
    assert h["interactions"] == 4
    assert h["new_failure_themes"] == 1
    assert h["top_issue"].startswith("Theme: refund double charge")


# -- weekly, with data ------------------------------------------------------------
def test_week_over_week_pools_like_the_kpi_stage(weekly_ctx: dict) -> None:
    section = ws.wow_section(weekly_ctx)
    daily = weekly_ctx["kpis_overall"]
    this = daily[(daily["day"] >= fx.WEEK) & (daily["metric"] == "composite_kpi")]
    # the composite is linear in its (equally counted) terms: pooled = n-weighted mean
    expected = float((this["value"] * this["n"]).sum() / this["n"].sum())
    pooled = ws.pooled_week(daily[daily["day"] >= fx.WEEK], weekly_ctx["settings"])
    got = float(pooled.set_index("metric").loc["composite_kpi", "value"])
    assert got == pytest.approx(expected, abs=1e-9)
    rows = {r[0].text: r for r in section.tables[0].rows}
    assert (
        rows["Interactions"][2].text
        == f"{int(daily[(daily['day'] >= fx.WEEK) & (daily['metric'] == 'volume')]['value'].sum()):,d}"
    )
    assert rows["Composite KPI"][3].cls.endswith("worse")  # escalation precision fell 5 pp
    assert len(section.figures) == 1


def test_week_over_week_without_last_week(weekly_ctx: dict) -> None:
    daily = weekly_ctx["kpis_overall"]
    section = ws.wow_section({**weekly_ctx, "kpis_overall": daily[daily["day"] >= fx.WEEK]})
    assert section.available
    assert "No KPI rows for last week" in section.notes[0]
    assert section.tables[0].rows[0][3].text == "—"


def test_model_comparison(weekly_ctx: dict) -> None:
    section = ws.comparison_section(weekly_ctx)
    assert _stat(section, "Recommendation") == "pause"
    assert _stat(section, "Difference") == "-3.0 pp"
    assert [r[0].text for r in section.tables[0].rows][:2] == ["composite_kpi", "volume"]
    forest = section.figures[0].data[0]
    assert len(forest.x) == 3  # composite, hallucination, SLA; volume is not a share


def test_calibration(weekly_ctx: dict) -> None:
    section = ws.calibration_section(weekly_ctx)
    assert _stat(section, "Lowest judge kappa") == "0.7"
    assert len(section.tables[0].rows) == 3  # faithfulness/openai, safety/openai, human
    fig = section.figures[0]
    assert any(t.fill == "toself" for t in fig.data)  # CI bands


def test_fairness(weekly_ctx: dict) -> None:
    section = ws.fairness_section(weekly_ctx)
    assert _stat(section, "Flagged") == "4"
    panels, overview = section.figures  # band panels for flagged metrics, then all of it
    assert len(panels.data) == 2  # both seeded metrics have flagged groups
    marker = panels.data[0].marker
    assert list(marker.color).count("#d62728") == 2  # de and apac flagged
    assert plot_text(f"language: {fx.PAYLOAD}", 50) in panels.data[0].y
    assert sum(s.x0 == 0.8 and s.x1 == 1.25 for s in panels.layout.shapes) == 2
    flags = [t for row in overview.data[0].text for t in row if t.endswith("⚑")]
    assert len(flags) == 4 and set(flags) == {"0.70 ⚑"}


def test_fairness_panels_pick_the_metrics_to_act_on() -> None:
    audit = fx.fairness_audit()
    assert set(ws.chart_metrics(audit)) == {"hallucination_rate", "resolved_rate"}
    calm = audit.assign(flagged=False, significant=False)
    assert ws.chart_metrics(calm) == ["hallucination_rate", "resolved_rate"]
    many = pd.concat([audit.assign(metric=f"m{i}") for i in range(6)])
    assert len(ws.chart_metrics(many)) == ws.MAX_FAIRNESS_PANELS


def test_weekly_issues(weekly_ctx: dict) -> None:
    section = ws.issues_section(weekly_ctx)
    top = section.tables[0].rows[0]
    assert top[0].text == "1" and top[5].text == "44"  # peak priority on the 5th day
    assert top[10].text == "5"  # days seen
    assert top[-1].lines[0] == fx.PAYLOAD


def test_regression(weekly_ctx: dict) -> None:
    section = ws.regression_section(weekly_ctx)
    assert _stat(section, "Cases added") == "4"
    ranks = [r[-1].text for r in section.tables[0].rows]
    assert ranks == ["1", "1", "—", "—"]
    assert section.tables[0].rows[0][2].text == fx.PAYLOAD


def test_weekly_headline(weekly_ctx: dict) -> None:
    h = ws.weekly_headline(weekly_ctx)
    assert h["recommendation"] == "pause"
    assert h["fairness_flagged"] == 4
    assert h["regression_cases_added"] == 4
    assert h["min_judge_kappa"] == pytest.approx(0.7)
    assert h["composite_this_week"] < h["composite_last_week"]


def test_change_direction() -> None:
    assert ws.change_class("hallucination_rate", 0.01) == "worse"
    assert ws.change_class("sla_hit_rate", 0.01) == "better"
    assert ws.change_class("latency_sla_breach_rate", -0.01) == "better"
    assert ws.change_class("volume", -100.0) == ""
    assert ws.change_class("composite_kpi", None) == ""


def test_comparison_colours_significant_changes_by_direction(weekly_ctx: dict) -> None:
    rows = {r[0].text: r for r in ws.comparison_section(weekly_ctx).tables[0].rows}
    assert rows["composite_kpi"][3].cls == "num worse"  # significant drop
    assert rows["hallucination_rate"][3].cls == "num"  # not significant: not coloured


def test_long_alert_lists_are_capped_most_severe_first(daily_ctx: dict) -> None:
    many = pd.concat(
        [
            daily_ctx["alerts"].assign(alert_id=lambda d, i=i: d["alert_id"] + str(i))
            for i in range(15)
        ],
        ignore_index=True,
    )
    section = ds.alerts_section({**daily_ctx, "alerts": many})
    rows = section.tables[0].rows
    assert len(rows) == ds.MAX_ALERT_ROWS
    assert [r[0].text for r in rows[:15]] == ["critical"] * 15 and rows[15][0].text == "high"
    assert all(r[9].text == "open" for r in rows)  # resolved ones are the ones left out
    assert f"of {len(many)} alerts" in section.notes[0]
    assert _stat(section, "Open alerts") == "30"  # counted, even when not listed


def test_fairness_summary_rows_are_a_table_not_points(weekly_ctx: dict) -> None:
    audit = weekly_ctx["fairness"]
    summary = pd.DataFrame(
        [
            {
                **audit.iloc[0].to_dict(),
                "group_value": "(all groups)",
                "metric": "escalation_demographic_parity",
                "direction": "summary",
                "disparity_ratio": 0.62,
                "disparity_diff": 0.2,
                "flagged": None,
            }
        ]
    )
    section = ws.fairness_section({**weekly_ctx, "fairness": pd.concat([audit, summary])})
    assert len(section.figures) == 2  # no chart for the summary metric
    assert section.tables[-1].caption.startswith("Between-group summaries")
    assert section.tables[-1].rows[0][2].text == "0.62"
    assert _stat(section, "Flagged") == "4"


def test_calibration_shows_judge_validity_on_the_traffic(weekly_ctx: dict) -> None:
    cal = weekly_ctx["calibration"]
    day = max(cal["day"])
    base = {"day": day, "backend": "heuristic", "n_judged": 900, "source": "production"}
    extra = pd.DataFrame(
        [
            {
                **base,
                "criterion": "relevance",
                "reference": "any",
                "segment_key": "overall",
                "validity": "unvalidated",
                "validity_reason": "judge unvalidated on this traffic: AUC 0.51 [0.45, 0.57] vs thumbs",
            },
            {
                **base,
                "criterion": "relevance",
                "reference": "user:thumbs",
                "segment_key": "overall",
                "segment_value": "overall",
                "auc": 0.51,
                "auc_ci_low": 0.45,
                "auc_ci_high": 0.57,
                "n": 900,
                "validity": "unvalidated",
            },
            {
                **base,
                "criterion": "relevance",
                "reference": "user:thumbs",
                "segment_key": "language",
                "segment_value": "es",
                "auc": 0.48,
                "auc_ci_low": 0.3,
                "auc_ci_high": 0.66,
                "n": 120,
                "validity": "unvalidated",
            },
        ]
    )
    ctx = {**weekly_ctx, "calibration": pd.concat([cal.assign(reference="human_labels"), extra])}
    section = ws.calibration_section(ctx)
    assert len(section.tables[0].rows) == 3  # the human-label table is unchanged
    validity = section.tables[1]
    (row,) = validity.rows
    texts = [c.text for c in row]
    assert texts[:3] == ["relevance", "heuristic", "unvalidated"]
    assert texts[3].startswith("thumbs 0.51") and "0.45" in texts[3]
    assert texts[4] == "0 of 1" and texts[5] == "language=es"
    assert "at most medium" in validity.caption
