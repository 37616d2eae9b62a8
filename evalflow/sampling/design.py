"""Which interactions the judges see: a budgeted, unequal-probability sample whose
every row carries its true inclusion probability.

Design
======
The day's N interactions are split into two *fixed* domains (fixed because
membership depends only on the signals, never on randomness):

**M — must-review rows**: toxic, PII in the response, analyst-overridden
escalations (``outcome_analyst_override``), thumbs-down *with* a comment, and
application errors. ``n_M = min(|M|, max(floor(must_review_share · B), B − |R|))`` of
them are drawn by simple random sampling without replacement (SRSWOR); so each has
``p = n_M / |M|``, which is 1 whenever the cap does not bind. (The ``B − |R|`` term
only matters on a small day: budget the other rows cannot use goes to must-review
rows rather than idling.)

**R — the rest**, with budget ``B_R = min(B − n_M, |R|)``. If ``B_R = |R|`` every row
of R is taken (``p = 1``). Otherwise ``B_R`` is split into ``n_risk =
round(risk_share · B_R)`` and ``n_strat = B_R − n_risk`` and two independent draws
are made on R:

* *stratified*: cells are the combinations of ``sampling.strata`` (e.g. queue ×
  urgency); every non-empty cell gets ``min(min_per_cell, N_h)``, the rest of
  ``n_strat`` is allocated proportionally to cell size (largest remainder); SRSWOR
  within each cell, so ``p_strat = n_h / N_h``.
* *risk-weighted*: πps with size measure ``x = max(risk_score, RISK_FLOOR)``:
  ``p_risk = min(cap, n_risk · x / Σx)`` with the usual iterative capping at
  ``max_inclusion_prob``; drawn by systematic πps on a random order (Madow), which
  has exactly these first-order inclusion probabilities and a fixed size. The floor
  keeps every row's probability positive, without which no estimator could be
  unbiased for rows that can never be drawn.

A row of R is in the sample if either draw picks it. The draws use independent
random numbers, so ``p = 1 − (1 − p_strat)(1 − p_risk)`` exactly, and the
Horvitz–Thompson estimator ``Σ_S y/p`` of a total is unbiased (test:
``evalflow_tests/sampling``). Overlap only makes the sample smaller than planned,
never larger. ``reason`` is ``must_review:<why>`` (the first of toxicity, pii,
analyst_override, negative_feedback, error that applies), ``stratified`` (picked by
the stratified draw, whether or not the risk draw also picked it) or
``risk_weighted``.

Budgets
=======
Rows: ``n_M + n_strat + n_risk ≤ daily_budget_rows``, so the sample never exceeds it.
Dollars: each row's judge cost is estimated from its text length (≈4 characters a
token, plus the judge prompt) × number of criteria × the judge's per-token prices
(× 1 + ``judges.noise_repeat_share`` for the rows judged twice).
Because which rows get drawn is random, "never exceed" is guaranteed with the
*worst case*: the planned sizes are the largest row budget ``B ≤ daily_budget_rows``
for which the sum of the ``n_M`` most expensive must-review rows, the ``n_h`` most
expensive rows of every cell and the ``n_risk`` most expensive rows of R stays
within ``daily_budget_usd``. The sizes depend only on the population, never on the
draw, so the inclusion probabilities above remain exact.

Determinism: rows are ordered by ``interaction_id`` before drawing and all
randomness comes from one ``numpy`` generator seeded with ``seed`` (the asset
derives it from ``sampling.seed`` and the day), so a rerun draws the same sample.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalflow.config.settings import JudgeSettings, SamplingSettings, segment_column

RISK_FLOOR = 0.02
"""Smallest size measure in the risk-weighted draw (keeps every p > 0)."""
CHARS_PER_TOKEN = 4.0
PROMPT_OVERHEAD_TOKENS = 350
"""Judge instructions and rubric sent with every criterion."""
OUTPUT_TOKENS_PER_CRITERION = 120
"""Verdict, score and a short rationale."""
MUST_REVIEW_ORDER: tuple[str, ...] = (
    "toxicity",
    "pii",
    "analyst_override",
    "negative_feedback",
    "error",
)
MISSING = "(none)"

OUTPUT_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("DATE", "UTC day of the interaction (partition)"),
    "interaction_id": ("VARCHAR", "sampled interaction"),
    "reason": ("VARCHAR", "must_review:<why> | stratified | risk_weighted"),
    "stratum": ("VARCHAR", "cell of sampling.strata, e.g. queue=billing|urgency=high"),
    "inclusion_prob": ("DOUBLE", "true probability (0<p<=1) that the design includes this row"),
    "weight": ("DOUBLE", "Horvitz–Thompson weight 1/inclusion_prob"),
    "risk_score": ("DOUBLE", "interaction_signals.risk_score"),
    "est_judge_cost_usd": ("DOUBLE", "estimated cost of judging this row on every criterion"),
}


def day_seed(base_seed: int, day: dt.date) -> int:
    """One reproducible seed per (configured seed, day)."""
    return int(np.random.SeedSequence([int(base_seed), day.toordinal()]).generate_state(1)[0])


def estimate_judge_cost(
    query_chars: np.ndarray | pd.Series,
    response_chars: np.ndarray | pd.Series,
    context_chars: np.ndarray | pd.Series,
    judges: JudgeSettings,
) -> np.ndarray:
    """Dollars to judge each row on every configured criterion (see module docstring),
    including the expected repeat judgements (``judges.noise_repeat_share``)."""
    chars = (
        np.nan_to_num(np.asarray(query_chars, dtype=float))
        + np.nan_to_num(np.asarray(response_chars, dtype=float))
        + np.nan_to_num(np.asarray(context_chars, dtype=float))
    )
    n_criteria = max(len(judges.criteria) + len(judges.custom_rubrics), 1)
    tokens_in = np.ceil(chars / CHARS_PER_TOKEN) + PROMPT_OVERHEAD_TOKENS
    per_criterion = (
        tokens_in * judges.usd_per_1k_input_tokens
        + OUTPUT_TOKENS_PER_CRITERION * judges.usd_per_1k_output_tokens
    ) / 1000.0
    # A share of judged rows is scored twice to measure judge noise.
    return n_criteria * per_criterion * (1.0 + judges.noise_repeat_share)


# --- population frame --------------------------------------------------------------
def _bool_col(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.zeros(len(df), dtype=bool)
    return df[col].astype("boolean").fillna(False).to_numpy(dtype=bool)


def must_review_reasons(frame: pd.DataFrame) -> np.ndarray:
    """``must_review:<why>`` for must-review rows, None for the others."""
    has_comment = (
        frame["comment_sentiment"].notna().to_numpy()
        if "comment_sentiment" in frame
        else np.zeros(len(frame), dtype=bool)
    )
    conditions = {
        "toxicity": _bool_col(frame, "toxic"),
        "pii": _bool_col(frame, "pii_in_response"),
        "analyst_override": _bool_col(frame, "outcome_analyst_override"),
        "negative_feedback": _bool_col(frame, "rating_down") & has_comment,
        "error": _bool_col(frame, "has_error"),
    }
    reason = np.full(len(frame), None, dtype=object)
    for name in reversed(MUST_REVIEW_ORDER):  # the first in the order wins
        reason[conditions[name]] = f"must_review:{name}"
    return reason


CRITICAL_REASONS = ("must_review:toxicity", "must_review:pii")


def must_review_tiers(frame: pd.DataFrame) -> np.ndarray:
    """``critical`` (toxicity, PII) or ``other`` per must-review row, ``none`` elsewhere.

    When must-review rows outnumber their budget, safety rows are judged first: a day
    with hundreds of analyst overrides must not crowd out the few toxic answers.
    """
    reasons = frame["must_reason"].to_numpy(dtype=object)
    tiers = np.where(pd.isna(reasons), "none", "other").astype(object)
    tiers[np.isin(reasons, CRITICAL_REASONS)] = "critical"
    return tiers


def must_review_allocation(tiers: np.ndarray, n_must: int) -> dict[str, int]:
    """How many must-review rows each tier gets: critical first, the rest to others."""
    n_critical = int((tiers == "critical").sum())
    critical = min(n_critical, n_must)
    other = min(int((tiers == "other").sum()), n_must - critical)
    return {"critical": critical, "other": other}


def stratum_labels(frame: pd.DataFrame, strata: Sequence[str]) -> np.ndarray:
    """``key=value|key=value`` per row (``(none)`` for a missing value)."""
    if not strata:
        return np.full(len(frame), "all", dtype=object)
    label = None
    for key in strata:
        col = segment_column(key)
        values = (
            frame[col].astype(object).where(frame[col].notna(), MISSING).astype(str)
            if col in frame
            else pd.Series(MISSING, index=frame.index)
        )
        part = f"{key}=" + values
        label = part if label is None else label + "|" + part
    assert label is not None
    return label.to_numpy(dtype=object)


def population_frame(
    signals_df: pd.DataFrame,
    raw_segments_df: pd.DataFrame,
    sampling: SamplingSettings,
    judges: JudgeSettings,
) -> pd.DataFrame:
    """Signals joined with segments/outcomes, sorted by id, with reason/stratum/cost."""
    sig = signals_df.drop_duplicates("interaction_id", keep="last")
    if "interaction_id" not in raw_segments_df:
        raw_segments_df = pd.DataFrame({"interaction_id": pd.Series(dtype=object)})
    raw = raw_segments_df.drop_duplicates("interaction_id", keep="last")
    raw_cols = [c for c in raw.columns if c not in sig.columns or c == "interaction_id"]
    frame = sig.merge(raw[raw_cols], on="interaction_id", how="left")
    frame = frame.sort_values("interaction_id", kind="stable").reset_index(drop=True)
    zero = pd.Series(0.0, index=frame.index)
    frame["est_judge_cost_usd"] = estimate_judge_cost(
        frame.get("query_chars", zero),
        frame.get("response_chars", zero),
        frame.get("context_chars", zero),
        judges,
    )
    frame["must_reason"] = must_review_reasons(frame)
    frame["stratum"] = stratum_labels(frame, sampling.strata)
    frame["risk_score"] = pd.to_numeric(frame.get("risk_score", zero), errors="coerce").fillna(0.0)
    return frame


# --- allocation ----------------------------------------------------------------------
def largest_remainder(total: int, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Integers ``n_h <= caps_h`` summing to ``min(total, Σcaps)``, proportional to weights.

    Hamilton's method, repeated while caps bind (the surplus is re-spread over the
    cells with room left). Ties go to the earlier cell, so the result is deterministic.
    """
    caps = caps.astype(np.int64)
    out = np.zeros(caps.size, dtype=np.int64)
    remaining = int(min(total, caps.sum()))
    while remaining > 0:
        room = caps - out
        open_ = room > 0
        w = np.where(open_, weights, 0.0).astype(float)
        if w.sum() <= 0:
            w = open_.astype(float)
        quota = remaining * w / w.sum()
        base = np.minimum(np.floor(quota).astype(np.int64), room)
        left = remaining - int(base.sum())
        frac = np.where(open_ & (base < room), quota - np.floor(quota), -1.0)
        order = np.lexsort((np.arange(frac.size), -frac))
        extra = np.zeros_like(base)
        for idx in order[:left]:
            if frac[idx] < 0:
                break
            extra[idx] = 1
        step = base + extra
        if step.sum() == 0:  # only possible through rounding with all-zero quotas
            step[np.flatnonzero(open_)[:remaining]] = 1
        out += step
        remaining -= int(step.sum())
    return out


