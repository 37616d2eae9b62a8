"""Vectorised generation of one day of support-copilot interactions.

Nothing here loops over records in Python. Every text field is assembled from a
pool of pre-rendered fragments (``_Pools``) by *index*: the generator draws integer
arrays with numpy (which fact, which phrasing, which lead-in, correct or wrong value)
and pyarrow joins the chosen fragments in C. That is what lets one day of a million
records be generated in seconds, and what makes the output a pure function of
(seed, day, scenario, period): no dict ordering, clock or hash randomisation leaks in.

Causality is explicit: segment -> answer quality (hallucination, refusal, toxicity,
PII, error) -> feedback and outcomes. Incidents change the *probabilities* of a
targeted slice, so downstream monitors see statistical effects, never marked rows.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalflow.simulate import kb
from evalflow.simulate.scenarios import (
    SCENARIOS,
    Incident,
    traffic_share,
)

# ------------------------------------------------------------------------ vocabulary
QUEUES = kb.QUEUES
LANGS = kb.LANGS
URGENCIES = ("low", "medium", "high", "critical")
REGIONS = ("na", "emea", "apac", "latam")
CHANNELS = ("chat", "email", "web")
TIERS = ("free", "pro", "enterprise")
ARMS = ("control", "treatment")
MODELS = ("copilot-v1", "copilot-v2")
PROMPTS = ("support-prompt-7", "support-prompt-8")
THEME_NAMES = (
    "hallucinated_policy",
    "refusal",
    "toxic_reply",
    "pii_leak",
    "app_error",
    kb.THEME_NAME,
)

QUEUE_P = np.array([0.28, 0.30, 0.18, 0.09, 0.15])
URGENCY_P = np.array(
    [  # rows: queue, columns: low, medium, high, critical
        [0.45, 0.40, 0.12, 0.03],
        [0.30, 0.42, 0.22, 0.06],
        [0.45, 0.40, 0.12, 0.03],
        [0.05, 0.20, 0.40, 0.35],
        [0.50, 0.35, 0.13, 0.02],
    ]
)
CHANNEL_P = np.array([0.50, 0.30, 0.20])
TIER_P = np.array([0.45, 0.40, 0.15])
REGION_P = np.array([0.40, 0.30, 0.18, 0.12])

# (IANA zone, region, fallback UTC offset in minutes, share within region, language mix)
ZONES: tuple[tuple[str, str, int, float, tuple[float, float, float, float]], ...] = (
    ("America/New_York", "na", -300, 0.45, (0.88, 0.10, 0.00, 0.02)),
    ("America/Chicago", "na", -360, 0.25, (0.85, 0.14, 0.00, 0.01)),
    ("America/Denver", "na", -420, 0.08, (0.90, 0.10, 0.00, 0.00)),
    ("America/Los_Angeles", "na", -480, 0.22, (0.84, 0.15, 0.00, 0.01)),
    ("Europe/London", "emea", 0, 0.30, (0.95, 0.01, 0.02, 0.02)),
    ("Europe/Berlin", "emea", 60, 0.25, (0.15, 0.00, 0.85, 0.00)),
    ("Europe/Paris", "emea", 60, 0.25, (0.15, 0.00, 0.00, 0.85)),
    ("Europe/Madrid", "emea", 60, 0.20, (0.15, 0.85, 0.00, 0.00)),
    ("Asia/Tokyo", "apac", 540, 0.25, (0.96, 0.00, 0.02, 0.02)),
    ("Asia/Singapore", "apac", 480, 0.30, (0.98, 0.00, 0.01, 0.01)),
    ("Australia/Sydney", "apac", 600, 0.20, (0.98, 0.00, 0.01, 0.01)),
    ("Asia/Kolkata", "apac", 330, 0.25, (0.98, 0.00, 0.01, 0.01)),
    ("America/Sao_Paulo", "latam", -180, 0.40, (0.55, 0.45, 0.00, 0.00)),
    ("America/Mexico_City", "latam", -360, 0.35, (0.10, 0.90, 0.00, 0.00)),
    ("America/Bogota", "latam", -300, 0.15, (0.10, 0.90, 0.00, 0.00)),
    ("America/Argentina/Buenos_Aires", "latam", -180, 0.10, (0.10, 0.90, 0.00, 0.00)),
)

# Local-time hourly activity: busy office hours on weekdays, a flatter, lower weekend.
HOURLY_WEEKDAY = np.array(
    [
        0.15,
        0.1,
        0.1,
        0.1,
        0.15,
        0.25,
        0.45,
        0.8,
        1.4,
        2.0,
        2.1,
        2.0,
        1.5,
        1.9,
        2.0,
        1.9,
        1.7,
        1.2,
        0.9,
        0.7,
        0.6,
        0.5,
        0.35,
        0.25,
    ]
)
HOURLY_WEEKEND = np.array(
    [
        0.3,
        0.2,
        0.15,
        0.15,
        0.15,
        0.2,
        0.3,
        0.5,
        0.7,
        0.9,
        1.0,
        1.0,
        1.0,
        1.0,
        1.0,
        0.95,
        0.9,
        0.85,
        0.8,
        0.75,
        0.7,
        0.6,
        0.5,
        0.4,
    ]
)
WEEKDAY_VOLUME = np.array([1.12, 1.12, 1.12, 1.12, 1.12, 0.72, 0.68])  # Mon..Sun, mean 1.0

# Probability that a ticket needs a human, by urgency; and the resolution SLA in minutes.
NEEDS_ESCALATION = np.array([0.03, 0.08, 0.25, 0.55])
SLA_MINUTES = np.array([1440.0, 480.0, 240.0, 60.0])
RESOLUTION_MEDIAN = np.array([330.0, 140.0, 60.0, 22.0])

# USD per token (input, output) for control and treatment: v2 is a cheaper model.
PRICE_IN = np.array([1.10e-6, 0.80e-6])
PRICE_OUT = np.array([4.40e-6, 3.20e-6])
LATENCY_MEDIAN = np.array([1150.0, 1000.0])
SYSTEM_PROMPT_TOKENS = 380

# Answer categories, in priority order when several are drawn.
GOOD, HALLUCINATED, REFUSAL, TOXIC, PII, ERROR = range(6)


# ---------------------------------------------------------------------------- pools
class _Pools:
    """Every text fragment the generator can emit, interned once, addressed by index."""

    def __init__(self) -> None:
        self._frags: list[str] = [""]
        self._index: dict[str, int] = {"": 0}
        nf, nl = len(kb.FACTS), len(LANGS)
        self.query = np.zeros((nf, nl, 3), np.int32)
        self.stmt_true = np.zeros((nf, nl), np.int32)
        self.stmt_wrong = np.zeros((nf, nl, 3), np.int32)
        self.detail = np.zeros((nf, nl), np.int32)
        self.passage = np.zeros((nf, nl), np.int32)
        for f, fact in enumerate(kb.FACTS):
            for li, lang in enumerate(LANGS):
                for j, q in enumerate(fact.queries[lang]):
                    self.query[f, li, j] = self.add(q)
                self.stmt_true[f, li] = self.add(fact.statement[lang].format(v=fact.value))
                for w, wrong in enumerate(fact.wrong_values):
                    self.stmt_wrong[f, li, w] = self.add(fact.statement[lang].format(v=wrong))
                self.detail[f, li] = self.add(" " + fact.detail[lang])
                self.passage[f, li] = self.add(kb.passage(fact, lang))
        # " "-prefixed copies keep sentence spacing when a statement follows a lead-in.
        self.stmt_true_sp = np.vectorize(lambda i: self.add(" " + self._frags[i]))(self.stmt_true)
        self.lead = self.per_lang(kb.LEADS)
        self.closing = self.per_lang(kb.CLOSINGS)
        self.refusal = self.per_lang(kb.REFUSALS)
        self.toxic = self.per_lang(kb.TOXIC)
        self.pii = self.per_lang(kb.PII_LEAKS)
        self.fabrication = self.per_lang(kb.FABRICATIONS, prefix=" ")
        self.greeting = self.per_lang(kb.GREETINGS)
        self.signoff = self.per_lang(kb.SIGNOFFS)
        self.reference = self.per_lang(kb.REFERENCES)
        self.followup = self.per_lang(kb.FOLLOWUPS)
        self.complaint = self.per_lang(kb.COMPLAINTS)
        self.background = self.per_lang(kb.BACKGROUND)
        self.filler = self.per_lang(kb.FILLERS)
        self.theme_query = self.per_lang(kb.THEME_QUERIES)
        self.theme_bad = self.per_lang(kb.THEME_BAD_ANSWERS)
        self.comments = {
            HALLUCINATED: self.per_lang(kb.COMMENTS_WRONG),
            REFUSAL: self.per_lang(kb.COMMENTS_UNHELPFUL),
            TOXIC: self.per_lang(kb.COMMENTS_RUDE),
            PII: self.per_lang(kb.COMMENTS_PRIVACY),
            ERROR: self.per_lang(kb.COMMENTS_ERROR),
        }
        self.comment_theme = self.per_lang(kb.THEME_COMMENTS)
        self.comment_meh = self.per_lang(kb.COMMENTS_MEH)
        self.comment_good = self.per_lang(kb.COMMENTS_GOOD)
        self.errors = np.array([self.add(e) for e in kb.ERRORS], np.int32)
        self.dot = self.add(".")
        self.array = pa.array(self._frags, type=pa.large_string())
        self.length = np.array([len(s) for s in self._frags], np.int64)

    def add(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self._frags)
            self._frags.append(text)
        return self._index[text]

    def per_lang(self, pool: kb.LT, prefix: str = "") -> np.ndarray:
        return np.array([[self.add(prefix + s) for s in pool[lang]] for lang in LANGS], np.int32)

    def take(self, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        """Fragments at ``idx``; null where ``mask`` is true."""
        return self.array.take(pa.array(idx, type=pa.int32(), mask=mask))

    def join(self, *slots: np.ndarray) -> pa.Array:
        return concat(*(self.take(s) for s in slots))


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation in C (all parts as ``large_string``)."""
    cast = [p if isinstance(p, str) else p.cast(pa.large_string()) for p in parts]
    return pc.binary_join_element_wise(*cast, pa.scalar("", pa.large_string()))


