"""Root-cause attribution: one breach, one alert, in the cells where it concentrates.

A toxic answer belongs to a queue, an urgency, a region, a language, a channel, a
tier, a model version and a rollout arm at once, so a detector that checks every
cell of ``segment_kpis`` finds the *same* answers eight times over. Reporting each
finding as an alert floods the on-call channel and the issue list with copies of
one problem. This module keeps, for each ``(kind, metric)`` finding of the day:

* the **overall** finding when there is one (the breach as such), and
* the segment cells where the breach **concentrates**, chosen greedily, most
  significant first, and *explaining away* what earlier choices already account for.

The other cells are folded into the evidence of the kept alert that explains them
(the overall alert when there is one), so nothing is lost from view.

Concentration of a cell ``c`` (``n_c`` observations, bad rate ``y_c``) on a day
whose bad rate is ``Y`` over ``N`` observations:

* **lift** ``= y_c / Y``: the cell's share of the bad events divided by its share
  of the rows (the brief's definition). For drift the "bad rate" is the move
  against the baseline (times the cell's traffic), so lift is the cell's move over
  the whole day's move.
* **significance** (threshold findings): the one-sided hypergeometric (Fisher)
  p-value of seeing at least ``x_c = y_c·n_c`` of the day's ``X = Y·N`` bad
  events in a cell of ``n_c`` out of ``N`` rows if they fell anywhere at random.
  Drift findings already passed their own test against the baseline (and the
  day's Benjamini–Hochberg control), so only their lift is required.
* a cell must also hold at least ``min_events`` bad events (threshold findings).

Explaining away: once cells ``K`` are kept, each kept cell ``k`` is credited with
``y_k·f(k, B)·n_B`` of another cell ``B``'s bad events, where ``f(k, B)`` is the
share of ``B``'s rows inside ``k`` (from the day's joint segment counts;
independence is assumed when they are not available). What is left — ``B``'s
residual events over its residual rows — must still show ``min_lift`` against the
bad rate of everything outside the kept cells, hold ``min_events``, and the whole
cell's count must be significantly above what the kept cells and that residual
rate predict (Poisson, which allows for the overlaps being estimated rather than
counted). Drift cells, without counts to test, need their whole move to be
``min_lift`` times the predicted one. ``region=latam`` is mostly Spanish-speaking,
so once ``language=es`` is kept a Spanish-only incident no longer makes ``latam``
look special; ``model_version`` and ``rollout_arm`` cells with the same rows explain
each other completely; a second, independent cause in ``queue=billing`` is still
found.

For threshold rules on 0–1 *scores* (relevance floors) the "bad rate" is the
deficit ``1 − value`` and counts are pseudo-counts ``(1 − value)·n``; for rules
with a minimum on a rate (SLA hit rate) it is the miss rate ``1 − value``.

When there is no overall finding and no cell concentrates, the single most
concentrated cell is kept as the representative (a breach is never dropped), and
the rest fold into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalflow.alerts.common import (
    CANDIDATE_COLUMNS,
    OVERALL,
    fmt_p,
    fmt_value,
    is_proportion,
    num_col,
)

MAX_FOLDED_LISTED = 6
"""Folded cells named in the evidence (most lifted first); the rest are counted."""

_EPS = 1e-12


@dataclass(frozen=True)
class AttributionRule:
    """The knobs of concentration (``thresholds.attribution_*`` in the configuration)."""

    min_lift: float = 2.0
    min_events: int = 3
    alpha: float = 0.01


@dataclass(frozen=True)
class _Cell:
    idx: int
    key: str
    value: str
    n: float
    bad: float
    """Bad rate (threshold) or bad-direction change (drift) of the cell."""
    events: float


class Overlap:
    """Share of one cell's traffic that lies inside another, from the joint counts.

    ``joint`` has one column per segment key (``queue``, …, ``model_version``,
    ``rollout_arm``) and a count column ``n``: the day's rows grouped by every key.
    Without it, keys are treated as independent (and values of one key as disjoint).
    """

    def __init__(self, joint: pd.DataFrame | None) -> None:
        self.joint = joint if joint is not None and not joint.empty else None
        self._total = float(self.joint["n"].sum()) if self.joint is not None else 0.0
        self._cache: dict[tuple[str, str, str, str], float] = {}

    def _mask(self, key: str, value: str) -> np.ndarray | None:
        assert self.joint is not None
        if key not in self.joint.columns:
            return None
        return (
            self.joint[key].astype("object").fillna("(missing)").astype(str) == value
        ).to_numpy()

    def share_inside(
        self, inner: tuple[str, str], outer: tuple[str, str], inner_share: float
    ) -> float:
        """Share of ``outer``'s rows that are also in ``inner`` (``inner_share``: its day share)."""
        if inner == outer:
            return 1.0
        if inner[0] == outer[0]:
            return 0.0
        cache_key = (*inner, *outer)
        if cache_key in self._cache:
            return self._cache[cache_key]
        result = inner_share
        if self.joint is not None:
            a, b = self._mask(*inner), self._mask(*outer)
            if a is not None and b is not None:
                n = self.joint["n"].to_numpy(dtype="float64")
                in_b = float(n[b].sum())
                if in_b > 0:
                    result = float(n[a & b].sum()) / in_b
        self._cache[cache_key] = result
        return result


