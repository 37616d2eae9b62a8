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

from evalflow.alerts.common import COLUMNS as ALERT_COLUMNS
from evalflow.alerts.common import make_alert_id
from evalflow.config.settings import Settings
from evalflow.fairness.schema import JUDGE_FAILURE_METRICS, PASS_RATE_PREFIX

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
        for r in firing.to_dict("records"):
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
                    "evidence": evidence_text(r, week_start, sunday, fs.ratio_bounds),
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
        if alert_id in evaluated:
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
