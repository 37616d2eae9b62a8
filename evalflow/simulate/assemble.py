"""Assembly of one simulated day: the drawn phases become Arrow tables, sorted by time.

No random draws happen here (the generator's last draw, the interaction ids, is
made before), so this module can change freely without changing a single value;
it only decides how the values are laid out: the SPEC record (``segment``,
``feedback``, ``outcome`` structs, ``context`` list), the writer-only ``_``
columns and the per-interaction truth.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalflow.simulate.phases import _Context, _Day, _Feedback, _Outcome, _Query, _Rows
from evalflow.simulate.world import (
    ARMS,
    CHANNELS,
    ERROR,
    HALLUCINATED,
    LANGS,
    MODELS,
    PII,
    PROMPTS,
    QUEUES,
    REFUSAL,
    REGIONS,
    THEME_NAMES,
    TIERS,
    TOXIC,
    URGENCIES,
    _offset_strings,
    _Pools,
    concat,
)


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
