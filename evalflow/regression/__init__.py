"""Regression cases: production failures curated into a reference dataset for offline evaluation."""
