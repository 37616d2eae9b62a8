"""Measure the heuristic judges against real human labels and write ``docs/judges.md``.

The heuristic backend is only useful if we know how often it is wrong. This module
scores public, human-labelled sets with the same functions the pipeline uses and
reports, per judge and set: AUC (ranking quality, threshold-free), precision and
recall of the failure class at the threshold the pipeline uses, and n.

Sets (see ``data/labelled/README.md``; full copies are read from
``$EVALFLOW_LABELLED_DIR`` or ``../shared/data/labelled`` beside the repository when present, otherwise
the small stratified samples shipped in ``data/labelled/``):

* ``surge_toxicity`` - social-media comments labelled Toxic / Not Toxic -> safety.
* ``begin_wow_dev`` - knowledge-grounded dialogue responses labelled for
  attribution to the knowledge snippet -> faithfulness with that snippet as context.
* ``halueval_general`` - ChatGPT answers with human hallucination labels and no
  reference text -> the reference-free risk (production marks such rows
  ``not_applicable``; the number shows why).
* ``halueval_mismatched`` - SYNTHETIC, not human-labelled: HaluEval queries paired
  with their own answer (on topic) or with another query's answer (off topic) ->
  relevance and helpfulness sanity check.

Every set is split deterministically (sha256 of the text) into ``tune`` (where cues
and thresholds were chosen) and ``holdout`` (never looked at while tuning); the
holdout numbers are the honest ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from evalflow.judges import heuristics as H

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DIR = REPO_ROOT / "data" / "labelled"
SHARED_DIR = REPO_ROOT.parent / "shared" / "data" / "labelled"
DOCS_PATH = REPO_ROOT / "docs" / "judges.md"
FILES = {
    "surge_toxicity": "toxicity_en.csv",
    "halueval_general": "general_data.jsonl",
    "begin_wow_dev": "begin_dev_wow.tsv",
}
MISMATCH_N = 1000  # query/answer pairs drawn for the synthetic relevance check
RISK_THRESHOLD = 0.5  # reference-free risk: informational cut-off, not used in production


def default_data_dir() -> Path:
    """``$EVALFLOW_LABELLED_DIR``, the shared full sets, or the shipped samples."""
    env = os.environ.get("EVALFLOW_LABELLED_DIR")
    if env:
        return Path(env)
    if all((SHARED_DIR / s / f).exists() for s, f in FILES.items()):
        return SHARED_DIR
    return SHIPPED_DIR


def _split(key: str) -> str:
    return (
        "tune" if int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "holdout"
    )


# --- loaders: each returns query, response, context, y (1 = failure), key -------------------
def load_surge(folder: Path) -> pd.DataFrame:
    d = pd.read_csv(folder / FILES["surge_toxicity"])
    return pd.DataFrame(
        {
            "query": "",
            "response": d["text"].astype(str),
            "context": None,
            "y": (d["is_toxic"] == "Toxic").astype(int),
            "key": d["text"].astype(str),
        }
    )


def load_begin(folder: Path) -> pd.DataFrame:
    d = pd.read_csv(folder / FILES["begin_wow_dev"], sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
    d = d[d["begin_label"].isin(["Fully attributable", "Not fully attributable"])]
    return pd.DataFrame(
        {
            "query": d["message"].fillna(""),
            "response": d["response"].fillna(""),
            "context": d["knowledge"].fillna("").map(lambda k: [k]),
            "y": (d["begin_label"] == "Not fully attributable").astype(int),
            "key": d["response"].fillna(""),
        }
    )


def load_halueval(folder: Path) -> pd.DataFrame:
    d = pd.read_json(folder / FILES["halueval_general"], lines=True, dtype={"ID": str})
    return pd.DataFrame(
        {
            "query": d["user_query"].astype(str),
            "response": d["chatgpt_response"].astype(str),
            "context": None,
            "y": (d["hallucination"] == "yes").astype(int),
            "key": d["ID"].astype(str),
        }
    )


SIM_START, SIM_DAYS, SIM_PER_DAY, SIM_SEED = dt.date(2026, 3, 2), 28, 150, 11


def load_simulated(per_day: int = SIM_PER_DAY) -> pd.DataFrame | None:
    """Support-style traffic from ``evalflow simulate`` with its injected ground truth.

    Synthetic, but it is the kind of text the pipeline judges (RAG answers in four
    languages with support boilerplate). The support-specific cues (filler and
    abstention sentences, unsupported numbers) were developed by reading errors on a
    different seed (3); this uses seed 11 over a whole 28-day demo period. ``None``
    when the simulator is not installed.
    """
    try:
        from evalflow.simulate.runner import generate_day
    except ImportError:
        return None
    days = [
        generate_day(
            SIM_START + dt.timedelta(days=i),
            per_day,
            SIM_SEED,
            start=SIM_START,
            days=SIM_DAYS,
            with_truth=True,
        )
        for i in range(SIM_DAYS)
    ]
    d = pd.concat(days, ignore_index=True)
    return pd.DataFrame(
        {
            "query": d["query"].astype(str),
            "response": d["response"].fillna("").astype(str),
            "context": d["context"].map(lambda c: list(c) if c is not None else []),
            "hallucinated": d["truth_hallucinated"].astype(int),
            "toxic": d["truth_toxic"].astype(int),
            "refusal": d["truth_refusal"].astype(int),
            "key": d["interaction_id"].astype(str),
        }
    )


def mismatched_pairs(halueval: pd.DataFrame, n: int = MISMATCH_N, seed: int = 7) -> pd.DataFrame:
    """On-topic pairs and the same queries with a different query's answer (y = 1)."""
    rng = np.random.default_rng(seed)
    base = halueval.iloc[rng.permutation(len(halueval))[: min(n, len(halueval))]].reset_index(
        drop=True
    )
    shifted = base["response"].iloc[np.roll(np.arange(len(base)), 1)].to_numpy()
    on = base.assign(y=0)
    off = base.assign(response=shifted, y=1, key=base["key"] + ":mismatch")
    return pd.concat([on, off], ignore_index=True)


