"""Read → compute → (caller writes): the I/O side of the two discovery tables.

Kept apart from the Dagster wiring so tests and the CLI can run a day directly,
and apart from the pure computations so those stay testable on hand-made frames.
Reads happen on short warehouse connections; the clustering runs with none open.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from evalflow.config.settings import Settings
from evalflow.discovery.anomalies import detect_anomalies
from evalflow.discovery.clusters import (
    CLUSTER_COLUMNS,
    MEMBER_COLUMNS,
    ClusterResult,
    compute_failure_clusters,
)
from evalflow.discovery.inputs import load_day_frame, read_history, read_queries, read_texts
from evalflow.discovery.intents import INTENT_COLUMNS, compute_usage_intents
from evalflow.orchestration.metadata import duckdb_types
from evalflow.storage.warehouse import Warehouse

MEMBERS_TABLE = "failure_cluster_members"


def build_failure_clusters(wh: Warehouse, day: dt.date, settings: Settings) -> ClusterResult:
    """Failure themes and anomaly group of ``day`` from whatever upstream tables exist."""
    ds = settings.discovery
    frame = load_day_frame(wh, day)
    anomalies = detect_anomalies(
        frame,
        share=ds.anomaly_share,
        z_min=ds.anomaly_z,
        max_fit_rows=ds.max_cluster_rows,
        seed=ds.seed,
    )
    wanted = set(frame.loc[frame["failing"].astype(bool), "interaction_id"].astype(str))
    if len(anomalies):
        wanted |= set(anomalies.loc[anomalies["is_anomaly"], "interaction_id"].astype(str))
    texts = read_texts(wh, day, sorted(wanted))
    background = (
        read_queries(wh, day, limit=ds.background_rows)["query"]
        if len(frame)
        else pd.Series(dtype=str)
    )
    history = read_history(wh, "failure_clusters", day, ds.history_days)
    return compute_failure_clusters(frame, anomalies, texts, background, history, day, ds)


def write_failure_clusters(wh: Warehouse, day: dt.date, result: ClusterResult) -> None:
    wh.replace_partition(
        "failure_clusters", result.clusters, day, schema=duckdb_types(CLUSTER_COLUMNS)
    )
    wh.replace_partition(MEMBERS_TABLE, result.members, day, schema=duckdb_types(MEMBER_COLUMNS))


def build_usage_intents(wh: Warehouse, day: dt.date, settings: Settings) -> pd.DataFrame:
    """Intents of ``day`` overall and per ``discovery.intent_segments`` key."""
    frame = load_day_frame(wh, day)
    queries = read_queries(wh, day)
    history = read_history(
        wh, "usage_intents", day, settings.discovery.history_days, where="segment_key = 'overall'"
    )
    table, _ = compute_usage_intents(queries, frame, history, day, settings.discovery)
    return table


def write_usage_intents(wh: Warehouse, day: dt.date, table: pd.DataFrame) -> None:
    wh.replace_partition("usage_intents", table, day, schema=duckdb_types(INTENT_COLUMNS))
