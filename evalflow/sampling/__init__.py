"""Budgeted sampling of interactions for the judges, with exact inclusion probabilities."""
