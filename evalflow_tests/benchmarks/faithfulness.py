"""Faithfulness judge vs simple baselines on public human-labelled sets (markdown table).

Self-contained: ``python -m evalflow_tests.benchmarks.faithfulness [LABELLED_DIR] [--write-docs
docs/judges.md]`` (default ``$EVALFLOW_LABELLED_DIR`` or ``../shared/data/labelled`` beside the repository). Positive class = NOT
faithful. Every set is split by sha256 of its text into ``tune`` and ``test`` halves;
thresholds were chosen looking at ``tune`` only, ``test`` is the honest number.

* ``begin_wow_dev`` - knowledge -> context, response; Fully vs Not fully attributable.
* ``halueval_qa`` - knowledge -> context; right answer (faithful) vs hallucinated answer.
* ``halueval_general`` - no context: the judge is ``not_applicable`` there, so the
  reference-free risk is what is scored (reported as is; it is weak).
* ``paraphrase`` - BEGIN's attributable responses and HaluEval right answers rewritten
  by a fixed synonym/number-format table (independent of the judge's vectors): every
  row is faithful, so any ``fail`` is a false alarm.

Baselines: word overlap (share of the answer's words found in the context, 10 lines)
and TF-IDF cosine of answer and context.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score

from evalflow.judges import heuristics as H

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "labelled"
Row = dict[str, object]


def _split(key: str) -> str:
    return "tune" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_begin(folder: Path) -> list[Row]:
    with open(folder / "begin_wow_dev" / "begin_dev_wow.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    keep = ("Fully attributable", "Not fully attributable")
    return [
        {
            "query": r["message"] or "",
            "response": r["response"] or "",
            "context": [r["knowledge"] or ""],
            "y": int(r["begin_label"] == keep[1]),
            "key": r["response"] or "",
        }
        for r in rows
        if r["begin_label"] in keep
    ]


def load_halueval_qa(folder: Path) -> list[Row]:
    out: list[Row] = []
    with open(folder / "halueval_qa" / "qa_one-turn_data.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            split_key = d["question"]  # both answers of a pair land in the same half
            for answer, y in ((d["right_answer"], 0), (d["hallucinated_answer"], 1)):
                out.append(
                    {
                        "query": d["question"],
                        "response": answer,
                        "context": [d["knowledge"]],
                        "y": y,
                        "key": split_key,
                    }
                )
    return out


def load_halueval_general(folder: Path) -> list[Row]:
    out: list[Row] = []
    with open(folder / "halueval_general" / "general_data.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            out.append(
                {
                    "query": d["user_query"],
                    "response": d["chatgpt_response"],
                    "context": None,
                    "y": int(d["hallucination"] == "yes"),
                    "key": str(d["ID"]),
                }
            )
    return out


# --- paraphrase check -----------------------------------------------------------------
_SYNONYMS = {
    "departed": "left", "began": "started", "begin": "start", "beginning": "starting",
    "purchase": "buy", "purchased": "bought", "large": "big", "largest": "biggest",
    "small": "little", "famous": "well known", "known": "recognised", "located": "situated",
    "city": "town", "created": "made", "founded": "established", "released": "put out",
    "received": "got", "approximately": "about", "approx": "about", "people": "persons",
    "often": "frequently", "usually": "typically", "typically": "usually", "many": "lots of",
    "also": "as well", "including": "such as", "popular": "well liked", "however": "but",
    "because": "since", "start": "begin", "started": "began", "died": "passed away",
    "born": "was born", "film": "movie", "movie": "film", "song": "track", "wrote": "penned",
    "written": "authored", "book": "novel", "company": "firm", "country": "nation",
    "children": "kids", "help": "assist", "use": "utilise", "used": "utilised",
    "important": "significant", "major": "key", "several": "a number of", "various": "diverse",
    "consists": "is made up", "contains": "includes", "produced": "made", "shows": "displays",
    "show": "programme", "called": "named", "named": "called", "american": "US",
    "estimated": "expected", "delivery": "arrival", "within": "inside", "days": "days time",
}  # fmt: skip
_DIGITS = {"2": "two", "3": "three", "4": "four", "5": "five", "10": "ten", "two": "2"}


def paraphrase(text: str) -> str:
    """Swap words by a fixed table and spell small numbers out; keeps meaning and facts."""

    def swap(m: re.Match[str]) -> str:
        w = m.group(0)
        rep = _SYNONYMS.get(w.lower()) or _DIGITS.get(w)
        if rep is None:
            return w
        return rep.capitalize() if w[0].isupper() and w.lower() in _SYNONYMS else rep

    return re.sub(r"[A-Za-z]+|\d+", swap, text)


# --- scores ----------------------------------------------------------------------------
def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def word_overlap(response: str, context: list[str]) -> float:
    """The 10-line baseline: share of the answer's words that occur in the context."""
    words = _tokens(response)
    ctx = set(_tokens(" ".join(context)))
    return sum(w in ctx for w in words) / len(words) if words else 1.0