def attribute_alerts(
    candidates: pd.DataFrame,
    kpis_day: pd.DataFrame,
    drift_tests: pd.DataFrame | None,
    joint: pd.DataFrame | None,
    rule: AttributionRule,
) -> pd.DataFrame:
    """Keep the overall and the concentrated cells of each finding; fold the rest.

    ``candidates``: every detector's findings of the day (``CANDIDATE_COLUMNS``);
    ``kpis_day``: the day's ``segment_kpis`` rows (cell sizes and the overall rate);
    ``drift_tests``: the day's drift tests before FDR selection (the overall move of
    a metric whose overall did not itself alert); ``joint``: day row counts by every
    segment key (see ``Overlap``). Kinds other than threshold and drift pass through.
    """
    if candidates.empty:
        return candidates
    df = candidates.reset_index(drop=True).copy()
    overlap = Overlap(joint)
    volumes = _volumes(kpis_day)
    keep = np.ones(len(df), dtype=bool)
    evidence = df["evidence"].astype(str).tolist()
    groups = df[df["kind"].isin(["threshold", "drift"])].groupby(
        ["kind", "metric", _direction_key(df)], sort=False
    )
    for (kind, metric, _), group in groups:
        segments = group[group["segment_key"] != OVERALL]
        if segments.empty:
            continue
        # Several findings for one cell (7- and 28-day baselines) are one cell here.
        same_cell = segments.groupby(["segment_key", "segment_value"], sort=False).groups
        twins = {int(idx[0]): [int(i) for i in idx[1:]] for idx in same_cell.values()}
        segments = segments.loc[list(twins)]
        overall = group[group["segment_key"] == OVERALL]
        if kind == "threshold":
            cells, total_bad, total_n = _threshold_cells(segments, kpis_day, str(metric))
        else:
            cells, total_bad, total_n = _drift_cells(
                segments, overall, drift_tests, str(metric), volumes
            )
        if not cells:
            continue
        kept, folded_into, notes = _greedy(
            cells,
            total_bad,
            total_n,
            volumes,
            overlap,
            rule,
            test=(kind == "threshold"),
        )
        have_overall = not overall.empty
        if not kept and not have_overall:
            best = _representative(cells, df, total_bad)
            kept, notes[best.idx] = [best], "kept as the representative cell (no cell concentrates)"
        kept_idx = {c.idx for c in kept}
        host_default = int(overall.index[0]) if have_overall else kept[0].idx
        folded: dict[int, list[tuple[float, str]]] = {}
        for cell in cells:
            if cell.idx in kept_idx:
                for i in (cell.idx, *twins.get(cell.idx, [])):
                    evidence[i] += f"; {notes.get(cell.idx, 'concentrated')}"
                continue
            keep[[cell.idx, *twins.get(cell.idx, [])]] = False
            host = host_default if have_overall else folded_into.get(cell.idx, host_default)
            lift = _lift(cell.bad, total_bad)
            folded.setdefault(host, []).append((lift, _fold_text(cell, lift, df, metric)))
        for host, items in folded.items():
            texts = [t for _, t in sorted(items, key=lambda item: -item[0])]
            evidence[host] += "; " + _folded_summary(texts, kind)
    df["evidence"] = evidence
    return df.loc[keep, CANDIDATE_COLUMNS].reset_index(drop=True)


def _direction_key(df: pd.DataFrame) -> pd.Series:
    """Drift findings moving up and down are different problems; thresholds share one key."""
    effect = num_col(df, "observed") - num_col(df, "expected")
    sign = np.where(df["kind"] == "drift", np.sign(np.nan_to_num(effect)), 0.0)
    return pd.Series(sign, index=df.index, name="_direction")


