"""Every heuristic judge on every human-labelled set, beside the baselines it must beat.

``python -m evalflow_tests.benchmarks.judges_vs_humans`` (part of ``make bench``)
writes the table into ``docs/judges.md`` between its markers. For each set and
criterion it reports, on the ``holdout`` half (rows split by a hash of their text;
cues are only ever read on the ``tune`` half): AUC of the judge's failure score with a
bootstrap 95% interval, the same for each baseline, whether the judge beats the best
baseline by at least 0.05, and the three-way verdict's behaviour (share ``uncertain``,
precision and recall of ``fail``). Where a judge does not beat a baseline, the table
says so; that is the finding, not something to tune away on the same rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from evalflow.judges import heuristics as H
from evalflow_tests.benchmarks import baselines as B
from evalflow_tests.replay import sets as S

DOC = Path(__file__).resolve().parents[2] / "docs" / "judges.md"
MARK = "judges-vs-humans"
MARGIN = 0.05
BOOTSTRAP = 500


@dataclass(frozen=True)
class Case:
    """One criterion on one set: texts, the failure label and how each scorer reads a row."""

    dataset: str
    criterion: str
    frame: pd.DataFrame  # query, response, context (str), y (1 = failure), key
    baselines: dict[str, Callable[[pd.DataFrame], np.ndarray]]


def _split(key: str) -> str:
    return "tune" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 == 0 else "holdout"


def _overlap_vs(col: str) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda f: 1.0 - B.word_overlap(f[col].tolist(), f["response"].tolist())


def _tfidf_vs(col: str) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda f: 1.0 - B.tfidf_cosine(f[col].tolist(), f["response"].tolist())


def _frame(rows: Iterable[dict]) -> pd.DataFrame:
    f = pd.DataFrame(list(rows))
    return f.assign(key=f["response"] + "|" + f["query"])


def _grounded(dataset: str, rows: Iterable[S.Grounded]) -> Case:
    f = _frame(
        {"query": r.query, "response": r.response, "context": r.context, "y": int(not r.faithful)}
        for r in rows
    )
    return Case(
        dataset,
        "faithfulness",
        f,
        {"word overlap": _overlap_vs("context"), "TF-IDF cosine": _tfidf_vs("context")},
    )


def _cases() -> list[Case]:
    cases: list[Case] = []
    loaders: list[tuple[str, Callable[[], Case]]] = [
        ("begin_wow_dev", lambda: _grounded("begin_wow_dev", S.begin_rows())),
        ("halueval_qa", lambda: _grounded("halueval_qa", S.halueval_qa_rows())),
        ("surge_toxicity", _surge),
        ("hh_rlhf_harmless", _harmless),
        ("wikiqa_dev", _wikiqa),
        ("usr_dialog", _usr_relevance),
        ("usr_dialog", _usr_helpfulness),
    ]
    for name, load in loaders:
        try:
            cases.append(load())
        except BaseException as skipped:  # pytest.skip when a set is absent
            print(f"skipped {name}: {skipped}", file=sys.stderr)
    return cases


def _surge() -> Case:
    f = _frame(
        {"query": "", "response": c.text, "context": "", "y": int(c.toxic)} for c in S.surge_rows()
    )
    return Case(
        "surge_toxicity",
        "safety",
        f,
        {"bad-word list": lambda f: B.bad_word_count(f["response"].tolist())},
    )


def _harmless() -> Case:
    """HH-RLHF: the rejected reply of each pair is the 'failure' (people found it more harmful)."""
    pairs = list(itertools.islice(S.hh_rows(), 1000))
    f = _frame(
        {"query": p.query, "response": reply, "context": "", "y": y, "pair": i}
        for i, p in enumerate(pairs)
        for reply, y in ((p.chosen, 0), (p.rejected, 1))
    )
    f["key"] = f["pair"].astype(str)  # both replies of a pair fall in the same half
    return Case(
        "hh_rlhf_harmless",
        "safety",
        f,
        {"bad-word list": lambda f: B.bad_word_count(f["response"].tolist())},
    )


def _wikiqa() -> Case:
    f = _frame(
        {"query": r.question, "response": r.sentence, "context": "", "y": int(not r.answers)}
        for r in S.wikiqa_rows()
    )
    return Case(
        "wikiqa_dev",
        "relevance",
        f,
        {"word overlap": _overlap_vs("query"), "TF-IDF cosine": _tfidf_vs("query")},
    )


def _usr(criterion: str, bad: Callable[[float], bool]) -> Case:
    f = _frame(
        {"query": r.history[-1], "response": r.response, "context": "", "y": int(bad(r.overall))}
        for r in S.usr_rows()
    )
    return Case(
        "usr_dialog",
        criterion,
        f,
        {"word overlap": _overlap_vs("query"), "TF-IDF cosine": _tfidf_vs("query")},
    )


def _usr_relevance() -> Case:
    return _usr("relevance", lambda overall: overall < 3.0)


def _usr_helpfulness() -> Case:
    return _usr("helpfulness", lambda overall: overall < 3.0)


def judge(case: Case, row: pd.Series) -> H.HeuristicVerdict:
    if case.criterion == "faithfulness":
        return H.faithfulness(
            row["query"], row["response"], [row["context"]] if row["context"] else None
        )
    if case.criterion == "safety":
        return H.safety(row["response"])
    if case.criterion == "relevance":
        return H.relevance(row["query"], row["response"])
    return H.helpfulness(row["query"], row["response"])


def auc_with_interval(
    y: np.ndarray, s: np.ndarray, seed: int = 5
) -> tuple[float, float, float] | None:
    """AUC and a percentile-bootstrap 95% interval (resampling rows); None with one class."""
    if not 0 < y.sum() < len(y):
        return None
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(BOOTSTRAP):
        idx = rng.integers(0, len(y), len(y))
        if 0 < y[idx].sum() < len(idx):
            boots.append(roc_auc_score(y[idx], s[idx]))
    low, high = np.percentile(boots, [2.5, 97.5])
    return float(roc_auc_score(y, s)), float(low), float(high)


def measure(case: Case) -> dict:
    f = case.frame[case.frame["key"].map(_split) == "holdout"].reset_index(drop=True)
    verdicts = [judge(case, r) for _, r in f.iterrows()]
    y = f["y"].to_numpy()
    fail_score = np.array([1.0 - (v.score if v.score is not None else 0.5) for v in verdicts])
    kind = np.array([v.verdict or "n/a" for v in verdicts])
    row: dict = {
        "dataset": case.dataset,
        "criterion": case.criterion,
        "n": len(f),
        "failures": int(y.sum()),
    }
    row["judge"] = auc_with_interval(y, fail_score)
    row["baselines"] = {name: auc_with_interval(y, fn(f)) for name, fn in case.baselines.items()}
    flagged = kind == "fail"
    row["uncertain"] = float((kind == "uncertain").mean())
    row["fail_precision"] = float(y[flagged].mean()) if flagged.any() else None
    row["fail_recall"] = float(flagged[y == 1].mean()) if y.sum() else None
    return row


def _fmt_auc(v: tuple[float, float, float] | None) -> str:
    return "—" if v is None else f"{v[0]:.3f} [{v[1]:.2f}, {v[2]:.2f}]"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def table(rows: list[dict]) -> str:
    lines = [
        "| set | criterion | n | failures | judge AUC [95% CI] | best baseline AUC | beats it by ≥ 0.05? | uncertain | fail precision | fail recall |",
        "|---|---|---:|---:|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        scored = {k: v for k, v in r["baselines"].items() if v is not None}
        best_name, best = max(scored.items(), key=lambda kv: kv[1][0]) if scored else ("—", None)
        beats = (
            "—"
            if r["judge"] is None or best is None
            else ("yes" if r["judge"][0] >= best[0] + MARGIN else "**no**")
        )
        lines.append(
            f"| {r['dataset']} | {r['criterion']} | {r['n']} | {r['failures']} | {_fmt_auc(r['judge'])} | "
            f"{best_name} {_fmt_auc(best)} | {beats} | {_pct(r['uncertain'])} | "
            f"{_pct(r['fail_precision'])} | {_pct(r['fail_recall'])} |"
        )
    return "\n".join(lines)


def section(rows: list[dict]) -> str:
    return (
        f"## Every judge against the baselines (holdout halves, generated {dt.date.today():%Y-%m-%d})\n\n"
        "Written by `python -m evalflow_tests.benchmarks.judges_vs_humans` (`make bench`). "
        "Failure = the human label's bad class (unfaithful, toxic, the reply people found more harmful, "
        "a sentence that does not answer, a dialogue reply rated below 3 of 5). The judge's failure score is "
        "1 − score (an `uncertain` row without a score counts 0.5). Baselines: share of the reply's content "
        "words found in the context/query, TF-IDF cosine, and a 32-word bad-word list "
        "(`evalflow_tests/benchmarks/baselines.py`). Intervals: percentile bootstrap over rows "
        f"({BOOTSTRAP} resamples).\n\n" + table(rows) + "\n"
    )


def write(doc: Path, text: str) -> None:
    start, end = f"<!-- {MARK}:start -->", f"<!-- {MARK}:end -->"
    old = doc.read_text(encoding="utf-8") if doc.exists() else ""
    block = f"{start}\n{text}{end}"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    doc.write_text(new, encoding="utf-8")


def main() -> int:
    rows = [measure(c) for c in _cases()]
    text = section(rows)
    print(text)
    write(DOC, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
