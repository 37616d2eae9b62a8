"""Every open issue of a day on one scale: Priority = F × U × S × B ÷ E.

Issues come from three places: failure themes (``failure_clusters``), KPI /
threshold / drift alerts (``quality_alerts``) and fairness gaps (bias alerts and
flagged ``fairness_audit`` rows). Each is scored on the same dimensions so a
product owner can compare a hallucinating billing theme with a relevance drift:

- **Frequency (F)** – affected interactions as a percentage of the day's traffic
  (0–100). Themes: their size. Alerts: the traffic of the alert's segment times the
  effect size (the observed rate for failure-rate metrics such as
  ``hallucination_rate``; ``|observed − expected|`` for other metrics in [0, 1];
  the relative change, capped at 1, otherwise; 1 when unknown). Fairness gaps: the
  group's share of the audited traffic times ``|rate − reference_rate|``.
- **User impact (U)** – the same for distinct users (0–100); equals F when the
  logs carry no user ids.
- **Severity (S)** – 1–5: toxicity/PII/safety 5, hallucination 4, overrides,
  errors, refusals and relevance/helpfulness failures 3, negative feedback and
  retries 2; alerts also take their own severity (critical 5, high 4, medium 3,
  low 2), whichever is worse. Fairness gaps 3, 4 when significant.
- **Business weight (B)** – ``priorities.business_weights`` for the issue's segment
  (for themes, the dominant value of each configured key; the largest weight wins);
  1 by default.
- **Effort (E)** – ``priorities.effort`` by source type (cluster, kpi_alert,
  drift, fairness); 1 when not configured.

Impact = F × U × S × B. Category: unknown cause (anomaly group, input drift,
freshness) → research; otherwise high impact (≥ ``high_impact_min``) and low effort
(< ``high_effort_min``) → quick_win, high/high → strategic, low/low → maintenance,
low impact and high effort → research.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalflow.config.settings import Settings, segment_column
from evalflow.discovery.clusters import DOMINANT_REASON_SHARE, empty_frame
from evalflow.fairness.bias_alerts import fold_intersections

PRIORITY_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day (partition)"),
    "issue_id": ("VARCHAR", "stable: cluster:<cluster_id>, alert:<alert_id> or fairness:<hash>"),
    "source": ("VARCHAR", "cluster|kpi_alert|drift|fairness"),
    "title": ("VARCHAR", "what the issue is, in one line"),
    "frequency": ("DOUBLE", "affected interactions, % of the day's traffic (0-100)"),
    "user_impact": ("DOUBLE", "affected distinct users, % of the day's users (0-100)"),
    "severity": ("DOUBLE", "1-5"),
    "business_weight": ("DOUBLE", "priorities.business_weights of the issue's segment (default 1)"),
    "effort": ("DOUBLE", "priorities.effort of the source type (default 1)"),
    "priority": ("DOUBLE", "frequency x user_impact x severity x business_weight / effort"),
    "rank": ("INTEGER", "1 = highest priority of the day"),
    "category": ("VARCHAR", "quick_win|strategic|research|maintenance"),
    "suggested_improvement": (
        "VARCHAR",
        "prompt_optimisation|capability_gap|knowledge_update|"
        "fine_tuning_data|safety_filter|investigation",
    ),
    "example_ids": ("VARCHAR", "JSON list of example interaction ids"),
    "first_seen": ("DATE", "first day the issue was seen (carried from earlier days)"),
    "impact": ("DOUBLE", "frequency x user_impact x severity x business_weight"),
    "affected": ("BIGINT", "estimated affected interactions of the day"),
    "users_affected": ("BIGINT", "estimated affected users (NULL without user ids)"),
    "segment_key": ("VARCHAR", "segment the issue is in (dominant segment for themes)"),
    "segment_value": (
        "VARCHAR",
        "the value of segment_key (e.g. billing for queue); NULL for overall issues",
    ),
    "status": ("VARCHAR", "theme status (new|emerging|...) or alert status"),
    "cluster_id": ("VARCHAR", "failure_clusters.cluster_id for theme issues"),
    "alert_id": ("VARCHAR", "quality_alerts.alert_id for alert issues"),
    "rationale": ("VARCHAR", "why this severity and suggestion"),
    "merged_issue_ids": (
        "VARCHAR",
        "JSON list of issue ids folded into this one (same interactions)",
    ),
}

ALERT_SEVERITY = {"critical": 5, "high": 4, "medium": 3, "low": 2}
MIXED_GROUP_COHERENCE = 0.5
"""Below this coherence a theme's title says it is a mixed group."""
SOURCE_OF_KIND = {
    "threshold": "kpi_alert",
    "freshness": "kpi_alert",
    "drift": "drift",
    "input_drift": "drift",
    "bias": "fairness",
}
UNKNOWN_CAUSE_KINDS = {"input_drift", "freshness"}
# Metric name fragments -> (severity, suggested improvement); first match wins.
METRIC_RULES: list[tuple[tuple[str, ...], int, str]] = [
    (("toxic", "pii", "safety"), 5, "safety_filter"),
    (("hallucination", "faithful", "grounding"), 4, "knowledge_update"),
    (("override", "escalation", "refusal", "error", "incident", "resolved"), 3, "capability_gap"),
    (("relevance", "helpful", "composite", "pass_rate", "judge"), 3, "prompt_optimisation"),
    (
        ("rating", "feedback", "negative", "retr", "sentiment", "edited", "copied"),
        2,
        "prompt_optimisation",
    ),
    (("sla", "latency", "resolution", "cost", "volume", "freshness"), 2, "investigation"),
]
# Failure-rate metrics: the observed value itself is the share of affected interactions.
FAILURE_RATE_HINTS = (
    "toxic",
    "pii",
    "hallucination",
    "error",
    "override",
    "refusal",
    "rating_down",
    "negative",
    "breach",
    "incident",
    "unresolved",
    "escalation_wrong",
    "retr",
)
# Metric fragments -> reasons of interactions that exemplify it (for example_ids).
METRIC_REASONS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("toxic", "safety"), ("toxicity", "judge:safety")),
    (("pii",), ("pii",)),
    (("hallucination", "faithful", "grounding"), ("judge:faithfulness",)),
    (("relevance",), ("judge:relevance",)),
    (("helpful",), ("judge:helpfulness",)),
    (("override", "escalation"), ("override",)),
    (("refusal",), ("refusal",)),
    (("error",), ("error",)),
    (("rating", "feedback", "negative", "sentiment"), ("rating_down",)),
    (("retr",), ("retried",)),
]
SAFETY_REASONS = {"toxicity", "pii", "judge:safety"}
KNOWLEDGE_REASONS = {"judge:faithfulness"}
CAPABILITY_REASONS = {"refusal", "error", "override", "retried"}


