"""The simulator's second traffic style: open-domain chat from three bots, no outcomes.

The support style was designed together with evalflow's judges, so it agrees with
them. This style exists to disagree: answers restate their retrieved passage in other
words (a judge that measures word overlap instead of support flags them), nothing is
logged about outcomes (the support composite's terms are unmeasured), users leave a
thumb on a minority of turns, and one bot degenerates (the same question to everyone,
words repeated). Its text lives in ``data/chat_topics.json``.

Bots: ``aria`` answers well, ``bolt`` is terser and sometimes generic, ``echo`` is
degenerate. The ``hallucination_spike`` scenario makes ``bolt`` change a number in a
quarter of its answers from 60% of the period; ``quiet`` injects nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa

from evalflow.simulate.scenarios import Incident, _onset

BOTS = ("aria", "bolt", "echo")
BOT_P = np.array([0.45, 0.35, 0.20])
CHANNELS = ("app", "web")
SCENARIOS = ("quiet", "hallucination_spike")
# Per bot: probability of a faithful paraphrase, a generic reply, a degenerate one.
STYLE_P = {"aria": (0.92, 0.08, 0.0), "bolt": (0.72, 0.28, 0.0), "echo": (0.25, 0.15, 0.60)}
THUMB_UP = {"faithful": 0.85, "generic": 0.35, "degenerate": 0.08, "hallucinated": 0.25}
RATED_SHARE = 0.3
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@cache
def knowledge() -> dict[str, Any]:
    text = resources.files("evalflow.simulate").joinpath("data/chat_topics.json").read_text("utf-8")
    return json.loads(text)


def chat_incidents(scenario: str, days: int) -> list[Incident]:
    """The style's incidents: only the scenarios that mean something for open chat."""
    if scenario not in SCENARIOS:
        raise ValueError(
            f"scenario {scenario!r} is not defined for style 'chat'; choose one of: "
            + ", ".join(SCENARIOS)
        )
    if scenario == "quiet" or days < 2:
        return []
    return [
        Incident(
            "chat_hallucination:hallucination_rate",
            "hallucination_spike",
            _onset(days),
            days - 1,
            "bot",
            "bolt",
            "hallucination_rate",
            0.25,
            "rate",
            "bolt's retrieval cache goes stale: a quarter of its answers state a number "
            "that its retrieved passage contradicts.",
        )
    ]


def _wrong_number(answer: str, rng: np.random.Generator) -> str:
    """The answer with one of its numbers changed: a claim the context contradicts."""
    found = list(_NUMBER.finditer(answer))
    if not found:
        return answer + " It has been like that for 35 years."
    m = found[int(rng.integers(len(found)))]
    digits = m.group().replace(",", "").replace(".", "")
    wrong = str(int(digits) * 2 + 3) if digits.isdigit() else "7"
    return answer[: m.start()] + wrong + answer[m.end() :]


def _reply(
    bot: str, topic: dict[str, Any], hallucinate: bool, rng: np.random.Generator
) -> tuple[str, str]:
    kb = knowledge()
    kind = str(rng.choice(["faithful", "generic", "degenerate"], p=STYLE_P[bot]))
    if kind == "generic":
        return str(rng.choice(kb["generic"])), kind
    if kind == "degenerate":
        if rng.random() < 0.7:
            return str(rng.choice(kb["degenerate"])), kind
        word = str(rng.choice(["great", "yes", "ok", "sure"]))
        return " ".join([word] * int(rng.integers(6, 14))), kind
    answer = str(rng.choice(topic["answers"]))
    if hallucinate:
        return _wrong_number(answer, rng), "hallucinated"
    return answer, kind


def _turn(
    topic: dict[str, Any], bot: str, hallucinate: bool, rng: np.random.Generator
) -> dict[str, Any]:
    kb = knowledge()
    opener = str(rng.choice(kb["openers"]))
    query = f"{opener} {rng.choice(topic['questions'])}".strip()
    other = kb["topics"][int(rng.integers(len(kb["topics"])))]
    context = [str(topic["passages"][0]), str(rng.choice(other["passages"]))]
    response, kind = _reply(bot, topic, hallucinate, rng)
    return {"query": query, "context": context, "response": response, "kind": kind}