def pps_probabilities(size: np.ndarray, n: float, cap: float = 1.0) -> np.ndarray:
    """``min(cap, n · x / Σx)`` with iterative capping so that Σp = min(n, cap·N)."""
    size = np.asarray(size, dtype=float)
    p = np.zeros(size.size)
    if size.size == 0 or n <= 0 or cap <= 0:
        return p
    capped = np.zeros(size.size, dtype=bool)
    for _ in range(size.size + 1):
        free = ~capped
        budget = n - cap * capped.sum()
        total = size[free].sum()
        if budget <= 0 or total <= 0:
            break
        p[free] = budget * size[free] / total
        p[capped] = cap
        over = free & (p > cap)
        if not over.any():
            break
        capped |= over
    p[capped] = cap
    return np.clip(p, 0.0, cap)


@dataclass(frozen=True)
class Plan:
    """Sizes of the three draws, fixed before any randomness."""

    budget_rows: int
    n_must: int
    n_risk: int
    cell_sizes: dict[str, int] = field(default_factory=dict)  # population of each R cell
    cell_alloc: dict[str, int] = field(default_factory=dict)  # rows drawn from each R cell
    worst_case_usd: float = 0.0

    @property
    def n_strat(self) -> int:
        return int(sum(self.cell_alloc.values()))

    @property
    def planned_rows(self) -> int:
        """Rows the three draws ask for (the sample is this or fewer, after overlap)."""
        return self.n_must + self.n_strat + self.n_risk


