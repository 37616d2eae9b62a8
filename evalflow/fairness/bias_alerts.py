"""Fairness findings as ``quality_alerts`` rows (``kind='bias'``), dated on the week's Sunday.

A finding becomes an alert when it is both *flagged* (beyond the four-fifths bounds on
the adverse side) and *significant* after the week's Benjamini–Hochberg correction:
a large gap that may be chance, or a real gap too small to matter, is left to the
audit table. The alert lifecycle follows the daily alerts (``evalflow.alerts.dedup``)
at a weekly step:

* ``alert_id`` = ``make_alert_id('bias', metric, attribute, group)``: the same finding
  keeps its id week after week;
* open on the previous Sunday and firing again → ``first_seen`` carried and
  ``consecutive_days`` + 7; firing for the first time (or after a resolved week) →
  ``first_seen`` = this Sunday, ``consecutive_days`` = 7. ``consecutive_days`` counts
  the *days of audited traffic* behind the uninterrupted run (7 per week), so it stays
  comparable with daily alerts;
* open on the previous Sunday, evaluated this week and no longer firing → a
  ``status='resolved'`` row keeping ``first_seen``, ``last_seen``, the run length and the
  previous observed/expected values;
* open on the previous Sunday but not evaluable this week (no traffic for the group,
  group or reference below ``min_group_size``) → carried open with its old
  ``last_seen`` (no data is not a recovery) and ``consecutive_days`` + 7.

Intersections are folded into their parent group's alert when the parent explains them:
``language×customer_tier=es×free`` firing on the same metric as ``customer_tier=free``,
and not significantly worse than the rest of the free tier (one-sided Fisher test at
``fairness.alpha``), is one line of the free tier's evidence, not an alert of its own.
An intersection that is worse than its parent group stays an alert and says so. This
keeps one bias (the free tier) one alert instead of one per language.

Severity: ``high`` for judge-measured quality/safety metrics (judge pass rates,
hallucination, toxicity) or a ratio beyond ``fairness.severe_ratio_bounds``
(0.6 / 1.67 by default, or an infinite ratio against a zero reference rate); else
``medium``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.alerts.common import make_alert_id
from evalflow.config.settings import Settings
from evalflow.fairness.schema import INTERSECTION_SEP, JUDGE_FAILURE_METRICS, PASS_RATE_PREFIX

KIND = "bias"
WEEK_DAYS = 7


def empty_alerts() -> pd.DataFrame:
    dtypes = {"DATE": "object", "VARCHAR": "object", "INTEGER": "Int64", "DOUBLE": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes[t]) for c, (t, _) in ALERT_COLUMNS.items()})


def is_quality_metric(metric: str) -> bool:
    return metric.startswith(PASS_RATE_PREFIX) or metric in JUDGE_FAILURE_METRICS


def severity(
    metric: str,
    ratio: float | None,
    rate: float | None,
    ref_rate: float | None,
    severe_bounds: tuple[float, float],
) -> str:
    if is_quality_metric(metric):
        return "high"
    lo, hi = severe_bounds
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        infinite = ref_rate == 0 and rate is not None and rate > 0
        return "high" if infinite else "medium"
    return "high" if ratio < lo or ratio > hi else "medium"


def _num(v: Any) -> float | None:
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _fmt_rate(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def evidence_text(
    r: dict[str, Any], monday: dt.date, sunday: dt.date, bounds: tuple[float, float]
) -> str:
    ratio = _num(r.get("disparity_ratio"))
    ratio_text = "inf (reference rate 0)" if ratio is None else f"{ratio:.2f}"
    group = str(r["group_value"])[:120]
    ref = str(r["reference_group"])[:120]
    return (
        f"{r['attribute']}={group}: {r['metric']} {_fmt_rate(_num(r.get('rate')))} "
        f"(n={r['n']}) vs {ref} {_fmt_rate(_num(r.get('reference_rate')))} "
        f"(n={r['reference_n']}); ratio {ratio_text} outside {bounds[0]:g}-{bounds[1]:g} "
        f"({r['direction']} is better{'' if r['direction'] != 'both' else ' or worse'}); "
        f"{r['test']} p={float(r['p_value']):.3g}, BH-adjusted p={float(r['p_adjusted']):.3g}; "
        f"week {monday}..{sunday}"
    )


def _counts(r: dict[str, Any]) -> tuple[float, float] | None:
    """(events, observations) behind a row's rate; None when unmeasured."""
    rate, n = _num(r.get("rate")), _num(r.get("n"))
    if rate is None or n is None or n <= 0:
        return None
    return rate * n, n


