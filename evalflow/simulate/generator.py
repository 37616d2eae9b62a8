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
    """Generate day ``index`` of ``period`` (deterministic in seed, day and scenario)."""
    day = period.day(index)
    rng = np.random.default_rng(np.random.SeedSequence([period.seed, day.toordinal(), 1]))
    P = pools()
    users = period.users
    n = _volume(period, index, rng)
    share = traffic_share(index, period.days)

    # ----------------------------------------------------------- conversations
    turns = np.zeros(0, np.int64)
    while turns.sum() < n:
        turns = np.concatenate([turns, np.minimum(rng.geometric(0.62, max(16, n // 2)), 6)])
    ends = np.cumsum(turns)
    m = int(np.searchsorted(ends, n) + 1) if n else 0
    turns = turns[:m]
    if m:
        turns[-1] -= ends[m - 1] - n

    user = np.searchsorted(users.cum_weight, rng.random(m), side="right").clip(
        0, len(users.bucket) - 1
    )
    c_zone, c_region, c_lang, c_tier = (
        users.zone[user],
        users.region[user],
        users.lang[user],
        users.tier[user],
    )
    c_arm = (users.bucket[user] < share).astype(np.int64)

    queue_p, channel_p = QUEUE_P.copy(), CHANNEL_P.copy()
    for inc in period.active(index, "segment_share"):
        probs, names = (queue_p, QUEUES) if inc.segment_key == "queue" else (channel_p, CHANNELS)
        k = names.index(inc.segment_value)
        rest = np.arange(len(probs)) != k
        probs[rest] *= (1.0 - inc.magnitude) / probs[rest].sum()
        probs[k] = inc.magnitude
    c_queue = _categorical(rng, queue_p, m)
    c_channel = _categorical(rng, channel_p, m)
    theme_share = sum(i.magnitude for i in period.active(index, "theme_share"))
    c_theme = rng.random(m) < theme_share
    # Loyalty points questions land in the account (60%) or billing queue.
    c_queue = np.where(c_theme, np.where(rng.random(m) < 0.6, 2, 0), c_queue)
    c_urgency = _rows_categorical(rng, URGENCY_P, c_queue)
    conv_ids = _hex_ids(rng, m, "conv_", 8)

    # Conversation start: a local-time hour from the daily profile, mapped to UTC.
    profile = HOURLY_WEEKDAY if day.weekday() < 5 else HOURLY_WEEKEND
    local_sec = _categorical(rng, profile, m) * 3600 + rng.integers(0, 3600, m)
    noon_offset = _zone_offsets(day)[:, 12]
    c_start = (local_sec - noon_offset[c_zone] * 60) % 86400

    # --------------------------------------------------------------- expand rows
    conv = np.repeat(np.arange(m), turns)
    first_row = np.concatenate([[0], np.cumsum(turns)[:-1]]) if m else np.zeros(0, np.int64)
    turn = np.arange(n) - first_row[conv] + 1
    gap = np.where(turn > 1, rng.lognormal(np.log(70.0), 0.6, n), 0.0).astype(np.int64)
    elapsed = np.cumsum(gap) - np.repeat(np.cumsum(gap)[first_row] if m else gap[:0], turns)
    total = elapsed[first_row + turns - 1] if m else np.zeros(0, np.int64)  # last turn's offset
    c_start = np.minimum(c_start, 86399 - total)
    utc_ms = (c_start[conv] + elapsed) * 1000 + rng.integers(0, 1000, n)

    zone, region, lang, tier = c_zone[conv], c_region[conv], c_lang[conv], c_tier[conv]
    queue, urgency, channel, arm = c_queue[conv], c_urgency[conv], c_channel[conv], c_arm[conv]
    theme = c_theme[conv]
    fact_in_queue = rng.integers(0, kb.FACTS_PER_QUEUE, n)
    fact = queue * kb.FACTS_PER_QUEUE + fact_in_queue
    seg = {  # segment key -> (vocabulary, per-row code), for incident targeting
        "queue": (QUEUES, queue),
        "urgency": (URGENCIES, urgency),
        "region": (REGIONS, region),
        "language": (LANGS, lang),
        "channel": (CHANNELS, channel),
        "customer_tier": (TIERS, tier),
        "rollout_arm": (ARMS, arm),
    }

    # ----------------------------------------------------- quality probabilities
    treat = arm == 1
    p_err = np.full(n, 0.006)
    p_hal = np.where(treat, 0.009, 0.010)
    p_ref = np.where(treat, 0.020, 0.022)
    p_miss = np.full(n, 0.015)
    p_tox = np.zeros(n)
    p_pii = np.zeros(n)
    override_mult = np.where(treat, 0.9, 1.0)
    recall = np.full(n, 0.92)
    false_esc = np.full(n, 0.04)
    resolved_delta = np.zeros(n)
    down_mult = np.ones(n)
    biased = np.zeros(n, bool)
    for inc in period.incidents:
        if not inc.active(index) or inc.metric in ("segment_share", "theme_share", "query_length"):
            continue
        mask = _segment_mask(inc, seg, n)
        if inc.kind == "bias":
            biased |= mask
        mag = inc.magnitude
        if inc.metric == "hallucination_rate":
            p_hal = np.where(
                mask, np.maximum(p_hal, mag) if inc.effect == "rate" else p_hal * mag, p_hal
            )
            if inc.effect == "multiplier":
                p_miss = np.where(mask, p_miss * mag, p_miss)
        elif inc.metric == "refusal_rate":
            p_ref = np.where(mask, p_ref * mag, p_ref)
        elif inc.metric == "toxicity_rate":
            p_tox = np.where(mask, np.maximum(p_tox, mag), p_tox)
        elif inc.metric == "pii_rate":
            p_pii = np.where(mask, np.maximum(p_pii, mag), p_pii)
        elif inc.metric == "analyst_override_rate":
            override_mult = np.where(mask, override_mult * mag, override_mult)
        elif inc.metric == "escalation_recall":
            recall = np.where(mask, mag, recall)
        elif inc.metric == "false_escalation_rate":
            false_esc = np.where(mask, mag, false_esc)
        elif inc.metric == "resolved_rate":
            resolved_delta = np.where(mask, resolved_delta + mag, resolved_delta)
        elif inc.metric == "down_vote_rate":
            down_mult = np.where(mask, down_mult * mag, down_mult)

    # ------------------------------------------------------------ answer category
    u = rng.random((8, n))
    err = u[0] < p_err
    tox = ~err & (u[1] < p_tox)
    pii = ~err & ~tox & (u[2] < p_pii)
    plain = ~err & ~tox & ~pii
    miss = plain & (theme | (u[3] < p_miss))  # the relevant passage was not retrieved
    hal = plain & np.where(theme, u[4] < 0.75, np.where(miss, u[4] < 0.5, u[4] < p_hal))
    ref = plain & ~hal & (miss | (u[5] < p_ref))
    cat = np.select([err, tox, pii, hal, ref], [ERROR, TOXIC, PII, HALLUCINATED, REFUSAL], GOOD)
    bad = cat != GOOD

    # ------------------------------------------------------------------- context
    k = np.where(miss, 1 + rng.binomial(2, 0.45, n), 1 + rng.binomial(3, 0.45, n))
    offsets = np.where(miss[:, None], np.arange(1, 5)[None, :], np.arange(0, 4)[None, :])
    ctx_fact = (
        queue[:, None] * kb.FACTS_PER_QUEUE
        + (fact_in_queue[:, None] + offsets) % kb.FACTS_PER_QUEUE
    )
    swap = (~miss) & (k >= 2) & (rng.random(n) < 0.2)  # relevant passage ranked second
    ctx_fact[swap, 0], ctx_fact[swap, 1] = ctx_fact[swap, 1].copy(), ctx_fact[swap, 0].copy()
    irrelevant = rng.random(n) < 0.10
    other = (
        (queue + rng.integers(1, len(QUEUES), n)) % len(QUEUES)
    ) * kb.FACTS_PER_QUEUE + rng.integers(0, kb.FACTS_PER_QUEUE, n)
    k = np.where(irrelevant & (k < 4), k + 1, k)
    ctx_fact[np.arange(n), np.maximum(k - 1, 0)] = np.where(
        irrelevant, other, ctx_fact[np.arange(n), np.maximum(k - 1, 0)]
    )
    used = np.arange(4)[None, :] < k[:, None]
    ctx_frag = P.passage[ctx_fact, lang[:, None]]
    ctx_len = (P.length[ctx_frag] * used).sum(axis=1)

    # ------------------------------------------------------------------- response
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
            P.refusal[lang, np.where(miss, rng.integers(2, 4, n), rng.integers(0, 4, n))],
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
    resp_len = P.length[r1] + P.length[r2] + P.length[r3] + P.length[r4]

    # ---------------------------------------------------------------------- query
    prev_bad = np.concatenate([[False], bad[:-1]]) & (turn > 1) if n else bad
    q1 = np.select(
        [(turn > 1) & prev_bad & (rng.random(n) < 0.7), turn > 1],
        [_pick(rng, P.complaint, lang), _pick(rng, P.followup, lang)],
        _pick(rng, P.greeting, lang),
    ).astype(np.int32)
    q2 = np.where(
        theme, _pick(rng, P.theme_query, lang), P.query[fact, lang, rng.integers(0, 3, n)]
    )
    longer = bool(period.active(index, "query_length"))
    q3 = np.where(rng.random(n) < (1.0 if longer else 0.10), _pick(rng, P.background, lang), empty)
    q4 = np.where(longer & (rng.random(n) < 0.6), _pick(rng, P.background, lang), empty)
    q0 = np.where(
        longer & (channel == 0) & (rng.random(n) < 0.7), _pick(rng, P.filler, lang), empty
    )
    has_ref = (queue != 3) & (rng.random(n) < 0.25)
    q5 = np.where(has_ref, _pick(rng, P.reference, lang), empty)
    q6 = np.where(has_ref, P.dot, empty)
    q7 = np.where(rng.random(n) < 0.5, _pick(rng, P.signoff, lang), empty)
    ref_num = rng.integers(10000, 99999, n)
    query_len = sum(P.length[q] for q in (q0, q1, q2, q3, q4, q5, q6, q7)) + has_ref * 5

    # ------------------------------------------------------------------- feedback
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
    no_implicit = channel == 1  # email cannot observe copy / edit / retry
    copied = rng.random(n) < np.select([err, bad], [0.0, 0.06], 0.35)
    edited = rng.random(n) < np.select([err, bad], [0.0, 0.22], 0.07)
    retried = rng.random(n) < np.select([err, theme, bad], [0.6, 0.45, 0.30], 0.03)

    # -------------------------------------------------------------------- outcome
    needs = rng.random(n) < np.minimum(NEEDS_ESCALATION[urgency] + 0.1 * (queue == 3), 0.95)
    recall_row = np.where(bad, np.minimum(recall, 0.80), recall)
    fp_row = np.where(bad, np.maximum(false_esc, 0.10), false_esc)
    escalated = np.where(needs, rng.random(n) < recall_row, rng.random(n) < fp_row)
    p_override = np.choose(cat, [0.06, 0.55, 0.30, 0.90, 0.70, 0.35])
    p_override = np.where(theme & (cat == HALLUCINATED), 0.65, p_override)
    overridden = rng.random(n) < np.minimum(p_override * override_mult, 0.97)
    p_resolved = np.choose(cat, [0.80, 0.30, 0.35, 0.10, 0.40, 0.10]) * np.where(
        escalated, 0.6, 1.0
    )
    resolved = rng.random(n) < np.clip(p_resolved + resolved_delta, 0.01, 0.99)
    minutes = (
        RESOLUTION_MEDIAN[urgency]
        * np.where(bad, 1.7, 1.0)
        * np.where(escalated, 1.6, 1.0)
        * np.where(resolved, 1.0, 1.3)
        * rng.lognormal(0.0, 0.6, n)
    )
    minutes = np.round(minutes, 1)
    sla_met = minutes <= SLA_MINUTES[urgency]

    # ---------------------------------------------------------------- operations
    err_kind = _categorical(rng, np.array([0.45, 0.25, 0.10, 0.20]), n)
    tokens_in = SYSTEM_PROMPT_TOKENS + np.ceil((query_len + ctx_len) / 4).astype(np.int64)
    tokens_out = np.where(err, 0, np.ceil(resp_len / 4).astype(np.int64) + rng.integers(0, 8, n))
    latency = LATENCY_MEDIAN[arm] * rng.lognormal(0.0, 0.40, n) + tokens_out * 4.0
    latency = np.where(
        err, np.choose(err_kind, [30000.0, 150.0, 400.0, 5000.0]) + rng.integers(0, 200, n), latency
    )
    latency = np.round(latency, 1)
    cost = np.round(tokens_in * PRICE_IN[arm] + tokens_out * PRICE_OUT[arm], 6)

    # ----------------------------------------------------------------- timestamps
    hour = (utc_ms // 3_600_000).clip(0, 23)
    offset = _zone_offsets(day)[zone, hour]
    fmt = _categorical(rng, np.array([0.78, 0.12, 0.05, 0.035, 0.015]), n)

    # ------------------------------------------------------ order by time, build
    order = np.argsort(utc_ms, kind="stable")
    ids = _hex_ids(rng, n, "int_", 10)

    def o(a: np.ndarray) -> np.ndarray:
        return a[order]

    utc_ms, offset, fmt, lang_o = o(utc_ms), o(offset), o(fmt), o(lang)
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

    ctx_o, used_o = o(ctx_frag), o(used)
    ctx_offsets = np.concatenate([[0], np.cumsum(used_o.sum(axis=1))]).astype(np.int32)
    context = pa.ListArray.from_arrays(pa.array(ctx_offsets), P.take(ctx_o[used_o]))

    ref_txt = pc.if_else(pa.array(o(has_ref)), pa.array(o(ref_num)).cast(pa.string()), "")
    query = concat(
        P.take(o(q0)),
        P.take(o(q1)),
        P.take(o(q2)),
        P.take(o(q3)),
        P.take(o(q4)),
        P.take(o(q5)),
        ref_txt,
        P.take(o(q6)),
        P.take(o(q7)),
    )
    response = P.join(o(r1), o(r2), o(r3), o(r4))
    cat_o, err_o, arm_o, channel_o = o(cat), o(err), o(arm), o(channel)

    def s(values: tuple[str, ...], idx: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(
            pa.array(idx.astype(np.int32)), pa.array(values)
        ).cast(pa.string())

    segment = pa.StructArray.from_arrays(
        [
            s(QUEUES, o(queue)),
            s(URGENCIES, o(urgency)),
            s(REGIONS, o(region)),
            s(LANGS, lang_o),
            s(CHANNELS, channel_o),
            s(TIERS, o(tier)),
        ],
        names=["queue", "urgency", "region", "language", "channel", "customer_tier"],
    )
    rated_o, down_o = o(rated), o(down)
    no_impl = o(no_implicit)
    feedback = pa.StructArray.from_arrays(
        [
            pa.array(np.where(down_o, "down", "up"), mask=~rated_o),
            P.take(o(comment), mask=~o(commented)),
            pa.array(o(copied), mask=no_impl),
            pa.array(o(edited), mask=no_impl),
            pa.array(o(retried), mask=no_impl),
        ],
        names=["rating", "comment", "copied", "edited", "retried"],
    )
    esc_o = o(escalated)
    outcome = pa.StructArray.from_arrays(
        [
            pa.array(esc_o),
            pa.array(o(needs), mask=~esc_o),
            pa.array(o(overridden)),
            pa.array(o(resolved)),
            pa.array(o(sla_met)),
            pa.array(o(needs) & ~esc_o),
            pa.array(o(minutes)),
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
    records = pa.table(
        {
            "interaction_id": ids,
            "timestamp": iso,
            "query": query,
            "response": response,
            "conversation_id": conv_ids.take(pa.array(o(conv).astype(np.int32))),
            "turn": pa.array(o(turn).astype(np.int64)),
            "user_id": users.user_id.take(pa.array(o(user[conv]) if m else np.zeros(0, np.int64))),
            "model_version": s(MODELS, arm_o),
            "prompt_version": s(PROMPTS, arm_o),
            "rollout_arm": s(ARMS, arm_o),
            "traffic_share": pa.array(np.full(n, share)),
            "segment": segment,
            "context": context,
            "latency_ms": pa.array(o(latency)),
            "tokens_in": pa.array(o(tokens_in)),
            "tokens_out": pa.array(o(tokens_out)),
            "cost_usd": pa.array(o(cost)),
            "feedback": feedback,
            "outcome": outcome,
            "error": P.take(P.errors[o(err_kind)], mask=~err_o),
            "_ts_json": ts_json,
            "_utc": pa.array(instant),
            "_epoch": pa.array(is_epoch),
        }
    )
    theme_name = np.select(
        [
            o(theme),
            cat_o == HALLUCINATED,
            cat_o == REFUSAL,
            cat_o == TOXIC,
            cat_o == PII,
            cat_o == ERROR,
        ],
        [5, 0, 1, 2, 3, 4],
        -1,
    )
    truth = pa.table(
        {
            "interaction_id": ids,
            "day": pa.array(np.full(n, np.datetime64(day.isoformat(), "D"))),
            "hallucinated": pa.array(cat_o == HALLUCINATED),
            "toxic": pa.array(cat_o == TOXIC),
            "pii": pa.array(cat_o == PII),
            "refusal": pa.array(cat_o == REFUSAL),
            "theme": pa.array(THEME_NAMES, pa.string()).take(
                pa.array(theme_name.clip(0).astype(np.int32), mask=theme_name < 0)
            ),
            "biased": pa.array(o(biased)),
            "error": pa.array(err_o),
        }
    )
    return DayBatch(day, records, truth)