@dataclass
class Exposure:
    """How much of the day's traffic (and users) a segment represents."""

    frame: pd.DataFrame

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def users(self) -> int | None:
        if "user_id" not in self.frame or self.frame["user_id"].isna().all():
            return None
        return int(self.frame["user_id"].dropna().nunique())

    def mask(self, key: object, value: object) -> np.ndarray | None:
        """Rows in segment ``key=value``; all rows for overall; None if unresolvable."""
        if (
            key is None
            or (isinstance(key, float) and math.isnan(key))
            or str(key) in ("", "overall", "all")
        ):
            return np.ones(self.n, dtype=bool)
        keys = [k.strip() for k in str(key).split("×")]
        values = [v.strip() for v in str(value).split("×")] if value is not None else []
        if len(keys) != len(values):
            return None
        mask = np.ones(self.n, dtype=bool)
        for k, v in zip(keys, values, strict=True):
            col = (
                k if k in ("model_version", "rollout_arm", "prompt_version") else segment_column(k)
            )
            if col not in self.frame:
                return None
            mask &= (self.frame[col].astype("object") == v).to_numpy(dtype=bool)
        return mask

    def of(self, key: object, value: object) -> tuple[int, int | None, bool]:
        """(interactions, users, resolved) of a segment; the whole day when unresolvable."""
        m = self.mask(key, value)
        resolved = m is not None
        if m is None:
            m = np.ones(self.n, dtype=bool)
        part = self.frame.loc[m]
        users = None
        if self.users is not None:
            users = int(part["user_id"].dropna().nunique())
        return int(m.sum()), users, resolved


