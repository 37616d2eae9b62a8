"""Synthetic support-copilot traffic with injected, recorded incidents.

``simulate`` writes landing files (JSONL, gzip JSONL, Parquet, CSV) and the ground
truth of what it injected; ``generate_day`` returns one day in memory; ``SCENARIOS``
names the recipes (``quiet``, ``hallucination_spike``, ``toxicity_burst``,
``rollout_regression``, ``new_failure_theme``, ``bias``, ``input_drift``,
``pii_leak``, ``demo``).
"""

from evalflow.simulate.runner import (
    SimulationSummary,
    generate_day,
    read_incidents,
    read_interaction_truth,
    read_manifest,
    simulate,
)
from evalflow.simulate.scenarios import PHASES, SCENARIOS, Incident, Scenario

__all__ = [
    "PHASES",
    "SCENARIOS",
    "Incident",
    "Scenario",
    "SimulationSummary",
    "generate_day",
    "read_incidents",
    "read_interaction_truth",
    "read_manifest",
    "simulate",
]
