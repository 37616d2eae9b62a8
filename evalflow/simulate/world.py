"""The simulated copilot's world, shared by every day: vocabulary, text pools, users, period.

Probability tables (queue mix, urgency by queue, zones with their language mix,
hourly activity), the interned text fragments (``_Pools``), the fixed user
population and the ``Period`` every day of one simulation shares. ``generator``
draws one day from it, phase by phase (``phases``), and ``assemble`` turns the
draws into the SPEC records and the truth table.
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
