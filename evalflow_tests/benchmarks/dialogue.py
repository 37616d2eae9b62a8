"""Relevance and helpfulness judges on human-rated dialogue, beside trivial baselines.

Self-contained: ``python -m evalflow_tests.benchmarks.dialogue [--data DIR]`` prints a markdown
table. The labelled sets live outside the project (``../shared/data/labelled``); their
licences forbid copying them in, so only these figures are committed (docs/judges.md).

Sets and labels
- ``usr_dialog`` (USR, Mehri & Eskénazi 2020): 660 replies to 120 open-domain chats
  (PersonaChat, Topical-Chat), each rated by 3 people. Query = the context's last turn,
  history = the turns before it. Labels: mean ``Overall`` (1–5; good = mean ≥ 3.5) and
  mean ``Maintains Context`` (1–3; good = mean ≥ 2.5); Spearman ρ against the mean and
  AUC of good vs bad.
- ``wikiqa_dev``: 1,130 question–sentence pairs; AUC of ``label`` (the sentence answers
  the question). Every candidate comes from the right Wikipedia page, so the set asks
  "does it answer?", not "is it on topic?".
- ``abcd_sample``: 3 real-style support dialogues, no labels. Sanity check: AUC of each
  agent turn in its own dialogue (customer turn + history) vs the same agent turn put
  into another dialogue at the same position, and the verdicts on both. Too small to
  split: reported on all rows.

Tune/test: split by a hash of the dialogue (usr) or question id (wikiqa), so every reply
to one context lands on the same side; cues and thresholds were chosen looking at
``tune`` only and both halves are reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from evalflow.judges import heuristics as H  # noqa: E402
from evalflow.judges.text import content_terms  # noqa: E402


@dataclass
class Row:
    key: str  # the dialogue / question the row belongs to (split unit)
    query: str
    response: str
    history: list[H.Turn]
    labels: dict[str, float]


def default_data_dir() -> Path:
    """``../shared/data/labelled`` next to the checkout (or next to its parent for a
    git worktree under ``wt/``)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "data" / "labelled").is_dir():
            return base / "shared" / "data" / "labelled"
    return ROOT.parent / "shared" / "data" / "labelled"


def split_of(key: str) -> str:
    if key.startswith("abcd:"):
        return "all"
    return "tune" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 == 0 else "test"


def _history(lines: list[str]) -> list[H.Turn]:
    """Earlier lines as (user, bot) pairs ending just before the query line."""
    turns = []
    i = len(lines) - 1
    while i >= 1:
        turns.append(H.Turn(lines[i - 1], lines[i]))
        i -= 2
    return list(reversed(turns))


def load_usr(folder: Path) -> list[Row]:
    rows = []
    for name in ("usr_persona_chat", "usr_topical_chat"):
        for n, item in enumerate(json.loads((folder / f"{name}.json").read_text())):
            lines = [x.strip() for x in item["context"].split("\n") if x.strip()]
            for r in item["responses"]:
                rows.append(
                    Row(
                        key=f"{name}:{n}",
                        query=lines[-1],
                        response=r["response"].strip(),
                        history=_history(lines[:-1]),
                        labels={
                            "overall": statistics.mean(r["Overall"]),
                            "context": statistics.mean(r["Maintains Context"]),
                        },
                    )
                )
    return rows


def load_wikiqa(folder: Path) -> list[Row]:
    df = pd.read_csv(folder / "wikiqa_dev.tsv", sep="\t", quoting=3, dtype=str)
    return [
        Row(str(r.qid), str(r.question), str(r.sentence), [], {"label": float(r.label)})
        for r in df.itertuples()
    ]


def load_abcd(folder: Path) -> list[Row]:
    """Each agent turn after a customer turn, paired with it (label 1) and with the
    customer turn at the same index of the next dialogue (label 0)."""
    dialogues = json.loads((folder / "abcd_sample.json").read_text())
    pairs: list[list[tuple[str, str, list[H.Turn]]]] = []
    for d in dialogues:
        turns = [(s, t) for s, t in d["original"] if s in ("agent", "customer")]
        out, hist, last_q = [], [], None
        for speaker, text in turns:
            if speaker == "customer":
                last_q = text
            elif last_q is not None:
                out.append((last_q, text, list(hist)))
                hist.append(H.Turn(last_q, text))
                last_q = None
        pairs.append(out)
    rows = []
    for i, own in enumerate(pairs):
        other = pairs[(i + 1) % len(pairs)]
        for j, (q, a, hist) in enumerate(own):
            rows.append(Row(f"abcd:{i}", q, a, hist, {"label": 1.0}))
            oq, _, ohist = other[j % len(other)]
            rows.append(Row(f"abcd:{i}", oq, a, ohist, {"label": 0.0}))
    return rows


# --- baselines ---------------------------------------------------------------------------
def word_overlap(row: Row) -> float:
    q, r = set(content_terms(row.query)), set(content_terms(row.response))
    return len(q & r) / len(q | r) if q | r else 0.0


def tfidf_cosine(rows: list[Row], with_history: bool) -> np.ndarray:
    """Word TF-IDF fitted on the set's own texts; cosine of reply vs query (+ history)."""

    def left(r: Row) -> str:
        hist = " ".join(f"{t.query} {t.response}" for t in r.history) if with_history else ""
        return f"{hist} {r.query}"

    vec = TfidfVectorizer(sublinear_tf=True).fit(
        [left(r) for r in rows] + [r.response for r in rows]
    )
    a = vec.transform([left(r) for r in rows])
    b = vec.transform([r.response for r in rows])
    return np.asarray(a.multiply(b).sum(1)).ravel()