def _top_sum(costs_desc_cumsum: np.ndarray, k: int) -> float:
    return float(costs_desc_cumsum[min(k, costs_desc_cumsum.size - 1)])


def _prefix_desc(costs: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.sort(costs)[::-1])])


def _sizes_for(
    budget: int,
    m_count: int,
    cells: np.ndarray,
    cell_n: np.ndarray,
    sampling: SamplingSettings,
) -> tuple[int, int, np.ndarray]:
    r_count = int(cell_n.sum())
    # The cap protects the random draws' share of the budget; budget that R cannot use
    # (a small day) goes to must-review rows instead of being left idle.
    n_must = min(m_count, max(int(np.floor(sampling.must_review_share * budget)), budget - r_count))
    rest = max(0, min(budget - n_must, r_count))
    if rest >= r_count:  # every other row fits: a census of R, nothing left to chance
        return n_must, 0, cell_n.copy()
    n_risk = round(sampling.risk_share * rest)
    n_strat = rest - n_risk
    base = np.minimum(sampling.min_per_cell, cell_n)
    if base.sum() >= n_strat:
        alloc = largest_remainder(n_strat, base.astype(float), base)
    else:
        alloc = base + largest_remainder(
            n_strat - int(base.sum()), cell_n.astype(float), cell_n - base
        )
    return n_must, n_risk, alloc


