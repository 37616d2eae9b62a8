"""Quality alerts: threshold, KPI drift, input drift and freshness detectors, de-duplicated."""
