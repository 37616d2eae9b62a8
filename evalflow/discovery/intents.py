"""Usage analytics: what users ask for (intents) and how well each intent is served.

Every query of the day is assigned to an intent found by clustering the day's
queries (fitted on a deterministic sample of at most ``intent_fit_rows``, then
applied to all, vectorised over distinct normalised texts). Per intent, overall
and per configured segment (queue by default), the table reports volume, reach,
success and drop-off, so product owners see which needs are most common and which
are badly served. Intents keep stable ids across days the same way failure
themes do (``tracking``).

Definitions (documented in docs/tables.md):
- success: ``outcome_resolved = true`` and the rating was not ``down``; the rate is
  over interactions whose resolution is known (NULL when none is known).
- drop-off: the interaction was NOT resolved (``outcome_resolved = false``) and the
  user either retried or left no rating; the rate is over interactions whose
  resolution is known. Unknown resolution is never counted as a drop-off.
- negative feedback rate: ``down`` ratings / rated interactions (NULL if none rated).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from evalflow.config.settings import DiscoverySettings, segment_column
from evalflow.discovery.clusters import empty_frame
from evalflow.discovery.inputs import stable_order
from evalflow.discovery.textspace import (
    centroid_to_json,
    distinctive_terms,
    fit_themes,
    make_label,
    normalize_text,
    sparse_centroids,
)
from evalflow.discovery.tracking import Theme, match_themes

INTENT_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day (partition)"),
    "intent_id": ("VARCHAR", "stable intent id across days"),
    "label": ("VARCHAR", "up to three distinctive terms of the intent"),
    "top_terms": ("VARCHAR", "JSON list of distinctive terms"),
    "segment_key": ("VARCHAR", "'overall' or a segment key (discovery.intent_segments)"),
    "segment_value": ("VARCHAR", "segment value ('all' for overall, 'unknown' when missing)"),
    "volume": ("BIGINT", "interactions of the intent in the segment"),
    "share": ("DOUBLE", "volume / all interactions of the segment"),
    "users": ("BIGINT", "distinct user_id (NULL when no user ids logged)"),
    "success_rate": ("DOUBLE", "resolved and not rated down, over rows with known resolution"),
    "success_n": ("BIGINT", "rows with known resolution (denominator of the rates)"),
    "dropoff_rate": (
        "DOUBLE",
        "not resolved and (retried or no rating), over rows with known resolution",
    ),
    "negative_feedback_rate": ("DOUBLE", "down ratings / rated rows"),
    "first_seen": ("DATE", "first day the intent was seen"),
    "last_seen": ("DATE", "the day"),
    "status": ("VARCHAR", "new|emerging|growing|stable|shrinking (by overall volume)"),
    "centroid_json": ("VARCHAR", "sparse centroid in the hashing space (overall rows only)"),
}


def _bool(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    return frame[col].astype("boolean")


def outcome_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-interaction ``known, success, dropoff, rated, down`` as 0/1 floats (vectorised)."""
    resolved = _bool(frame, "outcome_resolved")
    rating = (
        frame["feedback_rating"]
        if "feedback_rating" in frame
        else pd.Series(None, index=frame.index)
    )
    down = (rating == "down").to_numpy(dtype=bool)
    if "reason_rating_down" in frame:
        down |= frame["reason_rating_down"].to_numpy(dtype=bool)
    rated = rating.isin(["up", "down"]).to_numpy(dtype=bool) | down
    retried = _bool(frame, "feedback_retried").fillna(False).to_numpy(dtype=bool)
    known = resolved.notna().to_numpy(dtype=bool)
    res = resolved.fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "known": known.astype(float),
            "success": (known & res & ~down).astype(float),
            "dropoff": (known & ~res & (retried | ~rated)).astype(float),
            "rated": rated.astype(float),
            "down": down.astype(float),
        },
        index=frame.index,
    )


