"""Phased-rollout gates (daily GO/HOLD/ROLLBACK) and the weekly baseline-vs-new comparison."""
