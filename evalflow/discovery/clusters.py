"""Failure themes of a day: cluster failing interactions, label, track, flag anomalies.

The day's failing and flagged interactions (see ``inputs.add_reasons``) are
embedded from their query (+ feedback comment) text and clustered. Each theme gets
a label made of the terms over-represented in it compared with the whole day's
traffic, representative examples (nearest the centre), its reach in users and a
status relative to the previous days (``tracking``). The anomaly group found by
``anomalies.detect_anomalies`` is reported as one extra row flagged
``is_anomaly_cluster``.

Work is bounded: at most ``max_cluster_rows`` failing rows (deterministic sample)
fit the model; every failing row is then assigned with the fitted model, so sizes
and user counts are exact even on a million-row day.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from evalflow.config.settings import DiscoverySettings
from evalflow.discovery.inputs import (
    JUDGE_DEFAULT_SEVERITY,
    REASON_SEVERITY,
    reason_counts,
    stable_order,
)
from evalflow.discovery.textspace import (
    TOKEN_PATTERN,
    centroid_to_json,
    cosine,
    distinctive_terms,
    fit_themes,
    make_label,
    normalize_text,
    sparse_centroids,
)
from evalflow.discovery.tracking import Theme, jaccard, match_themes, theme_status

ANOMALY_CLUSTER_ID = "anomalies"
DOMINANT_REASON_SHARE = 0.2
"""A reason sets a theme's severity only if at least this share of its rows has it."""

CLUSTER_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day (partition)"),
    "cluster_id": ("VARCHAR", "stable theme id across days ('anomalies' for the anomaly group)"),
    "label": ("VARCHAR", "up to three distinctive terms of the theme"),
    "top_terms": ("VARCHAR", "JSON list of distinctive terms, most distinctive first"),
    "size": ("BIGINT", "failing interactions of the day in the theme"),
    "users_affected": ("BIGINT", "distinct user_id in the theme (NULL when no user ids logged)"),
    "share_users": ("DOUBLE", "users_affected / distinct users of the day"),
    "example_ids": ("VARCHAR", "JSON list of up to max_examples representative interaction ids"),
    "first_seen": ("DATE", "first day the theme was seen (carried from matched history)"),
    "last_seen": ("DATE", "the day (themes are written on the days they occur)"),
    "status": ("VARCHAR", "new|emerging|growing|stable|shrinking"),
    "is_anomaly_cluster": ("BOOLEAN", "true for the anomaly group row"),
    "share_traffic": ("DOUBLE", "size / interactions of the day"),
    "severity": ("INTEGER", "1-5 from the theme's dominant failure reasons"),
    "failure_mix": ("VARCHAR", "JSON {reason: count}"),
    "segment_mix": ("VARCHAR", "JSON {segment_key: {value: count}}"),
    "centroid_json": ("VARCHAR", "sparse unit centroid in the hashing space (for matching)"),
    "match_similarity": ("DOUBLE", "similarity to the matched earlier theme; NULL if new"),
    "coherence": (
        "DOUBLE",
        "share of the theme's rows whose query or comment contains one of "
        "its label terms (1 = every row is about the label; NULL for anomalies)",
    ),
}

MEMBER_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day (partition)"),
    "interaction_id": ("VARCHAR", "member interaction"),
    "cluster_id": ("VARCHAR", "theme (or 'anomalies')"),
    "distance": ("DOUBLE", "distance to the theme centre (anomaly score for anomalies)"),
    "reasons": ("VARCHAR", "comma-separated failure reasons of the interaction"),
}


@dataclass
class ClusterResult:
    clusters: pd.DataFrame
    members: pd.DataFrame