# --- the judges as failure scores (higher = more likely to fail) -----------------------------
@dataclass(frozen=True)
class Case:
    dataset: str
    judge: str
    labels: str  # human | synthetic
    frame: pd.DataFrame
    failure_score: Callable[[pd.Series], float]
    threshold: float  # on the failure score
    threshold_note: str


def _score(fn: Callable[[pd.Series], float], frame: pd.DataFrame) -> np.ndarray:
    return np.array([fn(r) for _, r in frame.iterrows()], dtype=float)


def _metrics(y: np.ndarray, s: np.ndarray, threshold: float) -> dict[str, float | int | None]:
    flagged = s >= threshold
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    both = 0 < n_pos < len(y)
    return {
        "n": len(y),
        "positives": n_pos,
        "auc": round(float(roc_auc_score(y, s)), 3) if both else None,
        "precision": round(tp / int(flagged.sum()), 3) if flagged.any() else None,
        "recall": round(tp / n_pos, 3) if n_pos else None,
        "false_positive_rate": round(fp / n_neg, 3) if n_neg else None,
        "flagged_rate": round(float(flagged.mean()), 3) if len(y) else None,
    }


MIN_POSITIVES = 20  # below this a synthetic case says nothing; it is left out


def _cases(data_dir: Path, sim_per_day: int) -> list[Case]:
    cases: list[Case] = []
    surge = load_surge(data_dir / "surge_toxicity")
    begin = load_begin(data_dir / "begin_wow_dev")
    halu = load_halueval(data_dir / "halueval_general")
    t = H.THRESHOLDS
    cases.append(
        Case(
            "surge_toxicity",
            "safety",
            "human",
            surge,
            lambda r: 1.0 - (H.safety(r["response"]).score or 0.0),
            1.0 - t["safety"],
            f"safety verdict fail (toxicity >= {1 - t['safety']:.2f}; uncertain not counted)",
        )
    )
    cases.append(
        Case(
            "begin_wow_dev",
            "faithfulness",
            "human",
            begin,
            lambda r: 1.0 - (H.faithfulness(r["query"], r["response"], r["context"]).score or 0.0),
            1.0 - t["faithfulness"],
            f"faithfulness < {t['faithfulness']:.2f}",
        )
    )
    cases.append(
        Case(
            "halueval_general",
            "faithfulness (reference-free risk)",
            "human",
            halu,
            lambda r: H.reference_free_risk(r["query"], r["response"]),
            RISK_THRESHOLD,
            f"risk >= {RISK_THRESHOLD} (informational; production: not_applicable)",
        )
    )
    pairs = mismatched_pairs(halu)
    cases.append(
        Case(
            "halueval_mismatched",
            "relevance",
            "synthetic",
            pairs,
            lambda r: 1.0 - (H.relevance(r["query"], r["response"]).score or 0.0),
            1.0 - t["relevance"],
            f"relevance < {t['relevance']:.2f}",
        )
    )
    cases.append(
        Case(
            "halueval_mismatched",
            "helpfulness",
            "synthetic",
            pairs,
            lambda r: 1.0 - (H.helpfulness(r["query"], r["response"]).score or 0.0),
            1.0 - t["helpfulness"],
            f"helpfulness < {t['helpfulness']:.2f}",
        )
    )
    sim = load_simulated(sim_per_day) if sim_per_day > 0 else None
    if sim is not None:
        sim = sim[sim["response"].str.strip() != ""]
        with_ctx = sim[sim["context"].map(len) > 0]
        cases.append(
            Case(
                "simulated_support",
                "faithfulness",
                "synthetic",
                with_ctx.assign(y=with_ctx["hallucinated"]),
                lambda r: (
                    1.0 - (H.faithfulness(r["query"], r["response"], r["context"]).score or 0.0)
                ),
                1.0 - t["faithfulness"],
                f"faithfulness < {t['faithfulness']:.2f}",
            )
        )
        if sim["toxic"].sum() >= MIN_POSITIVES:
            cases.append(
                Case(
                    "simulated_support",
                    "safety",
                    "synthetic",
                    sim.assign(y=sim["toxic"]),
                    lambda r: 1.0 - (H.safety(r["response"]).score or 0.0),
                    1.0 - t["safety"],
                    f"safety < {t['safety']:.2f}",
                )
            )
        cases.append(
            Case(
                "simulated_support",
                "helpfulness (vs refusal)",
                "synthetic",
                sim.assign(y=sim["refusal"]),
                lambda r: 1.0 - (H.helpfulness(r["query"], r["response"]).score or 0.0),
                1.0 - t["helpfulness"],
                f"helpfulness < {t['helpfulness']:.2f}",
            )
        )
    return cases


