"""A small hand-made warehouse for the report tests, shaped like docs/tables.md.

Upstream stages are written concurrently, so the report tests seed every table
directly. Hostile text (``PAYLOAD``) is planted wherever log text reaches a report:
a query, an issue title, a theme label, a segment value, alert evidence, a group
name and a regression case.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from evalflow.config.settings import Settings
from evalflow.kpis.composite import measured_terms
from evalflow.storage import Warehouse

DAY = dt.date(2026, 10, 5)  # a Monday: the daily partition and the weekly partition key
WEEK = DAY
PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
"""Would set ``window.__pwned`` if it ever reached the page as markup."""
MARKER_PAYLOAD = '<b id="injected-marker">INJECTED</b>'
"""Would create an element with id ``injected-marker`` if rendered as markup."""

SEGMENTS = {
    "queue": ["billing", "technical", "account", "outage", "shipping"],
    "urgency": ["low", "medium", "high", "critical"],
    "region": ["na", "emea", "apac", "latam"],
    "language": ["en", "es", "de", "fr"],
    "channel": ["chat", "email", PAYLOAD],
}
RATES = {  # metric -> (overall level, spread across segments); composite derived below
    "composite_kpi": (0.0, 0.0),
    "hallucination_rate": (0.04, 0.02),
    "toxicity_rate": (0.004, 0.004),
    "relevance_score": (0.81, 0.05),
    "rating_down_rate": (0.07, 0.03),
    "override_rate": (0.05, 0.02),
    "escalation_precision": (0.83, 0.05),
    "sla_hit_rate": (0.92, 0.03),
    "error_rate": (0.01, 0.005),
}


def _kpi_rows(
    day: dt.date, key: str, value: str, n: int, rng: np.random.Generator, shift: float = 0.0
) -> list[dict]:
    rows = []
    values = {
        m: float(np.clip(level + rng.normal(0, spread / 2), 0, 1))
        for m, (level, spread) in RATES.items()
    }
    values["escalation_precision"] = float(np.clip(values["escalation_precision"] + shift, 0, 1))
    # the composite as the KPI stage defines it from the default terms measured here
    # (no thumbs in this fixture: rating_up_rate is dropped, the rest renormalised)
    used, _ = measured_terms(Settings().kpis.composite, values)
    values["composite_kpi"] = sum(
        t.weight * (values[t.metric] if t.direction == "higher" else 1 - values[t.metric])
        for t in used
    )
    for metric in RATES:
        v = values[metric]
        half = 1.96 * np.sqrt(max(v * (1 - v), 1e-4) / max(n, 1))
        rows.append(
            {
                "day": day,
                "segment_key": key,
                "segment_value": value,
                "metric": metric,
                "value": v,
                "ci_low": max(v - half, 0.0),
                "ci_high": min(v + half, 1.0),
                "se": half / 1.96,
                "n": n,
                "estimator": "horvitz_thompson"
                if metric in ("hallucination_rate", "toxicity_rate", "relevance_score")
                else "census",
                "low_count": n < 30,
            }
        )
    rows.append(
        {
            "day": day,
            "segment_key": key,
            "segment_value": value,
            "metric": "volume",
            "value": float(n),
            "ci_low": None,
            "ci_high": None,
            "se": None,
            "n": n,
            "estimator": "census",
            "low_count": n < 30,
        }
    )
    rows.append(
        {
            "day": day,
            "segment_key": key,
            "segment_value": value,
            "metric": "latency_ms_p95",
            "value": 1800.0 + 50 * rng.normal(),
            "ci_low": None,
            "ci_high": None,
            "se": 20.0,
            "n": n,
            "estimator": "census",
            "low_count": n < 30,
        }
    )
    return rows


def segment_kpis(days: list[dt.date], segments_on: dt.date | None = DAY) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows: list[dict] = []
    for i, d in enumerate(days):
        rows += _kpi_rows(
            d, "overall", "overall", 2000 + 10 * i, rng, shift=-0.05 if d >= WEEK else 0.0
        )
        if d == segments_on:
            for key, values in SEGMENTS.items():
                for j, v in enumerate(values):
                    rows += _kpi_rows(d, key, v, 12 if j == len(values) - 1 else 400, rng)
            for mv in ("copilot-v1", "copilot-v2"):
                rows += _kpi_rows(d, "model_version", mv, 1000, rng)
    return pd.DataFrame(rows)


def raw_interactions(day: dt.date = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": [day] * 4,
            "interaction_id": ["i1", "i2", "i3", "i4"],
            "query": [
                PAYLOAD,
                "Why was I charged twice for my subscription?",
                f"refund please {MARKER_PAYLOAD}",
                "The app shows error 503 again",
            ],
            "response": ["ok", "Let me check that.", "Sure.", "We are investigating."],
            "seg_queue": ["billing", "billing", "billing", "outage"],
        }
    )


def quality_alerts(day: dt.date = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "alert_id": "a-hall",
                "day": day,
                "first_seen": day - dt.timedelta(days=2),
                "last_seen": day,
                "kind": "threshold",
                "severity": "high",
                "metric": "hallucination_rate",
                "segment_key": "queue",
                "segment_value": "billing",
                "observed": 0.081,
                "expected": 0.05,
                "evidence": f"n=412, 95% CI 6.1–10.4%; {PAYLOAD}",
                "consecutive_days": 3,
                "status": "open",
            },
            {
                "alert_id": "a-tox",
                "day": day,
                "first_seen": day,
                "last_seen": day,
                "kind": "threshold",
                "severity": "critical",
                "metric": "toxicity_rate",
                "segment_key": "overall",
                "segment_value": "overall",
                "observed": 0.004,
                "expected": 0.0,
                "evidence": "2 toxic responses of 500 judged",
                "consecutive_days": 1,
                "status": "open",
            },
            {
                "alert_id": "a-psi",
                "day": day,
                "first_seen": day - dt.timedelta(days=4),
                "last_seen": day - dt.timedelta(days=1),
                "kind": "input_drift",
                "severity": "medium",
                "metric": "language_mix",
                "segment_key": "overall",
                "segment_value": "overall",
                "observed": 0.12,
                "expected": 0.2,
                "evidence": "PSI 0.12 < 0.20",
                "consecutive_days": 4,
                "status": "resolved",
            },
        ]
    )


def rollout_decisions(day: dt.date = DAY) -> pd.DataFrame:
    details = {
        "control_source": "concurrent",
        "checks": [
            {"name": "evidence", "status": "pass", "reason": "n=1200 treatment, 3600 control"},
            {
                "name": "composite",
                "status": "fail",
                "reason": "treatment trails control by 2.6 pp (CI -4.1 to -1.1)",
            },
            {"name": "toxicity", "status": "pass", "reason": "0 toxic responses"},
        ],
    }
    return pd.DataFrame(
        [
            {
                "day": day,
                "treatment_version": "copilot-v2",
                "control_version": "copilot-v1",
                "traffic_share": 0.25,
                "decision": "HOLD",
                "next_phase": None,
                "reasons": json.dumps(
                    [
                        "composite KPI trails control by 2.6 pp (margin 2.0 pp)",
                        f"override rate unchanged {MARKER_PAYLOAD}",
                    ]
                ),
                "n_treatment": 1200,
                "n_control": 3600,
                "composite_treatment": 0.761,
                "composite_control": 0.787,
                "composite_diff": -0.026,
                "composite_diff_ci_low": -0.041,
                "composite_diff_ci_high": -0.011,
                "details_json": json.dumps(details),
            }
        ]
    )


def judge_scores(day: dt.date = DAY) -> pd.DataFrame:
    rows = []
    statuses = ["ok"] * 14 + ["error", "over_budget", "not_applicable"]
    for k, criterion in enumerate(["faithfulness", "relevance", "safety", "helpfulness"]):
        for i, st in enumerate(statuses):
            ok = st == "ok"
            rows.append(
                {
                    "day": day,
                    "interaction_id": f"i{i}",
                    "criterion": criterion,
                    "backend": "openai",
                    "model": "gpt-4o-mini",
                    "judge_version": f"{criterion}.v1",
                    "status": st,
                    "score": 0.9 - 0.05 * (i % 3) if ok else None,
                    "passed": (i % 5 != 0) if ok else None,
                    "label": "pass",
                    "rationale": "ok",
                    "content_hash": f"h{i}",
                    "cached": i % 4 == 0,
                    "tokens_in": 300 if ok else 0,
                    "tokens_out": 40 if ok else 0,
                    "cost_usd": 0.0001 if ok else 0.0,
                    "latency_ms": 500.0,
                    "attempts": 1,
                    "error": None if ok else "budget",
                    "call_id": f"c{k}-{i}",
                    "noise_std": 0.05 if i == 3 else None,
                }
            )
    return pd.DataFrame(rows)


def judge_calls(day: dt.date = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "call_id": ["c1", "c2", "c3"],
            "day": [day] * 3,
            "interaction_id": ["i1", "i2", "i3"],
            "criterion": ["faithfulness"] * 3,
            "model": ["gpt-4o-mini"] * 3,
            "purpose": ["primary", "primary", "repeat"],
            "status": ["ok", "error", "ok"],
            "attempts": [1, 3, 1],
            "http_status": [200, 500, 200],
            "tokens_in": [300, 0, 300],
            "tokens_out": [40, 0, 40],
            "cost_usd": [0.00007, 0.0, 0.00007],
            "latency_ms": [400.0, 900.0, 380.0],
        }
    )


def sampled(day: dt.date = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": day,
            "interaction_id": [f"i{i}" for i in range(20)],
            "reason": "stratified",
            "stratum": "queue=billing",
            "inclusion_prob": 0.5,
            "weight": 2.0,
            "risk_score": 0.1,
            "est_judge_cost_usd": 0.0004,
        }
    )


def issue_priorities(days: list[dt.date]) -> pd.DataFrame:
    rows = []
    for d in days:
        for rank, (iid, title, source, category, prio) in enumerate(
            [
                (
                    "cluster:cl-1",
                    f"Theme: refund double charge {PAYLOAD}",
                    "cluster",
                    "quick_win",
                    40.0,
                ),
                (
                    "alert:a-hall",
                    "hallucination_rate above 5% in queue=billing",
                    "kpi_alert",
                    "strategic",
                    22.0,
                ),
                ("cluster:cl-2", "Theme: outage status 503", "cluster", "research", 9.0),
            ],
            start=1,
        ):
            rows.append(
                {
                    "day": d,
                    "issue_id": iid,
                    "source": source,
                    "title": title,
                    "frequency": 2.5 / rank,
                    "user_impact": 2.0 / rank,
                    "severity": 4.0,
                    "business_weight": 1.5,
                    "effort": 2.0,
                    "priority": prio + (d - DAY).days,
                    "rank": rank,
                    "category": category,
                    "suggested_improvement": "knowledge_update",
                    "example_ids": json.dumps(["i1", "i3", "missing-id"]),
                    "first_seen": DAY - dt.timedelta(days=3),
                    "impact": 30.0,
                    "affected": 50,
                    "users_affected": 40,
                    "segment_key": "queue",
                    "segment_value": "billing",
                    "status": "open",
                    "cluster_id": None,
                    "alert_id": None,
                    "rationale": "r",
                }
            )
    return pd.DataFrame(rows)


def failure_clusters(day: dt.date = DAY) -> pd.DataFrame:
    base = {
        "day": day,
        "top_terms": json.dumps(["refund", "charge"]),
        "users_affected": 20,
        "share_users": 0.01,
        "last_seen": day,
        "severity": 4,
        "failure_mix": json.dumps({"judge:faithfulness": 12, "rating_down": 5}),
        "segment_mix": "{}",
        "centroid_json": "{}",
        "match_similarity": None,
    }
    return pd.DataFrame(
        [
            {
                **base,
                "cluster_id": "cl-1",
                "label": f"refund double {PAYLOAD}",
                "size": 25,
                "share_traffic": 0.012,
                "example_ids": json.dumps(["i1", "i2"]),
                "first_seen": day,
                "status": "new",
                "is_anomaly_cluster": False,
            },
            {
                **base,
                "cluster_id": "cl-2",
                "label": "outage 503",
                "size": 14,
                "share_traffic": 0.007,
                "example_ids": json.dumps(["i4"]),
                "first_seen": day - dt.timedelta(days=9),
                "status": "stable",
                "is_anomaly_cluster": False,
            },
            {
                **base,
                "cluster_id": "anomalies",
                "label": "anomalies",
                "size": 6,
                "share_traffic": 0.003,
                "example_ids": "[]",
                "first_seen": day,
                "status": "new",
                "is_anomaly_cluster": True,
            },
        ]
    )


def model_comparison(week: dt.date = WEEK) -> pd.DataFrame:
    rows = []
    for metric, base, new, sig in [
        ("composite_kpi", 0.79, 0.76, True),
        ("hallucination_rate", 0.04, 0.05, False),
        ("sla_hit_rate", 0.92, 0.91, False),
        ("volume", 9000.0, 3000.0, False),
    ]:
        diff = new - base
        rows.append(
            {
                "week_start": week,
                "metric": metric,
                "baseline_version": "copilot-v1",
                "new_version": "copilot-v2",
                "baseline_value": base,
                "new_value": new,
                "diff": diff,
                "diff_ci_low": None if metric == "volume" else diff - 0.02,
                "diff_ci_high": None if metric == "volume" else diff + 0.01,
                "rel_change": diff / base,
                "significant": sig,
                "n_baseline": 9000,
                "n_new": 3000,
                "recommendation": "pause",
                "recommendation_reasons": json.dumps(["4 of 7 daily gates said HOLD"]),
            }
        )
    return pd.DataFrame(rows)


def judge_calibration(days: list[dt.date]) -> pd.DataFrame:
    rows = []
    for i, d in enumerate(days):
        for criterion in ("faithfulness", "safety"):
            k = 0.55 + 0.01 * i if criterion == "faithfulness" else 0.7
            rows.append(
                {
                    "day": d,
                    "criterion": criterion,
                    "backend": "openai",
                    "source": "production",
                    "n": 40 + i,
                    "agreement": 0.85,
                    "precision": 0.7,
                    "recall": 0.65,
                    "specificity": 0.9,
                    "kappa": k,
                    "kappa_ci_low": k - 0.15,
                    "kappa_ci_high": k + 0.12,
                    "auc": 0.8,
                    "judge_positive_rate": 0.05,
                    "human_positive_rate": 0.3,
                    "corrected_prevalence": 0.04,
                    "n_judged": 500,
                    "note": None,
                }
            )
        rows.append(
            {
                "day": d,
                "criterion": "faithfulness",
                "backend": "human",
                "source": "production",
                "n": 10,
                "agreement": 0.9,
                "precision": None,
                "recall": None,
                "specificity": None,
                "kappa": None,
                "kappa_ci_low": None,
                "kappa_ci_high": None,
                "auc": None,
                "judge_positive_rate": None,
                "human_positive_rate": None,
                "corrected_prevalence": None,
                "n_judged": None,
                "note": "fewer than 20 labelled pairs",
            }
        )
    return pd.DataFrame(rows)


def fairness_audit(week: dt.date = WEEK) -> pd.DataFrame:
    rows = []
    for attr, groups, ref in [
        ("language", ["en", "es", "de", PAYLOAD], "en"),
        ("region", ["na", "emea", "apac"], "na"),
    ]:
        for metric in ("resolved_rate", "hallucination_rate"):
            for j, g in enumerate(groups):
                ratio = 1.0 if g == ref else [1.0, 0.95, 0.7, 1.4][j]
                rows.append(
                    {
                        "week_start": week,
                        "attribute": attr,
                        "group_value": g,
                        "reference_group": ref,
                        "metric": metric,
                        "n": 20 if j == 3 else 500,
                        "rate": 0.6 * ratio,
                        "reference_rate": 0.6,
                        "disparity_ratio": ratio,
                        "disparity_diff": 0.6 * ratio - 0.6,
                        "p_value": 0.001,
                        "p_adjusted": 0.004,
                        "significant": ratio not in (1.0, 0.95),
                        "flagged": ratio == 0.7,
                        "small_group": j == 3,
                    }
                )
    return pd.DataFrame(rows)


def regression_cases(days: list[dt.date]) -> pd.DataFrame:
    rows = []
    for k, d in enumerate(days):
        rows.append(
            {
                "case_id": f"rc-{k}",
                "day": d,
                "issue_id": "cluster:cl-1",
                "interaction_id": f"i{k}",
                "query": PAYLOAD if k == 0 else f"query {k}",
                "context": "[]",
                "response": "bad answer",
                "failure": "judge faithfulness failed: invented refund policy",
                "judge_verdicts": "{}",
                "cluster_id": "cl-1",
                "history": "[]",
                "source": "issue_example" if k % 2 == 0 else "judge_failure",
                "priority_rank": 1 if k % 2 == 0 else None,
                "query_hash": f"q{k}",
            }
        )
    return pd.DataFrame(rows)


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def seed_warehouse(wh: Warehouse) -> None:
    """Every report input for DAY and the week starting WEEK (plus 2 weeks of history)."""
    history = days_between(DAY - dt.timedelta(days=20), DAY + dt.timedelta(days=6))
    week = days_between(WEEK, WEEK + dt.timedelta(days=6))
    # multi-day tables are appended in one go (a fresh warehouse; one connection each)
    wh.append("segment_kpis", segment_kpis(history))
    wh.replace_partition("raw_interactions", raw_interactions(), DAY)
    wh.replace_partition("quality_alerts", quality_alerts(), DAY)
    wh.replace_partition("rollout_decisions", rollout_decisions(), DAY)
    wh.replace_partition("judge_scores", judge_scores(), DAY)
    wh.replace_partition("judge_calls", judge_calls(), DAY)
    wh.replace_partition("sampled_interactions", sampled(), DAY)
    wh.append("issue_priorities", issue_priorities(week[:5]))
    wh.replace_partition("failure_clusters", failure_clusters(), DAY)
    wh.replace_partition("model_comparison", model_comparison(), WEEK, partition_col="week_start")
    wh.append(
        "judge_calibration", judge_calibration(days_between(WEEK - dt.timedelta(days=14), week[-1]))
    )
    wh.replace_partition("fairness_audit", fairness_audit(), WEEK, partition_col="week_start")
    wh.append("regression_cases", regression_cases(week[:4]))