def _pct(part: float, whole: float | None) -> float:
    return 100.0 * part / whole if whole else 0.0


def _rule(metric: str) -> tuple[int, str]:
    m = (metric or "").lower()
    for hints, sev, improvement in METRIC_RULES:
        if any(h in m for h in hints):
            return sev, improvement
    return 1, "investigation"


def effect_size(metric: str, observed: object, expected: object, kind: str = "threshold") -> float:
    """Share of the exposed interactions affected (0–1); see the module docstring."""
    o = _num(observed)
    e = _num(expected)
    m = (metric or "").lower()
    # A drift is a change against a baseline: only the excess is new harm (a down-vote
    # rate moving from 20% to 29% affects 9% of the rated traffic, not 29%).
    failure_rate = any(h in m for h in FAILURE_RATE_HINTS) and kind != "drift"
    if o is not None and 0.0 <= o <= 1.0 and failure_rate:
        return o
    if o is not None and e is not None:
        if 0.0 <= o <= 1.0 and 0.0 <= e <= 1.0:
            return abs(o - e)
        if e != 0:
            return min(1.0, abs(o - e) / abs(e))
        return 1.0
    return 1.0


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def business_weight(weights: dict[str, dict[str, float]], key: object, value: object) -> float:
    """Weight of ``key=value`` (parts of an ``a×b`` intersection: the largest); default 1."""
    if key is None or value is None:
        return 1.0
    keys = str(key).split("×")
    values = str(value).split("×")
    if len(keys) != len(values):
        return 1.0
    found = [weights.get(k.strip(), {}).get(v.strip()) for k, v in zip(keys, values, strict=True)]
    found = [f for f in found if f is not None]
    return float(max(found)) if found else 1.0


def fairness_issue_id(attribute: object, group: object, metric: object) -> str:
    digest = hashlib.sha256(f"{attribute}|{group}|{metric}".encode()).hexdigest()[:12]
    return f"fairness:{digest}"


def _metric_reasons(metric: str) -> tuple[str, ...]:
    low = (metric or "").lower()
    for hints, reasons in METRIC_REASONS:
        if any(h in low for h in hints):
            return reasons
    return ()


def _showing(frame: pd.DataFrame, mask: np.ndarray | None, metric: str) -> pd.DataFrame | None:
    """Failing rows of the segment whose reasons show the metric (None: no such mapping)."""
    wanted = _metric_reasons(metric)
    if not wanted or not len(frame) or "failing" not in frame or "reasons" not in frame:
        return None
    m = frame["failing"].to_numpy(dtype=bool)
    if mask is not None:
        m = m & mask
    cand = frame.loc[m]
    pattern = "|".join(rf"(?:^|,){r}(?:,|$)" for r in wanted)
    return cand[cand["reasons"].fillna("").str.contains(pattern, regex=True)]


def _examples(frame: pd.DataFrame, mask: np.ndarray | None, metric: str, k: int) -> list[str]:
    """Failing interactions of the segment that show the alert's metric, worst first."""
    if not len(frame) or "failing" not in frame:
        return []
    m = frame["failing"].to_numpy(dtype=bool)
    if mask is not None:
        m = m & mask
    cand = frame.loc[m]
    hit = _showing(frame, mask, metric)
    if hit is not None and len(hit):
        cand = hit
    if not len(cand):
        return []
    risk = (
        pd.to_numeric(cand.get("risk_score"), errors="coerce").fillna(0.0)
        if "risk_score" in cand
        else 0.0
    )
    cand = cand.assign(_sev=cand["severity"], _risk=risk)
    cand = cand.sort_values(["_sev", "_risk", "interaction_id"], ascending=[False, False, True])
    return cand["interaction_id"].astype(str).head(k).tolist()


def _reason_shares(failure_mix: object) -> dict[str, float]:
    try:
        mix = json.loads(failure_mix) if isinstance(failure_mix, str) else {}
    except json.JSONDecodeError:
        mix = {}
    mix = {k: float(v) for k, v in mix.items() if not str(k).startswith("anomalous:")}
    return mix