def judge_benchmark(
    data_dir: Path | str | None = None,
    docs_path: Path | str | None = DOCS_PATH,
    sim_per_day: int = SIM_PER_DAY,
) -> list[dict]:
    """Score every heuristic judge on every labelled set; write ``docs/judges.md``.

    Returns one row per (dataset, judge, split) with n, positives, AUC, precision,
    recall and flagged rate at the pipeline's threshold (positive = failure: toxic,
    unsupported, hallucinated, off-topic, unhelpful). ``docs_path=None`` skips the file;
    ``sim_per_day=0`` skips the simulated support traffic.
    """
    folder = Path(data_dir) if data_dir else default_data_dir()
    source = "full public set" if folder.resolve() != SHIPPED_DIR.resolve() else "shipped sample"
    results: list[dict] = []
    for case in _cases(folder, sim_per_day):
        scores = _score(case.failure_score, case.frame)
        y = case.frame["y"].to_numpy()
        splits = case.frame["key"].map(_split).to_numpy()
        for split, mask in (
            ("all", np.ones(len(y), bool)),
            ("tune", splits == "tune"),
            ("holdout", splits == "holdout"),
        ):
            results.append(
                {
                    "dataset": case.dataset,
                    "judge": case.judge,
                    "labels": case.labels,
                    "split": split,
                    "threshold": case.threshold_note,
                    "source": source,
                    **_metrics(y[mask], scores[mask], case.threshold),
                }
            )
    if docs_path is not None:
        write_docs(results, Path(docs_path), folder)
    return results


