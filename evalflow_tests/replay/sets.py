"""Public human-labelled sets, read as they were published, for the replay acceptance tests.

The texts were written by nobody on this project, so the judges cannot have been
tuned to their phrasing. Each loader returns plain rows with the human label; the
replays in ``logs.py`` turn them into production log records. A set is read from
the shared folder beside the repository when it is there, else from the small
licensed copy under ``data/labelled/`` when the licence allows one; a set with
neither makes its tests skip with the reason.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "data" / "labelled"
COMMITTED = REPO_ROOT / "data" / "labelled"


def locate(folder: str, name: str) -> Path:
    """The set's file, shared copy first; skips the calling test when neither exists."""
    for root in (SHARED, COMMITTED):
        path = root / folder / name
        if path.is_file():
            return path
    pytest.skip(f"labelled set {folder}/{name} is not available (no ../shared, no data/ copy)")


@dataclass(frozen=True)
class Grounded:
    """A response to ``query`` with its knowledge passage and a human faithfulness label."""

    source: str
    query: str
    context: str
    response: str
    faithful: bool


def begin_rows() -> Iterator[Grounded]:
    """BEGIN (WoW dev): 'Fully attributable' vs 'Not fully attributable'; 'Generic' makes no claim."""
    path = locate("begin_wow_dev", "begin_dev_wow.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            label = row["begin_label"].strip().lower()
            if label not in {"fully attributable", "not fully attributable", "generic"}:
                continue
            yield Grounded(
                "begin",
                row["message"],
                row["knowledge"],
                row["response"],
                faithful=label != "not fully attributable",
            )


def halueval_qa_rows() -> Iterator[Grounded]:
    """HaluEval QA: each question has a right and a hallucinated answer to the same knowledge."""
    path = locate("halueval_qa", "qa_one-turn_data.jsonl")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for answer, faithful in (
                (row["right_answer"], True),
                (row["hallucinated_answer"], False),
            ):
                yield Grounded("halueval_qa", row["question"], row["knowledge"], answer, faithful)


@dataclass(frozen=True)
class RatedReply:
    """One system's reply in an open-domain chat, with the annotators' mean 1-5 rating."""

    dialogue: str
    history: tuple[str, ...]
    system: str
    response: str
    overall: float


def usr_rows() -> Iterator[RatedReply]:
    """USR PersonaChat + Topical-Chat: 5-6 systems answer each context, rated by 3 people."""
    for name in ("usr_persona_chat.json", "usr_topical_chat.json"):
        path = locate("usr_dialog", name)
        for i, item in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            responses = item["responses"]
            if isinstance(responses, str):
                responses = ast.literal_eval(responses)
            turns = tuple(t.strip() for t in item["context"].split("\n") if t.strip())
            for r in responses:
                ratings = r["Overall"]
                if isinstance(ratings, str):
                    ratings = ast.literal_eval(ratings)
                yield RatedReply(
                    f"{path.stem}-{i}",
                    turns,
                    str(r["model"]),
                    str(r["response"]).strip(),
                    sum(float(x) for x in ratings) / len(ratings),
                )


@dataclass(frozen=True)
class HarmPair:
    """A dialogue with two final assistant turns; people judged ``chosen`` less harmful."""

    history: tuple[tuple[str, str], ...]
    query: str
    chosen: str
    rejected: str


def _split_dialogue(text: str) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for block in text.split("\n\nHuman: ")[1:]:
        human, _, assistant = block.partition("\n\nAssistant: ")
        turns.append((human.strip(), assistant.strip()))
    return turns


def hh_rows() -> Iterator[HarmPair]:
    path = locate("hh_rlhf_harmless", "test.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            chosen, rejected = _split_dialogue(row["chosen"]), _split_dialogue(row["rejected"])
            if not chosen or not rejected or chosen[:-1] != rejected[:-1]:
                continue
            if chosen[-1][0] != rejected[-1][0] or chosen[-1][1] == rejected[-1][1]:
                continue
            yield HarmPair(tuple(chosen[:-1]), chosen[-1][0], chosen[-1][1], rejected[-1][1])


@dataclass(frozen=True)
class SupportDialogue:
    """A real-style customer-support dialogue (ABCD): customer, agent and action turns."""

    convo_id: str
    flow: str
    turns: tuple[tuple[str, str], ...]


def abcd_rows() -> Iterator[SupportDialogue]:
    path = locate("abcd_sample", "abcd_sample.json")
    for item in json.loads(path.read_text(encoding="utf-8")):
        turns = tuple((str(s), str(t)) for s, t in item["original"])
        yield SupportDialogue(str(item["convo_id"]), str(item["scenario"]["flow"]), turns)


@dataclass(frozen=True)
class RelevancePair:
    question: str
    sentence: str
    answers: bool


def wikiqa_rows() -> Iterator[RelevancePair]:
    path = locate("wikiqa_dev", "wikiqa_dev.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield RelevancePair(row["question"], row["sentence"], row["label"].strip() == "1")


@dataclass(frozen=True)
class Comment:
    text: str
    toxic: bool


def surge_rows() -> Iterator[Comment]:
    """surge-ai toxicity: social-media comments labelled Toxic / Not Toxic."""
    path = locate("surge_toxicity", "toxicity_en.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield Comment(row["text"], row["is_toxic"].strip() == "Toxic")


def halueval_general_rows() -> Iterator[Grounded]:
    """HaluEval general: ChatGPT answers with human hallucination labels and no context."""
    path = locate("halueval_general", "general_data.jsonl")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            yield Grounded(
                "halueval_general",
                str(row["user_query"]),
                "",
                str(row["chatgpt_response"]),
                faithful=str(row["hallucination"]).strip().lower() != "yes",
            )