def compute_usage_intents(
    queries: pd.DataFrame,
    frame: pd.DataFrame,
    history: pd.DataFrame,
    day: dt.date,
    settings: DiscoverySettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Intents of the day, overall and per segment; also each interaction's intent.

    ``queries``: ``interaction_id, query`` of every interaction of the day;
    ``frame``: the day frame (outcomes, segments, users); ``history``: earlier
    overall rows of ``usage_intents``. Returns ``(usage_intents rows,
    assignments [interaction_id, intent_id])``.
    """
    if queries.empty:
        return empty_frame(INTENT_COLUMNS), pd.DataFrame({"interaction_id": [], "intent_id": []})
    q = queries.drop_duplicates("interaction_id", keep="last").reset_index(drop=True)
    ids = q["interaction_id"].astype(str)
    norm = normalize_text(q["query"])
    codes, uniques = pd.factorize(norm)
    fit_rows = np.sort(stable_order(ids)[: settings.intent_fit_rows])
    fit_codes, fit_counts = np.unique(codes[fit_rows], return_counts=True)
    model, x_fit, z_fit = fit_themes(
        [uniques[c] for c in fit_codes],
        fit_counts.astype(float),
        use_chars=False,
        k_min=settings.intent_k_min,
        k_max=settings.intent_k_max,
        n_components=settings.svd_components,
        seed=settings.seed,
        sqrt_cap=False,
    )
    labels_u = np.empty(len(uniques), dtype=np.int64)
    labels_u[fit_codes] = model.assign(z_fit)[0]
    rest = np.setdiff1d(np.arange(len(uniques)), fit_codes, assume_unique=True)
    if len(rest):
        _, z_rest = model.embed([uniques[c] for c in rest])
        labels_u[rest] = model.assign(z_rest)[0]
    labels = labels_u[codes]

    fit_mask = np.zeros(len(q), dtype=bool)
    fit_mask[fit_rows] = True
    sample_docs = q["query"].fillna("").astype(str)[fit_mask].reset_index(drop=True)
    terms = distinctive_terms(sample_docs, labels[fit_mask], sample_docs, settings.top_terms)
    centroids = sparse_centroids(x_fit, labels_u[fit_codes])
    sizes = pd.Series(labels).value_counts()
    themes = [
        Theme(
            key=int(g),
            label=make_label(terms.get(int(g), [])),
            terms=tuple(terms.get(int(g), [])),
            centroid=centroids.get(int(g), {}),
            size=int(sizes[g]),
        )
        for g in sorted(sizes.index)
    ]
    hist = history
    if hist is not None and not hist.empty and "segment_key" in hist:
        hist = hist[hist["segment_key"] == "overall"].rename(columns={"volume": "size"})
    matches = match_themes(
        themes,
        hist,
        day,
        id_col="intent_id",
        prefix="in",
        jaccard_min=settings.match_jaccard,
        cosine_min=settings.match_cosine,
        emerging_days=settings.emerging_days,
        emerging_growth=settings.emerging_growth,
        tolerance=settings.trend_tolerance,
    )
    by_key = {t.key: t for t in themes}
    assign = pd.DataFrame(
        {
            "interaction_id": ids,
            "intent_id": [matches[int(g)].theme_id for g in labels],
        }
    )
    joined = assign.merge(
        frame.assign(interaction_id=frame["interaction_id"].astype(str)),
        on="interaction_id",
        how="left",
    )
    joined = pd.concat([joined, outcome_columns(joined)], axis=1)
    joined["_label"] = labels
    out = [_aggregate(joined, "overall", None)]
    for key in settings.intent_segments:
        if segment_column(key) in joined:
            out.append(_aggregate(joined, key, segment_column(key)))
    table = pd.concat(out, ignore_index=True)
    key_of = {matches[k].theme_id: k for k in matches}
    table["label"] = table["intent_id"].map(lambda i: by_key[key_of[i]].label)
    table["top_terms"] = table["intent_id"].map(lambda i: json.dumps(list(by_key[key_of[i]].terms)))
    table["first_seen"] = table["intent_id"].map(lambda i: matches[key_of[i]].first_seen)
    table["status"] = table["intent_id"].map(lambda i: matches[key_of[i]].status)
    table["centroid_json"] = np.where(
        table["segment_key"] == "overall",
        table["intent_id"].map(lambda i: centroid_to_json(by_key[key_of[i]].centroid)),
        None,
    )
    table["day"] = day
    table["last_seen"] = day
    table = table.sort_values(
        ["segment_key", "segment_value", "volume", "intent_id"], ascending=[True, True, False, True]
    ).reset_index(drop=True)
    return table[list(INTENT_COLUMNS)], assign


def _aggregate(joined: pd.DataFrame, key: str, col: str | None) -> pd.DataFrame:
    """Volume, users and outcome rates per (intent, segment value), vectorised."""
    df = joined.copy()
    df["segment_value"] = "all" if col is None else df[col].fillna("unknown").astype(str)
    g = df.groupby(["intent_id", "segment_value"], sort=True)
    agg = g.agg(
        volume=("interaction_id", "size"),
        known=("known", "sum"),
        success=("success", "sum"),
        dropoff=("dropoff", "sum"),
        rated=("rated", "sum"),
        down=("down", "sum"),
    ).reset_index()
    if "user_id" in df and df["user_id"].notna().any():
        users = g["user_id"].nunique().rename("users").reset_index()
        agg = agg.merge(users, on=["intent_id", "segment_value"], how="left")
    else:
        agg["users"] = pd.NA
    seg_total = agg.groupby("segment_value")["volume"].transform("sum")
    agg["share"] = agg["volume"] / seg_total
    known = agg["known"].where(agg["known"] > 0)
    agg["success_rate"] = agg["success"] / known
    agg["dropoff_rate"] = agg["dropoff"] / known
    agg["negative_feedback_rate"] = agg["down"] / agg["rated"].where(agg["rated"] > 0)
    agg["success_n"] = agg["known"].astype("int64")
    agg["users"] = agg["users"].astype("Int64")
    agg["segment_key"] = key
    return agg