def _volumes(kpis_day: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Rows of each cell that day (the ``volume`` KPI), for traffic shares."""
    if kpis_day.empty:
        return {}
    vol = kpis_day[kpis_day["metric"] == "volume"]
    return {
        (str(k), str(v)): float(x)
        for k, v, x in zip(
            vol["segment_key"], vol["segment_value"], num_col(vol, "value"), strict=True
        )
        if np.isfinite(x)
    }


def _is_minimum_rule(observed: np.ndarray, expected: np.ndarray) -> bool:
    """A threshold finding below its limit comes from a floor (relevance, SLA hit rate)."""
    ok = np.isfinite(observed) & np.isfinite(expected)
    return bool(ok.any() and (observed[ok] < expected[ok]).all())


def _threshold_cells(
    segments: pd.DataFrame, kpis_day: pd.DataFrame, metric: str
) -> tuple[list[_Cell], float, float]:
    """Cells by their bad rate; plus the day's bad rate and ``n`` (from the overall KPI)."""
    rows = kpis_day[kpis_day["metric"] == metric] if not kpis_day.empty else kpis_day
    overall = rows[rows["segment_key"] == OVERALL] if not rows.empty else rows
    value = num_col(segments, "observed")
    floor = _is_minimum_rule(value, num_col(segments, "expected"))
    bad = 1.0 - value if floor else value
    n = _cell_n(segments, rows)
    cells = [
        _Cell(int(i), str(k), str(v), float(m), float(b), float(b * m))
        for i, k, v, m, b in zip(
            segments.index, segments["segment_key"], segments["segment_value"], n, bad, strict=True
        )
        if np.isfinite(m) and m > 0 and np.isfinite(b)
    ]
    o_val = num_col(overall, "value")[:1] if not overall.empty else np.array([])
    o_n = num_col(overall, "n")[:1] if not overall.empty else np.array([])
    if len(o_val) and np.isfinite(o_val[0]) and np.isfinite(o_n[0]) and o_n[0] > 0:
        total_n = float(o_n[0])
        total_bad = float(1.0 - o_val[0] if floor else o_val[0])
    else:
        # No overall KPI: the largest key's cells are the best stand-in for the day.
        total_n = max((c.n for c in cells), default=0.0)
        total_bad = max((c.bad for c in cells if c.n == total_n), default=0.0)
    return cells, total_bad, total_n


def _cell_n(segments: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """The metric's ``n`` in each candidate cell (from the day's KPIs; NaN when absent)."""
    if rows.empty:
        return np.full(len(segments), np.nan)
    look = {
        (str(k), str(v)): float(x)
        for k, v, x in zip(
            rows["segment_key"], rows["segment_value"], num_col(rows, "n"), strict=True
        )
    }
    return np.array(
        [
            look.get((str(k), str(v)), np.nan)
            for k, v in zip(segments["segment_key"], segments["segment_value"], strict=True)
        ],
        dtype="float64",
    )


def _drift_cells(
    segments: pd.DataFrame,
    overall: pd.DataFrame,
    tests: pd.DataFrame | None,
    metric: str,
    volumes: dict[tuple[str, str], float],
) -> tuple[list[_Cell], float, float]:
    """Cells by their move against the baseline (in the finding's direction), sized by traffic."""
    move = num_col(segments, "observed") - num_col(segments, "expected")
    sign = float(np.sign(np.nanmean(move))) if np.isfinite(move).any() else 1.0
    sign = sign or 1.0
    day_rows = volumes.get((OVERALL, OVERALL), 0.0)
    cells = []
    for i, k, v, m in zip(
        segments.index, segments["segment_key"], segments["segment_value"], move, strict=True
    ):
        rows = volumes.get((str(k), str(v)), 0.0)
        if np.isfinite(m):
            cells.append(
                _Cell(int(i), str(k), str(v), rows, float(sign * m), float(sign * m) * rows)
            )
    source = overall
    if source.empty and tests is not None and not tests.empty:
        source = tests[
            (tests["metric"] == metric)
            & (tests["segment_key"] == OVERALL)
            & (tests["kind"] == "drift")
        ]
    moves = (
        num_col(source, "observed") - num_col(source, "expected")
        if not source.empty
        else np.array([])
    )
    total = float(sign * np.nanmean(moves)) if np.isfinite(moves).any() else 0.0
    return cells, total, day_rows


def _lift(bad: float, reference: float) -> float:
    if reference > _EPS:
        return bad / reference
    return math.inf if bad > _EPS else 0.0


@dataclass(frozen=True)
class _Residual:
    """A cell once the kept cells' rows are set aside (see ``_residual``)."""

    events: float
    rows: float
    rate: float
    """Bad rate of the whole residual population (the cell's residual rows included)."""
    explainer: int | None
    """The kept cell holding most of this cell's bad events, if any."""
    expected: float
    """Bad events the whole cell would hold if the kept cells and the residual rate
    explained it: ``Σ rate_k·f_k·n + rate·(1 − Σ f_k)·n``."""

    @property
    def lift(self) -> float:
        own = self.events / self.rows if self.rows > _EPS else 0.0
        return _lift(own, self.rate)


def _residual(
    cell: _Cell,
    kept: list[_Cell],
    total_bad: float,
    total_n: float,
    volumes: dict[tuple[str, str], float],
    day_rows: float,
    overlap: Overlap,
) -> _Residual:
    """The part of ``cell`` outside the kept cells, against the population outside them.

    A kept cell ``k`` holding the share ``f`` of ``cell``'s rows is credited with
    ``rate_k · f · n`` of its bad events (it explains them); what is left is compared
    with the bad rate of everything outside the kept cells. With nothing kept this
    is the cell against the whole day.
    """
    if not kept:
        return _Residual(cell.events, cell.n, total_bad, None, total_bad * cell.n)
    shares = [
        overlap.share_inside(
            (k.key, k.value), (cell.key, cell.value), _day_share(k, volumes, day_rows)
        )
        for k in kept
    ]
    credited = [k.bad * f * cell.n for k, f in zip(kept, shares, strict=True)]
    rows = cell.n * (1.0 - min(sum(shares), 1.0))
    events = max(cell.events - sum(credited), 0.0)
    events_out, rows_out = _outside(kept, total_bad, total_n, volumes, day_rows, overlap)
    rate = events_out / rows_out if rows_out > _EPS else 0.0
    best = max(zip(credited, (k.idx for k in kept), strict=True), default=(0.0, None))
    return _Residual(
        events, rows, rate, best[1] if best[0] > _EPS else None, sum(credited) + rate * rows
    )


def _greedy(
    cells: list[_Cell],
    total_bad: float,
    total_n: float,
    volumes: dict[tuple[str, str], float],
    overlap: Overlap,
    rule: AttributionRule,
    *,
    test: bool,
) -> tuple[list[_Cell], dict[int, int], dict[int, str]]:
    """Pick concentrated cells one by one, setting aside what each pick explains.

    Lift is the cell's (residual) bad rate over the (residual) population's, i.e.
    its share of the bad events over its share of the rows. Returns the kept cells,
    for each other cell the kept cell that explains most of it (when one does), and
    the note explaining each kept cell.
    """
    day_rows = volumes.get((OVERALL, OVERALL), 0.0)
    kept: list[_Cell] = []
    notes: dict[int, str] = {}
    folded_into: dict[int, int] = {}
    remaining = list(cells)
    total_events = total_bad * total_n
    while remaining:
        scored = []
        for cell in remaining:
            res = _residual(cell, kept, total_bad, total_n, volumes, day_rows, overlap)
            # Threshold findings: the lift of what the kept cells leave unexplained,
            # guarded by a test of the whole cell. Drift findings have no counts to
            # test, so the whole cell's move must itself be min_lift x what the kept
            # cells and the rest of the day account for.
            lift = res.lift if test else _lift(cell.events, res.expected)
            p = _p_value(cell, res, total_events, total_n, kept) if test else None
            ok = res.events > _EPS and lift >= rule.min_lift
            if test:
                ok = (
                    ok and res.events + 0.5 >= rule.min_events and p is not None and p <= rule.alpha
                )
            if res.explainer is not None:
                folded_into[cell.idx] = res.explainer
            scored.append((ok, p if p is not None else 0.0, -lift, cell.idx, cell, lift, res))
        passing = sorted((s for s in scored if s[0]), key=lambda s: s[1:4])
        if not passing:
            break
        _, p, _, _, cell, lift, res = passing[0]
        against = "the rows the cells already kept do not explain" if kept else "the whole day"
        ratio = "unbounded" if math.isinf(lift) else f"{lift:.1f}x"
        if test:
            pool = (
                total_events
                if not kept
                else _outside(kept, total_bad, total_n, volumes, day_rows, overlap)[0]
            )
            notes[cell.idx] = (
                f"concentrated here: {round(res.events)} of the {'remaining ' if kept else ''}"
                f"{round(pool)} bad events in {_share(cell, volumes, day_rows, total_n)} of "
                f"the rows, rate {ratio} that of {against}, one-sided "
                f"{'Fisher' if not kept else 'Poisson'} p={fmt_p(p)}"
            )
        else:
            notes[cell.idx] = f"concentrated here: moved {ratio} as much as {against}"
        kept.append(cell)
        folded_into.pop(cell.idx, None)
        remaining = [c for c in remaining if c.idx != cell.idx]
    return kept, folded_into, notes


def _share(
    cell: _Cell, volumes: dict[tuple[str, str], float], day_rows: float, total_n: float
) -> str:
    vol = volumes.get((cell.key, cell.value))
    if vol and day_rows:
        return f"{vol / day_rows:.0%}"
    return f"{cell.n / total_n:.0%}" if total_n > 0 else f"n={int(cell.n)}"


def _day_share(cell: _Cell, volumes: dict[tuple[str, str], float], day_rows: float) -> float:
    vol = volumes.get((cell.key, cell.value))
    return vol / day_rows if vol and day_rows else 0.0


def _outside(
    kept: list[_Cell],
    total_bad: float,
    total_n: float,
    volumes: dict[tuple[str, str], float],
    day_rows: float,
    overlap: Overlap,
) -> tuple[float, float]:
    """Bad events and observations outside the kept cells (overlaps counted once)."""
    events = total_bad * total_n
    rows = total_n
    for i, cell in enumerate(kept):
        inside = sum(
            overlap.share_inside(
                (prev.key, prev.value), (cell.key, cell.value), _day_share(prev, volumes, day_rows)
            )
            for prev in kept[:i]
        )
        fresh = max(0.0, 1.0 - min(inside, 1.0))
        events -= cell.bad * cell.n * fresh
        rows -= cell.n * fresh
    return max(events, 0.0), max(rows, 0.0)


def _p_value(
    cell: _Cell, res: _Residual, total_events: float, total_n: float, kept: list[_Cell]
) -> float | None:
    """One-sided p of the cell's bad events.

    First pick: hypergeometric (Fisher's exact test of the cell against the rest of
    the day). Later picks: Poisson at the count the kept cells explain.
    """
    if not kept:
        x, n = round(cell.events), round(cell.n)
        big_n, big_x = round(total_n), round(total_events)
        if n <= 0 or big_n <= 0 or big_x <= 0 or n > big_n:
            return None
        return float(stats.hypergeom.sf(x - 1, big_n, min(big_x, big_n), n))
    # The kept cells' share of this cell is estimated from traffic overlaps, not
    # counted, so the test is on the whole cell: its events against the Poisson
    # count the kept cells and the residual rate predict (sums of binomials have at
    # most Poisson variance, so this errs towards "explained").
    if res.rows <= _EPS:
        return None
    mean = max(res.expected, 0.5 * res.rows / max(total_n, 1.0))
    return float(stats.poisson.sf(round(cell.events) - 1, mean))


def _representative(cells: list[_Cell], df: pd.DataFrame, total_bad: float) -> _Cell:
    """The cell standing for a breach none of whose cells concentrates (no overall alert).

    Drift: the most significant move. Threshold: the most lifted cell, then the most events.
    """
    if str(df.at[cells[0].idx, "kind"]) == "drift":
        p = num_col(df, "p_value")
        return min(cells, key=lambda c: (np.nan_to_num(p[c.idx], nan=1.0), -c.bad, c.idx))
    return max(cells, key=lambda c: (_lift(c.bad, total_bad), c.events, -c.idx))


def _fold_text(cell: _Cell, lift: float, df: pd.DataFrame, metric: object) -> str:
    where = f"{cell.key}={cell.value}"
    lift_txt = "unbounded" if math.isinf(lift) else f"{lift:.1f}x the day"
    observed = df.at[cell.idx, "observed"]
    floor = float(observed) < float(df.at[cell.idx, "expected"])
    if df.at[cell.idx, "kind"] == "threshold" and is_proportion(str(metric)) and not floor:
        return (
            f"{where} {fmt_value(str(metric), observed)} "
            f"({round(cell.events)} of {int(cell.n)}, {lift_txt})"
        )
    return f"{where} {fmt_value(str(metric), observed)} ({lift_txt})"


def _folded_summary(texts: list[str], kind: object) -> str:
    what = "breach" if kind == "threshold" else "move"
    ordered = texts[:MAX_FOLDED_LISTED]
    more = len(texts) - len(ordered)
    tail = f" and {more} more" if more > 0 else ""
    return (
        f"the same {what} also shows in {len(texts)} segment cell(s) where it does not "
        f"concentrate (folded into this alert): {'; '.join(ordered)}{tail}"
    )
