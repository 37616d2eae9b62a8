"""The weighted composite KPI: one go/no-go number from several business metrics.

``composite = Σ w_i · norm_i / Σ w_i`` over the configured terms that are measured,
where every term is first mapped to [0, 1] with *higher = better*:

* a metric that already lives in [0, 1] (every rate, the 0-1 proxy and judge scores)
  is used as-is when its direction is ``higher`` and as ``1 - value`` when ``lower``;
* any other metric (latency, resolution time, cost) is min-max normalised against the
  fixed bounds in ``NORMALISATION_BOUNDS`` — ``(v - lo) / (hi - lo)`` clipped to [0, 1],
  then flipped for ``lower``. Fixed, declared bounds (not the day's min/max) keep the
  composite comparable across days and arms.

Adaptive to the traffic (``plan_composite``): a configured term that is unmeasured on
every row of the day (no cell has a value: e.g. ``sla_hit_rate`` on logs without an
``outcome`` block) is *dropped* and the weights are renormalised over the measured
terms; the omission is named in the rows' ``note``, the asset metadata, the daily
report and the ``composite_terms_measured`` WARN check. When no term is measured the
composite is NULL with that reason in ``note`` — never NULL silently.

Within a cell, weights are again renormalised over the terms that are present (a term
is missing in a cell when its value is NULL, e.g. no escalations in that queue). When
less than half of the measured terms' weight is present in a cell, that cell's
composite is NULL (``note`` names the missing terms): too little of what it is meant to
summarise was measured there.

Uncertainty: terms are treated as independent, so
``Var(composite) = Σ (w_i / W)² · Var(norm_i)`` with ``Var(norm_i) = se_i² · s_i²`` where
``s_i`` is 1 for rates and ``1 / (hi - lo)`` for min-max terms (clipping ignored). The
interval is ``composite ± z·sqrt(Var)`` clipped to [0, 1]. Terms computed on the same
interactions are in truth correlated; independence is the documented simplification.
``n`` of the composite is the smallest ``n`` among its present terms (its weakest link).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalflow.config.settings import CompositeTerm
from evalflow.kpis import catalogue

NORMALISATION_BOUNDS: dict[str, tuple[float, float]] = {
    "latency_ms_p50": (0.0, 10_000.0),
    "latency_ms_p95": (0.0, 30_000.0),
    "resolution_minutes_p50": (0.0, 480.0),
    "resolution_minutes_p90": (0.0, 1_440.0),
    "cost_per_interaction": (0.0, 0.05),
}
"""Declared min-max bounds for composite terms that are not [0, 1] rates."""

MIN_PRESENT_WEIGHT_SHARE = 0.5


def validate_terms(terms: Sequence[CompositeTerm]) -> None:
    """Fail early, naming the term, when a configured metric cannot be normalised."""
    for term in terms:
        if not catalogue.is_unit_interval(term.metric) and term.metric not in NORMALISATION_BOUNDS:
            known = sorted(
                [
                    *catalogue.CENSUS_RATES,
                    *catalogue.JUDGE_RATES,
                    *catalogue.JUDGE_MEANS,
                    *NORMALISATION_BOUNDS,
                    "judge_pass_rate:<criterion>",
                ]
            )
            raise ValueError(
                f"kpis.composite term {term.metric!r} is neither a [0,1] rate nor a metric with "
                f"declared normalisation bounds; use one of {known}"
            )


def normalise(
    metric: str, direction: str, value: np.ndarray, se: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Map a metric to [0, 1] with higher = better; returns (normalised, its se)."""
    value = np.asarray(value, dtype=float)
    se = np.asarray(se, dtype=float)
    if catalogue.is_unit_interval(metric):
        norm, scale = np.clip(value, 0.0, 1.0), 1.0
    else:
        lo, hi = NORMALISATION_BOUNDS[metric]
        norm, scale = np.clip((value - lo) / (hi - lo), 0.0, 1.0), 1.0 / (hi - lo)
    if direction == "lower":
        norm = 1.0 - norm
    return norm, se * scale


@dataclass(frozen=True)
class TermValue:
    value: float | None
    se: float | None = None
    n: int = 0
    sample_based: bool = False


@dataclass(frozen=True)
class CompositeResult:
    value: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    present_weight: float
    sample_based: bool
    terms: dict[str, float | None] = field(default_factory=dict)
    """Each term's normalised value (None when missing), for explaining a decision."""


