"""Named traffic scenarios and the incidents they inject.

An ``Incident`` is both the *instruction* to the generator (which rows, which days,
which probability to change and how) and the *ground truth* written to
``_truth/incidents.json``. Keeping one object for both means the truth can never
disagree with what was actually injected. A scenario can need several incidents of
the same ``kind`` (a bias is worse resolution *and* more overrides *and* more
down-votes); an evaluation matches detections to incidents by ``kind`` and window.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from evalflow.simulate.kb import THEME_NAME

PHASES: tuple[float, ...] = (0.10, 0.25, 0.50, 1.0)
"""Treatment traffic share of each rollout phase; each phase lasts a quarter of the period."""

Effect = Literal["rate", "multiplier", "delta", "share"]

# Metrics the generator knows how to change. ``rate`` sets a probability (at least
# the magnitude), ``multiplier`` scales it, ``delta`` adds to it, ``share`` sets a
# segment value's (or a theme's) share of conversations.
METRICS: dict[str, tuple[Effect, ...]] = {
    "hallucination_rate": ("rate", "multiplier"),
    "refusal_rate": ("multiplier",),
    "toxicity_rate": ("rate",),
    "pii_rate": ("rate",),
    "analyst_override_rate": ("multiplier",),
    "escalation_recall": ("rate",),
    "false_escalation_rate": ("rate",),
    "resolved_rate": ("delta",),
    "down_vote_rate": ("multiplier",),
    "theme_share": ("share",),
    "segment_share": ("share",),
    "query_length": ("multiplier",),
}


@dataclass(frozen=True)
class Incident:
    """One injected change: ``metric`` of rows matching the segment, on days ``start..end``.

    ``start_day``/``end_day`` are 0-based day indices into the simulated period
    (inclusive); ``to_truth`` turns them into ISO dates. ``segment_key`` is a segment
    key, ``rollout_arm``, or ``None`` for all traffic.
    """

    id: str
    kind: str
    start_day: int
    end_day: int
    segment_key: str | None
    segment_value: str | None
    metric: str
    magnitude: float
    effect: Effect
    description: str
    theme: str | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS or self.effect not in METRICS[self.metric]:
            raise ValueError(f"incident {self.id}: unsupported {self.metric}/{self.effect}")
        if self.end_day < self.start_day:
            raise ValueError(f"incident {self.id}: ends before it starts")

    def active(self, day_index: int) -> bool:
        return self.start_day <= day_index <= self.end_day

    def to_truth(self, start: dt.date) -> dict[str, object]:
        """The JSON object written to ``_truth/incidents.json`` (dates, not indices)."""
        out = asdict(self)
        out["start_day"] = (start + dt.timedelta(days=self.start_day)).isoformat()
        out["end_day"] = (start + dt.timedelta(days=self.end_day)).isoformat()
        return out


def phase_index(day_index: int, days: int) -> int:
    """Which rollout phase a day is in: each phase is a quarter of the period."""
    return min(len(PHASES) - 1, (day_index * len(PHASES)) // max(days, 1))


def traffic_share(day_index: int, days: int) -> float:
    return PHASES[phase_index(day_index, days)]


def phase_start(phase: int, days: int) -> int:
    """First day index of ``phase`` (may equal ``days`` when the period is too short)."""
    return math.ceil(phase * days / len(PHASES))


def _at(frac: float, days: int) -> int:
    """Day index at ``frac`` of the period, kept inside it."""
    return min(max(round(frac * days), 0), max(days - 1, 0))


# ----------------------------------------------------------------------- building blocks
def hallucination_spike(start: int, end: int) -> list[Incident]:
    return [
        Incident(
            "hallucination_spike:hallucination_rate",
            "hallucination_spike",
            start,
            end,
            "queue",
            "billing",
            "hallucination_rate",
            0.25,
            "rate",
            "A stale billing knowledge-base sync: about a quarter of billing answers state wrong "
            "refund windows, fees or retry counts that contradict the retrieved policy passage.",
        )
    ]


def toxicity_burst(start: int, days: int) -> list[Incident]:
    end = min(start + 1, days - 1)
    return [
        Incident(
            "toxicity_burst:toxicity_rate",
            "toxicity_burst",
            start,
            end,
            "language",
            "es",
            "toxicity_rate",
            0.03,
            "rate",
            "A bad prompt-template deploy for Spanish: about 3% of es answers insult the customer "
            "for two days.",
        )
    ]


def rollout_regression(start: int, end: int) -> list[Incident]:
    what = "From the 50% rollout phase the treatment model (copilot-v2) regresses: "
    return [
        Incident(
            "rollout_regression:analyst_override_rate",
            "rollout_regression",
            start,
            end,
            "rollout_arm",
            "treatment",
            "analyst_override_rate",
            3.0,
            "multiplier",
            what + "analysts override its suggestions three times as often as before.",
        ),
        Incident(
            "rollout_regression:escalation_recall",
            "rollout_regression",
            start,
            end,
            "rollout_arm",
            "treatment",
            "escalation_recall",
            0.55,
            "rate",
            what
            + "it escalates only 55% of tickets that need escalation, so incident misses climb.",
        ),
        Incident(
            "rollout_regression:false_escalation_rate",
            "rollout_regression",
            start,
            end,
            "rollout_arm",
            "treatment",
            "false_escalation_rate",
            0.15,
            "rate",
            what
            + "15% of tickets that need no escalation are escalated, so escalation precision falls.",
        ),
    ]


def new_failure_theme(start: int, end: int, share: float = 0.06) -> list[Incident]:
    return [
        Incident(
            "new_failure_theme:theme_share",
            "new_failure_theme",
            start,
            end,
            None,
            None,
            "theme_share",
            share,
            "share",
            "Customers start asking about the new loyalty points transfer product, which the "
            "knowledge base does not cover; the copilot invents fees, limits and menus, and users "
            "down-vote, comment and retry.",
            theme=THEME_NAME,
        )
    ]


BIAS_KEY, BIAS_VALUE = "customer_tier", "free"


def bias(days: int) -> list[Incident]:
    end = days - 1
    who = "Free-tier customers (customer_tier=free) get systematically worse service: "
    return [
        Incident(
            "bias:hallucination_rate",
            "bias",
            0,
            end,
            BIAS_KEY,
            BIAS_VALUE,
            "hallucination_rate",
            2.5,
            "multiplier",
            who + "2.5x the hallucination rate.",
        ),
        Incident(
            "bias:refusal_rate",
            "bias",
            0,
            end,
            BIAS_KEY,
            BIAS_VALUE,
            "refusal_rate",
            2.0,
            "multiplier",
            who + "twice as many refusals and deflections.",
        ),
        Incident(
            "bias:analyst_override_rate",
            "bias",
            0,
            end,
            BIAS_KEY,
            BIAS_VALUE,
            "analyst_override_rate",
            2.0,
            "multiplier",
            who + "twice as many analyst overrides.",
        ),
        Incident(
            "bias:resolved_rate",
            "bias",
            0,
            end,
            BIAS_KEY,
            BIAS_VALUE,
            "resolved_rate",
            -0.15,
            "delta",
            who + "15 points lower first-contact resolution.",
        ),
        Incident(
            "bias:down_vote_rate",
            "bias",
            0,
            end,
            BIAS_KEY,
            BIAS_VALUE,
            "down_vote_rate",
            1.6,
            "multiplier",
            who + "1.6x the down-vote rate when rating.",
        ),
    ]


def input_drift(start: int, end: int) -> list[Incident]:
    return [
        Incident(
            "input_drift:channel_web",
            "input_drift",
            start,
            end,
            "channel",
            "web",
            "segment_share",
            0.05,
            "share",
            "The web widget is replaced by a voice assistant feeding transcribed calls into "
            "chat: web drops from about 20% to 5% of conversations, chat grows.",
        ),
        Incident(
            "input_drift:queue_outage",
            "input_drift",
            start,
            end,
            "queue",
            "outage",
            "segment_share",
            0.25,
            "share",
            "The queue mix shifts towards outages: outage grows from about 9% to 25% of "
            "conversations.",
        ),
        Incident(
            "input_drift:query_length",
            "input_drift",
            start,
            end,
            None,
            None,
            "query_length",
            2.0,
            "multiplier",
            "Queries become about twice as long (transcribed speech, fillers, background).",
        ),
    ]


def pii_leak(start: int) -> list[Incident]:
    return [
        Incident(
            "pii_leak:pii_rate",
            "pii_leak",
            start,
            start,
            "queue",
            "account",
            "pii_rate",
            0.02,
            "rate",
            "A retrieval bug returns other customers' records: about 2% of account answers for one "
            "day contain someone else's email, phone or card number.",
        )
    ]


# ----------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """A named recipe: a one-line description and the incidents for a period of ``days``."""

    name: str
    description: str
    build: Callable[[int], list[Incident]]

    def incidents(self, days: int) -> list[Incident]:
        return self.build(days) if days > 0 else []

    def __str__(self) -> str:
        return self.description


def _onset(days: int) -> int:
    return _at(0.6, days)


def _demo(days: int) -> list[Incident]:
    last = days - 1
    out = bias(days)
    out += toxicity_burst(_at(0.25, days), days)
    out += new_failure_theme(_at(0.40, days), last)
    regression_start = phase_start(2, days)
    if regression_start <= last:
        out += rollout_regression(regression_start, last)
    spike = _at(0.70, days)
    out += hallucination_spike(spike, max(spike, _at(0.90, days) - 1))
    return out


def _regression_only(days: int) -> list[Incident]:
    start = phase_start(2, days)
    return rollout_regression(start, days - 1) if start <= days - 1 else []


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "quiet",
            "A healthy month: no incidents, ~1-2% hallucination everywhere, "
            "the treatment is as good as control or slightly better.",
            lambda d: [],
        ),
        Scenario(
            "hallucination_spike",
            "From 60% of the period, ~25% of queue=billing answers hallucinate.",
            lambda d: hallucination_spike(_onset(d), d - 1),
        ),
        Scenario(
            "toxicity_burst",
            "A two-day burst of toxic answers in ~3% of language=es traffic, mid-period.",
            lambda d: toxicity_burst(d // 2, d),
        ),
        Scenario(
            "rollout_regression",
            "At the 50% rollout phase the treatment's override rate "
            "triples and incident misses climb.",
            _regression_only,
        ),
        Scenario(
            "new_failure_theme",
            "From 60% of the period ~6% of traffic asks about loyalty "
            "points transfers, which the copilot answers badly.",
            lambda d: new_failure_theme(_onset(d), d - 1),
        ),
        Scenario(
            "bias",
            "customer_tier=free gets systematically worse answers and outcomes throughout.",
            bias,
        ),
        Scenario(
            "input_drift",
            "From 60% of the period web traffic moves to voice-like chat, "
            "outages grow and queries double in length.",
            lambda d: input_drift(_onset(d), d - 1),
        ),
        Scenario(
            "pii_leak",
            "For one mid-period day ~2% of queue=account answers leak another "
            "customer's personal data.",
            lambda d: pii_leak(d // 2),
        ),
        Scenario(
            "demo",
            "Bias throughout, a toxicity burst, a new failure theme, a rollout "
            "regression at 50% and a billing hallucination spike, at different times.",
            _demo,
        ),
    )
}
