"""Segment KPIs: census metrics on all traffic, weighted judge estimates, the composite KPI."""