def cluster_improvement(
    failure_mix: object, size: int, status: str, age_days: int, persistent_days: int
) -> tuple[str, str]:
    """Suggested improvement for a theme from its dominant failure reasons and age."""
    mix = _reason_shares(failure_mix)
    n = max(size, 1)
    dominant = {r for r, c in mix.items() if c / n >= DOMINANT_REASON_SHARE}
    if not dominant and mix:
        dominant = {max(mix.items(), key=lambda kv: (kv[1], kv[0]))[0]}
    shares = ", ".join(f"{r} {mix[r] / n:.0%}" for r in sorted(dominant, key=lambda r: -mix[r]))
    why = f"dominant reasons: {shares or 'none'}; status {status}, age {age_days} d"
    if dominant & SAFETY_REASONS:
        return "safety_filter", why
    if dominant & KNOWLEDGE_REASONS:
        return "knowledge_update", why
    if status in ("new", "emerging") or dominant & CAPABILITY_REASONS:
        return "capability_gap", why
    if age_days >= persistent_days:
        return "fine_tuning_data", why + " (persistent: prompt work alone has not fixed it)"
    return "prompt_optimisation", why


DOMINANT_SHARE = 0.5
"""A theme is pinned to a segment value only when that value holds at least half its rows."""


def _dominant_segment(
    segment_mix: object, weights: dict[str, dict[str, float]], segments: Sequence[str] = ()
) -> tuple[str | None, str | None, float]:
    """The (key, value) a theme concentrates in, with the business weight it carries.

    Only the configured segment keys (and those with business weights) are looked at,
    and a value counts only when it holds ``DOMINANT_SHARE`` of the theme's rows: a
    theme spread over every queue is not "a billing issue". Of several, the highest
    weight wins, then the larger share.
    """
    try:
        mix = json.loads(segment_mix) if isinstance(segment_mix, str) else {}
    except json.JSONDecodeError:
        mix = {}
    best: tuple[str | None, str | None, float] = (None, None, 1.0)
    best_share = 0.0
    for key in dict.fromkeys([*weights, *segments]):
        counts = {str(v): float(n) for v, n in (mix.get(key) or {}).items()}
        total = sum(counts.values())
        if not total:
            continue
        value, top = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        share = top / total
        if share < DOMINANT_SHARE or value in ("(missing)", "unknown", ""):
            continue
        w = business_weight(weights, key, value)
        if best[0] is None or (w, share) > (best[2], best_share):
            best, best_share = (key, value, w), share
    return best