def generate_chat(period: Any, index: int) -> Any:
    """Day ``index`` of ``period`` in the chat style, as a :class:`DayBatch`."""
    from evalflow.simulate.world import DayBatch, _volume

    day = period.day(index)
    rng = np.random.default_rng(np.random.SeedSequence([period.seed, day.toordinal(), 7]))
    incident = [i for i in period.incidents if i.active(index)]
    n = _volume(period, index, rng)
    topics = knowledge()["topics"]
    rows: list[dict[str, Any]] = []
    conv = 0
    while len(rows) < n:
        bot = str(rng.choice(BOTS, p=BOT_P))
        topic = topics[int(rng.integers(len(topics)))]
        user = f"cu-{int(rng.integers(max(50, period.per_day // 2))):05d}"
        channel = str(rng.choice(CHANNELS, p=[0.7, 0.3]))
        for turn in range(min(int(rng.geometric(0.55)), 4, n - len(rows))):
            bad = any(i.segment_value == bot for i in incident) and rng.random() < 0.25
            row = _turn(topic, bot, bad, rng)
            row.update(
                bot=bot,
                user=user,
                channel=channel,
                conv=conv,
                turn=turn,
                lang=topic.get("lang", "en"),
            )
            rows.append(row)
        conv += 1
    return _batch(DayBatch, day, rows, rng)


def _batch(
    DayBatch: Any, day: dt.date, rows: list[dict[str, Any]], rng: np.random.Generator
) -> Any:
    n = len(rows)
    seconds = np.sort(rng.integers(0, 86_400, n))
    instant = np.datetime64(day.isoformat(), "s") + seconds.astype("timedelta64[s]")
    iso = [f"{t}Z" for t in np.datetime_as_string(instant, unit="s")]
    ids = [f"chat-{day:%Y%m%d}-{i:06d}" for i in range(n)]
    rated = rng.random(n) < RATED_SHARE
    up = rng.random(n)
    feedback = [
        {
            "rating": ("up" if up[i] < THUMB_UP[r["kind"]] else "down") if rated[i] else None,
            "comment": None,
            "copied": None,
            "edited": None,
            "retried": None,
        }
        for i, r in enumerate(rows)
    ]
    latency = np.round(rng.lognormal(np.log(800), 0.35, n), 1)
    records = pa.table(
        {
            "interaction_id": ids,
            "timestamp": iso,
            "query": [r["query"] for r in rows],
            "response": [r["response"] for r in rows],
            "conversation_id": [f"chat-{day:%Y%m%d}-c{r['conv']:05d}" for r in rows],
            "turn": pa.array([r["turn"] for r in rows], pa.int64()),
            "user_id": [r["user"] for r in rows],
            "model_version": [f"{r['bot']}-1" for r in rows],
            "prompt_version": ["chat-prompt-1"] * n,
            "rollout_arm": pa.nulls(n, pa.string()),
            "traffic_share": pa.nulls(n, pa.float64()),
            "segment": [
                {"bot": r["bot"], "language": r["lang"], "channel": r["channel"]} for r in rows
            ],
            "context": [r["context"] for r in rows],
            "latency_ms": latency,
            "tokens_in": pa.array([40 + 12 * len(r["query"].split()) for r in rows], pa.int64()),
            "tokens_out": pa.array([len(r["response"].split()) * 2 for r in rows], pa.int64()),
            "cost_usd": np.round(latency * 1e-7, 8),
            "feedback": feedback,
            "outcome": pa.nulls(n, pa.struct([("escalated", pa.bool_())])),
            "error": pa.nulls(n, pa.string()),
            "_ts_json": [f'"{t}"' for t in iso],
            "_utc": pa.array(instant.astype("datetime64[ms]")),
            "_epoch": pa.array(np.zeros(n, bool)),
        }
    )
    kinds = np.array([r["kind"] for r in rows])
    truth = pa.table(
        {
            "interaction_id": ids,
            "day": pa.array(np.full(n, np.datetime64(day.isoformat(), "D"))),
            "hallucinated": pa.array(kinds == "hallucinated"),
            "toxic": pa.array(np.zeros(n, bool)),
            "pii": pa.array(np.zeros(n, bool)),
            "refusal": pa.array(np.zeros(n, bool)),
            "theme": pa.nulls(n, pa.string()),
            "biased": pa.array(np.zeros(n, bool)),
            "error": pa.array(np.zeros(n, bool)),
            "degenerate": pa.array(kinds == "degenerate"),
            "generic": pa.array(kinds == "generic"),
            "bot": [r["bot"] for r in rows],
        }
    )
    return DayBatch(day, records, truth)