def worse_than_parent(child: dict[str, Any], parent: dict[str, Any], alpha: float) -> float | None:
    """One-sided p-value that the intersection is worse than the rest of its parent group.

    The intersection is a subset of the parent, so it is compared with the parent's
    other rows (parent minus child), on the adverse side of the metric's direction.
    Returns None when the counts do not allow the comparison (the child is kept).
    """
    c, p = _counts(child), _counts(parent)
    if c is None or p is None:
        return None
    rest_events, rest_n = p[0] - c[0], p[1] - c[1]
    if rest_n < 1:
        return None
    table = [
        [round(c[0]), round(c[1] - c[0])],
        [max(round(rest_events), 0), max(round(rest_n - rest_events), 0)],
    ]
    direction = str(child.get("direction"))
    alternative = {"lower": "greater", "higher": "less"}.get(direction, "two-sided")
    return float(fisher_exact(table, alternative=alternative).pvalue)


def fold_intersections(
    firing: list[dict[str, Any]], alpha: float
) -> tuple[list[dict[str, Any]], dict[str, list[str]], dict[str, str]]:
    """Split firing rows into kept ones and intersections their parent group explains.

    Returns the kept rows, per kept parent ``alert_id`` the evidence lines of the
    intersections folded into it, and per folded ``alert_id`` its parent's label.
    """
    by_cell = {
        (str(r["metric"]), str(r["attribute"]), str(r["group_value"])): r
        for r in firing
        if INTERSECTION_SEP not in str(r["attribute"])
    }
    kept: list[dict[str, Any]] = []
    folded_into: dict[str, list[str]] = {}
    parent_of: dict[str, str] = {}
    for r in firing:
        attribute = str(r["attribute"])
        if INTERSECTION_SEP not in attribute:
            kept.append(r)
            continue
        keys = attribute.split(INTERSECTION_SEP)
        values = str(r["group_value"]).split(INTERSECTION_SEP)
        parent = None
        notes: list[str] = []
        for key, value in zip(keys, values, strict=False):
            candidate = by_cell.get((str(r["metric"]), key, value))
            if candidate is None:
                continue
            pv = worse_than_parent(r, candidate, alpha)
            if pv is not None and pv >= alpha:
                parent = candidate
                break
            if pv is not None:
                notes.append(
                    f"worse than {key}={str(value)[:60]} as a whole "
                    f"({_fmt_rate(_num(candidate.get('rate')))}), one-sided Fisher p={pv:.3g}"
                )
        if parent is None:
            kept.append({**r, "_notes": notes})
            continue
        line = (
            f"{attribute}={str(r['group_value'])[:120]} {_fmt_rate(_num(r.get('rate')))} "
            f"(n={r['n']})"
        )
        folded_into.setdefault(parent["alert_id"], []).append(line)
        parent_of[r["alert_id"]] = f"{parent['attribute']}={str(parent['group_value'])[:120]}"
    return kept, folded_into, parent_of


def _previous_open(previous: pd.DataFrame, sunday: dt.date) -> pd.DataFrame:
    if previous is None or previous.empty:
        return empty_alerts()
    prev = previous.copy()
    prev["day"] = pd.to_datetime(prev["day"]).dt.date
    prev = prev[
        (prev["day"] == sunday - dt.timedelta(days=WEEK_DAYS))
        & (prev["kind"] == KIND)
        & (prev["status"] == "open")
    ]
    prev = prev.reindex(columns=list(ALERT_COLUMNS)).drop_duplicates("alert_id", keep="first")
    for col in ("first_seen", "last_seen"):
        prev[col] = pd.to_datetime(prev[col]).dt.date
    prev["consecutive_days"] = (
        pd.to_numeric(prev["consecutive_days"], errors="coerce").fillna(WEEK_DAYS).astype(int)
    )
    return prev


