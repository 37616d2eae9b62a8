"""Keeping a theme's identity across days, and telling new themes from old ones.

A theme (failure cluster or usage intent) is re-found from scratch every day, so
KMeans label 3 today means nothing tomorrow. Each of today's themes is matched to
the themes of the previous ``history_days`` days by top-term Jaccard or by cosine
of their centroids in the (stable) hashing space; a match inherits the old
``cluster_id`` and ``first_seen``. Unmatched themes get a fresh id derived from
their first label and day, so the id is stable under reruns of the same data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalflow.discovery.textspace import centroid_from_json, cosine

TREND_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Theme:
    """Today's theme as seen by the matcher: a key local to today's run plus its profile."""

    key: int
    label: str
    terms: tuple[str, ...]
    centroid: dict[int, float]
    size: int


@dataclass(frozen=True)
class Match:
    theme_id: str
    first_seen: dt.date
    status: str
    similarity: float | None


def new_theme_id(prefix: str, label: str, day: dt.date, taken: set[str]) -> str:
    """``<prefix>-`` + hash of the first label and day; a suffix resolves rare collisions."""
    base = hashlib.sha256(f"{day.isoformat()}|{label}".encode()).hexdigest()[:12]
    cand, i = f"{prefix}-{base}", 1
    while cand in taken:
        cand, i = f"{prefix}-{base}-{i}", i + 1
    return cand


def parse_terms(value: object) -> tuple[str, ...]:
    """``top_terms`` as stored (JSON list); tolerate a comma-separated string."""
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
            if isinstance(parsed, list):
                return tuple(str(t) for t in parsed)
        except json.JSONDecodeError:
            return tuple(t.strip() for t in value.split(",") if t.strip())
    return ()


def jaccard(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def theme_status(
    day: dt.date,
    first_seen: dt.date,
    size: int,
    past_sizes: dict[dt.date, int],
    *,
    emerging_days: int,
    emerging_growth: float,
    tolerance: float,
) -> str:
    """Status of a theme that matched history.

    ``emerging`` when first seen at most ``emerging_days`` ago, when it was absent
    over the trailing window, or when today's size is at least ``emerging_growth``
    times the trailing average. Otherwise ``growing``/``shrinking`` beyond
    ±``tolerance`` of the trailing average, else ``stable``. The trailing average
    covers the last 7 days (absent days count as 0) but never days before first_seen.
    """
    if (day - first_seen).days <= emerging_days:
        return "emerging"
    start = max(first_seen, day - dt.timedelta(days=TREND_WINDOW_DAYS))
    n_days = (day - start).days
    if n_days <= 0:
        return "emerging"
    window = [start + dt.timedelta(days=i) for i in range(n_days)]
    trailing = float(np.mean([past_sizes.get(d, 0) for d in window]))
    if trailing <= 0:
        return "emerging"
    if size >= emerging_growth * trailing:
        return "emerging"
    if size > (1 + tolerance) * trailing:
        return "growing"
    if size < (1 - tolerance) * trailing:
        return "shrinking"
    return "stable"


def match_themes(
    themes: list[Theme],
    history: pd.DataFrame,
    day: dt.date,
    *,
    id_col: str,
    prefix: str,
    jaccard_min: float,
    cosine_min: float,
    emerging_days: int,
    emerging_growth: float,
    tolerance: float,
) -> dict[int, Match]:
    """Give each of today's themes an id, first_seen and status.

    ``history`` holds earlier rows of the theme table (``day``, ``id_col``,
    ``top_terms``, ``centroid_json``, ``first_seen``, ``size``). Each past id is
    represented by its latest row. Pairs pass when Jaccard ≥ ``jaccard_min`` or
    cosine ≥ ``cosine_min``; pairs are then taken greedily by similarity (max of
    the two), one-to-one, ties broken by id so the result is deterministic.
    """
    past = _past_profiles(history, id_col)
    candidates: list[tuple[float, int, str]] = []
    for t in themes:
        for pid, prof in past.items():
            j = jaccard(t.terms, prof["terms"])
            c = cosine(t.centroid, prof["centroid"])
            if j >= jaccard_min or c >= cosine_min:
                candidates.append((max(j, c), t.key, pid))
    candidates.sort(key=lambda x: (-x[0], x[1], x[2]))
    assigned: dict[int, tuple[str, float]] = {}
    used: set[str] = set()
    for sim, key, pid in candidates:
        if key in assigned or pid in used:
            continue
        assigned[key] = (pid, sim)
        used.add(pid)
    taken = set(past) | used
    out: dict[int, Match] = {}
    for t in sorted(themes, key=lambda t: (-t.size, t.label, t.key)):
        if t.key in assigned:
            pid, sim = assigned[t.key]
            prof = past[pid]
            status = theme_status(
                day,
                prof["first_seen"],
                t.size,
                prof["sizes"],
                emerging_days=emerging_days,
                emerging_growth=emerging_growth,
                tolerance=tolerance,
            )
            out[t.key] = Match(pid, prof["first_seen"], status, sim)
        else:
            tid = new_theme_id(prefix, t.label, day, taken)
            taken.add(tid)
            out[t.key] = Match(tid, day, "new", None)
    return out


def _past_profiles(history: pd.DataFrame, id_col: str) -> dict[str, dict]:
    need = {"day", id_col, "top_terms", "first_seen", "size"}
    if history is None or history.empty or not need <= set(history.columns):
        return {}
    h = history.copy()
    h["day"] = pd.to_datetime(h["day"]).dt.date
    h["first_seen"] = pd.to_datetime(h["first_seen"]).dt.date
    h = h.sort_values(["day", id_col])
    out: dict[str, dict] = {}
    for pid, g in h.groupby(id_col, sort=True):
        last = g.iloc[-1]
        sizes = g.groupby("day")["size"].sum().astype(int).to_dict()
        out[str(pid)] = {
            "terms": parse_terms(last["top_terms"]),
            "centroid": centroid_from_json(last.get("centroid_json")),
            "first_seen": min(g["first_seen"].dropna())
            if g["first_seen"].notna().any()
            else last["day"],
            "sizes": sizes,
        }
    return out