@functools.cache
def pools() -> _Pools:
    return _Pools()


def _pick(rng: np.random.Generator, pool: np.ndarray, lang: np.ndarray) -> np.ndarray:
    """For each row, a random entry of ``pool[lang]`` (pool shaped languages x variants)."""
    return pool[lang, rng.integers(0, pool.shape[1], len(lang))]


def _categorical(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(probs) / probs.sum(), rng.random(n), side="right").clip(
        0, len(probs) - 1
    )


def _rows_categorical(rng: np.random.Generator, table: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Per-row categorical draw with probabilities ``table[row]``, in one ``searchsorted``.

    Row ``g``'s cumulative probabilities are shifted to ``g + cum`` so all groups lie
    on one increasing axis; a draw ``row + u`` then lands inside its own group.
    """
    k = table.shape[1]
    cum = np.cumsum(table, axis=1)
    cum = cum / cum[:, -1:]
    cum[:, -1] = 1.0
    flat = (np.arange(table.shape[0])[:, None] + cum).ravel()
    flat[k - 1 :: k] -= 1e-12  # keep each group's end strictly below the next group's start
    u = rng.random(len(row))
    pos = np.searchsorted(flat, row + u, side="right")
    return (pos - row * k).clip(0, k - 1)


def _hex_ids(rng: np.random.Generator, n: int, prefix: str, nbytes: int) -> pa.Array:
    """``n`` random ids like ``int_3fa9...``: random bytes hex-encoded in one C call."""
    if n == 0:
        return pa.array([], pa.string())
    hexed = np.frombuffer(rng.bytes(nbytes * n).hex().encode("ascii"), dtype=f"S{2 * nbytes}")
    body = pa.array(hexed).cast(pa.string())
    return pc.binary_join_element_wise(prefix, body, "")


# ---------------------------------------------------------------------------- users
@dataclass(frozen=True)
class Users:
    """A fixed population: each user keeps region, zone, language, tier and rollout bucket."""

    user_id: pa.Array
    zone: np.ndarray
    region: np.ndarray
    lang: np.ndarray
    tier: np.ndarray
    bucket: np.ndarray
    cum_weight: np.ndarray

    @classmethod
    def build(cls, seed: int, per_day: int) -> Users:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0, 0]))
        n = int(min(max(200, per_day * 3), 3_000_000))
        region = _categorical(rng, REGION_P, n)
        zone_region = np.array([REGIONS.index(z[1]) for z in ZONES])
        zone_share = np.array([z[3] for z in ZONES])
        # P(zone | region): the within-region share, zero for other regions.
        table = np.where(zone_region[None, :] == np.arange(len(REGIONS))[:, None], zone_share, 0.0)
        zone = _rows_categorical(rng, table, region)
        lang_mix = np.array([z[4] for z in ZONES]) + 1e-12
        lang = _rows_categorical(rng, lang_mix, zone)
        tier = _categorical(rng, TIER_P, n)
        bucket = rng.random(n)
        weight = rng.pareto(1.6, n) + 1.0  # a few heavy users, many occasional ones
        cum = np.cumsum(weight)
        return cls(_hex_ids(rng, n, "usr_", 6), zone, region, lang, tier, bucket, cum / cum[-1])


@functools.lru_cache(maxsize=4)
def _zone_offsets(day: dt.date) -> np.ndarray:
    """UTC offset in minutes of every zone at every UTC hour of ``day`` (DST-exact)."""
    out = np.zeros((len(ZONES), 24), np.int64)
    try:
        from zoneinfo import ZoneInfo

        base = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        for z, (name, *_rest) in enumerate(ZONES):
            tz = ZoneInfo(name)
            for h in range(24):
                off = (base + dt.timedelta(hours=h)).astimezone(tz).utcoffset()
                out[z, h] = int(off.total_seconds() // 60) if off is not None else 0
    except Exception:  # no tz database on this machine: fixed standard offsets
        out[:] = np.array([z[2] for z in ZONES])[:, None]
    return out


def _offset_strings(minutes: np.ndarray) -> pa.Array:
    """'+02:00', '-03:00', '+05:30' for each offset (only a handful of distinct values)."""
    uniq, inverse = np.unique(minutes, return_inverse=True)
    text = [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in uniq.tolist()]
    return pa.array(text, pa.string()).take(pa.array(inverse.astype(np.int32)))


# --------------------------------------------------------------------------- period
@dataclass
class Period:
    """What every day of one simulation shares: dates, volume, seed, scenario, users."""

    start: dt.date
    days: int
    per_day: int
    seed: int
    scenario: str = "demo"
    style: str = "support"
    incidents: list[Incident] = field(init=False)
    _users: Users | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(
                f"unknown scenario {self.scenario!r}; choose one of {', '.join(sorted(SCENARIOS))}"
            )
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.per_day < 0:
            raise ValueError("per_day must not be negative")
        self.incidents = SCENARIOS[self.scenario].incidents(self.days)

    @property
    def users(self) -> Users:
        if self._users is None:
            self._users = Users.build(self.seed, self.per_day)
        return self._users

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)

    def index_of(self, day: dt.date) -> int:
        return (day - self.start).days

    def active(self, index: int, metric: str) -> list[Incident]:
        return [i for i in self.incidents if i.metric == metric and i.active(index)]


@dataclass
class DayBatch:
    """One generated day: the records (SPEC shape plus helper columns) and their truth.

    ``records`` columns prefixed ``_`` are for the writer only: ``_ts_json`` (the
    timestamp as raw JSON text: a quoted ISO string or a bare epoch number),
    ``_utc`` (the instant, UTC) and ``_epoch`` (whether it is logged as epoch seconds).
    """

    day: dt.date
    records: pa.Table
    truth: pa.Table


def _segment_mask(
    inc: Incident, seg: dict[str, tuple[tuple[str, ...], np.ndarray]], n: int
) -> np.ndarray:
    """Rows an incident targets (all rows when it names no segment)."""
    if inc.segment_key is None:
        return np.ones(n, bool)
    vocab, codes = seg[inc.segment_key]
    return codes == vocab.index(str(inc.segment_value))


def _volume(period: Period, index: int, rng: np.random.Generator) -> int:
    day = period.day(index)
    mean = period.per_day * WEEKDAY_VOLUME[day.weekday()]
    return int(max(0, round(mean * float(np.exp(rng.normal(0.0, 0.04))))))


def generate(period: Period, index: int) -> DayBatch:
    """Generate day ``index`` of ``period`` (deterministic in seed, day and scenario).

    The phases below draw from one generator in a fixed order: conversations, their
    rows, answer category, context, response, query, feedback, outcome, operations,
    timestamp formats, ids. That order *is* the output (same arguments, same bytes,
    pinned by ``evalflow_tests/simulate/test_same_bytes.py``), so a new draw goes at
    the end of a phase only with a deliberate re-recording of the golden digests.
    """
    day = period.day(index)
    rng = np.random.default_rng(np.random.SeedSequence([period.seed, day.toordinal(), 1]))
    P = pools()
    n = _volume(period, index, rng)
    share = traffic_share(index, period.days)
    convs = _conversations(period, index, n, share, rng)
    rows = _expand_rows(convs, n, rng)
    quality = _quality(period, index, rows)
    answer = _answer_category(quality, rows.theme, rng)
    context = _context(rows, answer.miss, P, rng)
    response = _response(rows, answer, P, rng)
    query = _query(period, index, rows, answer.bad, P, rng)
    feedback = _feedback(rows, answer, quality.down_mult, P, rng)
    outcome = _outcome(rows, answer, quality, rng)
    ops = _operations(rows, answer.err, query.length + context.length, response.length, rng)
    hour = (rows.utc_ms // 3_600_000).clip(0, 23)
    offset = _zone_offsets(day)[rows.zone, hour]
    fmt = _categorical(rng, np.array([0.78, 0.12, 0.05, 0.035, 0.015]), n)
    drawn = _Day(
        day, share, period.users, rows, quality, answer, context, response, query,
        feedback, outcome, ops, offset, fmt,
    )  # fmt: skip
    order = np.argsort(rows.utc_ms, kind="stable")
    ids = _hex_ids(rng, n, "int_", 10)
    return DayBatch(day, _records(drawn, order, ids, P), _truth(drawn, order, ids))


# ------------------------------------------------------------------- phase results
# Plain containers between phases; eq=False because their fields are numpy arrays.
@dataclass(frozen=True, eq=False)
class _Conversations:
    """One entry per conversation: its user's attributes, topic, and UTC start second."""

    turns: np.ndarray
    user: np.ndarray
    zone: np.ndarray
    region: np.ndarray
    lang: np.ndarray
    tier: np.ndarray
    arm: np.ndarray
    queue: np.ndarray
    channel: np.ndarray
    theme: np.ndarray
    urgency: np.ndarray
    ids: pa.Array
    start: np.ndarray


@dataclass(frozen=True, eq=False)
class _Rows:
    """One entry per interaction (generation order): its conversation's attributes, turn,
    time of day and the fact the user asks about."""

    conv: np.ndarray
    turn: np.ndarray
    utc_ms: np.ndarray
    user: np.ndarray
    zone: np.ndarray
    region: np.ndarray
    lang: np.ndarray
    tier: np.ndarray
    queue: np.ndarray
    urgency: np.ndarray
    channel: np.ndarray
    arm: np.ndarray
    theme: np.ndarray
    fact_in_queue: np.ndarray
    fact: np.ndarray
    conv_ids: pa.Array

    def segments(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """Segment key -> (vocabulary, per-row code), for incident targeting."""
        return {
            "queue": (QUEUES, self.queue),
            "urgency": (URGENCIES, self.urgency),
            "region": (REGIONS, self.region),
            "language": (LANGS, self.lang),
            "channel": (CHANNELS, self.channel),
            "customer_tier": (TIERS, self.tier),
            "rollout_arm": (ARMS, self.arm),
        }


@dataclass(frozen=True, eq=False)
class _Quality:
    """Per-row probabilities and multipliers after the day's incidents are applied."""

    p_err: np.ndarray
    p_hal: np.ndarray
    p_ref: np.ndarray
    p_miss: np.ndarray
    p_tox: np.ndarray
    p_pii: np.ndarray
    override_mult: np.ndarray
    recall: np.ndarray
    false_esc: np.ndarray
    resolved_delta: np.ndarray
    down_mult: np.ndarray
    biased: np.ndarray


@dataclass(frozen=True, eq=False)
class _Answer:
    """The drawn answer category per row, and whether retrieval missed the passage."""

    cat: np.ndarray
    err: np.ndarray
    miss: np.ndarray
    bad: np.ndarray


@dataclass(frozen=True, eq=False)
class _Text:
    """A text field as fragment-index slots (joined later in C) and its length in chars."""

    slots: tuple[np.ndarray, ...]
    length: np.ndarray


@dataclass(frozen=True, eq=False)
class _Context:
    """Retrieved passages: fragment per rank (rows x 4), which ranks are used, total chars."""

    frag: np.ndarray
    used: np.ndarray
    length: np.ndarray


@dataclass(frozen=True, eq=False)
class _Query:
    """The user's message: fragment slots, the optional ticket reference, total chars."""

    slots: tuple[np.ndarray, ...]
    has_ref: np.ndarray
    ref_num: np.ndarray
    length: np.ndarray


@dataclass(frozen=True, eq=False)
class _Feedback:
    """Explicit (rating, comment) and implicit (copied, edited, retried) feedback."""

    rated: np.ndarray
    down: np.ndarray
    commented: np.ndarray
    comment: np.ndarray
    no_implicit: np.ndarray
    copied: np.ndarray
    edited: np.ndarray
    retried: np.ndarray


@dataclass(frozen=True, eq=False)
class _Outcome:
    """What happened to the ticket after the answer."""

    needs: np.ndarray
    escalated: np.ndarray
    overridden: np.ndarray
    resolved: np.ndarray
    minutes: np.ndarray
    sla_met: np.ndarray


@dataclass(frozen=True, eq=False)
class _Ops:
    """Operational fields: error kind, tokens, latency and cost."""

    err_kind: np.ndarray
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    latency: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True, eq=False)
class _Day:
    """Everything drawn for one day, in generation order (assembly sorts it by time)."""

    day: dt.date
    share: float
    users: Users
    rows: _Rows
    quality: _Quality
    answer: _Answer
    context: _Context
    response: _Text
    query: _Query
    feedback: _Feedback
    outcome: _Outcome
    ops: _Ops
    offset: np.ndarray
    fmt: np.ndarray


# ------------------------------------------------------------------------- phases
def _turn_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    """Turns per conversation (geometric, at most 6), trimmed so they sum to exactly ``n``."""
    turns = np.zeros(0, np.int64)
    while turns.sum() < n:
        turns = np.concatenate([turns, np.minimum(rng.geometric(0.62, max(16, n // 2)), 6)])
    ends = np.cumsum(turns)
    m = int(np.searchsorted(ends, n) + 1) if n else 0
    turns = turns[:m]
    if m:
        turns[-1] -= ends[m - 1] - n
    return turns


def _topics(
    period: Period, index: int, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Queue, channel, new-theme flag and urgency per conversation.

    ``segment_share`` incidents shift the queue or channel mix (the named value gets
    ``magnitude``, the others share the rest in proportion); ``theme_share`` incidents
    make a share of conversations about the new failure theme.
    """
    queue_p, channel_p = QUEUE_P.copy(), CHANNEL_P.copy()
    for inc in period.active(index, "segment_share"):
        probs, names = (queue_p, QUEUES) if inc.segment_key == "queue" else (channel_p, CHANNELS)
        k = names.index(inc.segment_value)
        rest = np.arange(len(probs)) != k
        probs[rest] *= (1.0 - inc.magnitude) / probs[rest].sum()
        probs[k] = inc.magnitude
    queue = _categorical(rng, queue_p, m)
    channel = _categorical(rng, channel_p, m)
    theme_share = sum(i.magnitude for i in period.active(index, "theme_share"))
    theme = rng.random(m) < theme_share
    # Loyalty points questions land in the account (60%) or billing queue.
    queue = np.where(theme, np.where(rng.random(m) < 0.6, 2, 0), queue)
    urgency = _rows_categorical(rng, URGENCY_P, queue)
    return queue, channel, theme, urgency


def _conversations(
    period: Period, index: int, n: int, share: float, rng: np.random.Generator
) -> _Conversations:
    """Who talks (a user of the fixed population), about what, and when the talk starts.

    The start is a local-time hour from the weekday/weekend profile mapped to UTC with
    the user's zone offset at noon, so traffic follows the sun across regions.
    """
    users = period.users
    turns = _turn_counts(n, rng)
    m = len(turns)
    user = np.searchsorted(users.cum_weight, rng.random(m), side="right").clip(
        0, len(users.bucket) - 1
    )
    arm = (users.bucket[user] < share).astype(np.int64)
    queue, channel, theme, urgency = _topics(period, index, m, rng)
    ids = _hex_ids(rng, m, "conv_", 8)
    day = period.day(index)
    profile = HOURLY_WEEKDAY if day.weekday() < 5 else HOURLY_WEEKEND
    local_sec = _categorical(rng, profile, m) * 3600 + rng.integers(0, 3600, m)
    zone = users.zone[user]
    start = (local_sec - _zone_offsets(day)[:, 12][zone] * 60) % 86400
    return _Conversations(
        turns, user, zone, users.region[user], users.lang[user], users.tier[user], arm,
        queue, channel, theme, urgency, ids, start,
    )  # fmt: skip


def _expand_rows(c: _Conversations, n: int, rng: np.random.Generator) -> _Rows:
    """One row per turn: turns a minute or so apart, the whole conversation inside the day
    (a late start is pulled earlier), and the fact each turn asks about (from its queue)."""
    m, turns = len(c.turns), c.turns
    conv = np.repeat(np.arange(m), turns)
    first_row = np.concatenate([[0], np.cumsum(turns)[:-1]]) if m else np.zeros(0, np.int64)
    turn = np.arange(n) - first_row[conv] + 1
    gap = np.where(turn > 1, rng.lognormal(np.log(70.0), 0.6, n), 0.0).astype(np.int64)
    elapsed = np.cumsum(gap) - np.repeat(np.cumsum(gap)[first_row] if m else gap[:0], turns)
    total = elapsed[first_row + turns - 1] if m else np.zeros(0, np.int64)  # last turn's offset
    start = np.minimum(c.start, 86399 - total)
    utc_ms = (start[conv] + elapsed) * 1000 + rng.integers(0, 1000, n)
    queue = c.queue[conv]
    fact_in_queue = rng.integers(0, kb.FACTS_PER_QUEUE, n)
    return _Rows(
        conv=conv,
        turn=turn,
        utc_ms=utc_ms,
        user=c.user[conv] if m else np.zeros(0, np.int64),
        zone=c.zone[conv],
        region=c.region[conv],
        lang=c.lang[conv],
        tier=c.tier[conv],
        queue=queue,
        urgency=c.urgency[conv],
        channel=c.channel[conv],
        arm=c.arm[conv],
        theme=c.theme[conv],
        fact_in_queue=fact_in_queue,
        fact=queue * kb.FACTS_PER_QUEUE + fact_in_queue,
        conv_ids=c.ids,
    )


def _quality(period: Period, index: int, rows: _Rows) -> _Quality:
    """Baseline quality rates (treatment slightly better) moved by each active incident.

    Incidents change probabilities for their segment, never individual rows, so the
    monitors downstream must find a statistical effect, as they would in production.
    ``segment_share``/``theme_share``/``query_length`` act on traffic, not quality.
    """
    n, treat, seg = len(rows.arm), rows.arm == 1, rows.segments()
    q = {
        "p_err": np.full(n, 0.006),
        "p_hal": np.where(treat, 0.009, 0.010),
        "p_ref": np.where(treat, 0.020, 0.022),
        "p_miss": np.full(n, 0.015),
        "p_tox": np.zeros(n),
        "p_pii": np.zeros(n),
        "override_mult": np.where(treat, 0.9, 1.0),
        "recall": np.full(n, 0.92),
        "false_esc": np.full(n, 0.04),
        "resolved_delta": np.zeros(n),
        "down_mult": np.ones(n),
        "biased": np.zeros(n, bool),
    }
    for inc in period.incidents:
        if not inc.active(index) or inc.metric in ("segment_share", "theme_share", "query_length"):
            continue
        mask = _segment_mask(inc, seg, n)
        if inc.kind == "bias":
            q["biased"] |= mask
        _apply_incident(q, inc, mask)
    return _Quality(**q)


def _apply_incident(q: dict[str, np.ndarray], inc: Incident, mask: np.ndarray) -> None:
    """Move one metric's probability for the rows in ``mask`` (``effect`` says how)."""
    mag, m = inc.magnitude, inc.metric
    if m == "hallucination_rate":
        p = q["p_hal"]
        q["p_hal"] = np.where(mask, np.maximum(p, mag) if inc.effect == "rate" else p * mag, p)
        if inc.effect == "multiplier":  # a worse model also retrieves worse
            q["p_miss"] = np.where(mask, q["p_miss"] * mag, q["p_miss"])
    elif m == "refusal_rate":
        q["p_ref"] = np.where(mask, q["p_ref"] * mag, q["p_ref"])
    elif m == "toxicity_rate":
        q["p_tox"] = np.where(mask, np.maximum(q["p_tox"], mag), q["p_tox"])
    elif m == "pii_rate":
        q["p_pii"] = np.where(mask, np.maximum(q["p_pii"], mag), q["p_pii"])
    elif m == "analyst_override_rate":
        q["override_mult"] = np.where(mask, q["override_mult"] * mag, q["override_mult"])
    elif m == "escalation_recall":
        q["recall"] = np.where(mask, mag, q["recall"])
    elif m == "false_escalation_rate":
        q["false_esc"] = np.where(mask, mag, q["false_esc"])
    elif m == "resolved_rate":
        q["resolved_delta"] = np.where(mask, q["resolved_delta"] + mag, q["resolved_delta"])
    elif m == "down_vote_rate":
        q["down_mult"] = np.where(mask, q["down_mult"] * mag, q["down_mult"])


def _answer_category(q: _Quality, theme: np.ndarray, rng: np.random.Generator) -> _Answer:
    """One category per row, in priority order error > toxic > PII > hallucinated > refusal.

    A missed retrieval (always for the new theme, whose article does not exist) makes a
    hallucination or a refusal likely: the causal path the faithfulness judges test.
    Eight uniform rows are drawn although six are used, to keep the draw order stable.
    """
    u = rng.random((8, len(theme)))
    err = u[0] < q.p_err
    tox = ~err & (u[1] < q.p_tox)
    pii = ~err & ~tox & (u[2] < q.p_pii)
    plain = ~err & ~tox & ~pii
    miss = plain & (theme | (u[3] < q.p_miss))  # the relevant passage was not retrieved
    hal = plain & np.where(theme, u[4] < 0.75, np.where(miss, u[4] < 0.5, u[4] < q.p_hal))
    ref = plain & ~hal & (miss | (u[5] < q.p_ref))
    cat = np.select([err, tox, pii, hal, ref], [ERROR, TOXIC, PII, HALLUCINATED, REFUSAL], GOOD)
    return _Answer(cat=cat, err=err, miss=miss, bad=cat != GOOD)


def _context(rows: _Rows, miss: np.ndarray, P: _Pools, rng: np.random.Generator) -> _Context:
    """1-4 retrieved passages from the row's queue, the relevant one first (unless missed,
    or swapped to second place), sometimes with an irrelevant passage from another queue."""
    n, queue, fpq = len(miss), rows.queue, kb.FACTS_PER_QUEUE
    k = np.where(miss, 1 + rng.binomial(2, 0.45, n), 1 + rng.binomial(3, 0.45, n))
    offsets = np.where(miss[:, None], np.arange(1, 5)[None, :], np.arange(0, 4)[None, :])
    ctx_fact = queue[:, None] * fpq + (rows.fact_in_queue[:, None] + offsets) % fpq
    swap = (~miss) & (k >= 2) & (rng.random(n) < 0.2)  # relevant passage ranked second
    ctx_fact[swap, 0], ctx_fact[swap, 1] = ctx_fact[swap, 1].copy(), ctx_fact[swap, 0].copy()
    irrelevant = rng.random(n) < 0.10
    other = ((queue + rng.integers(1, len(QUEUES), n)) % len(QUEUES)) * fpq + rng.integers(
        0, fpq, n
    )
    k = np.where(irrelevant & (k < 4), k + 1, k)
    last = (np.arange(n), np.maximum(k - 1, 0))
    ctx_fact[last] = np.where(irrelevant, other, ctx_fact[last])
    used = np.arange(4)[None, :] < k[:, None]
    frag = P.passage[ctx_fact, rows.lang[:, None]]
    return _Context(frag=frag, used=used, length=(P.length[frag] * used).sum(axis=1))


def _response(rows: _Rows, a: _Answer, P: _Pools, rng: np.random.Generator) -> _Text:
    """Lead-in, body by category, an extra sentence (fabricated claim, detail, or the
    leaked customer's statement), closing. A hallucination states a wrong value."""
    n, lang, fact, theme, cat = len(a.cat), rows.lang, rows.fact, rows.theme, a.cat
    empty = np.zeros(n, np.int32)
    r1 = np.where(rng.random(n) < 0.7, _pick(rng, P.lead, lang), empty)
    r2 = np.select(
        [
            cat == GOOD,
            (cat == HALLUCINATED) & theme,
            cat == HALLUCINATED,
            cat == REFUSAL,
            cat == TOXIC,
            cat == PII,
        ],
        [
            P.stmt_true[fact, lang],
            P.theme_bad[lang, rng.integers(0, 3, n)],
            P.stmt_wrong[fact, lang, rng.integers(0, 3, n)],
            P.refusal[lang, np.where(a.miss, rng.integers(2, 4, n), rng.integers(0, 4, n))],
            _pick(rng, P.toxic, lang),
            _pick(rng, P.pii, lang),
        ],
        0,
    ).astype(np.int32)
    r1 = np.where((cat == REFUSAL) | (cat == TOXIC) | (cat == ERROR), empty, r1)
    fabricate = (cat == HALLUCINATED) & (rng.random(n) < np.where(theme, 0.3, 0.7))
    with_detail = ((cat == GOOD) | (cat == HALLUCINATED)) & ~theme & (rng.random(n) < 0.55)
    r3 = np.select(
        [fabricate, with_detail, cat == PII],
        [_pick(rng, P.fabrication, lang), P.detail[fact, lang], P.stmt_true_sp[fact, lang]],
        0,
    ).astype(np.int32)
    r4 = np.where(np.isin(cat, (GOOD, HALLUCINATED, PII)), _pick(rng, P.closing, lang), empty)
    slots = (r1, r2, r3, r4)
    return _Text(slots=slots, length=sum(P.length[r] for r in slots))


def _query(
    period: Period, index: int, rows: _Rows, bad: np.ndarray, P: _Pools, rng: np.random.Generator
) -> _Query:
    """The user's message: greeting, follow-up or complaint (after a bad answer), the
    question, background, a ticket reference, a sign-off. ``query_length`` incidents
    (input drift) add background and, on chat, voice-transcript fillers."""
    n, lang, turn = len(bad), rows.lang, rows.turn
    empty = np.zeros(n, np.int32)
    prev_bad = np.concatenate([[False], bad[:-1]]) & (turn > 1) if n else bad
    q1 = np.select(
        [(turn > 1) & prev_bad & (rng.random(n) < 0.7), turn > 1],
        [_pick(rng, P.complaint, lang), _pick(rng, P.followup, lang)],
        _pick(rng, P.greeting, lang),
    ).astype(np.int32)
    q2 = np.where(
        rows.theme, _pick(rng, P.theme_query, lang), P.query[rows.fact, lang, rng.integers(0, 3, n)]
    )
    longer = bool(period.active(index, "query_length"))
    q3 = np.where(rng.random(n) < (1.0 if longer else 0.10), _pick(rng, P.background, lang), empty)
    q4 = np.where(longer & (rng.random(n) < 0.6), _pick(rng, P.background, lang), empty)
    q0 = np.where(
        longer & (rows.channel == 0) & (rng.random(n) < 0.7), _pick(rng, P.filler, lang), empty
    )
    has_ref = (rows.queue != 3) & (rng.random(n) < 0.25)
    q5 = np.where(has_ref, _pick(rng, P.reference, lang), empty)
    q6 = np.where(has_ref, P.dot, empty)
    q7 = np.where(rng.random(n) < 0.5, _pick(rng, P.signoff, lang), empty)
    ref_num = rng.integers(10000, 99999, n)
    slots = (q0, q1, q2, q3, q4, q5, q6, q7)
    length = sum(P.length[q] for q in slots) + has_ref * 5
    return _Query(slots=slots, has_ref=has_ref, ref_num=ref_num, length=length)


def _feedback(
    rows: _Rows, a: _Answer, down_mult: np.ndarray, P: _Pools, rng: np.random.Generator
) -> _Feedback:
    """Bad answers are rated more often and mostly down; down-votes carry a comment that
    names the problem. Email cannot observe copy/edit/retry (null there)."""
    n, lang, theme, cat, bad, err = len(a.cat), rows.lang, rows.theme, a.cat, a.bad, a.err
    rated = rng.random(n) < np.where(bad, 0.45, 0.22)
    p_down = np.choose(cat, [0.10, 0.70, 0.60, 0.90, 0.60, 0.80])
    p_down = np.where(theme & (cat == HALLUCINATED), 0.85, p_down)
    down = rated & (rng.random(n) < np.minimum(p_down * down_mult, 0.98))
    commented = rated & (rng.random(n) < np.where(down, np.where(theme, 0.7, 0.45), 0.12))
    comment = np.select(
        [~down, theme, cat == GOOD, cat == HALLUCINATED, cat == REFUSAL, cat == TOXIC, cat == PII],
        [
            _pick(rng, P.comment_good, lang),
            _pick(rng, P.comment_theme, lang),
            _pick(rng, P.comment_meh, lang),
            _pick(rng, P.comments[HALLUCINATED], lang),
            _pick(rng, P.comments[REFUSAL], lang),
            _pick(rng, P.comments[TOXIC], lang),
            _pick(rng, P.comments[PII], lang),
        ],
        _pick(rng, P.comments[ERROR], lang),
    ).astype(np.int32)
    return _Feedback(
        rated=rated,
        down=down,
        commented=commented,
        comment=comment,
        no_implicit=rows.channel == 1,
        copied=rng.random(n) < np.select([err, bad], [0.0, 0.06], 0.35),
        edited=rng.random(n) < np.select([err, bad], [0.0, 0.22], 0.07),
        retried=rng.random(n) < np.select([err, theme, bad], [0.6, 0.45, 0.30], 0.03),
    )


def _outcome(rows: _Rows, a: _Answer, q: _Quality, rng: np.random.Generator) -> _Outcome:
    """Escalation (needed by urgency, caught with ``recall``), analyst override,
    resolution and its time against the SLA: all worse after a bad answer."""
    n, urgency, cat, bad, theme = len(a.cat), rows.urgency, a.cat, a.bad, rows.theme
    needs = rng.random(n) < np.minimum(NEEDS_ESCALATION[urgency] + 0.1 * (rows.queue == 3), 0.95)
    recall_row = np.where(bad, np.minimum(q.recall, 0.80), q.recall)
    fp_row = np.where(bad, np.maximum(q.false_esc, 0.10), q.false_esc)
    escalated = np.where(needs, rng.random(n) < recall_row, rng.random(n) < fp_row)
    p_override = np.choose(cat, [0.06, 0.55, 0.30, 0.90, 0.70, 0.35])
    p_override = np.where(theme & (cat == HALLUCINATED), 0.65, p_override)
    overridden = rng.random(n) < np.minimum(p_override * q.override_mult, 0.97)
    p_resolved = np.choose(cat, [0.80, 0.30, 0.35, 0.10, 0.40, 0.10]) * np.where(
        escalated, 0.6, 1.0
    )
    resolved = rng.random(n) < np.clip(p_resolved + q.resolved_delta, 0.01, 0.99)
    minutes = (
        RESOLUTION_MEDIAN[urgency]
        * np.where(bad, 1.7, 1.0)
        * np.where(escalated, 1.6, 1.0)
        * np.where(resolved, 1.0, 1.3)
        * rng.lognormal(0.0, 0.6, n)
    )
    minutes = np.round(minutes, 1)
    return _Outcome(
        needs=needs,
        escalated=escalated,
        overridden=overridden,
        resolved=resolved,
        minutes=minutes,
        sla_met=minutes <= SLA_MINUTES[urgency],
    )


def _operations(
    rows: _Rows,
    err: np.ndarray,
    prompt_chars: np.ndarray,
    response_chars: np.ndarray,
    rng: np.random.Generator,
) -> _Ops:
    """Tokens from text length (about 4 chars a token, plus the system prompt), latency
    by arm and output length (an error's latency by its kind), cost by arm's prices."""
    n, arm = len(err), rows.arm
    err_kind = _categorical(rng, np.array([0.45, 0.25, 0.10, 0.20]), n)
    tokens_in = SYSTEM_PROMPT_TOKENS + np.ceil(prompt_chars / 4).astype(np.int64)
    tokens_out = np.where(
        err, 0, np.ceil(response_chars / 4).astype(np.int64) + rng.integers(0, 8, n)
    )
    latency = LATENCY_MEDIAN[arm] * rng.lognormal(0.0, 0.40, n) + tokens_out * 4.0
    latency = np.where(
        err, np.choose(err_kind, [30000.0, 150.0, 400.0, 5000.0]) + rng.integers(0, 200, n), latency
    )
    latency = np.round(latency, 1)
    cost = np.round(tokens_in * PRICE_IN[arm] + tokens_out * PRICE_OUT[arm], 6)
    return _Ops(err_kind, tokens_in, tokens_out, latency, cost)


# ----------------------------------------------------------------------- assembly
def _labels(values: tuple[str, ...], idx: np.ndarray) -> pa.Array:
    """Codes as their string labels (via a dictionary array: one C cast, no Python loop)."""
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(values)).cast(
        pa.string()
    )


def _timestamps(
    day: dt.date, utc_ms: np.ndarray, offset: np.ndarray, fmt: np.ndarray
) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """``(iso, ts_json, instant, is_epoch)`` per row, already in time order.

    ``fmt`` picks how a producer logs the time, as real ones differ: 0 ISO seconds with
    the local offset, 1 ISO milliseconds with offset, 2 UTC ``Z``, 3 epoch seconds,
    4 epoch with milliseconds. ``iso`` is the SPEC string for the non-JSON writers.
    """
    midnight = np.datetime64(day.isoformat(), "ms")
    instant = midnight + utc_ms.astype("timedelta64[ms]")
    local = instant + (offset * 60_000).astype("timedelta64[ms]")
    iso_s = pa.array(np.datetime_as_string(local, unit="s"))
    iso_ms = pa.array(np.datetime_as_string(local, unit="ms"))
    zulu = pa.array(np.datetime_as_string(instant, unit="s"))
    off_txt = _offset_strings(offset)
    fmt_a = pa.array(fmt)
    iso = pc.if_else(
        pc.equal(fmt_a, 1),
        pc.binary_join_element_wise(iso_ms, off_txt, ""),
        pc.if_else(
            pc.greater_equal(fmt_a, 2),
            pc.binary_join_element_wise(zulu, "Z", ""),
            pc.binary_join_element_wise(iso_s, off_txt, ""),
        ),
    )
    epoch_s = utc_ms // 1000 + (midnight.astype("datetime64[s]").astype(np.int64))
    epoch_txt = pc.if_else(
        pc.equal(fmt_a, 4),
        pa.array(np.round(epoch_s + (utc_ms % 1000) / 1000.0, 3)).cast(pa.string()),
        pa.array(epoch_s).cast(pa.string()),
    )
    is_epoch = fmt >= 3
    ts_json = pc.if_else(
        pa.array(is_epoch), epoch_txt, pc.binary_join_element_wise('"', iso, '"', "")
    )
    return iso, ts_json, instant, is_epoch


def _context_column(c: _Context, order: np.ndarray, P: _Pools) -> pa.Array:
    """The used passages of each row as a list column (offsets from the used counts)."""
    ctx_o, used_o = c.frag[order], c.used[order]
    ctx_offsets = np.concatenate([[0], np.cumsum(used_o.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(ctx_offsets), P.take(ctx_o[used_o]))


def _query_column(q: _Query, order: np.ndarray, P: _Pools) -> pa.Array:
    """The query text; the ticket number goes between the reference phrase and its dot."""
    ref_txt = pc.if_else(
        pa.array(q.has_ref[order]), pa.array(q.ref_num[order]).cast(pa.string()), ""
    )
    q0, q1, q2, q3, q4, q5, q6, q7 = (P.take(s[order]) for s in q.slots)
    return concat(q0, q1, q2, q3, q4, q5, ref_txt, q6, q7)


def _segment_struct(r: _Rows, order: np.ndarray) -> pa.StructArray:
    """The SPEC ``segment`` object."""
    return pa.StructArray.from_arrays(
        [
            _labels(QUEUES, r.queue[order]),
            _labels(URGENCIES, r.urgency[order]),
            _labels(REGIONS, r.region[order]),
            _labels(LANGS, r.lang[order]),
            _labels(CHANNELS, r.channel[order]),
            _labels(TIERS, r.tier[order]),
        ],
        names=["queue", "urgency", "region", "language", "channel", "customer_tier"],
    )


def _feedback_struct(f: _Feedback, order: np.ndarray, P: _Pools) -> pa.StructArray:
    """The SPEC ``feedback`` object: null rating when unrated, null implicit on email."""
    no_impl = f.no_implicit[order]
    return pa.StructArray.from_arrays(
        [
            pa.array(np.where(f.down[order], "down", "up"), mask=~f.rated[order]),
            P.take(f.comment[order], mask=~f.commented[order]),
            pa.array(f.copied[order], mask=no_impl),
            pa.array(f.edited[order], mask=no_impl),
            pa.array(f.retried[order], mask=no_impl),
        ],
        names=["rating", "comment", "copied", "edited", "retried"],
    )


def _outcome_struct(out: _Outcome, order: np.ndarray) -> pa.StructArray:
    """The SPEC ``outcome`` object: escalation correctness is only known when escalated."""
    esc_o, needs_o = out.escalated[order], out.needs[order]
    return pa.StructArray.from_arrays(
        [
            pa.array(esc_o),
            pa.array(needs_o, mask=~esc_o),
            pa.array(out.overridden[order]),
            pa.array(out.resolved[order]),
            pa.array(out.sla_met[order]),
            pa.array(needs_o & ~esc_o),
            pa.array(out.minutes[order]),
        ],
        names=[
            "escalated",
            "escalation_correct",
            "analyst_override",
            "resolved",
            "sla_met",
            "incident_missed",
            "resolution_minutes",
        ],
    )


def _records(d: _Day, order: np.ndarray, ids: pa.Array, P: _Pools) -> pa.Table:
    """The day's SPEC records in time order, plus the writer-only ``_`` columns."""
    r, ops, n = d.rows, d.ops, len(order)
    iso, ts_json, instant, is_epoch = _timestamps(
        d.day, r.utc_ms[order], d.offset[order], d.fmt[order]
    )
    arm_o = r.arm[order]
    return pa.table(
        {
            "interaction_id": ids,
            "timestamp": iso,
            "query": _query_column(d.query, order, P),
            "response": P.join(*(s[order] for s in d.response.slots)),
            "conversation_id": r.conv_ids.take(pa.array(r.conv[order].astype(np.int32))),
            "turn": pa.array(r.turn[order].astype(np.int64)),
            "user_id": d.users.user_id.take(pa.array(r.user[order])),
            "model_version": _labels(MODELS, arm_o),
            "prompt_version": _labels(PROMPTS, arm_o),
            "rollout_arm": _labels(ARMS, arm_o),
            "traffic_share": pa.array(np.full(n, d.share)),
            "segment": _segment_struct(r, order),
            "context": _context_column(d.context, order, P),
            "latency_ms": pa.array(ops.latency[order]),
            "tokens_in": pa.array(ops.tokens_in[order]),
            "tokens_out": pa.array(ops.tokens_out[order]),
            "cost_usd": pa.array(ops.cost[order]),
            "feedback": _feedback_struct(d.feedback, order, P),
            "outcome": _outcome_struct(d.outcome, order),
            "error": P.take(P.errors[ops.err_kind[order]], mask=~d.answer.err[order]),
            "_ts_json": ts_json,
            "_utc": pa.array(instant),
            "_epoch": pa.array(is_epoch),
        }
    )


def _truth(d: _Day, order: np.ndarray, ids: pa.Array) -> pa.Table:
    """Per-interaction ground truth in the records' order (``_truth/interactions``)."""
    cat_o = d.answer.cat[order]
    theme_name = np.select(
        [
            d.rows.theme[order],
            cat_o == HALLUCINATED,
            cat_o == REFUSAL,
            cat_o == TOXIC,
            cat_o == PII,
            cat_o == ERROR,
        ],
        [5, 0, 1, 2, 3, 4],
        -1,
    )
    return pa.table(
        {
            "interaction_id": ids,
            "day": pa.array(np.full(len(order), np.datetime64(d.day.isoformat(), "D"))),
            "hallucinated": pa.array(cat_o == HALLUCINATED),
            "toxic": pa.array(cat_o == TOXIC),
            "pii": pa.array(cat_o == PII),
            "refusal": pa.array(cat_o == REFUSAL),
            "theme": pa.array(THEME_NAMES, pa.string()).take(
                pa.array(theme_name.clip(0).astype(np.int32), mask=theme_name < 0)
            ),
            "biased": pa.array(d.quality.biased[order]),
            "error": pa.array(d.answer.err[order]),
        }
    )
