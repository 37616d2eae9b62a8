"""Daily and weekly reports are shared beyond the warehouse: no corpus PII in the HTML."""

from __future__ import annotations

from pathlib import Path

from evalflow.config.settings import ReportSettings, Settings
from evalflow.reports import render
from evalflow.reports.loading import load_daily_context, load_weekly_context
from evalflow.storage import Warehouse
from evalflow_tests.pii_corpus import ALL_TEXT, leaked
from evalflow_tests.reports import fixtures as fx


def test_reports_render_no_corpus_pii(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "evalflow.duckdb")
    fx.seed_warehouse(wh)
    raw = fx.raw_interactions()
    raw.loc[raw["interaction_id"] == "i1", "query"] = ALL_TEXT  # an issue's example query
    wh.replace_partition("raw_interactions", raw, fx.DAY)
    alerts = fx.quality_alerts()
    alerts.loc[0, "evidence"] = f"n=412; example: {ALL_TEXT}"
    wh.replace_partition("quality_alerts", alerts, fx.DAY)
    clusters = fx.failure_clusters()
    clusters.loc[0, "label"] = f"refund for {ALL_TEXT.splitlines()[0]}"
    wh.replace_partition("failure_clusters", clusters, fx.DAY)
    cases = fx.regression_cases(fx.days_between(fx.WEEK, fx.WEEK))
    cases.loc[0, "query"] = ALL_TEXT
    wh.replace_partition("regression_cases", cases, fx.WEEK)
    # long enough that shortening cannot be what hides the values
    settings = Settings(reports=ReportSettings(max_text_chars=10000))
    daily = render.render_daily(load_daily_context(wh, fx.DAY, settings))
    weekly = render.render_weekly(load_weekly_context(wh, fx.WEEK, settings))
    assert "[EMAIL]" in daily and "[PHONE]" in weekly  # the text is shown, masked
    assert not leaked(daily), leaked(daily)
    assert not leaked(weekly), leaked(weekly)
