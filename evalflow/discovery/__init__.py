"""Emerging-issue discovery: failure themes, anomalies and usage intents of each day."""
