"""Safety judge vs a 32-word bad-word list on human-labelled data; prints markdown.

``python -m evalflow_tests.benchmarks.safety [--data DIR] [--write]`` (part of ``make
bench``; ``--write`` writes ``docs/safety.md``). The baseline is the shared harness's
bad-word list (``evalflow_tests.benchmarks.baselines``).

* surge_toxicity (1,000 tweets, Toxic / Not Toxic): split into tune / test halves by a
  hash of the text, so a cue tuned on one half is checked on the other. AUC (95%
  bootstrap CI), and the false-positive rate (``fail`` on Not Toxic) per length quartile.
* hh_rlhf_harmless (chosen vs rejected dialogues, last assistant turn): pairwise accuracy
  that the rejected reply is scored less safe (ties count half). Never tuned on.
* identity probe (``evalflow.judges.bias_probe``): ``fail`` rate per identity term on
  non-toxic template sentences in en/es/de/fr.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta
from sklearn.metrics import roc_auc_score

from evalflow.judges.bias_probe import MAX_FPR, identity_fpr
from evalflow.judges.toxicity import toxicity
from evalflow_tests.benchmarks.baselines import bad_word_count

DOC = Path(__file__).resolve().parents[2] / "docs" / "safety.md"
DEFAULT_DATA = Path(
    os.environ.get(
        "EVALFLOW_LABELLED",
        Path(__file__).resolve().parents[2].parent / "shared" / "data" / "labelled",
    )
)
BOOT = 1000
SEED = 12


def bad_word_score(text: str) -> float:
    return float(bad_word_count([text])[0])


def judge_score(text: str) -> float:
    return toxicity(text).score


def judge_fail(text: str) -> bool:
    return toxicity(text).verdict == "fail"


def baseline_fail(text: str) -> bool:
    return bad_word_score(text) > 0


def half(text: str) -> str:
    """tune / test by the first byte of the text's SHA-256: stable and label-blind."""
    return "tune" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "test"


def auc_ci(y: np.ndarray, s: np.ndarray) -> tuple[float, float, float]:
    """AUC with a 95% percentile-bootstrap interval."""
    rng = np.random.default_rng(SEED)
    point = roc_auc_score(y, s)
    boots = []
    for _ in range(BOOT):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() != y[idx].max():
            boots.append(roc_auc_score(y[idx], s[idx]))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(point), float(lo), float(hi)


def mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    rng = np.random.default_rng(SEED)
    boots = [x[rng.integers(0, len(x), len(x))].mean() for _ in range(BOOT)]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(x.mean()), float(lo), float(hi)


def fmt(t: tuple[float, float, float]) -> str:
    return f"{t[0]:.3f} ({t[1]:.3f}–{t[2]:.3f})"


def load_surge(data: Path) -> pd.DataFrame:
    d = pd.read_csv(data / "surge_toxicity" / "toxicity_en.csv")
    d["y"] = (d["is_toxic"].str.strip() == "Toxic").astype(int)
    d["half"] = d["text"].map(half)
    return d


def last_assistant(dialogue: str) -> str:
    return dialogue.rsplit("\n\nAssistant:", 1)[-1].strip()


def load_hh(data: Path) -> pd.DataFrame:
    with gzip.open(data / "hh_rlhf_harmless" / "test.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    return pd.DataFrame(
        {
            "chosen": [last_assistant(r["chosen"]) for r in rows],
            "rejected": [last_assistant(r["rejected"]) for r in rows],
        }
    )


SCORERS: dict[str, tuple[Callable[[str], float], Callable[[str], bool]]] = {
    "safety judge": (judge_score, judge_fail),
    "bad-word list (32)": (bad_word_score, baseline_fail),
}


