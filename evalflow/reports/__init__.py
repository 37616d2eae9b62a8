"""Stakeholder reports: self-contained HTML files that open offline.

Public API (plain functions, Dagster-free; ``assets.py`` only wires them):

* ``loading.load_daily_context(wh, day, settings=None) -> dict`` and
  ``loading.load_weekly_context(wh, week_start, settings=None) -> dict``: every table a
  report shows, read in one short DuckDB connection; absent tables become empty frames.
* ``daily_sections.build_daily_sections(ctx)`` / ``weekly_sections.build_weekly_sections(ctx)``
  -> ``list[model.Section]``; one builder per section (``headline_section``, ...), each
  returning a section that says "no data for this section" when its inputs are empty.
* ``figures.*``: plotly figure builders (``composite_trend``, ``segment_heatmap``, ...),
  ``None`` when there is nothing to draw.
* ``render.render_daily(ctx) -> str`` / ``render.render_weekly(ctx) -> str`` (HTML), and
  ``render.daily_report(ctx)`` / ``render.weekly_report(ctx)`` -> ``Report`` with the
  sections and headline numbers as well.
* ``publish.publish(report, reports_dir, wh, generated_at)``: atomic file write to
  ``reports/daily|weekly/YYYY-MM-DD.html`` plus the row in ``daily_report``/``weekly_report``.
"""
