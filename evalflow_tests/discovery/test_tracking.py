from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from evalflow.discovery.tracking import Theme, jaccard, match_themes, new_theme_id, theme_status

D = dt.date(2026, 10, 10)
KW = dict(
    id_col="cluster_id",
    prefix="cl",
    jaccard_min=0.3,
    cosine_min=0.5,
    emerging_days=2,
    emerging_growth=2.0,
    tolerance=0.2,
)


def _hist(rows: list[tuple[dt.date, str, list[str], dt.date, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "day": d,
                "cluster_id": cid,
                "top_terms": json.dumps(t),
                "centroid_json": None,
                "first_seen": fs,
                "size": size,
            }
            for d, cid, t, fs, size in rows
        ]
    )


def test_theme_status_rules() -> None:
    kw = dict(emerging_days=2, emerging_growth=2.0, tolerance=0.2)
    fs = D - dt.timedelta(days=10)
    week = {D - dt.timedelta(days=i): 10 for i in range(1, 8)}
    assert theme_status(D, D - dt.timedelta(days=1), 5, {}, **kw) == "emerging"
    assert theme_status(D, fs, 10, week, **kw) == "stable"
    assert theme_status(D, fs, 13, week, **kw) == "growing"
    assert theme_status(D, fs, 25, week, **kw) == "emerging"  # >= 2x trailing average
    assert theme_status(D, fs, 5, week, **kw) == "shrinking"
    assert theme_status(D, fs, 5, {}, **kw) == "emerging"  # back after an absence


def test_match_keeps_ids_and_first_seen_and_names_new_themes() -> None:
    hist = _hist(
        [
            (
                D - dt.timedelta(days=2),
                "cl-refund",
                ["refund", "duplicate", "charge"],
                D - dt.timedelta(days=9),
                10,
            ),
            (
                D - dt.timedelta(days=1),
                "cl-refund",
                ["refund", "duplicate", "charge", "card"],
                D - dt.timedelta(days=9),
                11,
            ),
            (
                D - dt.timedelta(days=1),
                "cl-password",
                ["password", "reset", "email"],
                D - dt.timedelta(days=5),
                8,
            ),
        ]
    )
    themes = [
        Theme(
            key=0,
            label="duplicate / refund",
            terms=("duplicate", "refund", "charge"),
            centroid={},
            size=10,
        ),
        Theme(
            key=1,
            label="loyalty points",
            terms=("loyalty", "points", "transfer"),
            centroid={},
            size=6,
        ),
    ]
    m = match_themes(themes, hist, D, **KW)
    assert m[0].theme_id == "cl-refund" and m[0].first_seen == D - dt.timedelta(days=9)
    assert m[0].status in ("stable", "growing", "shrinking", "emerging")
    assert m[1].status == "new" and m[1].first_seen == D
    assert m[1].theme_id == new_theme_id("cl", "loyalty points", D, set())
    # Deterministic: same inputs -> same ids.
    assert match_themes(themes, hist, D, **KW)[1].theme_id == m[1].theme_id


def test_match_is_one_to_one() -> None:
    hist = _hist([(D - dt.timedelta(days=1), "cl-a", ["a", "b", "c"], D - dt.timedelta(days=4), 5)])
    themes = [
        Theme(key=0, label="a b c", terms=("a", "b", "c"), centroid={}, size=5),
        Theme(key=1, label="a b d", terms=("a", "b", "d"), centroid={}, size=5),
    ]
    m = match_themes(themes, hist, D, **KW)
    assert m[0].theme_id == "cl-a"  # the better match wins
    assert m[1].theme_id != "cl-a" and m[1].status == "new"
    assert jaccard(("a",), ()) == 0.0


def test_centroid_cosine_matches_when_terms_differ() -> None:
    c = {1: 0.6, 2: 0.8}
    hist = _hist([(D - dt.timedelta(days=1), "cl-x", ["x"], D - dt.timedelta(days=5), 5)])
    hist["centroid_json"] = json.dumps({"1": 0.6, "2": 0.8})
    m = match_themes([Theme(key=0, label="y", terms=("y",), centroid=c, size=5)], hist, D, **KW)
    assert m[0].theme_id == "cl-x" and m[0].similarity is not None and m[0].similarity > 0.99