def compute_issue_priorities(
    *,
    day: dt.date,
    clusters: pd.DataFrame,
    alerts: pd.DataFrame,
    bias_alerts: pd.DataFrame,
    fairness: pd.DataFrame,
    frame: pd.DataFrame,
    first_seen: dict[str, dt.date],
    settings: Settings,
    members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One scored, ranked, categorised row per issue of ``day`` (see module docstring).

    ``alerts``: open non-bias ``quality_alerts`` of the day; ``bias_alerts``: open bias
    alerts of the latest audit week; ``fairness``: flagged ``fairness_audit`` rows of
    the latest complete week; ``frame``: the day frame (exposure and examples);
    ``first_seen``: earliest ``first_seen`` per issue_id on earlier days;
    ``members``: ``failure_cluster_members`` of the day (which interactions each theme
    holds), used to recognise a theme and an alert that are the same problem.
    """
    exp = Exposure(frame)
    affected_ids: dict[str, frozenset[str]] = {}
    if members is not None and len(members) and {"cluster_id", "interaction_id"} <= set(members):
        for cid, ids in members.groupby("cluster_id")["interaction_id"]:
            affected_ids[f"cluster:{cid}"] = frozenset(ids.astype(str))
    rows = [
        _cluster_row(c, day, exp, settings)
        for c in (clusters.to_dict("records") if len(clusters) else [])
    ]
    for a in _records(alerts) + _records(bias_alerts):
        row, shown = _alert_row(a, day, exp, frame, settings)
        if shown:
            affected_ids[row["issue_id"]] = shown
        rows.append(row)
    rows += _fairness_rows(fairness, bias_alerts, exp, day, settings)
    if not rows:
        return empty_frame(PRIORITY_COLUMNS)
    return _rank(pd.DataFrame(rows), affected_ids, first_seen, day, settings)


def _cluster_row(c: dict, day: dt.date, exp: Exposure, settings: Settings) -> dict:
    """A failure theme (or anomaly group) as an issue: its reach is the rows it really holds."""
    ps = settings.priorities
    is_anom = bool(c.get("is_anomaly_cluster"))
    # A mixed group (its rows mostly do not mention its label) is not one issue: only
    # the share of its rows that do is the theme's reach.
    coherence = None if is_anom else _num(c.get("coherence"))
    reach = 1.0 if coherence is None else coherence
    size = round(int(c["size"]) * reach)
    users = None if pd.isna(c.get("users_affected")) else round(int(c["users_affected"]) * reach)
    freq = _pct(size, exp.n)
    user_impact = _pct(users, exp.users) if users is not None and exp.users else freq
    seg_key, seg_val, weight = _dominant_segment(
        c.get("segment_mix"), ps.business_weights, settings.segments
    )
    fs = pd.Timestamp(c["first_seen"]).date() if not pd.isna(c.get("first_seen")) else day
    if is_anom:
        improvement, why = (
            "investigation",
            "statistical outliers in the day's signals; cause unknown",
        )
    else:
        improvement, why = cluster_improvement(
            c.get("failure_mix"), int(c["size"]), str(c["status"]), (day - fs).days,
            ps.persistent_days,
        )  # fmt: skip
    mixed = coherence is not None and coherence < MIXED_GROUP_COHERENCE
    if coherence is not None:
        why += f"; {coherence:.0%} of its {int(c['size'])} rows mention its label terms"
    title = (
        f"{c['label']} [{c['status']}]"
        if is_anom
        else f"theme [{c['status']}]: {c['label']}"
        + (f" (mixed group: {coherence:.0%} of its rows mention these terms)" if mixed else "")
    )
    return {
        "issue_id": f"cluster:{c['cluster_id']}",
        "source": "cluster",
        "title": title,
        "frequency": freq,
        "user_impact": user_impact,
        "severity": float(c.get("severity") or 1),
        "business_weight": weight,
        "effort": float(ps.effort.get("cluster", 1.0)),
        "suggested_improvement": improvement,
        "example_ids": c.get("example_ids") or "[]",
        "first_seen": fs,
        "affected": size,
        "users_affected": users,
        "segment_key": seg_key,
        "segment_value": seg_val,
        "status": c["status"],
        "cluster_id": c["cluster_id"],
        "alert_id": None,
        "rationale": why,
        "_unknown_cause": is_anom,
    }


def _alert_row(
    a: dict, day: dt.date, exp: Exposure, frame: pd.DataFrame, settings: Settings
) -> tuple[dict, frozenset[str] | None]:
    """An open alert as an issue, and the interactions it shows (to merge same issues)."""
    ps = settings.priorities
    kind = str(a.get("kind") or "threshold")
    source = SOURCE_OF_KIND.get(kind, "kpi_alert")
    metric = str(a.get("metric") or "")
    key, value = a.get("segment_key"), a.get("segment_value")
    n_seg, users_seg, resolved = exp.of(key, value)
    eff = effect_size(metric, a.get("observed"), a.get("expected"), kind)
    n_day = exp.n
    if not n_day:
        n_seg, n_day_eff = 1, 1
    else:
        n_day_eff = n_day
    freq = _pct(n_seg * eff, n_day_eff)
    user_impact = _pct(users_seg * eff, exp.users) if users_seg is not None and exp.users else freq
    metric_sev, improvement = _rule(metric)
    sev = max(metric_sev, ALERT_SEVERITY.get(str(a.get("severity") or "").lower(), 1))
    if source == "fairness":
        improvement = "fine_tuning_data"
    if kind in UNKNOWN_CAUSE_KINDS:
        improvement = "investigation"
    mask = exp.mask(key, value)
    issue_id = (
        fairness_issue_id(key, value, metric)
        if source == "fairness"
        else f"alert:{a.get('alert_id')}"
    )
    shown = _showing(frame, mask, metric) if source != "fairness" else None
    ids = (
        frozenset(shown["interaction_id"].astype(str)) if shown is not None and len(shown) else None
    )
    seg = "overall" if key in (None, "", "overall") or pd.isna(key) else f"{key}={value}"
    row = {
        "issue_id": issue_id,
        "source": source,
        "title": f"{kind} alert: {metric} in {seg} observed {_fmt(a.get('observed'))} "
        f"vs expected {_fmt(a.get('expected'))}",
        "frequency": freq,
        "user_impact": user_impact,
        "severity": float(sev),
        "business_weight": business_weight(ps.business_weights, key, value),
        "effort": float(ps.effort.get(source, 1.0)),
        "suggested_improvement": improvement,
        "example_ids": json.dumps(_examples(frame, mask, metric, settings.discovery.max_examples)),
        "first_seen": _date(a.get("first_seen")) or day,
        "affected": round(n_seg * eff) if n_day else None,
        "users_affected": round(users_seg * eff) if users_seg is not None else None,
        "segment_key": None if seg == "overall" else str(key),
        "segment_value": None if seg == "overall" else str(value),
        "status": a.get("status"),
        "cluster_id": None,
        "alert_id": a.get("alert_id"),
        "rationale": f"{kind} alert severity {a.get('severity')}; effect size {eff:.3g}"
        + ("" if resolved else "; segment not found in the day's traffic, whole day used"),
        "_unknown_cause": kind in UNKNOWN_CAUSE_KINDS,
    }
    return row, ids


def _rank(
    out: pd.DataFrame,
    affected_ids: dict[str, frozenset[str]],
    first_seen: dict[str, dt.date],
    day: dt.date,
    settings: Settings,
) -> pd.DataFrame:
    """Priority = F x U x S x B / effort, a category from impact and effort, then the rank."""
    ps = settings.priorities
    out = out.drop_duplicates("issue_id", keep="first")
    out["impact"] = out["frequency"] * out["user_impact"] * out["severity"] * out["business_weight"]
    out["priority"] = out["impact"] / out["effort"]
    high_impact = out["impact"] >= ps.high_impact_min
    high_effort = out["effort"] >= ps.high_effort_min
    out["category"] = np.select(
        [
            out["_unknown_cause"].astype(bool),
            high_impact & ~high_effort,
            high_impact & high_effort,
            ~high_impact & ~high_effort,
        ],
        ["research", "quick_win", "strategic", "maintenance"],
        default="research",
    )
    out["first_seen"] = [
        min(d for d in (fs, first_seen.get(i), day) if d is not None)
        for i, fs in zip(out["issue_id"], out["first_seen"], strict=True)
    ]
    out = out.sort_values(["priority", "issue_id"], ascending=[False, True]).reset_index(drop=True)
    out = merge_same_issues(out, affected_ids, ps.same_issue_jaccard)
    out["rank"] = np.arange(1, len(out) + 1)
    out["day"] = day
    for col in ("affected", "users_affected"):
        out[col] = pd.array(out[col], dtype="Int64")
    return out[list(PRIORITY_COLUMNS)]


def merge_same_issues(
    ranked: pd.DataFrame, affected: dict[str, frozenset[str]], min_jaccard: float
) -> pd.DataFrame:
    """Fold issues that are the same problem into the highest-priority one.

    The toxic answers of a day raise a judged-toxicity and an online-signal alert, in
    the overall cell and in the language they concentrate in; a failure theme can be
    exactly the interactions behind an alert. Listing each as its own issue pushes
    other problems off the top of the list. Two issues are the same when the
    interactions they affect (a theme's members; an alert's failing rows of its
    segment whose reasons show its metric) have a Jaccard similarity of at least
    ``min_jaccard``: near-identical sets, not a small alert inside a broad theme.
    ``ranked`` is sorted by priority; each issue is compared with the issues kept so
    far, so the representative is the highest-priority member of its group. It keeps
    its scores and lists the others in ``merged_issue_ids`` and its rationale.
    """
    ranked = ranked.copy()
    ranked["merged_issue_ids"] = "[]"
    if ranked.empty or not affected:
        return ranked
    kept: list[int] = []
    merged: dict[int, list[int]] = {}
    drop: list[int] = []
    for i, issue_id in enumerate(ranked["issue_id"]):
        ids = affected.get(str(issue_id))
        host = None
        if ids:
            for k in kept:
                other = affected.get(str(ranked.at[k, "issue_id"]))
                if other and len(ids & other) / len(ids | other) >= min_jaccard:
                    host = k
                    break
        if host is None:
            kept.append(i)
        else:
            merged.setdefault(host, []).append(i)
            drop.append(i)
    for host, parts in merged.items():
        ranked.at[host, "merged_issue_ids"] = json.dumps(
            [str(ranked.at[i, "issue_id"]) for i in parts]
        )
        titles = "; ".join(str(ranked.at[i, "title"]) for i in parts)
        ranked.at[host, "rationale"] = (
            f"{ranked.at[host, 'rationale']}; the same interactions are also reported as "
            f"{len(parts)} other issue(s), merged here: {titles}"
        )
    return ranked.drop(index=drop).reset_index(drop=True)


def _fairness_rows(
    fairness: pd.DataFrame,
    bias_alerts: pd.DataFrame,
    exp: Exposure,
    day: dt.date,
    settings: Settings,
) -> list[dict]:
    """Flagged audit rows not already reported as bias alerts, nor explained by a parent."""
    if fairness is None or fairness.empty:
        return []
    ps = settings.priorities
    seen = set()
    for a in _records(bias_alerts):
        seen.add(fairness_issue_id(a.get("segment_key"), a.get("segment_value"), a.get("metric")))
    f = fairness.copy()
    totals = f.groupby(["attribute", "metric"])["n"].transform("sum")
    f["_share"] = f["n"] / totals.where(totals > 0)
    f = f[f["flagged"].astype("boolean").fillna(False).astype(bool)]
    flagged = [
        {**r, "alert_id": fairness_issue_id(r["attribute"], r["group_value"], r["metric"])}
        for r in f.to_dict("records")
    ]
    # An intersection its flagged parent group explains is the parent's gap (as in the
    # bias alerts), not an issue of its own.
    kept, _, _ = fold_intersections(flagged, settings.fairness.alpha)
    rows = []
    for r in kept:
        issue_id = r["alert_id"]
        if issue_id in seen:
            continue
        rate, ref = _num(r.get("rate")), _num(r.get("reference_rate"))
        eff = abs(rate - ref) if rate is not None and ref is not None else 1.0
        share = _num(r.get("_share")) or 0.0
        _, users_seg, resolved = exp.of(r["attribute"], r["group_value"])
        freq = 100.0 * share * eff
        users_day = exp.users
        user_impact = (
            _pct(users_seg * eff, users_day)
            if resolved and users_seg is not None and users_day
            else freq
        )
        significant = bool(r.get("significant")) if not pd.isna(r.get("significant")) else False
        rows.append(
            {
                "issue_id": issue_id,
                "source": "fairness",
                "title": f"fairness gap: {r['metric']} for {r['attribute']}={r['group_value']} "
                f"{_fmt(rate)} vs {_fmt(ref)} for {r.get('reference_group')}",
                "frequency": freq,
                "user_impact": user_impact,
                "severity": 4.0 if significant else 3.0,
                "business_weight": business_weight(
                    ps.business_weights, r["attribute"], r["group_value"]
                ),
                "effort": float(ps.effort.get("fairness", 1.0)),
                "suggested_improvement": "fine_tuning_data",
                "example_ids": json.dumps(
                    _examples(
                        exp.frame,
                        exp.mask(r["attribute"], r["group_value"]),
                        str(r["metric"]),
                        settings.discovery.max_examples,
                    )
                ),
                "first_seen": _date(r.get("week_start")) or day,
                "affected": None,
                "users_affected": None,
                "segment_key": str(r["attribute"]),
                "segment_value": str(r["group_value"]),
                "status": "open",
                "cluster_id": None,
                "alert_id": None,
                "rationale": f"audit week {_date(r.get('week_start'))}: disparity ratio "
                f"{_fmt(r.get('disparity_ratio'))}, n={r.get('n')}, "
                f"{'significant' if significant else 'not significant'}",
                "_unknown_cause": False,
            }
        )
    return rows


def _records(df: pd.DataFrame | None) -> list[dict]:
    return df.to_dict("records") if df is not None and len(df) else []


def _date(v: object) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    try:
        return pd.Timestamp(v).date()
    except (TypeError, ValueError):
        return None


def _fmt(v: object) -> str:
    f = _num(v)
    return "n/a" if f is None else f"{f:.3g}"
