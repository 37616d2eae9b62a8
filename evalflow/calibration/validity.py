"""Is a judge valid on THIS traffic? Its agreement with the users' own signals.

A judge can agree with itself, with the simulator and with a benchmark and still be
no better than a coin on a new application's traffic (the issue measured AUC
0.50–0.52 against real users' thumbs). The only references every deployment has
are its users' reactions, so each judge (criterion x backend) is checked against
every user signal the logs carry, over a trailing window (a week by default), for
the whole traffic and per segment cell:

* ``thumbs``: ``feedback_rating = 'down'`` vs ``'up'`` (rated rows only);
* ``retried``, ``edited``: ``feedback_retried`` / ``feedback_edited`` (rows where logged);
* ``escalated``, ``override``: ``outcome_escalated`` / ``outcome_analyst_override``.

The statistic is the ROC AUC of the judge's *badness* ``1 - score`` for the bad
signal (0.5 = chance, 1 = the judge ranks every disliked reply below every liked
one), with DeLong's standard error (Sun & Xu's midrank algorithm), a normal
interval clipped to [0, 1] and a one-sided p-value for ``AUC <= 0.5``. DeLong needs
no resampling, so hundreds of cells a day cost milliseconds; a bootstrap check is in
the tests. Every measured test of the day (all judges, signals and cells) forms
one Benjamini–Hochberg family (``scipy.stats.false_discovery_control``): with ~25
segment cells x 5 signals x 4 criteria, an unadjusted 5% test would "validate" a
random judge somewhere every day.

A cell needs ``validity_min_per_class`` bad AND good judged rows; fewer, and it is
``insufficient_data`` (the note says how many), never a verdict. A cell is
``validated`` when its BH-adjusted p is at most ``validity_alpha`` (then its interval
at that level excludes 0.5 on the good side), else ``unvalidated``.

The judge's own status (``reference='any'``, overall cell) is ``validated`` when its
overall cell agrees with at least one user signal, or its Cohen's kappa against
human labels has an interval above 0 (``human_labels`` row); ``unvalidated`` when
something was measured and nothing agreed; ``insufficient_data`` when nothing could
be measured. Segment rows are reported (where a judge fails in one language, say)
but do not change the judge's status.

Known limit: the AUC is over the judged rows, unweighted. The sampler oversamples
risky rows and negative feedback; that does not bias the AUC when the selection
depends on the signal only, but risk-weighted selection can shift the within-class
score distributions a little.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

OVERALL = "overall"
VALIDATED, UNVALIDATED, INSUFFICIENT = "validated", "unvalidated", "insufficient_data"
VALIDITY_VALUES = (VALIDATED, UNVALIDATED, INSUFFICIENT)
HUMAN_REFERENCE = "human_labels"
ANY_REFERENCE = "any"
USER_PREFIX = "user:"

USER_SIGNALS: dict[str, tuple[str, str]] = {
    "thumbs": (
        "feedback_rating",
        "CASE r.feedback_rating WHEN 'down' THEN TRUE WHEN 'up' THEN FALSE END",
    ),
    "retried": ("feedback_retried", "r.feedback_retried"),
    "edited": ("feedback_edited", "r.feedback_edited"),
    "escalated": ("outcome_escalated", "r.outcome_escalated"),
    "override": ("outcome_analyst_override", "r.outcome_analyst_override"),
}
"""User signal -> (``raw_interactions`` column, SQL expression): TRUE = the user (or
analyst) reacted badly, FALSE = did not, NULL = not logged for that row."""

SIGNAL_COLUMNS = [
    "n",
    "n_bad",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "p_value",
    "p_adjusted",
    "validity",
    "validity_reason",
]

_Z = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class AucEstimate:
    """AUC of ``badness`` for the bad class, with DeLong's standard error."""

    auc: float
    se: float
    n_bad: int
    n_good: int

    def interval(self, z: float = _Z) -> tuple[float, float]:
        return max(0.0, self.auc - z * self.se), min(1.0, self.auc + z * self.se)

    def p_better_than_chance(self) -> float:
        """One-sided p of ``AUC <= 0.5``; 1 when the scores carry no ranking at all."""
        if self.se <= 0:
            return 0.0 if self.auc > 0.5 else 1.0
        return float(stats.norm.sf((self.auc - 0.5) / self.se))


