"""From the day's candidate findings to ``quality_alerts`` rows: one alert per condition.

A condition is (kind, metric, segment_key, segment_value) and its ``alert_id`` is a
hash of those, so the same problem on consecutive days is ONE alert that ages
instead of a new page every morning (notifications send each alert id once):

* several findings for one id on one day (the 7-day and 28-day z-tests and the EWMA
  of the same KPI) merge: the worst severity wins, then the smallest p-value, and
  the evidence of all of them is kept; a drift finding on a cell that already
  breaches its threshold is folded into the threshold alert;
* open on D−1 and firing on D → ``first_seen`` carried forward,
  ``consecutive_days`` + 1; firing on D only → ``first_seen = D``, 1 day;
* open on D−1 and not firing on D → a ``status='resolved'`` row on D (so a
  notification can say it cleared), keeping ``first_seen``, ``last_seen`` and the
  length of the run;
* open on D−1 but its detector had no input on D (no KPIs, no traffic) → carried
  forward as open with the old ``last_seen`` and a note: no data is not a recovery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalflow.alerts.common import (
    CANDIDATE_COLUMNS,
    COLUMNS,
    KINDS,
    SEVERITY_RANK,
    alert_ids,
    as_dates,
    empty_alerts,
    empty_candidates,
)

EVIDENCE_SEPARATOR = " | "


def fold_drift_into_thresholds(candidates: pd.DataFrame) -> pd.DataFrame:
    """Drop a drift finding when the same (metric, segment) already breaches its threshold.

    A KPI past its fixed limit is the alert people must act on; a second "it also
    changed" alert for the same cell on the same day is noise. Its evidence is kept
    on the threshold alert instead.
    """
    if candidates.empty:
        return candidates
    cell = ["metric", "segment_key", "segment_value"]
    df = candidates.reset_index(drop=True)
    thr = df[df["kind"] == "threshold"]
    drift = df[df["kind"] == "drift"]
    if thr.empty or drift.empty:
        return df
    keys = pd.MultiIndex.from_frame(drift[cell])
    covered = keys.isin(pd.MultiIndex.from_frame(thr[cell]))
    if not covered.any():
        return df
    extra = (
        drift[covered]
        .groupby(cell, sort=False)["evidence"]
        .agg(lambda s: EVIDENCE_SEPARATOR.join(f"also drifted: {e}" for e in s))
    )
    thr_keys = pd.MultiIndex.from_frame(thr[cell])
    add = extra.reindex(thr_keys).to_numpy()
    df.loc[thr.index, "evidence"] = [
        ev if not isinstance(a, str) else f"{ev}{EVIDENCE_SEPARATOR}{a}"
        for ev, a in zip(thr["evidence"], add, strict=True)
    ]
    return df.drop(index=drift.index[covered]).reset_index(drop=True)


def merge_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """One row per ``alert_id``: worst severity, then smallest p-value; evidence joined."""
    candidates = fold_drift_into_thresholds(candidates)
    if candidates.empty:
        out = empty_candidates()
        out.insert(0, "alert_id", pd.Series([], dtype="object"))
        return out
    df = candidates.reset_index(drop=True).copy()
    df["alert_id"] = alert_ids(df)
    df["_rank"] = df["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK))
    df["_p"] = pd.to_numeric(df["p_value"], errors="coerce").fillna(np.inf)
    df = df.sort_values(["alert_id", "_rank", "_p"], kind="mergesort")
    evidence = df.groupby("alert_id", sort=False)["evidence"].agg(
        lambda s: EVIDENCE_SEPARATOR.join(dict.fromkeys(str(e) for e in s))
    )
    best = df.drop_duplicates("alert_id", keep="first").set_index("alert_id")
    best["evidence"] = evidence
    return best.reset_index()[["alert_id", *CANDIDATE_COLUMNS]]


def finalize_alerts(
    candidates: pd.DataFrame,
    previous: pd.DataFrame,
    day: dt.date,
    unevaluated_kinds: Iterable[str] = (),
) -> pd.DataFrame:
    """The day's ``quality_alerts`` rows (this stage's kinds only).

    ``previous`` is the table's rows of day D−1 (any kinds; ``bias`` rows and
    resolved rows are ignored). ``unevaluated_kinds`` are the kinds whose detectors
    had no input on D: their open alerts are carried, not resolved.
    """
    current = merge_candidates(candidates)
    prev_open = _previous_open(previous, day)
    skipped = set(unevaluated_kinds)

    cur = current.merge(
        prev_open[["alert_id", "first_seen", "consecutive_days"]].rename(
            columns={"first_seen": "_prev_first", "consecutive_days": "_prev_days"}
        ),
        on="alert_id",
        how="left",
    )
    continued = cur["_prev_first"].notna()
    cur["first_seen"] = np.where(continued, cur["_prev_first"], day)
    cur["consecutive_days"] = np.where(continued, cur["_prev_days"].fillna(0) + 1, 1)
    cur["day"] = day
    cur["last_seen"] = day
    cur["status"] = "open"

    gone = prev_open[~prev_open["alert_id"].isin(current["alert_id"])].copy()
    carried = gone[gone["kind"].isin(skipped)].copy()
    carried["day"] = day
    carried["consecutive_days"] = carried["consecutive_days"] + 1
    carried["evidence"] = [
        f"not re-evaluated on {day} (its detector had no input that day); "
        f"last observed {last}: {ev}"
        for last, ev in zip(carried["last_seen"], carried["evidence"], strict=True)
    ]
    carried["status"] = "open"

    resolved = gone[~gone["kind"].isin(skipped)].copy()
    resolved["day"] = day
    resolved["evidence"] = [
        f"resolved on {day}: condition no longer met (open {first}..{last}, "
        f"{int(days)} day(s)); last evidence: {ev}"
        for first, last, days, ev in zip(
            resolved["first_seen"],
            resolved["last_seen"],
            resolved["consecutive_days"],
            resolved["evidence"],
            strict=True,
        )
    ]
    resolved["status"] = "resolved"

    parts = [frame[list(COLUMNS)] for frame in (cur, carried, resolved) if not frame.empty]
    if not parts:
        return empty_alerts()
    out = pd.concat(parts, ignore_index=True)
    return _typed(out)


def _previous_open(previous: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """D−1's open alerts of this stage's kinds, with clean types."""
    if previous.empty:
        return empty_alerts()
    prev = previous.copy()
    prev["day"] = as_dates(prev["day"])
    prev = prev[
        (prev["day"] == day - dt.timedelta(days=1))
        & (prev["status"] == "open")
        & prev["kind"].isin(KINDS)
    ]
    if prev.empty:
        return empty_alerts()
    prev = prev.reindex(columns=list(COLUMNS)).drop_duplicates("alert_id", keep="first")
    prev["first_seen"] = as_dates(prev["first_seen"])
    prev["last_seen"] = as_dates(prev["last_seen"])
    prev["consecutive_days"] = (
        pd.to_numeric(prev["consecutive_days"], errors="coerce").fillna(1).astype(int)
    )
    return prev.reset_index(drop=True)


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes and order: open first, then by severity, kind, metric, segment."""
    for col in ("day", "first_seen", "last_seen"):
        out[col] = as_dates(out[col])
    for col in ("observed", "expected"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["consecutive_days"] = pd.to_numeric(out["consecutive_days"]).astype("Int32")
    order = out.assign(
        _s=(out["status"] != "open").astype(int),
        _r=out["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK)),
    ).sort_values(["_s", "_r", "kind", "metric", "segment_key", "segment_value"], kind="mergesort")
    return order[list(COLUMNS)].reset_index(drop=True)
