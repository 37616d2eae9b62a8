"""The draw phases of one simulated day, in the order ``generator.generate`` calls them.

Each phase takes the day's single ``numpy`` generator and what earlier phases drew,
and returns a small frozen container. Splitting the day this way keeps each causal
step (who talks, what went wrong, how the user and the ticket reacted) readable on
its own, while the order of draws, and so the output bytes, stays exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from evalflow.simulate import kb
from evalflow.simulate.scenarios import Incident
from evalflow.simulate.world import (
    ARMS,
    CHANNEL_P,
    CHANNELS,
    ERROR,
    GOOD,
    HALLUCINATED,
    HOURLY_WEEKDAY,
    HOURLY_WEEKEND,
    LANGS,
    LATENCY_MEDIAN,
    NEEDS_ESCALATION,
    PII,
    PRICE_IN,
    PRICE_OUT,
    QUEUE_P,
    QUEUES,
    REFUSAL,
    REGIONS,
    RESOLUTION_MEDIAN,
    SLA_MINUTES,
    SYSTEM_PROMPT_TOKENS,
    TIERS,
    TOXIC,
    URGENCIES,
    URGENCY_P,
    Period,
    Users,
    _categorical,
    _hex_ids,
    _pick,
    _Pools,
    _rows_categorical,
    _segment_mask,
    _zone_offsets,
)


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