def empty_frame(columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    dtypes = {
        "DATE": "object",
        "VARCHAR": "object",
        "BIGINT": "Int64",
        "INTEGER": "Int64",
        "DOUBLE": "float64",
        "BOOLEAN": "boolean",
    }
    return pd.DataFrame(
        {c: pd.Series(dtype=dtypes.get(t, "object")) for c, (t, _) in columns.items()}
    )


LABEL_TERMS = 3
COHERENT = 0.5
"""Coherence at which a theme is about its label (below: a mixed group); only coherent
themes are merged (``split_themes``), so a catch-all never swallows a real theme."""
"""Terms in a theme's label (``textspace.make_label``), the ones coherence is measured on."""


def label_coherence(docs: pd.Series, terms: list[str]) -> float | None:
    """Share of a theme's documents that contain at least one of its label terms.

    KMeans partitions every failing row of the day, so besides real themes (every
    row asks about the same thing) it also returns the remainder: mixed groups whose
    "distinctive" terms describe a few of their rows. Coherence tells them apart —
    1.0 for a theme whose rows all mention one of its label terms, 0.1–0.3 for a
    catch-all — so a mixed group's size is not mistaken for the reach of one issue.
    Terms are matched with the tokenisation that found them (``distinctive_terms``:
    English stop words dropped before word pairs are formed).
    """
    if not len(docs):
        return None
    terms = sorted({t for t in terms if t})
    if not terms:
        return 0.0
    vec = CountVectorizer(
        binary=True,
        ngram_range=(1, 2),
        token_pattern=TOKEN_PATTERN,
        stop_words="english",
        vocabulary=terms,
    )
    hits = vec.transform(docs.fillna("").astype(str).tolist())
    return float((np.asarray(hits.sum(axis=1)).ravel() > 0).mean())


def split_themes(
    terms: dict[int, list[str]],
    centroids: dict[int, dict[int, float]],
    coherence: dict[int, float | None],
    settings: DiscoverySettings,
) -> dict[int, int]:
    """Groups of one day that are one theme KMeans split in two; ``{group: representative}``.

    KMeans picks k by silhouette, and on a few hundred failing rows it often cuts one
    theme along its phrasings ("how do I transfer my loyalty points" / "my points
    transfer has been pending"). Two coherent groups whose top terms overlap
    (``merge_jaccard``) and whose centroids are close (``merge_cosine``) are joined,
    transitively; the representative is the smallest group key. Both tests are needed:
    shared generic terms alone ("account") or similar phrasing alone does not merge.
    """
    keys = sorted(k for k, c in coherence.items() if c is not None and c >= COHERENT)
    parent = {k: k for k in terms}

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if jaccard(tuple(terms.get(a, [])), tuple(terms.get(b, []))) < settings.merge_jaccard:
                continue
            if cosine(centroids.get(a, {}), centroids.get(b, {})) < settings.merge_cosine:
                continue
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)
    return {k: root(k) for k in parent}


def label_terms(label: str, terms: tuple[str, ...]) -> list[str]:
    """The terms a label shows (``make_label`` skips terms whose words are already shown)."""
    return [t for t in label.split(" / ") if t in terms][:LABEL_TERMS]


def theme_severity(reasons: pd.Series) -> int:
    """Worst severity among reasons carried by ≥ 20% of the rows (else the most common)."""
    counts = reason_counts(reasons)
    n = max(int(reasons.notna().sum()), 1)
    if not counts:
        return 1

    def sev(reason: str) -> int:
        default = JUDGE_DEFAULT_SEVERITY if reason.startswith("judge:") else 2
        return REASON_SEVERITY.get(reason, default)

    strong = [sev(r) for r, c in counts.items() if c / n >= DOMINANT_REASON_SHARE]
    if strong:
        return int(max(strong))
    top = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return int(sev(top))


def segment_mix(rows: pd.DataFrame) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for col in sorted(c for c in rows.columns if c.startswith("seg_")):
        vc = rows[col].fillna("unknown").astype(str).value_counts()
        out[col[4:]] = {str(k): int(v) for k, v in sorted(vc.items())}
    return out


def _users(rows: pd.DataFrame) -> int | None:
    if "user_id" not in rows or rows["user_id"].isna().all():
        return None
    return int(rows["user_id"].dropna().nunique())


def compute_failure_clusters(
    frame: pd.DataFrame,
    anomalies: pd.DataFrame,
    texts: pd.DataFrame,
    background: pd.Series,
    history: pd.DataFrame,
    day: dt.date,
    settings: DiscoverySettings,
) -> ClusterResult:
    """Themes of the day's failures plus the anomaly group, ready for ``failure_clusters``.

    ``frame``: the day frame (``inputs.load_day_frame``); ``anomalies``: output of
    ``detect_anomalies``; ``texts``: ``interaction_id, query, feedback_comment`` of
    at least the failing and anomalous rows; ``background``: queries of the day;
    ``history``: earlier ``failure_clusters`` rows.
    """
    n_traffic = len(frame)
    day_users = _users(frame)
    text = texts.drop_duplicates("interaction_id").set_index("interaction_id")
    hist = history
    if hist is not None and not hist.empty and "is_anomaly_cluster" in hist:
        anomaly_hist = hist[hist["is_anomaly_cluster"].fillna(False).astype(bool)]
        hist = hist[~hist["is_anomaly_cluster"].fillna(False).astype(bool)]
    else:
        anomaly_hist = pd.DataFrame()

    rows: list[dict] = []
    members: list[pd.DataFrame] = []
    failing = frame[frame["failing"].astype(bool)].reset_index(drop=True) if n_traffic else frame
    if len(failing):
        theme_rows, theme_members = _themes(
            failing, text, background, hist, day, settings, n_traffic, day_users
        )
        rows += theme_rows
        members += theme_members
    if len(anomalies) and anomalies["is_anomaly"].any():
        row, mem = _anomaly_group(
            frame, anomalies, text, background, anomaly_hist, day, settings, n_traffic, day_users
        )
        rows.append(row)
        members.append(mem)

    clusters = (
        pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS)) if rows else empty_frame(CLUSTER_COLUMNS)
    )
    if len(clusters):
        clusters = clusters.sort_values(
            ["is_anomaly_cluster", "size", "cluster_id"], ascending=[True, False, True]
        ).reset_index(drop=True)
    member_df = pd.concat(members, ignore_index=True) if members else empty_frame(MEMBER_COLUMNS)
    return ClusterResult(clusters=clusters, members=member_df[list(MEMBER_COLUMNS)])


