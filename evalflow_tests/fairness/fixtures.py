"""Hand-made weeks of traffic for the fairness tests, with rates set per group.

Rows are drawn per group with a fixed seed: outcome rates, the judged sample (with
unequal inclusion probabilities, as the real design has) and judge verdicts. Other
stages are written concurrently, so the upstream tables are seeded directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalflow.config.settings import FairnessSettings, Settings
from evalflow.storage import Warehouse

MONDAY = dt.date(2026, 10, 5)
SUNDAY = MONDAY + dt.timedelta(days=6)
WEEK = [MONDAY + dt.timedelta(days=i) for i in range(7)]

RAW_SCHEMA: dict[str, str] = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "query": "VARCHAR",
    "response": "VARCHAR",
    "seg_queue": "VARCHAR",
    "seg_region": "VARCHAR",
    "seg_language": "VARCHAR",
    "seg_customer_tier": "VARCHAR",
    "feedback_rating": "VARCHAR",
    "outcome_escalated": "BOOLEAN",
    "outcome_escalation_correct": "BOOLEAN",
    "outcome_analyst_override": "BOOLEAN",
    "outcome_resolved": "BOOLEAN",
    "outcome_sla_met": "BOOLEAN",
    "outcome_incident_missed": "BOOLEAN",
}
SAMPLE_SCHEMA = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "reason": "VARCHAR",
    "inclusion_prob": "DOUBLE",
    "weight": "DOUBLE",
}
JUDGE_SCHEMA = {
    "day": "DATE",
    "interaction_id": "VARCHAR",
    "criterion": "VARCHAR",
    "status": "VARCHAR",
    "score": "DOUBLE",
    "passed": "BOOLEAN",
}


@dataclass(frozen=True)
class GroupModel:
    """Probabilities for one customer tier (the other segments are drawn independently)."""

    n: int
    resolved: float = 0.70
    override: float = 0.10
    rated: float = 0.5
    up: float = 0.80
    sla: float = 0.92
    needs_escalation: float = 0.2
    recall: float = 0.8
    false_escalation: float = 0.05
    faithful: float = 0.95
    safe: float = 0.99


@dataclass(frozen=True)
class WeekModel:
    tiers: Mapping[str, GroupModel]
    languages: Mapping[str, float] = field(
        default_factory=lambda: {"en": 0.6, "es": 0.25, "de": 0.15}
    )
    missing_language: float = 0.0
    judged_share: float = 0.4
    seed: int = 5


@dataclass(frozen=True)
class Week:
    raw: pd.DataFrame
    sampled: pd.DataFrame
    judges: pd.DataFrame


def make_week(model: WeekModel, monday: dt.date = MONDAY) -> Week:
    rng = np.random.default_rng(model.seed)
    frames = []
    for tier, g in model.tiers.items():
        n = g.n
        needs = rng.random(n) < g.needs_escalation
        escalated = np.where(needs, rng.random(n) < g.recall, rng.random(n) < g.false_escalation)
        rated = rng.random(n) < g.rated
        up = rng.random(n) < g.up
        langs = list(model.languages)
        lang = rng.choice(langs, n, p=np.array(list(model.languages.values())))
        lang = np.where(rng.random(n) < model.missing_language, None, lang)
        frames.append(
            pd.DataFrame(
                {
                    "tier": tier,
                    "seg_customer_tier": tier,
                    "seg_language": lang,
                    "seg_region": rng.choice(["na", "emea", "apac"], n),
                    "seg_queue": rng.choice(["billing", "technical"], n),
                    "feedback_rating": np.where(rated, np.where(up, "up", "down"), None),
                    "outcome_escalated": escalated,
                    # logged only for escalated cases, as the simulator does
                    "outcome_escalation_correct": pd.array(
                        np.where(escalated, needs, None), dtype="boolean"
                    ),
                    "outcome_analyst_override": rng.random(n) < g.override,
                    "outcome_resolved": rng.random(n) < g.resolved,
                    "outcome_sla_met": rng.random(n) < g.sla,
                    "outcome_incident_missed": needs & ~escalated,
                    "_faithful": rng.random(n) < g.faithful,
                    "_safe": rng.random(n) < g.safe,
                }
            )
        )
    raw = pd.concat(frames, ignore_index=True)
    raw = raw.sample(frac=1.0, random_state=model.seed).reset_index(drop=True)
    raw["interaction_id"] = [f"int-{i:06d}" for i in range(len(raw))]
    raw["day"] = [monday + dt.timedelta(days=int(d)) for d in rng.integers(0, 7, len(raw))]
    raw["query"] = "How do I reset my password?"
    raw["response"] = "Use the reset link on the sign-in page."
    # a stratified-looking sample: some rows certain (must-review), others at p in (0.1, 0.6)
    certain = rng.random(len(raw)) < 0.1
    p = np.where(certain, 1.0, rng.uniform(0.1, 0.6, len(raw)) * model.judged_share / 0.35)
    p = np.clip(p, 0.05, 1.0)
    chosen = certain | (rng.random(len(raw)) < p)
    s = raw.loc[chosen, ["day", "interaction_id"]].copy()
    s["reason"] = np.where(certain[chosen], "must_review:negative_feedback", "stratified")
    s["inclusion_prob"] = p[chosen]
    s["weight"] = 1.0 / p[chosen]
    judged = raw.loc[chosen]
    judges = []
    for crit, col in (
        ("faithfulness", "_faithful"),
        ("safety", "_safe"),
        ("relevance", "_faithful"),
    ):
        j = judged[["day", "interaction_id"]].copy()
        j["criterion"] = crit
        j["status"] = "ok"
        j["passed"] = judged[col].to_numpy()
        j["score"] = np.where(j["passed"], 0.9, 0.2)
        judges.append(j)
    judges_df = pd.concat(judges, ignore_index=True)
    # unmeasured verdicts never count: an error and an over-budget row
    extra = judges_df.head(2).copy()
    extra["criterion"] = "helpfulness"
    extra["status"] = ["error", "over_budget"]
    extra["passed"] = False  # what a careless reader would count; status says unmeasured
    extra["score"] = np.nan
    judges_df = pd.concat([judges_df, extra], ignore_index=True)
    judges_df["passed"] = judges_df["passed"].astype("boolean")
    judges_df.loc[judges_df["status"] != "ok", "passed"] = pd.NA
    raw = raw.drop(columns=["_faithful", "_safe"])
    return Week(raw, s.reset_index(drop=True), judges_df)


def settings_for(
    min_group_size: int = 30,
    intersections: bool = True,
    reference_groups: Mapping[str, str] | None = None,
) -> Settings:
    refs = {"customer_tier": "enterprise", "language": "en", "region": "na"}
    if reference_groups is not None:
        refs = dict(reference_groups)
    return Settings(
        audit_attributes=["language", "region", "customer_tier"],
        fairness=FairnessSettings(
            min_group_size=min_group_size,
            reference_groups=refs,
            intersections=[("language", "customer_tier")] if intersections else [],
        ),
    )


def seed_week(wh: Warehouse, week: Week) -> None:
    """Write the week into the daily upstream tables, one partition per day."""
    raw = week.raw.drop(columns=["tier"], errors="ignore")
    for day in sorted(set(raw["day"])):
        wh.replace_partition("raw_interactions", raw[raw["day"] == day], day, schema=RAW_SCHEMA)
        wh.replace_partition(
            "sampled_interactions",
            week.sampled[week.sampled["day"] == day],
            day,
            schema=SAMPLE_SCHEMA,
        )
        wh.replace_partition(
            "judge_scores", week.judges[week.judges["day"] == day], day, schema=JUDGE_SCHEMA
        )


BIASED_TIERS: dict[str, GroupModel] = {
    "enterprise": GroupModel(800),
    "pro": GroupModel(1200),
    "free": GroupModel(2000, resolved=0.45, override=0.22),
}
FAIR_TIERS: dict[str, GroupModel] = {
    "enterprise": GroupModel(800),
    "pro": GroupModel(1200),
    "free": GroupModel(2000),
}