def tfidf_cosine(rows: list[Row], target: str = "context") -> np.ndarray:
    docs = [" ".join(r[target]) if target == "context" else str(r["query"]) for r in rows]
    vec = TfidfVectorizer().fit(docs + [str(r["response"]) for r in rows])
    a, b = vec.transform([str(r["response"]) for r in rows]), vec.transform(docs)
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def judge(rows: list[Row]) -> tuple[np.ndarray, list[str | None], float]:
    """Faithfulness score (higher = faithful), verdicts, rows per second."""
    H.faithfulness("warm-up", "The vectors load once per process.", ["Load once."])
    start = time.perf_counter()
    verdicts = [H.faithfulness(str(r["query"]), str(r["response"]), r["context"]) for r in rows]
    rate = len(rows) / (time.perf_counter() - start)
    scores = np.array([np.nan if v.score is None else v.score for v in verdicts])
    return scores, [v.verdict for v in verdicts], rate


def _auc(y: np.ndarray, bad: np.ndarray) -> float:
    ok = ~np.isnan(bad)
    return float(roc_auc_score(y[ok], bad[ok])) if len(set(y[ok])) == 2 else float("nan")


def _fmt(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"


def evaluate(name: str, rows: list[Row]) -> list[str]:
    """Markdown rows for one labelled set with context, both halves."""
    y = np.array([r["y"] for r in rows])
    scores, verdicts, rate = judge(rows)
    overlap = np.array([word_overlap(str(r["response"]), r["context"]) for r in rows])
    tfidf = tfidf_cosine(rows)
    split = np.array([_split(str(r["key"])) for r in rows])
    lines = []
    for half in ("tune", "test"):
        m = split == half
        v = np.array(verdicts, dtype=object)[m]
        fail, unc, yy = v == "fail", v == "uncertain", y[m]
        prec = yy[fail].mean() if fail.any() else float("nan")
        rec = fail[yy == 1].mean() if (yy == 1).any() else float("nan")
        false_fail = fail[yy == 0].mean() if (yy == 0).any() else float("nan")
        # the symptom: faithful answers that share few words with the context
        ov = overlap[m]
        low = (yy == 0) & (ov <= np.quantile(ov[yy == 0], 1 / 3))
        low_false_fail = fail[low].mean() if low.any() else float("nan")
        auc_j, auc_o, auc_t = _auc(yy, -scores[m]), _auc(yy, -overlap[m]), _auc(yy, -tfidf[m])
        lines.append(
            f"| {name} | {half} | {m.sum()} | {_fmt(auc_j)} | {_fmt(auc_o)} | {_fmt(auc_t)} | "
            f"{_fmt(auc_j - max(auc_o, auc_t))} | {_fmt(prec)} | {_fmt(rec)} | "
            f"{_fmt(false_fail)} | {_fmt(low_false_fail)} | {_fmt(unc.mean())} | {rate:.0f} |"
        )
    return lines


def evaluate_reference_free(rows: list[Row]) -> list[str]:
    y = np.array([r["y"] for r in rows])
    risk = np.array([H.reference_free_risk(str(r["query"]), str(r["response"])) for r in rows])
    overlap = np.array([word_overlap(str(r["response"]), [str(r["query"])]) for r in rows])
    tfidf = tfidf_cosine(rows, target="query")
    split = np.array([_split(str(r["key"])) for r in rows])
    tune = split == "tune"
    # without context a baseline's direction is unknown: take the sign that wins on tune
    overlap, tfidf = ((-x if _auc(y[tune], -x[tune]) >= 0.5 else x) for x in (overlap, tfidf))
    lines = []
    for half in ("tune", "test"):
        m = split == half
        a_j, a_o, a_t = _auc(y[m], risk[m]), _auc(y[m], overlap[m]), _auc(y[m], tfidf[m])
        lines.append(
            f"| halueval_general (no context: reference-free risk; verdict not_applicable) "
            f"| {half} | {m.sum()} | {_fmt(a_j)} | {_fmt(a_o)} | {_fmt(a_t)} | "
            f"{_fmt(a_j - max(a_o, a_t))} | – | – | – | – | – | – |"
        )
    return lines


def paraphrase_check(begin: list[Row], qa: list[Row]) -> list[str]:
    faithful = [r for r in begin if r["y"] == 0] + [r for r in qa if r["y"] == 0]
    lines = []
    for label, rows in (
        ("faithful answers as written", faithful),
        (
            "same, paraphrased",
            [{**r, "response": paraphrase(str(r["response"]))} for r in faithful],
        ),
    ):
        _, verdicts, _ = judge(rows)
        v = np.array(verdicts, dtype=object)
        lines.append(
            f"| {label} | {len(rows)} | {_fmt((v == 'fail').mean())} | "
            f"{_fmt((v == 'uncertain').mean())} | {_fmt((v == 'pass').mean())} |"
        )
    return lines


def report(folder: Path) -> str:
    """The markdown tables for all sets."""
    begin, qa = load_begin(folder), load_halueval_qa(folder)
    out = [
        "| set | half | n | judge AUC | word-overlap AUC | TF-IDF AUC | judge − best baseline "
        "| fail precision | fail recall | false-fail rate (faithful rows) "
        "| false-fail, faithful rows in lowest-overlap third | uncertain rate | rows/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    out += evaluate("begin_wow_dev", begin) + evaluate("halueval_qa", qa)
    out += evaluate_reference_free(load_halueval_general(folder))
    out += [
        "",
        "| paraphrase check (all faithful) | n | fail | uncertain | pass |",
        "|---|---|---|---|---|",
    ]
    out += paraphrase_check(begin, qa)
    return "\n".join(out)


TABLE_MARKERS = ("<!-- faithfulness-table:start -->", "<!-- faithfulness-table:end -->")


def write_docs(doc: Path, table: str) -> None:
    """Replace the table between the markers in ``doc`` (the prose is written by hand)."""
    text = doc.read_text(encoding="utf-8")
    start, end = text.find(TABLE_MARKERS[0]), text.find(TABLE_MARKERS[1])
    if start < 0 or end < start:
        raise SystemExit(f"{doc}: no {TABLE_MARKERS[0]} ... {TABLE_MARKERS[1]} block to update")
    head = text[: start + len(TABLE_MARKERS[0])]
    doc.write_text(f"{head}\n{table}\n{text[end:]}", encoding="utf-8")


def main(argv: list[str]) -> None:
    args = list(argv)
    doc = None
    if "--write-docs" in args:
        k = args.index("--write-docs")
        doc = Path(args[k + 1])
        del args[k : k + 2]
    env = os.environ.get("EVALFLOW_LABELLED_DIR")
    folder = Path(args[0]) if args else Path(env) if env else SHARED
    table = report(folder)
    print(table)
    if doc is not None:
        write_docs(doc, table)


if __name__ == "__main__":
    main(sys.argv[1:])
