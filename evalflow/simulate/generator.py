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

Layout: ``world`` holds what every day shares (vocabulary, pools, users, period),
``phases`` the draws of one day in causal order, ``assemble`` the Arrow tables;
this module only sequences them.
"""

from __future__ import annotations

import numpy as np

from evalflow.simulate.assemble import _records, _truth
from evalflow.simulate.phases import (
    _answer_category,
    _context,
    _conversations,
    _Day,
    _expand_rows,
    _feedback,
    _operations,
    _outcome,
    _quality,
    _query,
    _response,
)
from evalflow.simulate.scenarios import traffic_share
from evalflow.simulate.world import (
    DayBatch,
    Period,
    _categorical,
    _hex_ids,
    _volume,
    _zone_offsets,
    pools,
)


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