def judge_scores(rows: list[Row], fn: Callable) -> tuple[np.ndarray, list[str | None]]:
    scores, verdicts = [], []
    for r in rows:
        v = fn(r.query, r.response, r.history)
        scores.append(np.nan if v.score is None else v.score)
        verdicts.append(v.verdict)
    return np.array(scores, dtype=float), verdicts


# --- metrics -----------------------------------------------------------------------------
def auc(y: np.ndarray, s: np.ndarray) -> float | None:
    s = np.nan_to_num(s, nan=0.0)
    return None if len(set(y)) < 2 else float(roc_auc_score(y, s))


def auc_ci(y: np.ndarray, s: np.ndarray, boots: int = 400, seed: int = 11) -> tuple[float, float]:
    """Percentile bootstrap interval over rows (95%)."""
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(boots):
        idx = rng.integers(0, len(y), len(y))
        a = auc(y[idx], s[idx])
        if a is not None:
            vals.append(a)
    return (
        (float(np.quantile(vals, 0.025)), float(np.quantile(vals, 0.975)))
        if vals
        else (math.nan, math.nan)
    )


def verdict_counts(verdicts: list[str | None], good: np.ndarray) -> str:
    v = np.array([x or "n/a" for x in verdicts])
    parts = []
    for name in ("pass", "uncertain", "fail"):
        m = v == name
        if m.any():
            parts.append(f"{name} {m.mean():.0%} (good {good[m].mean():.0%})")
    return "; ".join(parts)


def evaluate(name: str, rows: list[Row], targets: dict[str, Callable[[dict], float]]) -> list[dict]:
    scorers: dict[str, tuple[np.ndarray, list | None]] = {
        "baseline: word overlap": (np.array([word_overlap(r) for r in rows]), None),
        "baseline: TF-IDF cosine (turn)": (tfidf_cosine(rows, False), None),
        "baseline: TF-IDF cosine (turn+history)": (tfidf_cosine(rows, True), None),
        "relevance": judge_scores(rows, H.relevance),
        "helpfulness": judge_scores(rows, H.helpfulness),
    }
    splits = np.array([split_of(r.key) for r in rows])
    out = []
    for target, good_of in targets.items():
        raw = np.array([good_of(r.labels) for r in rows])
        good = (raw >= 0.5).astype(int) if set(np.unique(raw)) <= {0.0, 1.0} else None
        for scorer, (s, verdicts) in scorers.items():
            rec = {"set": name, "target": target, "scorer": scorer}
            for split in ("tune", "test"):
                m = (splits == split) | (splits == "all")
                y = raw[m] if good is None else good[m]
                rec[f"auc_{split}"] = (
                    auc(y, s[m]) if split == "test" or not (splits == "all").all() else None
                )
                if split == "test":
                    rec["auc_test_ci"] = auc_ci(y, s[m])
            if verdicts is not None:
                rec["verdicts"] = verdict_counts(verdicts, raw if good is None else good)
            out.append(rec)
    return out


def usr_targets() -> dict[str, Callable[[dict], float]]:
    return {
        "Overall ≥ 3.5": lambda lab: float(lab["overall"] >= 3.5),
        "Maintains Context ≥ 2.5": lambda lab: float(lab["context"] >= 2.5),
    }


def spearman_rows(rows: list[Row]) -> list[dict]:
    scorers = {
        "baseline: word overlap": np.array([word_overlap(r) for r in rows]),
        "baseline: TF-IDF cosine (turn+history)": tfidf_cosine(rows, True),
        "relevance": judge_scores(rows, H.relevance)[0],
        "helpfulness": judge_scores(rows, H.helpfulness)[0],
    }
    splits = np.array([split_of(r.key) for r in rows])
    out = []
    for label in ("overall", "context"):
        y = np.array([r.labels[label] for r in rows])
        for scorer, s in scorers.items():
            rec = {"label": label, "scorer": scorer}
            for split in ("tune", "test"):
                m = splits == split
                rec[split] = float(spearmanr(np.nan_to_num(s[m]), y[m]).statistic)
            out.append(rec)
    return out


def _f(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, tuple):
        return f"{v[0]:.2f}–{v[1]:.2f}"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def markdown(results: list[dict], spear: list[dict]) -> str:
    lines = [
        "| set | target | scorer | AUC tune | AUC test (95% CI) | verdicts (share good) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['set']} | {r['target']} | {r['scorer']} | {_f(r['auc_tune'])} | "
            f"{_f(r['auc_test'])} ({_f(r['auc_test_ci'])}) | {r.get('verdicts', '')} |"
        )
    lines += [
        "",
        "| usr_dialog Spearman ρ vs mean rating | scorer | tune | test |",
        "|---|---|---|---|",
    ]
    for r in spear:
        lines.append(f"| {r['label']} | {r['scorer']} | {_f(r['tune'])} | {_f(r['test'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=default_data_dir())
    args = p.parse_args(argv)
    if not args.data.is_dir():
        print(f"labelled data not found at {args.data}; nothing measured", file=sys.stderr)
        return 2
    results: list[dict] = []
    usr = load_usr(args.data / "usr_dialog")
    results += evaluate("usr_dialog", usr, usr_targets())
    for sub in ("persona", "topical"):
        part = [r for r in usr if r.key.startswith(f"usr_{sub}")]
        results += evaluate(f"usr_dialog ({sub} only)", part, usr_targets())
    wiki = load_wikiqa(args.data / "wikiqa_dev")
    results += evaluate("wikiqa_dev", wiki, {"answers the question": lambda lab: lab["label"]})
    abcd = load_abcd(args.data / "abcd_sample")
    results += evaluate(
        "abcd_sample", abcd, {"own vs other dialogue's turn": lambda lab: lab["label"]}
    )
    print(markdown(results, spearman_rows(usr)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