def delong_auc(badness: np.ndarray, bad: np.ndarray) -> AucEstimate:
    """ROC AUC and DeLong standard error (Sun & Xu 2014, midranks handle ties).

    ``badness``: higher = the judge thinks the reply is worse; ``bad``: the user
    signal. Both classes must be present (the caller checks the minimum counts).
    """
    x = np.asarray(badness, dtype=float)
    y = np.asarray(bad, dtype=bool)
    pos, neg = x[y], x[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        raise ValueError("delong_auc needs both classes")
    tz = stats.rankdata(np.concatenate([pos, neg]))
    tx, ty = stats.rankdata(pos), stats.rankdata(neg)
    auc = float((tz[:m].sum() - m * (m + 1) / 2.0) / (m * n))
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    var = (np.var(v10, ddof=1) / m if m > 1 else 0.0) + (np.var(v01, ddof=1) / n if n > 1 else 0.0)
    return AucEstimate(auc=auc, se=float(np.sqrt(max(var, 0.0))), n_bad=m, n_good=n)


@dataclass(frozen=True)
class ValiditySettings:
    """The knobs (``calibration.validity_*`` in the configuration)."""

    window_days: int = 7
    min_per_class: int = 10
    alpha: float = 0.05

    @classmethod
    def of(cls, cal: object) -> ValiditySettings:
        """From ``CalibrationSettings``."""
        return cls(
            window_days=int(cal.validity_window_days),  # type: ignore[attr-defined]
            min_per_class=int(cal.validity_min_per_class),  # type: ignore[attr-defined]
            alpha=float(cal.validity_alpha),  # type: ignore[attr-defined]
        )


def _cells(frame: pd.DataFrame, segment_keys: Sequence[str]) -> list[tuple[str, str, pd.Index]]:
    cells = [(OVERALL, OVERALL, frame.index)]
    for key in segment_keys:
        col = f"seg_{key}"
        if col not in frame.columns:
            continue
        for value, grp in frame.groupby(col, sort=True, dropna=True):
            cells.append((key, str(value), grp.index))
    return cells


def _test_row(sub: pd.DataFrame, signal: str, cfg: ValiditySettings) -> dict:
    """One cell x signal: counts, AUC with interval and raw p, or why unmeasured."""
    bad = sub[signal].astype(bool).to_numpy()
    n_bad, n_good = int(bad.sum()), int((~bad).sum())
    row: dict = {"n": len(sub), "n_bad": n_bad}
    if min(n_bad, n_good) < cfg.min_per_class:
        row["validity"] = INSUFFICIENT
        row["validity_reason"] = (
            f"{n_bad} bad / {n_good} good judged rows with {signal}: "
            f"below {cfg.min_per_class} per class"
        )
        return row
    est = delong_auc(1.0 - sub["score"].to_numpy(dtype=float), bad)
    low, high = est.interval()
    row.update(auc=est.auc, auc_ci_low=low, auc_ci_high=high, p_value=est.p_better_than_chance())
    return row


def signal_agreement(
    judged: pd.DataFrame,
    day: dt.date,
    segment_keys: Sequence[str],
    cfg: ValiditySettings,
) -> pd.DataFrame:
    """Per judge, user signal and cell: AUC vs the signal, BH-adjusted, with a verdict.

    ``judged``: one row per judged interaction of the window (``criterion, backend,
    score``, the ``USER_SIGNALS`` columns as nullable booleans, ``seg_<key>``).
    Signals never logged in the window get no rows (they are named in the judge's
    ``any`` row). Columns: those of ``judge_calibration`` that apply.
    """
    rows: list[dict] = []
    start = day - dt.timedelta(days=cfg.window_days - 1)
    if judged.empty:
        return pd.DataFrame(rows)
    judged = judged[np.isfinite(pd.to_numeric(judged["score"], errors="coerce"))]
    for (criterion, backend), grp in judged.groupby(["criterion", "backend"], sort=True):
        for signal in USER_SIGNALS:
            logged = grp[grp[signal].notna()]
            if logged.empty:
                continue
            for key, value, idx in _cells(logged, segment_keys):
                row = _test_row(logged.loc[idx], signal, cfg)
                row.update(
                    criterion=criterion,
                    backend=backend,
                    reference=USER_PREFIX + signal,
                    segment_key=key,
                    segment_value=value,
                    window_start=start,
                )
                rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for col in SIGNAL_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan if col not in ("validity", "validity_reason") else None
    out["validity"] = out["validity"].astype(object)
    out["validity_reason"] = out["validity_reason"].astype(object)
    return _adjust(out, cfg.alpha)


def _adjust(out: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """One BH family over every measured cell of the day; the verdict and its reason."""
    tested = out["p_value"].notna().to_numpy()
    out["p_adjusted"] = np.nan
    family = int(tested.sum())
    if family:
        p = out.loc[tested, "p_value"].to_numpy(dtype=float)
        out.loc[tested, "p_adjusted"] = stats.false_discovery_control(p, method="bh")
    for i in np.flatnonzero(tested):
        r = out.iloc[i]
        ok = r["p_adjusted"] <= alpha and r["auc"] > 0.5
        out.iat[i, out.columns.get_loc("validity")] = VALIDATED if ok else UNVALIDATED
        out.iat[i, out.columns.get_loc("validity_reason")] = (
            f"{describe(r)}; BH-adjusted p={r['p_adjusted']:.3g} over {family} tests"
            + ("" if ok else f" (> {alpha}: agreement not shown)")
        )
    return out


def describe(r: Mapping) -> str:
    """``AUC 0.51 [0.45, 0.57] vs thumbs (n=812, 95 bad)`` for evidence text."""
    ref = str(r["reference"]).removeprefix(USER_PREFIX)
    return (
        f"AUC {r['auc']:.2f} [{r['auc_ci_low']:.2f}, {r['auc_ci_high']:.2f}] vs {ref} "
        f"(n={int(r['n'])}, {int(r['n_bad'])} bad)"
    )


def human_validity(kappa: float | None, low: float | None, high: float | None) -> tuple[str, str]:
    """The verdict of a judge-vs-human row: its kappa interval must lie above 0."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return INSUFFICIENT, "kappa vs human labels unmeasured (too few labels, see note)"
    text = f"kappa {kappa:.2f} [{low:.2f}, {high:.2f}] vs human labels"
    return (VALIDATED, text) if low > 0 else (UNVALIDATED, text + ": interval includes 0")


def combine(
    evidence: pd.DataFrame, day: dt.date, window_start: dt.date, judges: Sequence[tuple[str, str]]
) -> pd.DataFrame:
    """The judge's status (``reference='any'``) from its overall-cell evidence rows.

    ``evidence``: user-signal rows and human-label rows (``criterion, backend,
    reference, segment_key, validity, validity_reason``); ``judges``: every
    (criterion, backend) to report, so a judge without any evidence still gets a row.
    """
    rows = []
    ev = evidence[evidence["segment_key"] == OVERALL] if not evidence.empty else evidence
    for criterion, backend in sorted(set(judges)):
        mine = (
            ev[(ev["criterion"] == criterion) & (ev["backend"] == backend)] if not ev.empty else ev
        )
        status, reason = _decide(mine)
        rows.append(
            {
                "criterion": criterion,
                "backend": backend,
                "reference": ANY_REFERENCE,
                "segment_key": OVERALL,
                "segment_value": OVERALL,
                "window_start": window_start,
                "validity": status,
                "validity_reason": reason,
            }
        )
    return pd.DataFrame(rows)


def _decide(mine: pd.DataFrame) -> tuple[str, str]:
    if mine.empty:
        return INSUFFICIENT, "no user signal logged and no human labels for this judge"
    by = {v: mine[mine["validity"] == v] for v in VALIDITY_VALUES}
    if len(by[VALIDATED]):
        return VALIDATED, "validated: " + "; ".join(by[VALIDATED]["validity_reason"])
    if len(by[UNVALIDATED]):
        best = by[UNVALIDATED]
        if "auc" in best.columns and best["auc"].notna().any():
            best = best.sort_values("auc", ascending=False, na_position="last")
        return UNVALIDATED, "judge unvalidated on this traffic: " + "; ".join(
            best["validity_reason"].head(3)
        )
    return INSUFFICIENT, "insufficient data: " + "; ".join(by[INSUFFICIENT]["validity_reason"])


@dataclass(frozen=True)
class ValidityStatus:
    """What other stages need to know about one judge (or criterion) on one day."""

    criterion: str
    status: str
    reason: str

    @property
    def validated(self) -> bool:
        return self.status == VALIDATED


def judge_validity(
    table: pd.DataFrame, criterion: str, backends: Sequence[str] | None = None
) -> ValidityStatus:
    """The validity of a criterion's measure from one day's ``judge_calibration`` rows.

    A KPI of a criterion mixes every backend that judged it, so the criterion is
    validated only if every backend with a status row is (``backends`` restricts
    which count). No row at all is ``insufficient_data`` (calibration did not run).
    """
    rows = table
    if not rows.empty:
        rows = rows[
            (rows["reference"] == ANY_REFERENCE)
            & (rows["criterion"] == criterion)
            & (rows["segment_key"] == OVERALL)
        ]
        if backends is not None:
            rows = rows[rows["backend"].isin(list(backends))]
    if rows.empty:
        return ValidityStatus(
            criterion, INSUFFICIENT, f"no judge_calibration validity row for {criterion}"
        )
    worst = {VALIDATED: 2, INSUFFICIENT: 1, UNVALIDATED: 0}
    rows = rows.assign(_rank=rows["validity"].map(worst).fillna(1)).sort_values("_rank")
    first = rows.iloc[0]
    reason = "; ".join(f"{r.backend}: {r.validity_reason}" for r in rows.itertuples(index=False))
    return ValidityStatus(criterion, str(first["validity"]), reason)


def validity_rows(
    judged: pd.DataFrame,
    human: pd.DataFrame,
    day: dt.date,
    segment_keys: Sequence[str],
    cfg: ValiditySettings,
) -> list[dict]:
    """Every validity row of ``day``: user-signal cells plus each judge's ``any`` status.

    ``judged``: see ``signal_agreement``; ``human``: the day's judge-vs-human rows of
    ``compute_calibration`` (their ``validity`` comes from the kappa interval).
    """
    start = day - dt.timedelta(days=cfg.window_days - 1)
    sig = signal_agreement(judged, day, segment_keys, cfg)
    keep = ["criterion", "backend", "reference", "segment_key", "validity", "validity_reason"]
    hum = human[human["validity"].notna()][keep] if not human.empty else pd.DataFrame()
    evidence = _concat([sig, hum], keep)
    judges = set()
    for frame in (judged, hum):
        if not frame.empty:
            judges |= set(zip(frame["criterion"], frame["backend"], strict=True))
    status = combine(evidence, day, start, judges)
    out = _concat([sig, status], keep)
    if out.empty:
        return []
    counts = (
        judged.groupby(["criterion", "backend"]).size().rename("n_judged").reset_index()
        if not judged.empty
        else pd.DataFrame(columns=["criterion", "backend", "n_judged"])
    )
    out = out.merge(counts, on=["criterion", "backend"], how="left")
    out["n_judged"] = pd.to_numeric(out["n_judged"], errors="coerce").fillna(0).astype("int64")
    out = out.assign(day=day, source="production")
    if "n" not in out.columns:
        out["n"] = 0
    out["n"] = pd.to_numeric(out["n"], errors="coerce").fillna(0).astype("int64")
    is_any = (out["reference"] == ANY_REFERENCE).to_numpy()
    out.loc[is_any, "n"] = out.loc[is_any, "n_judged"]
    return out.astype(object).where(out.notna(), None).to_dict("records")


def _concat(frames: Sequence[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """Concatenate the non-empty frames; an empty frame with ``columns`` when none is."""
    parts = [f for f in frames if not f.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(columns))