def build_bias_alerts(
    audit: pd.DataFrame, previous: pd.DataFrame, week_start: dt.date, settings: Settings
) -> pd.DataFrame:
    """The bias rows of ``quality_alerts`` for the week (day = its Sunday).

    ``audit``: this week's ``fairness_audit`` rows; ``previous``: ``quality_alerts`` rows
    of the previous Sunday (other kinds and days are ignored).
    """
    fs = settings.fairness
    sunday = week_start + dt.timedelta(days=WEEK_DAYS - 1)
    prev = _previous_open(previous, sunday).set_index("alert_id", drop=False)
    rows: list[dict[str, Any]] = []
    evaluated: set[str] = set()
    parent_of: dict[str, str] = {}
    if not audit.empty:
        a = audit.copy()
        ids = [
            make_alert_id(KIND, str(m), str(k), str(v))
            for m, k, v in zip(a["metric"], a["attribute"], a["group_value"], strict=True)
        ]
        a["alert_id"] = ids
        significant = a["significant"].astype("boolean")
        evaluated = set(a.loc[significant.notna().to_numpy(bool), "alert_id"])
        firing = a[a["flagged"].astype(bool).to_numpy() & significant.fillna(False).to_numpy(bool)]
        kept, folded_into, parent_of = fold_intersections(firing.to_dict("records"), fs.alpha)
        for r in kept:
            evidence = evidence_text(r, week_start, sunday, fs.ratio_bounds)
            if r.get("_notes"):
                evidence += "; " + "; ".join(r["_notes"])
            if folded_into.get(r["alert_id"]):
                lines = sorted(folded_into[r["alert_id"]])
                evidence += (
                    f"; the same gap in {len(lines)} intersection(s) it explains "
                    f"(folded into this alert): " + "; ".join(lines)
                )
            carried = r["alert_id"] in prev.index
            p = prev.loc[r["alert_id"]] if carried else None
            rows.append(
                {
                    "alert_id": r["alert_id"],
                    "day": sunday,
                    "first_seen": p["first_seen"] if p is not None else sunday,
                    "last_seen": sunday,
                    "kind": KIND,
                    "severity": severity(
                        str(r["metric"]),
                        _num(r["disparity_ratio"]),
                        _num(r["rate"]),
                        _num(r["reference_rate"]),
                        fs.severe_ratio_bounds,
                    ),
                    "metric": r["metric"],
                    "segment_key": r["attribute"],
                    "segment_value": r["group_value"],
                    "observed": _num(r["rate"]),
                    "expected": _num(r["reference_rate"]),
                    "evidence": evidence,
                    "consecutive_days": (
                        int(p["consecutive_days"]) + WEEK_DAYS if p is not None else WEEK_DAYS
                    ),
                    "status": "open",
                }
            )
    firing_ids = {r["alert_id"] for r in rows}
    for alert_id, p in prev.iterrows():
        if alert_id in firing_ids:
            continue
        row = {c: p[c] for c in ALERT_COLUMNS}
        row["day"] = sunday
        if alert_id in parent_of:
            row["status"] = "resolved"
            row["evidence"] = (
                f"folded on {sunday} into the {parent_of[alert_id]} alert: the gap is its "
                f"parent group's, not worse in this intersection (open {p['first_seen']}.."
                f"{p['last_seen']}); last evidence: {p['evidence']}"
            )
        elif alert_id in evaluated:
            row["status"] = "resolved"
            row["evidence"] = (
                f"resolved on {sunday}: no longer flagged and significant in the week "
                f"{week_start}..{sunday} (open {p['first_seen']}..{p['last_seen']}, "
                f"{int(p['consecutive_days'])} day(s)); last evidence: {p['evidence']}"
            )
        else:
            row["status"] = "open"
            row["consecutive_days"] = int(p["consecutive_days"]) + WEEK_DAYS
            row["evidence"] = (
                f"not re-evaluated in the week {week_start}..{sunday} (group or reference "
                f"without enough traffic); last evidence: {p['evidence']}"
            )
        rows.append(row)
    if not rows:
        return empty_alerts()
    out = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    out["consecutive_days"] = pd.array(out["consecutive_days"], dtype="Int64")
    for col in ("observed", "expected"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out.sort_values(["status", "alert_id"]).reset_index(drop=True)


def alert_severities(alerts: pd.DataFrame) -> dict[str, int]:
    """Open bias alerts per severity (materialisation metadata)."""
    if alerts.empty:
        return {}
    opened = alerts[alerts["status"] == "open"]
    values, counts = np.unique(opened["severity"].astype(str).to_numpy(), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}