def _docs(ids: pd.Series, text: pd.DataFrame, with_comment: bool) -> pd.Series:
    q = text["query"].reindex(ids.to_numpy()).fillna("").astype(str)
    if with_comment and "feedback_comment" in text:
        c = text["feedback_comment"].reindex(ids.to_numpy()).fillna("").astype(str)
        q = q + " " + c
    return q.reset_index(drop=True)


def _themes(
    failing: pd.DataFrame,
    text: pd.DataFrame,
    background: pd.Series,
    history: pd.DataFrame,
    day: dt.date,
    settings: DiscoverySettings,
    n_traffic: int,
    day_users: int | None,
) -> tuple[list[dict], list[pd.DataFrame]]:
    ids = failing["interaction_id"].astype(str)
    norm = normalize_text(_docs(ids, text, with_comment=True))
    codes, uniques = pd.factorize(norm)
    # Fit on a deterministic sample of rows, de-duplicated by normalised text.
    fit_rows = np.sort(stable_order(ids)[: settings.max_cluster_rows])
    fit_codes, fit_counts = np.unique(codes[fit_rows], return_counts=True)
    fit_texts = [uniques[c] for c in fit_codes]
    model, x_fit, z_fit = fit_themes(
        fit_texts,
        fit_counts.astype(float),
        use_chars=True,
        k_min=settings.k_min,
        k_max=settings.k_max,
        n_components=settings.svd_components,
        seed=settings.seed,
    )
    # Assign every distinct text (fitted ones reuse their embedding).
    pos = np.full(len(uniques), -1)
    pos[fit_codes] = np.arange(len(fit_codes))
    rest = np.flatnonzero(pos < 0)
    labels_u = np.empty(len(uniques), dtype=np.int64)
    dist_u = np.empty(len(uniques))
    lab, dist = model.assign(z_fit)
    labels_u[fit_codes], dist_u[fit_codes] = lab, dist
    if len(rest):
        _, z_rest = model.embed([uniques[c] for c in rest])
        lab, dist = model.assign(z_rest)
        labels_u[rest], dist_u[rest] = lab, dist
    labels = labels_u[codes]
    dists = dist_u[codes]
    sizes = pd.Series(labels).value_counts()
    keep = set(sizes[sizes >= settings.min_cluster_size].index.astype(int))
    if not keep:
        return [], []
    # Labels: query text of the fitted rows vs the day's traffic.
    fit_mask = np.zeros(len(failing), dtype=bool)
    fit_mask[fit_rows] = True
    query_docs = _docs(ids, text, with_comment=False)
    terms = distinctive_terms(
        query_docs[fit_mask], labels[fit_mask], background, settings.top_terms
    )
    centroids = sparse_centroids(x_fit, labels_u[fit_codes])
    member_docs = normalize_text(_docs(ids, text, with_comment=True))
    coherence = {
        g: label_coherence(member_docs[labels == g], label_terms(make_label(t), tuple(t)))
        for g, t in terms.items()
        if g in keep
    }
    merged = split_themes(
        {g: t for g, t in terms.items() if g in keep}, centroids, coherence, settings
    )
    if any(g != r for g, r in merged.items()):
        # One theme KMeans split: relabel, then describe the joined groups afresh.
        # Distances stay those to each row's own KMeans centre (examples' order).
        remap = np.arange(max(int(labels_u.max()), max(merged)) + 1)
        for g, r in merged.items():
            remap[g] = r
        labels_u = remap[labels_u]
        labels = labels_u[codes]
        sizes = pd.Series(labels).value_counts()
        keep = {merged[g] for g in keep}
        terms = distinctive_terms(
            query_docs[fit_mask], labels[fit_mask], background, settings.top_terms
        )
        centroids = sparse_centroids(x_fit, labels_u[fit_codes])

    themes: list[Theme] = []
    for g in sorted(keep):
        t = terms.get(g, [])
        themes.append(
            Theme(
                key=g,
                label=make_label(t),
                terms=tuple(t),
                centroid=centroids.get(g, {}),
                size=int(sizes[g]),
            )
        )
    matches = match_themes(
        themes,
        history,
        day,
        id_col="cluster_id",
        prefix="cl",
        jaccard_min=settings.match_jaccard,
        cosine_min=settings.match_cosine,
        emerging_days=settings.emerging_days,
        emerging_growth=settings.emerging_growth,
        tolerance=settings.trend_tolerance,
    )
    rows, members = [], []
    for th in themes:
        m = matches[th.key]
        mask = labels == th.key
        part = failing.loc[mask]
        order = np.lexsort((part["interaction_id"].astype(str).to_numpy(), dists[mask]))
        examples = part["interaction_id"].astype(str).to_numpy()[order][: settings.max_examples]
        users = _users(part)
        rows.append(
            {
                "day": day,
                "cluster_id": m.theme_id,
                "label": th.label,
                "top_terms": json.dumps(list(th.terms)),
                "size": th.size,
                "users_affected": users,
                "share_users": (users / day_users) if users is not None and day_users else None,
                "example_ids": json.dumps([str(e) for e in examples]),
                "first_seen": m.first_seen,
                "last_seen": day,
                "status": m.status,
                "is_anomaly_cluster": False,
                "share_traffic": th.size / n_traffic if n_traffic else None,
                "severity": theme_severity(part["reasons"]),
                "failure_mix": json.dumps(reason_counts(part["reasons"]), sort_keys=True),
                "segment_mix": json.dumps(segment_mix(part), sort_keys=True),
                "centroid_json": centroid_to_json(th.centroid),
                "match_similarity": m.similarity,
                "coherence": label_coherence(member_docs[mask], label_terms(th.label, th.terms)),
            }
        )
        members.append(
            pd.DataFrame(
                {
                    "day": day,
                    "interaction_id": part["interaction_id"].astype(str).to_numpy(),
                    "cluster_id": m.theme_id,
                    "distance": dists[mask],
                    "reasons": part["reasons"].to_numpy(),
                }
            )
        )
    return rows, members