def surge_table(d: pd.DataFrame) -> list[str]:
    lines = [
        "| set | scorer | n | AUC (95% CI) | FPR (fail on Not Toxic) | recall (fail on Toxic) "
        "| uncertain on Not Toxic / Toxic |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = d["text"].map(lambda t: toxicity(t).verdict)
    for part in ("tune", "test", "all"):
        rows = d if part == "all" else d[d["half"] == part]
        for name, (score, fail) in SCORERS.items():
            s = rows["text"].map(score).to_numpy(float)
            f = rows["text"].map(fail).to_numpy(bool)
            y = rows["y"].to_numpy()
            unc = verdicts[rows.index].eq("uncertain").to_numpy()
            unc_txt = f"{unc[y == 0].mean():.3f} / {unc[y == 1].mean():.3f}"
            lines.append(
                f"| surge {part} | {name} | {len(rows)} | {fmt(auc_ci(y, s))} | "
                f"{f[y == 0].mean():.3f} | {f[y == 1].mean():.3f} | "
                f"{unc_txt if name == 'safety judge' else '–'} |"
            )
    return lines


def quartile_table(d: pd.DataFrame) -> list[str]:
    q = pd.qcut(d["text"].str.len(), 4, labels=["Q1 (shortest)", "Q2", "Q3", "Q4 (longest)"])
    lines = [
        "| length quartile (chars) | n Not Toxic | judge FPR | bad-word FPR |",
        "|---|---|---|---|",
    ]
    for label in q.cat.categories:
        rows = d[(q == label) & (d["y"] == 0)]
        lo, hi = d["text"].str.len()[q == label].agg(["min", "max"])
        judge = rows["text"].map(judge_fail).mean()
        base = rows["text"].map(baseline_fail).mean()
        lines.append(f"| {label} {lo}–{hi} | {len(rows)} | {judge:.3f} | {base:.3f} |")
    return lines


def hh_table(hh: pd.DataFrame) -> list[str]:
    lines = [
        "| set | scorer | pairs | pairwise accuracy (95% CI) | AUC rejected vs chosen (95% CI) | ties |",
        "|---|---|---|---|---|---|",
    ]
    for name, (score, _) in SCORERS.items():
        c = hh["chosen"].map(score).to_numpy(float)
        r = hh["rejected"].map(score).to_numpy(float)
        acc = np.where(r > c, 1.0, np.where(r == c, 0.5, 0.0))
        y = np.r_[np.zeros(len(c)), np.ones(len(r))]
        lines.append(
            f"| hh_rlhf harmless | {name} | {len(hh)} | {fmt(mean_ci(acc))} | "
            f"{fmt(auc_ci(y, np.r_[c, r]))} | {np.mean(r == c):.3f} |"
        )
    return lines


def identity_table() -> list[str]:
    judge = identity_fpr(lambda t: toxicity(t).verdict)
    base = identity_fpr(lambda t: "fail" if baseline_fail(t) else "pass")
    judge["baseline_fpr"] = base["fpr"].to_numpy()
    lines = [
        f"| lang | term | n | judge FPR (bound {MAX_FPR:.0%}) | judge uncertain | bad-word FPR |",
        "|---|---|---|---|---|---|",
    ]
    for r in judge.itertuples():
        lines.append(
            f"| {r.lang} | {r.term} | {r.n} | {r.fpr:.3f} | {r.uncertain_rate:.3f} | {r.baseline_fpr:.3f} |"
        )
    worst = judge["fpr"].max()
    fails = round((judge["fpr"] * judge["n"]).sum())
    total = int(judge["n"].sum())
    upper = float(beta.ppf(0.975, fails + 1, total - fails)) if fails < total else 1.0
    lines.append(
        f"\nWorst per-term judge FPR: {worst:.3f} (bound {MAX_FPR:.2f}; each term has only "
        f"{judge['n'].min()}–{judge['n'].max()} sentences, so one row is a coarse check). "
        f"Pooled: {fails}/{total} sentences fail, 95% upper bound {upper:.3f} (Clopper–Pearson)."
    )
    return lines


def goal_lines(d: pd.DataFrame | None, hh: pd.DataFrame | None) -> list[str]:
    """Say plainly whether the judge beats the baseline by the issue's margin (0.05 AUC)."""
    out = ["", "Goal (issue #12): judge AUC >= baseline AUC + 0.05 on each set.", ""]
    sets: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    if d is not None:
        for part in ("tune", "test"):
            rows = d[d["half"] == part]
            y = rows["y"].to_numpy()
            sets.append((f"surge {part}", y, rows["text"].map(judge_score).to_numpy(float),
                         rows["text"].map(bad_word_score).to_numpy(float)))  # fmt: skip
    if hh is not None:
        y = np.r_[np.zeros(len(hh)), np.ones(len(hh))]
        texts = pd.concat([hh["chosen"], hh["rejected"]], ignore_index=True)
        sets.append(("hh_rlhf harmless", y, texts.map(judge_score).to_numpy(float),
                     texts.map(bad_word_score).to_numpy(float)))  # fmt: skip
    for name, y, judge, base in sets:
        gap = roc_auc_score(y, judge) - roc_auc_score(y, base)
        verdict = "met" if gap >= 0.05 else "**not met**"
        out.append(f"- {name}: judge − baseline AUC = {gap:+.3f} → {verdict}")
    return out


HEADER = """# Safety judge: measured

Generated by `python -m evalflow_tests.benchmarks.safety --write` (`make bench`; issue
#12). The judge is `evalflow.judges.heuristics.safety` (the same matcher gives the
`toxic` signal); the baseline is the shared harness's bad-word list
(`evalflow_tests.benchmarks.baselines.bad_word_count`: occurrences of 32 common English
bad words, whole words). Positive = toxic / less safe. surge_toxicity is
split into `tune` and `test` halves by a hash of the text: cues were developed by
reading `tune` errors only. hh_rlhf_harmless was never used for tuning. A `fail` needs
strong evidence; `uncertain` rows are unmeasured in KPIs and go to review first.
"""


def report(data: Path, identity_rows: bool = True) -> str:
    out: list[str] = ["## Safety vs a 32-word bad-word list", ""]
    d = load_surge(data) if (data / "surge_toxicity").exists() else None
    hh = load_hh(data) if (data / "hh_rlhf_harmless").exists() else None
    if d is not None:
        out += [*surge_table(d), "", "False-positive rate by text length (surge, all rows):", ""]
        out += [*quartile_table(d), ""]
    else:
        out.append(f"surge_toxicity not found under {data}: skipped\n")
    if hh is not None:
        out += [*hh_table(hh), ""]
    else:
        out.append(f"hh_rlhf_harmless not found under {data}: skipped\n")
    out += ["Identity-term false-positive rate on non-toxic template sentences:", ""]
    ident = identity_table()
    out += ident if identity_rows else ident[-1:]
    out += goal_lines(d, hh)
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--no-identity-rows", action="store_true", help="print only the summary")
    ap.add_argument("--write", action="store_true", help=f"also write the report to {DOC}")
    args = ap.parse_args()
    text = report(args.data, not args.no_identity_rows)
    print(text)
    if args.write:
        DOC.write_text(HEADER + "\n" + text)


if __name__ == "__main__":
    main()
