"""Dagster wiring that spans stages: jobs, schedules, sensors and shared metadata helpers."""
