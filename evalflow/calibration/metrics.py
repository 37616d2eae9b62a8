"""How far to trust each judge: its agreement with human labels, tracked day by day.

The positive class is a FAILURE (hallucination/unfaithful, unsafe, irrelevant,
unhelpful: ``passed = false``), because the failures are what the monitoring is for:
precision says how many judge-flagged failures are real, recall how many real
failures the judge catches.

Labelled rows are not a random sample of the judged rows. The review queue
deliberately oversamples the judge's failures (they are rare) and borderline scores
(where judges err), so raw sensitivity/specificity on the labelled rows would be
badly biased (a judge with 80% sensitivity can look like 98%, or like 65%), and the
Rogan–Gladen correction built on them would be wrong. Every metric is therefore
computed with post-stratification weights over the cells the queue samples by,
judge verdict x borderline score: a labelled row of cell c weighs
``share of c among all judged rows / share of c among labelled rows``. Recall,
specificity, agreement, kappa and AUC then estimate their values over all judged
rows (up to the day); ``n`` stays the plain count of labelled pairs.

The kappa interval is a percentile bootstrap, stratified by cell (so the weights
stay fixed), with a fixed seed per (criterion, backend): reruns give the same
interval.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support, roc_auc_score

from evalflow.calibration.labels import labeler_votes, resolve_labels
from evalflow.calibration.validity import HUMAN_REFERENCE, OVERALL, human_validity
from evalflow.config.settings import CalibrationSettings

SOURCE_PRODUCTION = "production"
HUMAN_BACKEND = "human"
MIN_DISTINCT_SCORES_FOR_AUC = 3
DEFAULT_PASS_THRESHOLD = 0.5
_BOOTSTRAP_CELLS = 4_000_000  # resample-count matrix entries held at once (32 MB)
JUDGE_COLUMNS = ["day", "interaction_id", "criterion", "backend", "status", "score", "passed"]

COLUMNS: dict[str, tuple[str, str]] = {
    "day": (
        "DATE",
        "Calibration as of this day: judge rows of all days up to it, all labels so far",
    ),
    "criterion": (
        "VARCHAR",
        "Judge criterion (faithfulness, relevance, safety, helpfulness, custom)",
    ),
    "backend": (
        "VARCHAR",
        "Judge backend (heuristic|openai), or 'human' for inter-rater agreement",
    ),
    "source": ("VARCHAR", "Where the labels come from: 'production' (labels/ folder)"),
    "n": (
        "BIGINT",
        "Labelled pairs (judge verdict + human label); items with >=2 labelers for 'human'",
    ),
    "agreement": ("DOUBLE", "Share of pairs where judge and human agree (verdict-weighted)"),
    "precision": ("DOUBLE", "Of judge-flagged failures, the share humans also call failures"),
    "recall": ("DOUBLE", "Of human-labelled failures, the share the judge flags (= sensitivity)"),
    "specificity": ("DOUBLE", "Of human-labelled passes, the share the judge passes"),
    "kappa": ("DOUBLE", "Cohen's kappa judge vs human (pooled pairwise kappa for 'human')"),
    "kappa_ci_low": (
        "DOUBLE",
        "Lower bound of the kappa interval (stratified percentile bootstrap)",
    ),
    "kappa_ci_high": ("DOUBLE", "Upper bound of the kappa interval"),
    "auc": (
        "DOUBLE",
        "ROC AUC of (1 - score) for human failure; NULL unless the score is continuous",
    ),
    "judge_positive_rate": ("DOUBLE", "Share of this day's judged rows the judge failed (p_obs)"),
    "human_positive_rate": (
        "DOUBLE",
        "Share of labelled pairs humans failed (queue oversamples failures)",
    ),
    "corrected_prevalence": (
        "DOUBLE",
        "Rogan-Gladen failure prevalence of this day, judge error removed",
    ),
    "n_judged": ("BIGINT", "Judged rows (status ok) of this day behind judge_positive_rate"),
    "note": (
        "VARCHAR",
        "Why a metric is NULL (too few labels, one class only, ...); NULL when all measured",
    ),
    "reference": (
        "VARCHAR",
        "What the judge is compared with: human_labels, user:<signal> (thumbs, retried, "
        "edited, escalated, override), or any (the judge's combined validity status)",
    ),
    "segment_key": ("VARCHAR", "overall, or the segment key of a per-segment user-signal row"),
    "segment_value": ("VARCHAR", "Value of the segment key (overall for the whole traffic)"),
    "window_start": (
        "DATE",
        "First day of the trailing window of user-signal rows (NULL: every day up to day)",
    ),
    "n_bad": ("BIGINT", "User-signal rows: judged rows where the user signal was bad"),
    "auc_ci_low": ("DOUBLE", "Lower bound of the DeLong 95% interval of auc (user-signal rows)"),
    "auc_ci_high": ("DOUBLE", "Upper bound of the DeLong 95% interval of auc"),
    "p_value": ("DOUBLE", "One-sided DeLong p of auc <= 0.5 (user-signal rows)"),
    "p_adjusted": (
        "DOUBLE",
        "Benjamini-Hochberg p over every user-signal test of the day (all judges, cells)",
    ),
    "validity": (
        "VARCHAR",
        "validated | unvalidated | insufficient_data (NULL on 'human' inter-rater rows)",
    ),
    "validity_reason": ("VARCHAR", "The numbers behind validity, e.g. AUC 0.51 [0.45, 0.57]"),
}
METRIC_COLUMNS = list(COLUMNS)


@dataclass
class BinaryMetrics:
    """Judge-vs-reference metrics of one group; ``None`` means unmeasured (see ``notes``)."""

    n: int = 0
    agreement: float | None = None
    precision: float | None = None
    recall: float | None = None
    specificity: float | None = None
    kappa: float | None = None
    kappa_ci_low: float | None = None
    kappa_ci_high: float | None = None
    auc: float | None = None
    human_positive_rate: float | None = None
    notes: list[str] = field(default_factory=list)


# -- formulas ----------------------------------------------------------------
def kappa_from_counts(
    tp: np.ndarray | float, fp: np.ndarray | float, fn: np.ndarray | float, tn: np.ndarray | float
) -> np.ndarray:
    """Cohen's kappa from (possibly weighted) 2x2 counts, vectorised; NaN where undefined.

    ``po = (tp+tn)/n``, ``pe = ((tp+fp)(tp+fn) + (fn+tn)(fp+tn))/n²``,
    ``kappa = (po-pe)/(1-pe)``: undefined when both raters use a single class (pe = 1).
    """
    tp, fp, fn, tn = (np.asarray(x, dtype=float) for x in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = (po - pe) / (1.0 - pe)
    return np.where(np.isclose(pe, 1.0) | (n <= 0), np.nan, kappa)


def rogan_gladen(
    p_obs: float | None, sensitivity: float | None, specificity: float | None
) -> float | None:
    """True prevalence from an imperfect test: ``(p_obs + spec - 1) / (sens + spec - 1)``.

    Clipped to [0, 1]. ``None`` (unmeasured) when any input is missing or Youden's
    J = sens + spec - 1 <= 0 (a judge no better than chance cannot be corrected).
    """
    if p_obs is None or sensitivity is None or specificity is None:
        return None
    if any(not np.isfinite(v) for v in (p_obs, sensitivity, specificity)):
        return None
    youden = sensitivity + specificity - 1.0
    if youden <= 0:
        return None
    return float(min(1.0, max(0.0, (p_obs + specificity - 1.0) / youden)))


def bootstrap_kappa_ci(
    cells: np.ndarray,
    strata: np.ndarray,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float | None, float | None, str | None]:
    """Percentile CI of kappa, resampling units within strata.

    ``cells`` is (units x 4): each unit's (weighted) contribution to (tp, fp, fn, tn);
    a judge-vs-human pair puts its weight in one cell, an inter-rater item adds its
    labeler pairs. Resampling is done with multinomial counts per stratum, so one
    matrix product gives all resampled tables at once. Returns (low, high, note).
    """
    m = len(cells)
    if resamples <= 0 or m < 2:
        return None, None, None
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    chunk = max(1, min(resamples, _BOOTSTRAP_CELLS // m))  # bounds memory for many labels
    tables = []
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        counts = np.zeros((size, m), dtype=np.float64)
        for idx in groups:
            counts[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=size)
        tables.append(counts @ cells)
    table = np.vstack(tables)
    kappas = kappa_from_counts(table[:, 0], table[:, 1], table[:, 2], table[:, 3])
    ok = np.isfinite(kappas)
    if ok.sum() < 0.5 * resamples:
        return None, None, "kappa CI unmeasured: most bootstrap resamples have one class only"
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(kappas[ok], [alpha, 1.0 - alpha])
    note = None
    if not ok.all():
        note = f"kappa CI from {int(ok.sum())} of {resamples} resamples (rest had one class)"
    return float(low), float(high), note


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """A generator seeded by the setting and the group name: independent of group order."""
    return np.random.default_rng([seed, *(zlib.crc32(p.encode()) for p in parts)])


def _opt(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


# -- judge vs human ------------------------------------------------------------
FAIL, PASS = "fail", "pass"


def infer_threshold(scores: pd.Series, passed: pd.Series, default: float) -> float:
    """The score cut between the judge's passes and fails.

    Judges do not log their threshold; when the scores separate cleanly (every
    failed score below every passed score) the midpoint of the gap is the cut,
    otherwise the configured default.
    """
    s = pd.to_numeric(scores, errors="coerce")
    ok = s.notna()
    fails, passes = s[ok & ~passed], s[ok & passed]
    if len(fails) and len(passes) and fails.max() < passes.min():
        return float((fails.max() + passes.min()) / 2.0)
    return default


def judge_cells(judge_fail: np.ndarray, borderline: np.ndarray | None = None) -> np.ndarray:
    """Post-stratification cell of each row: verdict, and whether its score is borderline."""
    verdict = np.where(np.asarray(judge_fail, dtype=bool), FAIL, PASS).astype(object)
    if borderline is None:
        return verdict
    return verdict + np.where(np.asarray(borderline, dtype=bool), "|borderline", "|clear")


def post_stratify(
    cells: np.ndarray, population: Mapping[str, int]
) -> tuple[np.ndarray | None, np.ndarray, str | None]:
    """Weights that make the labelled rows' cell mix match the judged population's.

    A labelled row of cell c weighs ``population share of c / labelled share of c``.
    When one cell of a verdict has judged rows but no labels, that verdict's cells are
    merged (weighting by verdict alone) rather than ignoring the cell. Returns
    ``(weights, cells used, None)``, or ``(None, cells, verdict)`` when a verdict the
    judge gives has no labelled row at all (then recall/specificity cannot be estimated).
    """
    cells = np.asarray(cells, dtype=object)
    pop = {str(k): int(v) for k, v in population.items() if v > 0}
    lab = Counter(cells.tolist())

    def verdict(c: str) -> str:
        return c.split("|", 1)[0]

    collapse = {verdict(c) for c in pop if lab.get(c, 0) == 0}
    if collapse:
        cells = np.array([verdict(c) if verdict(c) in collapse else c for c in cells], dtype=object)
        merged: Counter[str] = Counter()
        for c, k in pop.items():
            merged[verdict(c) if verdict(c) in collapse else c] += k
        pop, lab = dict(merged), Counter(cells.tolist())
    missing = sorted(verdict(c) for c in pop if lab.get(c, 0) == 0)
    if missing:
        return None, cells, missing[0]
    total, n = sum(pop.values()), len(cells)
    factor = {c: (pop.get(c, 0) / total) / (k / n) for c, k in lab.items()}
    return pd.Series(cells).map(factor).to_numpy(dtype=float), cells, None


def judge_vs_human(
    human_fail: np.ndarray,
    judge_fail: np.ndarray,
    judge_score: np.ndarray,
    settings: CalibrationSettings,
    rng: np.random.Generator,
    *,
    population: Mapping[str, int] | None = None,
    cells: np.ndarray | None = None,
) -> BinaryMetrics:
    """All judge-vs-human metrics of one (criterion, backend) group.

    ``population`` counts all judged rows per post-stratification cell (see
    ``judge_cells``); ``cells`` gives each labelled row's cell (default: its verdict).
    Without ``population`` the labelled rows are used unweighted.
    """
    human_fail = np.asarray(human_fail, dtype=bool)
    judge_fail = np.asarray(judge_fail, dtype=bool)
    score = np.asarray(judge_score, dtype=float)
    n = len(human_fail)
    out = BinaryMetrics(n=n)
    if n == 0:
        out.notes.append("no human labels yet")
        return out
    out.human_positive_rate = float(human_fail.mean())
    if n < settings.min_labels:
        out.notes.append(f"n={n} below min_labels={settings.min_labels}: metrics unmeasured")
        return out

    weights = np.ones(n)
    cells = judge_cells(judge_fail) if cells is None else np.asarray(cells, dtype=object)
    if population is not None:
        found, cells, missing = post_stratify(cells, population)
        if found is None:
            name = "judge-failed" if missing == FAIL else "judge-passed"
            out.notes.append(
                f"no labelled {name} rows although the judge gives that verdict: "
                "recall, specificity, agreement and kappa unmeasured"
            )
            if judge_fail.any():
                out.precision = _opt(float(human_fail[judge_fail].mean()))
            return out
        weights = found

    y_true = human_fail.astype(int)
    y_pred = judge_fail.astype(int)
    out.agreement = float(np.average(y_true == y_pred, weights=weights))
    prec, rec, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=[1], average=None, sample_weight=weights, zero_division=np.nan
    )
    out.precision, out.recall = _opt(prec[0]), _opt(rec[0])
    if out.precision is None:
        out.notes.append("judge flagged no failures: precision unmeasured")
    if not human_fail.any():
        out.notes.append("no human-labelled failures: recall unmeasured")
    if human_fail.all():
        out.notes.append("no human-labelled passes: specificity unmeasured")
    else:
        spec = np.average(~judge_fail[~human_fail], weights=weights[~human_fail])
        out.specificity = float(spec)

    if len(np.unique(y_true)) < 2 and len(np.unique(y_pred)) < 2 and y_true[0] == y_pred[0]:
        out.notes.append("judge and humans used one class only: kappa unmeasured")
    else:
        kappa = cohen_kappa_score(y_true, y_pred, labels=[0, 1], sample_weight=weights)
        out.kappa = _opt(kappa)
        if out.kappa is None:
            out.notes.append("kappa unmeasured: one class only")
        else:
            table = np.zeros((n, 4))
            table[:, 0] = (human_fail & judge_fail) * weights
            table[:, 1] = (~human_fail & judge_fail) * weights
            table[:, 2] = (human_fail & ~judge_fail) * weights
            table[:, 3] = (~human_fail & ~judge_fail) * weights
            low, high, note = bootstrap_kappa_ci(
                table,
                pd.factorize(cells)[0],
                settings.bootstrap_resamples,
                settings.confidence,
                rng,
            )
            out.kappa_ci_low, out.kappa_ci_high = low, high
            if note:
                out.notes.append(note)

    has_score = np.isfinite(score)
    distinct = len(np.unique(score[has_score]))
    if distinct < MIN_DISTINCT_SCORES_FOR_AUC:
        out.notes.append(f"score not continuous ({distinct} distinct values): auc unmeasured")
    elif len(np.unique(y_true[has_score])) < 2:
        out.notes.append("auc unmeasured: labelled rows of one class only")
    else:
        out.auc = _opt(
            roc_auc_score(
                y_true[has_score], 1.0 - score[has_score], sample_weight=weights[has_score]
            )
        )
    return out


# -- humans vs humans ----------------------------------------------------------
def inter_rater(labels: pd.DataFrame, settings: CalibrationSettings) -> dict[str, BinaryMetrics]:
    """Agreement among human labelers, per criterion, over items with >= 2 labelers.

    Every unordered pair of labelers on an item counts once in each order, and
    Cohen's kappa is taken over the pooled pairs: with pooled (symmetric) marginals
    this is Scott's pi / Fleiss-style agreement, which does not need the same two
    people to label every item. The interval resamples items, not pairs.
    """
    votes = labeler_votes(labels)
    result: dict[str, BinaryMetrics] = {}
    if votes.empty:
        return result
    keys = ["criterion", "interaction_id"]
    votes = votes.assign(_fail=~votes["passed"].astype(bool))
    per_item = votes.groupby(keys).agg(k=("labeler", "size"), f=("_fail", "sum")).reset_index()
    per_item = per_item[per_item["k"] >= 2]
    for criterion, items in per_item.groupby("criterion", sort=True):
        k = items["k"].to_numpy(dtype=float)
        f = items["f"].to_numpy(dtype=float)
        p = k - f
        both_fail = f * (f - 1) / 2
        both_pass = p * (p - 1) / 2
        mixed = f * p
        n_items = len(items)
        out = BinaryMetrics(n=n_items, human_positive_rate=float(f.sum() / k.sum()))
        result[str(criterion)] = out
        n_pairs = int((k * (k - 1) / 2).sum())
        out.notes.append(f"inter-rater: {n_pairs} labeler pairs on {n_items} items")
        if n_items < settings.min_labels:
            out.notes.append(
                f"n={n_items} below min_labels={settings.min_labels}: metrics unmeasured"
            )
            continue
        out.agreement = float((both_fail.sum() + both_pass.sum()) / (k * (k - 1) / 2).sum())
        # Each unordered pair of labelers once, then both orders (a, b) and (b, a).
        sizes = [int(both_fail.sum()), int(both_pass.sum()), int(mixed.sum())]
        a, b = np.repeat([1, 0, 1], sizes), np.repeat([1, 0, 0], sizes)
        y1, y2 = np.concatenate([a, b]), np.concatenate([b, a])
        if len(np.unique(np.concatenate([y1, y2]))) < 2:
            out.notes.append("labelers used one class only: kappa unmeasured")
            continue
        out.kappa = _opt(cohen_kappa_score(y1, y2, labels=[0, 1]))
        cells = np.column_stack([2 * both_fail, mixed, mixed, 2 * both_pass])
        low, high, note = bootstrap_kappa_ci(
            cells,
            np.zeros(n_items, dtype=int),
            settings.bootstrap_resamples,
            settings.confidence,
            _rng(settings.seed, str(criterion), HUMAN_BACKEND),
        )
        out.kappa_ci_low, out.kappa_ci_high = low, high
        if note:
            out.notes.append(note)
    return result


# -- the table -----------------------------------------------------------------
def usable_judge_rows(judge_scores: pd.DataFrame) -> pd.DataFrame:
    """Judgements with a verdict, one per (interaction, criterion, backend), latest day wins."""
    if judge_scores.empty:
        return pd.DataFrame(columns=JUDGE_COLUMNS)
    js = judge_scores[(judge_scores["status"] == "ok") & judge_scores["passed"].notna()]
    js = js.sort_values(["day", "interaction_id", "criterion", "backend"], kind="stable")
    js = js.drop_duplicates(["interaction_id", "criterion", "backend"], keep="last")
    js = js.assign(
        passed=js["passed"].astype(bool),
        score=pd.to_numeric(js["score"], errors="coerce").astype(float),
        day=pd.to_datetime(js["day"]).dt.date,
    )
    return js.reset_index(drop=True)


def _row(day: dt.date, criterion: str, backend: str, m: BinaryMetrics, **extra: Any) -> dict:
    return {
        "day": day,
        "criterion": criterion,
        "backend": backend,
        "source": SOURCE_PRODUCTION,
        "n": m.n,
        "agreement": m.agreement,
        "precision": m.precision,
        "recall": m.recall,
        "specificity": m.specificity,
        "kappa": m.kappa,
        "kappa_ci_low": m.kappa_ci_low,
        "kappa_ci_high": m.kappa_ci_high,
        "auc": m.auc,
        "judge_positive_rate": extra.get("judge_positive_rate"),
        "human_positive_rate": m.human_positive_rate,
        "corrected_prevalence": extra.get("corrected_prevalence"),
        "n_judged": extra.get("n_judged", 0),
        "note": "; ".join(m.notes) or None,
        "reference": HUMAN_REFERENCE,
        "segment_key": OVERALL,
        "segment_value": OVERALL,
        **validity_fields(backend, m),
    }


def validity_fields(backend: str, m: BinaryMetrics) -> dict[str, str | None]:
    """A judge-vs-human row's validity: its kappa interval must lie above chance."""
    if backend == HUMAN_BACKEND:
        return {"validity": None, "validity_reason": None}
    status, reason = human_validity(m.kappa, m.kappa_ci_low, m.kappa_ci_high)
    return {"validity": status, "validity_reason": reason}


