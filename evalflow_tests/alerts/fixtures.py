"""Hand-made, seeded fixtures for the alert tests: row-level traffic aggregated like the KPI stage.

Generating rows and then aggregating (rather than drawing each cell's rate
independently) keeps ``overall`` and every segment cell consistent, the way real
``segment_kpis`` are: a spike in one queue also nudges every urgency cell a little.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

SEGMENTS: dict[str, dict[str, float]] = {
    "queue": {"billing": 0.3, "technical": 0.3, "account": 0.2, "outage": 0.1, "shipping": 0.1},
    "urgency": {"low": 0.35, "medium": 0.35, "high": 0.2, "critical": 0.1},
    "region": {"na": 0.4, "emea": 0.3, "apac": 0.2, "latam": 0.1},
    "language": {"en": 0.6, "es": 0.15, "de": 0.15, "fr": 0.1},
    "channel": {"chat": 0.5, "email": 0.25, "web": 0.25},
    "customer_tier": {"free": 0.5, "pro": 0.35, "enterprise": 0.15},
}


@dataclass(frozen=True)
class MetricModel:
    kind: str  # "rate" (Bernoulli per row) or "score" (clipped normal per row)
    base: float
    sampled: bool  # judged on the daily sample (True) or measured on all traffic
    sd: float = 0.0


METRICS: dict[str, MetricModel] = {
    "hallucination_rate": MetricModel("rate", 0.02, True),
    "toxicity_rate": MetricModel("rate", 0.0, True),
    "relevance_score": MetricModel("score", 0.78, True, 0.15),
    "error_rate": MetricModel("rate", 0.01, False),
    "sla_hit_rate": MetricModel("rate", 0.95, False),
    "toxicity_signal_rate": MetricModel("rate", 0.0, False),
    "pii_signal_rate": MetricModel("rate", 0.0, False),
    "relevance_proxy_mean": MetricModel("score", 0.70, False, 0.2),
    "rating_down_rate": MetricModel("rate", 0.08, False),
    "override_rate": MetricModel("rate", 0.12, False),
    "latency_sla_breach_rate": MetricModel("rate", 0.04, False),
    "judge_pass_rate:faithfulness": MetricModel("rate", 0.97, True),
}


@dataclass(frozen=True)
class Spike:
    """On ``day``, rows with ``segment_key == segment_value`` get ``metric`` at ``value``.

    ``segment_key='overall'`` shifts every row of the day.
    """

    day: dt.date
    segment_key: str
    segment_value: str
    metric: str
    value: float


def traffic_rows(
    day: dt.date,
    rng: np.random.Generator,
    n_rows: int,
    sample_rows: int,
    spikes: Sequence[Spike] = (),
    mix: dict[str, dict[str, float]] | None = None,
) -> pd.DataFrame:
    """One day of row-level outcomes with segment columns and an ``in_sample`` flag."""
    mix = mix or SEGMENTS
    rows = pd.DataFrame({"day": [day] * n_rows})
    for key, shares in mix.items():
        values = list(shares)
        p = np.array([shares[v] for v in values], dtype="float64")
        rows[key] = rng.choice(values, size=n_rows, p=p / p.sum())
    rows["in_sample"] = False
    rows.loc[rng.choice(n_rows, size=min(sample_rows, n_rows), replace=False), "in_sample"] = True
    for metric, model in METRICS.items():
        level = np.full(n_rows, model.base)
        for s in spikes:
            if s.day == day and s.metric == metric:
                hit = (
                    np.ones(n_rows, dtype=bool)
                    if s.segment_key == "overall"
                    else (rows[s.segment_key] == s.segment_value).to_numpy()
                )
                level[hit] = s.value
        if model.kind == "rate":
            rows[metric] = (rng.random(n_rows) < level).astype("float64")
        else:
            rows[metric] = np.clip(rng.normal(level, model.sd), 0, 1)
    return rows


def aggregate_kpis(rows: pd.DataFrame, min_cell_count: int = 30) -> pd.DataFrame:
    """``segment_kpis`` long format from row-level outcomes (Wilson / normal 95% CIs)."""
    z = float(stats.norm.ppf(0.975))
    rows = rows.assign(overall="overall")
    out: list[pd.DataFrame] = []
    for sampled in (True, False):
        metrics = [m for m, model in METRICS.items() if model.sampled == sampled]
        src = rows[rows["in_sample"]] if sampled else rows
        for key in ["overall", *SEGMENTS]:
            g = src.groupby(["day", key])[metrics].agg(["mean", "std", "count"])
            for metric in metrics:
                n = g[(metric, "count")].to_numpy(dtype="float64")
                mean = g[(metric, "mean")].to_numpy(dtype="float64")
                if METRICS[metric].kind == "rate":
                    denom = 1 + z**2 / n
                    centre = (mean + z**2 / (2 * n)) / denom
                    half = z * np.sqrt(mean * (1 - mean) / n + z**2 / (4 * n**2)) / denom
                    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
                else:
                    half = (
                        z * np.nan_to_num(g[(metric, "std")].to_numpy(dtype="float64")) / np.sqrt(n)
                    )
                    low, high = mean - half, mean + half
                out.append(
                    pd.DataFrame(
                        {
                            "day": g.index.get_level_values(0),
                            "segment_key": key,
                            "segment_value": g.index.get_level_values(1).astype(str),
                            "metric": metric,
                            "value": mean,
                            "ci_low": low,
                            "ci_high": high,
                            "n": n.astype("int64"),
                            "estimator": "horvitz_thompson" if sampled else "census",
                            "low_count": n < min_cell_count,
                        }
                    )
                )
    return pd.concat(out, ignore_index=True)


def kpi_series(
    end: dt.date,
    days: int,
    seed: int = 7,
    n_rows: int = 4000,
    sample_rows: int = 600,
    spikes: Sequence[Spike] = (),
) -> pd.DataFrame:
    """``days`` consecutive days of ``segment_kpis`` ending on ``end`` (fixed binomial model)."""
    rng = np.random.default_rng(seed)
    rows = pd.concat(
        [
            traffic_rows(end - dt.timedelta(days=i), rng, n_rows, sample_rows, spikes)
            for i in range(days - 1, -1, -1)
        ],
        ignore_index=True,
    )
    return aggregate_kpis(rows)


def raw_interactions(
    day: dt.date,
    n_rows: int,
    seed: int,
    mix: dict[str, dict[str, float]] | None = None,
    query_words: float = 12.0,
    latency_ms: float = 1200.0,
) -> pd.DataFrame:
    """A small ``raw_interactions`` partition (the columns the alert stage reads)."""
    rng = np.random.default_rng(seed)
    mix = mix or SEGMENTS
    frame = pd.DataFrame(
        {
            "day": [day] * n_rows,
            "interaction_id": [f"{day:%Y%m%d}-{i:06d}" for i in range(n_rows)],
            "timestamp": pd.Timestamp(day) + pd.to_timedelta(rng.integers(0, 86_400, n_rows), "s"),
        }
    )
    lengths = rng.poisson(query_words, n_rows) + 1
    frame["query"] = ["word " * int(k) for k in lengths]
    frame["response"] = ["answer " * int(k) for k in rng.poisson(40, n_rows) + 1]
    frame["latency_ms"] = rng.lognormal(np.log(latency_ms), 0.4, n_rows)
    frame["model_version"] = "copilot-v1"
    frame["rollout_arm"] = "control"
    for key, shares in mix.items():
        values = list(shares)
        p = np.array([shares[v] for v in values], dtype="float64")
        frame[f"seg_{key}"] = rng.choice(values, size=n_rows, p=p / p.sum())
    return frame


def signals_for(raw: pd.DataFrame, toxic_ids: Sequence[str] = ()) -> pd.DataFrame:
    """An ``interaction_signals`` partition matching ``raw`` (toxic only for ``toxic_ids``)."""
    toxic = raw["interaction_id"].isin(list(toxic_ids))
    return pd.DataFrame(
        {
            "day": raw["day"],
            "interaction_id": raw["interaction_id"],
            "toxicity_score": np.where(toxic, 0.9, 0.0),
            "toxic": toxic.to_numpy(),
            "pii_in_response": False,
            "has_error": False,
            "latency_ms": raw["latency_ms"],
        }
    )


def validity_rows(status: str = "validated", **per_criterion: str) -> pd.DataFrame:
    """``judge_calibration`` status rows (``reference='any'``) for the judge criteria.

    Every criterion gets ``status`` unless named in ``per_criterion``; the reason
    mimics what calibration writes, so evidence assertions can look for it.
    """
    rows = []
    for criterion in ("faithfulness", "safety", "relevance", "helpfulness"):
        st = per_criterion.get(criterion, status)
        reason = (
            "validated: AUC 0.78 [0.72, 0.84] vs thumbs (n=900, 120 bad)"
            if st == "validated"
            else "judge unvalidated on this traffic: AUC 0.51 [0.45, 0.57] vs thumbs (n=900)"
        )
        rows.append(
            {
                "criterion": criterion,
                "backend": "heuristic",
                "reference": "any",
                "segment_key": "overall",
                "validity": st,
                "validity_reason": reason,
            }
        )
    return pd.DataFrame(rows)