def plan_sizes(frame: pd.DataFrame, sampling: SamplingSettings) -> Plan:
    """The largest plan within both budgets (worst-case dollars, see module docstring)."""
    must = frame["must_reason"].notna().to_numpy()
    costs = frame["est_judge_cost_usd"].to_numpy(dtype=float)
    rest = frame.loc[~must]
    cells, cell_idx = np.unique(rest["stratum"].to_numpy(dtype=str), return_inverse=True)
    cell_n = np.bincount(cell_idx, minlength=cells.size).astype(np.int64)
    must_pref = _prefix_desc(costs[must])
    rest_costs = costs[~must]
    rest_pref = _prefix_desc(rest_costs)
    cell_pref = [_prefix_desc(rest_costs[cell_idx == h]) for h in range(cells.size)]

    def worst(budget: int) -> tuple[float, tuple[int, int, np.ndarray]]:
        sizes = _sizes_for(budget, int(must.sum()), cells, cell_n, sampling)
        n_must, n_risk, alloc = sizes
        usd = _top_sum(must_pref, n_must) + _top_sum(rest_pref, n_risk)
        usd += sum(_top_sum(cell_pref[h], int(a)) for h, a in enumerate(alloc))
        return usd, sizes

    # The search runs over the configured row budget, not the day's size: on a small
    # day the must-review share is still a share of the configured budget.
    lo, hi = 0, int(sampling.daily_budget_rows)
    best = worst(0)
    if worst(hi)[0] <= sampling.daily_budget_usd:
        lo, best = hi, worst(hi)
    else:
        while lo < hi:
            mid = (lo + hi + 1) // 2
            candidate = worst(mid)
            if candidate[0] <= sampling.daily_budget_usd:
                lo, best = mid, candidate
            else:
                hi = mid - 1
    usd, (n_must, n_risk, alloc) = best
    return Plan(
        budget_rows=lo,
        n_must=n_must,
        n_risk=n_risk,
        cell_sizes={str(c): int(n) for c, n in zip(cells, cell_n, strict=True)},
        cell_alloc={str(c): int(a) for c, a in zip(cells, alloc, strict=True)},
        worst_case_usd=usd,
    )


def inclusion_probabilities(
    frame: pd.DataFrame, plan: Plan, sampling: SamplingSettings
) -> pd.DataFrame:
    """Per population row: ``p_must``, ``p_strat``, ``p_risk`` and the overall ``p``."""
    must = frame["must_reason"].notna().to_numpy()
    n = len(frame)
    p_must = np.zeros(n)
    if must.any():
        tiers = must_review_tiers(frame)
        alloc = must_review_allocation(tiers[must], plan.n_must)
        for tier, count in alloc.items():
            members = tiers == tier
            if members.any():
                p_must[members] = count / members.sum()
    p_strat = np.zeros(n)
    rest_idx = np.flatnonzero(~must)
    if rest_idx.size:
        strata = frame["stratum"].to_numpy(dtype=str)[rest_idx]
        frac = {c: plan.cell_alloc[c] / plan.cell_sizes[c] for c in plan.cell_sizes}
        p_strat[rest_idx] = pd.Series(strata).map(frac).to_numpy(dtype=float)
    p_risk = np.zeros(n)
    if rest_idx.size and plan.n_risk > 0:
        size = np.maximum(frame["risk_score"].to_numpy(dtype=float)[rest_idx], RISK_FLOOR)
        p_risk[rest_idx] = pps_probabilities(size, plan.n_risk, sampling.max_inclusion_prob)
    p = np.where(must, p_must, 1.0 - (1.0 - p_strat) * (1.0 - p_risk))
    return pd.DataFrame({"p_must": p_must, "p_strat": p_strat, "p_risk": p_risk, "p": p})