def compute_calibration(
    judge_scores: pd.DataFrame,
    labels: pd.DataFrame,
    day: dt.date,
    settings: CalibrationSettings,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The ``judge_calibration`` rows of ``day``.

    ``judge_scores``: judge rows of every day up to ``day`` (``JUDGE_COLUMNS`` at
    least); ``labels``: every valid label vote (``load_labels``); ``thresholds``: known
    pass thresholds per criterion (custom rubrics) for the borderline cells. One row
    per (criterion, backend) that was judged on ``day`` or has labelled pairs, plus one
    ``backend='human'`` row per criterion where some item has >= 2 labelers.
    """
    thresholds = dict(thresholds or {})
    js = usable_judge_rows(judge_scores)
    js = js[js["day"] <= day]
    resolved = resolve_labels(labels)
    pairs = js.merge(
        resolved[["interaction_id", "criterion", "human_passed"]],
        on=["interaction_id", "criterion"],
        how="inner",
    )
    today = js[js["day"] == day]
    groups = sorted(
        set(zip(today["criterion"], today["backend"], strict=True))
        | set(zip(pairs["criterion"], pairs["backend"], strict=True))
    )
    rows = []
    for criterion, backend in groups:
        pop = js[(js["criterion"] == criterion) & (js["backend"] == backend)]
        grp = pairs[(pairs["criterion"] == criterion) & (pairs["backend"] == backend)]
        # The cells the review queue samples by: verdict x borderline score.
        cut = infer_threshold(
            pop["score"], pop["passed"], thresholds.get(criterion, DEFAULT_PASS_THRESHOLD)
        )

        def cells_of(frame: pd.DataFrame, cut: float = cut) -> np.ndarray:
            near = ((frame["score"] - cut).abs() <= settings.borderline_margin).to_numpy()
            return judge_cells(~frame["passed"].to_numpy(dtype=bool), near)

        population = Counter(cells_of(pop).tolist())
        m = judge_vs_human(
            ~grp["human_passed"].to_numpy(dtype=bool),
            ~grp["passed"].to_numpy(dtype=bool),
            grp["score"].to_numpy(dtype=float),
            settings,
            _rng(settings.seed, criterion, backend),
            population=population,
            cells=cells_of(grp),
        )
        day_rows = today[(today["criterion"] == criterion) & (today["backend"] == backend)]
        p_obs = float((~day_rows["passed"]).mean()) if len(day_rows) else None
        corrected = None
        if m.recall is not None and m.specificity is not None:
            corrected = rogan_gladen(p_obs, m.recall, m.specificity)
            if corrected is None and p_obs is not None:
                m.notes.append("corrected prevalence unmeasured: judge no better than chance")
        if p_obs is None:
            m.notes.append("not judged this day: judge_positive_rate unmeasured")
        rows.append(
            _row(
                day,
                criterion,
                backend,
                m,
                judge_positive_rate=p_obs,
                corrected_prevalence=corrected,
                n_judged=len(day_rows),
            )
        )
    for criterion, m in inter_rater(labels, settings).items():
        rows.append(_row(day, criterion, HUMAN_BACKEND, m))
    return to_table(rows)


def to_table(rows: Sequence[dict]) -> pd.DataFrame:
    """Rows as a frame with the table's column order and nullable numeric types."""
    out = pd.DataFrame(list(rows), columns=METRIC_COLUMNS)
    out["day"] = pd.to_datetime(out["day"]).dt.date if len(out) else out["day"]
    for col in ("n", "n_judged"):
        out[col] = out[col].fillna(0).astype("int64")
    out["n_bad"] = pd.to_numeric(out["n_bad"], errors="coerce").astype("Int64")
    out["window_start"] = pd.to_datetime(out["window_start"]).dt.date
    for col, (typ, _) in COLUMNS.items():
        if typ == "DOUBLE":
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("Float64")
    return out