# --- shipped samples ------------------------------------------------------------------------
def make_samples(
    src: Path = SHARED_DIR, dst: Path = SHIPPED_DIR, n: int = 300, seed: int = 20261005
) -> dict[str, int]:
    """Copy small stratified samples (class proportions kept) with their licences.

    Lines are copied verbatim from the source files, so each sample is a subset of
    the public file byte for byte (plus the header).
    """
    written: dict[str, int] = {}
    rng = np.random.default_rng(seed)
    for name, fname in FILES.items():
        out_dir = dst / name
        out_dir.mkdir(parents=True, exist_ok=True)
        for extra in ("LICENSE", "NOTICE"):
            if (src / name / extra).exists():
                shutil.copyfile(src / name / extra, out_dir / extra)
        loader = {
            "surge_toxicity": load_surge,
            "begin_wow_dev": load_begin,
            "halueval_general": load_halueval,
        }[name]
        labels = loader(src / name)["y"].to_numpy()
        keep = _stratified(labels, n, rng)
        if name == "halueval_general":
            lines = (src / name / fname).read_text(encoding="utf-8").splitlines(keepends=True)
            (out_dir / fname).write_text("".join(lines[i] for i in sorted(keep)), encoding="utf-8")
        elif name == "begin_wow_dev":
            raw = pd.read_csv(src / name / fname, sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
            raw = raw[raw["begin_label"].isin(["Fully attributable", "Not fully attributable"])]
            raw.iloc[sorted(keep)].to_csv(
                out_dir / fname, sep="\t", quoting=csv.QUOTE_NONE, index=False
            )
        else:
            raw = pd.read_csv(src / name / fname, dtype=str)
            raw.iloc[sorted(keep)].to_csv(out_dir / fname, index=False)
        written[name] = len(keep)
    return written


def _stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> list[int]:
    n = min(n, len(labels))
    out: list[int] = []
    for value in np.unique(labels):
        idx = np.flatnonzero(labels == value)
        take = round(n * len(idx) / len(labels))
        out.extend(rng.choice(idx, size=min(take, len(idx)), replace=False).tolist())
    return out


# --- the document ---------------------------------------------------------------------------
def _fmt(v: object) -> str:
    if v is None:
        return "—"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(rows: Iterable[dict]) -> str:
    head = "| dataset | judge | labels | split | n | failures | AUC | precision | recall | false-pos. rate | threshold |"
    sep = "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|"
    body = [
        f"| {r['dataset']} | {r['judge']} | {r['labels']} | {r['split']} | {r['n']} | {r['positives']} | "
        f"{_fmt(r['auc'])} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | {_fmt(r['false_positive_rate'])} | {r['threshold']} |"
        for r in rows
    ]
    return "\n".join([head, sep, *body])


def _get(results: list[dict], dataset: str, judge: str, split: str = "holdout") -> dict:
    return next(
        r
        for r in results
        if r["dataset"] == dataset and r["judge"] == judge and r["split"] == split
    )


def _sim_paragraph(results: list[dict]) -> str:
    rows = [r for r in results if r["dataset"] == "simulated_support" and r["split"] == "holdout"]
    if not rows:
        return ""
    parts = ", ".join(
        f"{r['judge']} AUC {_fmt(r['auc'])} / precision {_fmt(r['precision'])} / recall {_fmt(r['recall'])}"
        for r in rows
    )
    return (
        "- **simulated support traffic (synthetic, `evalflow simulate` ground truth)**: "
        f"{parts}. This is the text the pipeline actually judges (RAG answers with support "
        "boilerplate in en/es/de/fr), but the labels come from our own simulator, whose "
        "hallucinations are mostly wrong numbers and facts from the wrong passage: easy for "
        "these cues. The filler/abstention and unsupported-number rules were added after "
        "reading errors on simulator seed 3; these rows use seed 11. Treat them as a "
        "regression check, not as evidence of real-world accuracy.\n"
    )


KEPT_BLOCK = ("<!-- faithfulness:start -->", "<!-- faithfulness:end -->")


def _kept_block(path: Path) -> str:
    """The faithfulness section written by ``evalflow_tests/benchmarks/faithfulness.py``, kept
    as it is when this module regenerates the rest of the page."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find(KEPT_BLOCK[0]), text.find(KEPT_BLOCK[1])
    if start < 0 or end < start:
        return ""
    return text[start : end + len(KEPT_BLOCK[1])] + "\n"


def write_docs(results: list[dict], path: Path, data_dir: Path) -> None:
    t = H.THRESHOLDS
    tox = _get(results, "surge_toxicity", "safety")
    faith = _get(results, "begin_wow_dev", "faithfulness")
    risk = _get(results, "halueval_general", "faithfulness (reference-free risk)")
    rel = _get(results, "halueval_mismatched", "relevance")
    helpf = _get(results, "halueval_mismatched", "helpfulness")
    source = results[0]["source"] if results else "n/a"
    text = f"""# Judges

`judge_scores` scores every sampled interaction on each criterion: `faithfulness`
(hallucination), `relevance`, `safety` (toxicity) and `helpfulness`, plus any custom
rubric in `judges.custom_rubrics`. Score 0–1, higher is better; `passed` applies the
judge's threshold; `status` is `ok`, `error`, `over_budget` or `not_applicable`
(faithfulness without retrieved context; faithfulness and safety on an empty response,
which relevance and helpfulness fail). A hallucination is
`criterion='faithfulness' AND passed = false`.

Two backends produce the same rows:

| backend | when | model column | cost |
|---|---|---|---|
| `heuristic` (default) | offline, no key | `{H.HEURISTIC_MODEL}` | free, deterministic |
| `openai` | `EVALFLOW_JUDGE=openai` + `OPENAI_API_KEY` (+ `OPENAI_BASE_URL` for any compatible server) | the judge model | tokens × configured prices |

## Heuristic judges (backend `heuristic`, model `{H.HEURISTIC_MODEL}`)

Code, not understanding: cheap proxies that run on every sampled row for free. Each
rationale names the cues that fired. Always labelled `heuristic` so no one mistakes
them for a model judge.

- **faithfulness** — per claim, and a claim fails only on evidence
  (`evalflow/judges/faithfulness.py`, `claims.py`). The answer is split into
  sentences/clauses; sentences that claim nothing are dropped with the reason
  (greetings, thanks, offers of help, abstentions/hand-overs, questions back,
  reactions such as "that's awesome", personal statements such as "I love hiking";
  a hedge such as "I think" is removed and the rest judged). Each claim is compared
  with every context sentence by offline semantic similarity (see *Semantic
  similarity* below). A claim **fails** only on evidence: a number, amount, date or
  name the context lacks (numbers normalised: "two" = "2", "$5" = "5 dollars",
  "March 2, 1991" = "2 March 1991"; the user's own numbers, e.g. an order id, count as
  given; names are not checked in German, where every noun is capitalised); a
  negation flip or an antonym of the context sentence it echoes; or no context
  sentence semantically close to it at all (best similarity < 0.30). It is
  **supported** when a context sentence says the same thing (similarity ≥ 0.75 with
  ≥ 60% of its content words present as themselves or near synonyms, or ≥ 0.50 with
  ≥ 90%). Anything in between — and a name only the question mentions — is
  **uncertain**. Low word overlap alone is never evidence. Row verdict: `fail` if any
  claim fails, `pass` if all are supported, else `uncertain` (`passed` NULL); an
  answer of only personal statements/questions is `uncertain` (`unverifiable`); one
  of only greetings/abstentions passes (`no_claims`: abstaining is a helpfulness
  problem, not a hallucination). The score is banded by verdict (fail < 0.30 ≤
  uncertain < 0.70 ≤ pass), ranked within a band by the weakest claim's support. The
  rationale names the failing claim and its evidence. Without context:
  `not_applicable`; the rationale quotes a reference-free risk for information only.
- **relevance** — support and open dialogue, three-way. **Fails on evidence only**: an
  empty reply, a loop (`repetition_ratio ≥ 0.5`, "kill kill kill"), a whole-reply stock
  non-answer ("lol", "i don't know"; a bare yes/no to a yes/no question excepted),
  parroting the user, repeating an earlier reply or question of the conversation
  (`evalflow/judges/dialogue.py`, the same cues as the `degenerate` signal), a template
  given ≥ 20 times today (`interaction_signals.reply_repeats_day`) that shares nothing
  with a turn of substance, or an off-topic reply: the turn asks something, both sides
  have ≥ 3 content words, none shared, and word-vector similarity to the turn and the
  history < 0.02 (only where the vectors cover both texts; es/de/fr paraphrases are never
  failed this way). Otherwise the score is 0.40 × the support cues (query-term coverage
  after removing codes and pleasantries, character-trigram similarity, an answer of the
  kind asked: a number for "how much", steps for "how do I", a reason for "why") + 0.20 ×
  semantic similarity to the turn / history (`evalflow/judges/semantic.py`) + 0.25 × what
  the reply adds (new content words) − the reply's repetition ratio; **passes** at ≥ {t["relevance"]:.2f}, or when the answer is of the kind asked; anything else is `uncertain`
  (low overlap alone is not evidence: "what do you do?" / "I teach" shares no word).
- **safety** — one whole-token matcher shared with the `toxic` signal
  (`evalflow/judges/toxicity.py`, vocabulary in `toxicity_lexicon.py`, en/es/de/fr;
  explicit inflections, no stems, so "psychology", "Moby Dick" and "Insane Clown Posse"
  match nothing). **Fails only on strong evidence**: a threat, a slur, harassment of the
  reader ("shut up"), disparaging the reader's question, or an insult *aimed at a person*
  ("you are an idiot", "what a moron", ", idiot.", "he is a clown", "X are vermin").
  Words that are insults only when aimed ("trash", "clown", "pig") count only then.
  **Context lowers confidence**: a hit in quotes, in a reported/news sentence, in a
  question about a word, in a capitalised multi-word name or title, or in an
  educational/medical sentence is weighted × 0.3, so it is at most `uncertain`.
  **Length-normalised**: non-strong hits are scaled by √(25 / tokens) and only the top
  three distinct hits combine (noisy-OR); weak evidence alone never reaches `fail`.
  Verdict: `fail` at toxicity ≥ 0.5, `uncertain` at ≥ 0.12 (one mild swear word, a
  quoted insult), else `pass`; safety = 1 − toxicity. Bias and the measurements against
  a 32-word bad-word list: [safety.md](safety.md).
- **helpfulness** — fails on a degenerate reply (as relevance), a refusal/deflection
  ("I can't", "as an AI", "please contact support": this assistant *is* support) or an
  off-topic one; otherwise 0.60 × relevance + length, actionable cues (numbered steps,
  imperative UI verbs) and specific details (numbers, links); passes at
  ≥ {t["helpfulness"]:.2f}, below it `uncertain`.
- **custom rubrics** — the rubric's `keywords`: none present → 0, one → 0.5, all →
  1; passes at the rubric's `pass_threshold`. A rubric without keywords is
  `not_applicable` for this backend (the openai backend judges it from its description).

Noise: every judge is deterministic, so the share `noise_repeat_share` of rows that
is scored twice always shows `noise_std = 0.0` — measured, and zero by construction.

## How good are they? (measured against human labels)

Generated by `evalflow.judges.benchmark.judge_benchmark()` on the {source}
(`{data_dir}`), {dt.date.today().isoformat()}. Positive = failure (toxic, not
attributable, hallucinated, off-topic, unhelpful); precision/recall are for flagging
failures at the threshold the pipeline uses. Cues were developed by reading the
errors of the `tune` half only; `holdout` rows were never read, though its summary
figures were visible while thresholds were set, so **`holdout` is the honest number**
(nearly, not perfectly, untouched).

{_table(results)}

"false-pos. rate" is the share of good rows (not failures) that the judge flags.

Reading the holdout rows:

- **safety vs surge-ai toxicity**: AUC {_fmt(tox["auc"])}; when it flags, it is right
  {_fmt(tox["precision"])} of the time, but it fails only {_fmt(tox["recall"])} of the toxic
  comments outright (many more are `uncertain`). Misses are toxicity without abusive
  words (political insinuation, dog whistles, sarcasm, threats phrased politely, emoji).
  Good as an alarm, not as a guarantee of safety. The matcher was designed for
  precision on text it was not tuned on (issue #12); the previous, surge-tuned stem
  lexicon scored higher here (0.85) and flagged 30% of long non-toxic texts elsewhere.
  Per-length and per-identity-term false-positive rates: [safety.md](safety.md).
- **faithfulness vs BEGIN (WoW)**: AUC {_fmt(faith["auc"])}, precision {_fmt(faith["precision"])},
  recall {_fmt(faith["recall"])} (precision/recall here count `uncertain` as flagged, because this
  table thresholds the score at 0.70; the `fail` verdict alone is measured in
  *Faithfulness against baselines* below). BEGIN rewards copying the snippet, so a
  word-overlap baseline is hard to beat there; the judge is built not to fail
  paraphrases, which that baseline does.
- **reference-free hallucination risk vs HaluEval**: AUC {_fmt(risk["auc"])} — barely better than
  chance. Without a reference, surface cues cannot tell a true claim from a false
  one. That is why production marks faithfulness without context `not_applicable`
  instead of guessing; use the `openai` backend (or supply context) for these rows.
- **relevance on mismatched pairs (synthetic)**: AUC {_fmt(rel["auc"])}, precision {_fmt(rel["precision"])},
  recall {_fmt(rel["recall"])}, but {_fmt(rel["false_positive_rate"])} of the genuine (on-topic) pairs are
  flagged too: instructions such as "Generate a poem" share few words with a good
  answer. It shows a clearly off-topic answer is caught; no human-labelled
  relevance set was available.
- **helpfulness on mismatched pairs (synthetic)**: AUC {_fmt(helpf["auc"])}. Helpfulness here is
  mostly about form (steps, specifics, no deflection), so an off-topic but
  well-formed answer still scores well. **Not validated against human labels.**
{_sim_paragraph(results)}
{_kept_block(path)}
{DIALOGUE_START}
{DIALOGUE_END}

## Limitations

- Relevance and helpfulness on open dialogue beat the baselines by less than 0.05 AUC on
  some splits (see the dialogue section) and the static word vectors miss many
  paraphrases, which is why they say `uncertain` on most chit-chat turns; calibrate them
  with `judge_calibration` on your own labels.
- The benchmark sets are not support conversations (social-media comments,
  Wikipedia dialogue, general instructions); base rates differ, so precision in
  production differs (it falls as failures get rarer).
- English-only labels: the es/de/fr lexicon entries and stop words are untested
  against human labels.
- The toxicity matcher does not understand meaning: toxicity in polite words,
  sarcasm, dog whistles and harmful *advice* (hh-rlhf harmless pairs: pairwise
  accuracy ≈ 0.52, like the bad-word list) need the `openai` judge; rows it is unsure
  of are `uncertain` and go there first.

## Model judge (backend `openai`)

- Rubric prompts are versioned files `evalflow/judges/prompts/<criterion>.v<N>.md`
  (highest N wins) with a shared `system.v<N>.md`; `judge_version =
  <criterion>.v<N>+<hash of system prompt, rubric, scale, threshold, reply schema>`.
  The asset's code version changes with them.
- Replies are JSON (`response_format={{"type": "json_object"}}`) validated against
  `{{score, passed, label, rationale}}`; 1–5 scores map to 0–1 as (s − 1)/4 and
  `passed` is recomputed from the score and the rubric threshold (so a reply that
  says `passed: true` with a failing score, e.g. after a prompt injection, fails).
  A malformed reply gets exactly one repair call; then `status='error'` with the reason.
- Logged text is data: it travels only in the user message, JSON-encoded between
  `<<<BEGIN_DATA>>>` and `<<<END_DATA>>>` with `<`/`>` escaped, under a system prompt
  that tells the judge to ignore instructions inside it. PII (e-mail, phone, card,
  IBAN, national id) is redacted before anything leaves the machine, and the cache
  key is the hash of the redacted inputs.
- Multi-turn: the judge sees up to `conversation_turns` earlier turns of the same
  conversation from the same day's `raw_interactions` (turns on an earlier day are
  not fetched).
- Concurrency `max_concurrency`, rate `requests_per_minute`, retries with
  exponential backoff and jitter on 429 / 5xx / timeouts / connection errors,
  honouring `Retry-After` (capped at 60 s); retries are logged and counted.
- Hard daily budget per partition day (`max_calls_per_day`, `max_usd_per_day`),
  counting what `judge_calls` already holds for that day: each call reserves its
  worst case (request bytes as tokens + `max_tokens`) before it is sent, so the cap
  holds under concurrency; rows beyond it are `over_budget`. A backfill spends up
  to the cap per partition day.
- Cache `judge_cache` keyed by (content_hash, criterion, judge_version, model,
  sample): a rerun of unchanged data makes zero calls; errors are not cached.
- Noise: `noise_repeat_share` of rows (chosen by hash, so reruns hit the cache) are
  judged again at temperature 0.7 with another seed; `noise_std` is the population
  standard deviation of the two scores, and the asset reports the mean.
- Throughput against a 100 ms test server: see `docs/benchmarks.md`.
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(DIALOGUE_START, _kept_dialogue_section(path)), encoding="utf-8")


DIALOGUE_START = "<!-- dialogue-bench:start -->"
DIALOGUE_END = "<!-- dialogue-bench:end -->"


def _kept_dialogue_section(path: Path) -> str:
    """The figures of ``evalflow_tests/benchmarks/dialogue.py`` already in the file, kept as they are
    (that script, not this one, measures them); a placeholder pointing to it otherwise."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if DIALOGUE_START in old and DIALOGUE_END in old:
        return old[old.index(DIALOGUE_START) : old.index(DIALOGUE_END)]
    return (
        DIALOGUE_START + "\nRun `python -m evalflow_tests.benchmarks.dialogue` for these figures.\n"
    )


if __name__ == "__main__":  # python -m evalflow.judges.benchmark
    rows = judge_benchmark()
    print(json.dumps([r for r in rows if r["split"] == "holdout"], indent=1))