def _anomaly_group(
    frame: pd.DataFrame,
    anomalies: pd.DataFrame,
    text: pd.DataFrame,
    background: pd.Series,
    history: pd.DataFrame,
    day: dt.date,
    settings: DiscoverySettings,
    n_traffic: int,
    day_users: int | None,
) -> tuple[dict, pd.DataFrame]:
    flagged = anomalies[anomalies["is_anomaly"].astype(bool)]
    part = frame.merge(flagged, on="interaction_id", how="inner")
    part = part.sort_values(["anomaly_score", "interaction_id"], ascending=[False, True])
    ids = part["interaction_id"].astype(str).reset_index(drop=True)
    docs = _docs(ids, text, with_comment=False)
    terms = distinctive_terms(
        docs, np.zeros(len(docs), dtype=np.int64), background, settings.top_terms
    ).get(0, [])
    size = len(part)
    first_seen, status = day, "new"
    if history is not None and not history.empty:
        past = history.copy()
        past["day"] = pd.to_datetime(past["day"]).dt.date
        first_seen = min(pd.to_datetime(past["first_seen"]).dt.date.min(), day)
        sizes = past.groupby("day")["size"].sum().astype(int).to_dict()
        status = theme_status(
            day,
            first_seen,
            size,
            sizes,
            emerging_days=settings.emerging_days,
            emerging_growth=settings.emerging_growth,
            tolerance=settings.trend_tolerance,
        )
    users = _users(part)
    features = part["anomaly_feature"].dropna().astype(str).value_counts()
    row = {
        "day": day,
        "cluster_id": ANOMALY_CLUSTER_ID,
        "label": "anomalies: " + make_label(terms),
        "top_terms": json.dumps(terms),
        "size": size,
        "users_affected": users,
        "share_users": (users / day_users) if users is not None and day_users else None,
        "example_ids": json.dumps(ids.head(settings.max_examples).tolist()),
        "first_seen": first_seen,
        "last_seen": day,
        "status": status,
        "is_anomaly_cluster": True,
        "share_traffic": size / n_traffic if n_traffic else None,
        "severity": 2,
        "failure_mix": json.dumps(
            {
                **reason_counts(part["reasons"]),
                **{f"anomalous:{k}": int(v) for k, v in sorted(features.items())},
            },
            sort_keys=True,
        ),
        "segment_mix": json.dumps(segment_mix(part), sort_keys=True),
        "centroid_json": None,
        "match_similarity": None,
        "coherence": None,
    }
    mem = pd.DataFrame(
        {
            "day": day,
            "interaction_id": ids.to_numpy(),
            "cluster_id": ANOMALY_CLUSTER_ID,
            "distance": part["anomaly_score"].to_numpy(),
            "reasons": part["reasons"].to_numpy(),
        }
    )
    return row, mem