# --- random draws --------------------------------------------------------------------
def srswor_by_group(
    groups: np.ndarray, n_per_group: dict[str, int], rng: np.random.Generator
) -> np.ndarray:
    """Mask of a simple random sample without replacement of ``n_per_group[g]`` per group."""
    picked = np.zeros(groups.size, dtype=bool)
    if groups.size == 0:
        return picked
    codes, inverse = np.unique(groups.astype(str), return_inverse=True)
    keys = rng.random(groups.size)
    order = np.lexsort((keys, inverse))
    sorted_codes = inverse[order]
    first = np.searchsorted(sorted_codes, np.arange(codes.size))
    rank = np.arange(groups.size) - first[sorted_codes]
    quota = np.array([n_per_group.get(str(c), 0) for c in codes], dtype=np.int64)
    picked[order] = rank < quota[sorted_codes]
    return picked


def systematic_pps(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Systematic πps on a random order: P(i in sample) = p_i, size = round(Σp) ± 1."""
    picked = np.zeros(p.size, dtype=bool)
    certain = p >= 1.0 - 1e-12
    picked[certain] = True
    idx = np.flatnonzero(~certain & (p > 0))
    if idx.size == 0:
        return picked
    order = idx[rng.permutation(idx.size)]
    cum = np.cumsum(p[order])
    start = rng.random()
    hits = np.floor(cum - start) - np.floor(np.concatenate([[0.0], cum[:-1]]) - start)
    picked[order[hits >= 1]] = True
    return picked


def draw_sample(
    signals_df: pd.DataFrame,
    raw_segments_df: pd.DataFrame,
    sampling: SamplingSettings,
    seed: int | Sequence[int],
    judges: JudgeSettings | None = None,
) -> pd.DataFrame:
    """The day's sample (columns ``OUTPUT_COLUMNS``), see the module docstring.

    ``signals_df``: the day's ``interaction_signals`` rows. ``raw_segments_df``: per
    ``interaction_id`` the ``seg_<key>`` columns of ``sampling.strata``,
    ``outcome_analyst_override`` and the text lengths ``query_chars``,
    ``response_chars``, ``context_chars`` used for the cost estimate.
    """
    judges = judges or JudgeSettings()
    if signals_df.empty:
        return empty_sample()
    frame = population_frame(signals_df, raw_segments_df, sampling, judges)
    plan = plan_sizes(frame, sampling)
    probs = inclusion_probabilities(frame, plan, sampling)
    rng = np.random.default_rng(seed)

    must = frame["must_reason"].notna().to_numpy()
    picked_must = np.zeros(len(frame), dtype=bool)
    if plan.n_must:
        tiers = must_review_tiers(frame)[must]
        picked_must[must] = srswor_by_group(tiers, must_review_allocation(tiers, plan.n_must), rng)
    picked_strat = np.zeros(len(frame), dtype=bool)
    picked_strat[~must] = srswor_by_group(
        frame["stratum"].to_numpy(dtype=str)[~must], plan.cell_alloc, rng
    )
    picked_risk = np.zeros(len(frame), dtype=bool)
    if plan.n_risk:
        picked_risk[~must] = systematic_pps(probs["p_risk"].to_numpy()[~must], rng)

    chosen = picked_must | picked_strat | picked_risk
    reason = np.where(
        picked_must,
        frame["must_reason"].to_numpy(dtype=object),
        np.where(picked_strat, "stratified", "risk_weighted"),
    )
    p = probs["p"].to_numpy()
    out = pd.DataFrame(
        {
            "day": frame["day"].to_numpy() if "day" in frame else None,
            "interaction_id": frame["interaction_id"].to_numpy(),
            "reason": reason,
            "stratum": frame["stratum"].to_numpy(),
            "inclusion_prob": p,
            "weight": np.divide(1.0, p, out=np.full(p.size, np.inf), where=p > 0),
            "risk_score": frame["risk_score"].to_numpy(dtype=float),
            "est_judge_cost_usd": frame["est_judge_cost_usd"].to_numpy(dtype=float),
        }
    )[chosen].reset_index(drop=True)
    out.attrs["plan"] = plan
    return out


def empty_sample() -> pd.DataFrame:
    dtypes = {"DATE": "object", "VARCHAR": "object", "DOUBLE": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes[t]) for c, (t, _) in OUTPUT_COLUMNS.items()})
