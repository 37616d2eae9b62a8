"""Fingerprints of the configuration that decide which assets a config change invalidates.

A changed judge prompt, judge model or KPI definition makes old results stale. Each
section of ``evalflow.yaml`` (and the prompt files for judges) is hashed; when a
hash moves, the asset it first feeds and everything downstream are rerun.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from evalflow.config import Settings

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "judges" / "prompts"

# section(s) of the config -> the first asset whose output they change
SECTION_ASSETS: dict[str, tuple[tuple[str, ...], str]] = {
    "sampling": (("sampling",), "sampled_interactions"),
    "judges": (("judges",), "judge_scores"),
    "kpis": (("kpis", "segments"), "segment_kpis"),
    "rollout": (("rollout",), "rollout_decisions"),
    "alerting": (("thresholds", "drift"), "quality_alerts"),
    "priorities": (("priorities",), "issue_priorities"),
    "fairness": (("fairness", "audit_attributes"), "fairness_audit"),
}


def _prompts_hash(folder: Path = PROMPTS_DIR) -> str:
    digest = hashlib.sha256()
    if folder.exists():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def fingerprints(settings: Settings, prompts_dir: Path = PROMPTS_DIR) -> dict[str, str]:
    out = {name: settings.section_hash(*sections) for name, (sections, _) in SECTION_ASSETS.items()}
    out["judges"] = hashlib.sha256(
        (out["judges"] + _prompts_hash(prompts_dir)).encode()
    ).hexdigest()[:12]
    return out


def changed_assets(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Assets whose inputs changed between two fingerprints (none on the first look)."""
    if not before:
        return []
    return sorted({SECTION_ASSETS[name][1] for name, h in after.items() if before.get(name) != h})