def composite_wide(
    values: pd.DataFrame,
    ses: pd.DataFrame,
    ns: pd.DataFrame,
    terms: Sequence[CompositeTerm],
    z: float,
) -> pd.DataFrame:
    """Composite for many cells at once: one row per cell, one column per metric in the inputs.

    Returns columns ``value, se, ci_low, ci_high, n, present_weight, sample_based``
    indexed like ``values``.
    """
    index = values.index
    total = float(sum(t.weight for t in terms))
    num = np.zeros(len(index))
    wsum = np.zeros(len(index))
    var = np.zeros(len(index))
    n_min = np.full(len(index), np.inf)
    sample_based = np.zeros(len(index), dtype=bool)
    norms: dict[str, np.ndarray] = {}
    for term in terms:
        if term.metric in values.columns:
            v = values[term.metric].to_numpy(dtype=float)
            s = ses[term.metric].to_numpy(dtype=float)
            nn = ns[term.metric].to_numpy(dtype=float)
        else:
            v = s = nn = np.full(len(index), np.nan)
        norm, norm_se = normalise(term.metric, term.direction, v, s)
        present = ~np.isnan(norm)
        norms[term.metric] = norm
        num += np.where(present, term.weight * norm, 0.0)
        wsum += np.where(present, term.weight, 0.0)
        # Weighted variance before renormalisation; an unknown se makes the total unknown.
        var += np.where(present, term.weight**2 * norm_se**2, 0.0)
        n_min = np.where(present, np.fmin(n_min, nn), n_min)
        sample_based |= present & catalogue.is_sample_based(term.metric)
    enough = (total > 0) & (wsum >= MIN_PRESENT_WEIGHT_SHARE * total - 1e-12) & (wsum > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = np.where(enough, num / wsum, np.nan)
        se = np.where(enough, np.sqrt(var) / wsum, np.nan)
    low = np.clip(comp - z * se, 0.0, 1.0)
    high = np.clip(comp + z * se, 0.0, 1.0)
    n_out = np.where(enough & np.isfinite(n_min), n_min, 0).astype(np.int64)
    return pd.DataFrame(
        {
            "value": comp,
            "se": se,
            "ci_low": low,
            "ci_high": high,
            "n": n_out,
            "present_weight": wsum / total if total else wsum,
            "sample_based": sample_based,
            **{f"norm:{k}": v for k, v in norms.items()},
        },
        index=index,
    )


def composite_from_terms(
    term_values: Mapping[str, TermValue], terms: Sequence[CompositeTerm], z: float
) -> CompositeResult:
    """The composite for one cell (an arm, a pooled week) from already-estimated terms."""
    metrics = [t.metric for t in terms]

    def _frame(attr: str) -> pd.DataFrame:
        row = {}
        for m in metrics:
            tv = term_values.get(m)
            raw = getattr(tv, attr) if tv is not None else None
            row[m] = float(raw) if raw is not None else np.nan
        return pd.DataFrame([row])

    out = composite_wide(_frame("value"), _frame("se"), _frame("n"), terms, z).iloc[0]

    def _opt(x: float) -> float | None:
        return None if pd.isna(x) else float(x)

    return CompositeResult(
        value=_opt(out["value"]),
        se=_opt(out["se"]),
        ci_low=_opt(out["ci_low"]),
        ci_high=_opt(out["ci_high"]),
        n=int(out["n"]),
        present_weight=float(out["present_weight"]),
        sample_based=bool(out["sample_based"]),
        terms={m: _opt(out[f"norm:{m}"]) for m in metrics},
    )


CELL = ["segment_key", "segment_value"]


@dataclass(frozen=True)
class CompositePlan:
    """Which configured terms the composite of a day uses, and which it had to drop."""

    configured: tuple[CompositeTerm, ...]
    used: tuple[CompositeTerm, ...]
    """The measured terms, weights renormalised to sum to 1."""
    dropped: tuple[str, ...]
    """Configured metrics unmeasured on every row (no cell has a value)."""

    @property
    def measured(self) -> bool:
        return bool(self.used)

    def summary(self) -> str | None:
        """One sentence for ``note``, metadata and the report; None when nothing was dropped."""
        if not self.configured:
            return "no composite terms configured (kpis.composite is empty)"
        if not self.used:
            return (
                "unmeasured: no composite term has data on this traffic ("
                + ", ".join(self.dropped)
                + "); configure kpis.composite with metrics this application logs"
            )
        if not self.dropped:
            return None
        weights = ", ".join(f"{t.metric} {t.weight:.2f}" for t in self.used)
        return (
            f"dropped (unmeasured on every row): {', '.join(self.dropped)}; "
            f"weights renormalised: {weights}"
        )


def measured_terms(
    terms: Sequence[CompositeTerm], measured: Iterable[str]
) -> tuple[tuple[CompositeTerm, ...], tuple[str, ...]]:
    """The terms whose metric is in ``measured`` with renormalised weights, and the dropped."""
    have = set(measured)
    kept = [t for t in terms if t.metric in have]
    dropped = tuple(t.metric for t in terms if t.metric not in have)
    total = float(sum(t.weight for t in kept))
    used = tuple(t.model_copy(update={"weight": t.weight / total}) for t in kept)
    return used, dropped


def plan_composite(kpis: pd.DataFrame, terms: Sequence[CompositeTerm]) -> CompositePlan:
    """Drop the terms no cell of ``kpis`` measured (value NULL or n = 0 everywhere)."""
    measured: set[str] = set()
    if not kpis.empty:
        part = kpis[kpis["metric"].isin([t.metric for t in terms])]
        vals = pd.to_numeric(part["value"], errors="coerce")
        ns = pd.to_numeric(part["n"], errors="coerce").fillna(0)
        measured = set(part.loc[vals.notna() & (ns > 0), "metric"])
    used, dropped = measured_terms(terms, measured)
    return CompositePlan(tuple(terms), used, dropped)


def _cell_notes(res: pd.DataFrame, plan: CompositePlan) -> list[str | None]:
    """Per cell: the plan's summary, plus the missing terms where the cell is NULL."""
    base = plan.summary()
    out: list[str | None] = []
    for i in range(len(res)):
        parts = [base] if base else []
        if plan.used and pd.isna(res["value"].iloc[i]):
            missing = [t.metric for t in plan.used if pd.isna(res[f"norm:{t.metric}"].iloc[i])]
            parts.append(
                "unmeasured in this cell: less than half of the measured terms' weight has "
                f"data (missing: {', '.join(missing)})"
            )
        out.append("; ".join(parts) if parts else None)
    return out


def composite_rows(
    kpis: pd.DataFrame,
    terms: Sequence[CompositeTerm],
    z: float,
    min_cell_count: int,
    plan: CompositePlan | None = None,
) -> pd.DataFrame:
    """``composite_kpi`` rows (long format) for every cell of a ``segment_kpis`` frame.

    Only the terms measured somewhere in ``kpis`` are used (see ``plan_composite``);
    ``note`` says what was dropped and why a cell is NULL.
    """
    cols = [
        "segment_key",
        "segment_value",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "se",
        "n",
        "estimator",
        "low_count",
        "note",
    ]
    if kpis.empty or not terms:
        return pd.DataFrame(columns=cols)
    plan = plan if plan is not None else plan_composite(kpis, terms)
    cells = kpis[CELL].drop_duplicates()
    if not plan.used:
        k = len(cells)
        out = cells.reset_index(drop=True).assign(
            metric=catalogue.COMPOSITE,
            value=np.nan,
            ci_low=np.nan,
            ci_high=np.nan,
            se=np.nan,
            n=0,
            estimator="census",
            low_count=True,
            note=plan.summary(),
        )
        return out[cols] if k else pd.DataFrame(columns=cols)
    terms = plan.used
    part = kpis[kpis["metric"].isin([t.metric for t in terms])]
    idx = pd.MultiIndex.from_frame(cells)

    def _wide(col: str) -> pd.DataFrame:
        if part.empty:
            return pd.DataFrame(index=idx)
        wide = part.drop_duplicates([*CELL, "metric"]).pivot(
            index=CELL, columns="metric", values=col
        )
        return wide.reindex(idx)

    res = composite_wide(_wide("value"), _wide("se"), _wide("n"), terms, z)
    out = pd.DataFrame(
        {
            "segment_key": cells["segment_key"].to_numpy(),
            "segment_value": cells["segment_value"].to_numpy(),
            "metric": catalogue.COMPOSITE,
            "value": res["value"].to_numpy(),
            "ci_low": np.where(res["value"].isna(), np.nan, res["ci_low"]),
            "ci_high": np.where(res["value"].isna(), np.nan, res["ci_high"]),
            "se": res["se"].to_numpy(),
            "n": res["n"].to_numpy(),
            "estimator": np.where(res["sample_based"], "horvitz_thompson", "census"),
            "note": _cell_notes(res, plan),
        }
    )
    out["low_count"] = out["n"] < min_cell_count
    return out[cols]
