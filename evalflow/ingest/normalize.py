"""Records -> the raw_interactions contract, in one vectorised DuckDB query.

Every record either becomes a typed row or gets exactly one quarantine reason (the
first failing check in a fixed priority order) and the field to blame. Decisions
(documented in docs/tables.md, "Ingest rules"):

* JSON and Parquet are typed: a value of the wrong JSON type is ``mistyped field``
  (a number ``interaction_id``, a string ``latency_ms``, ``"true"`` for a boolean).
  CSV has no types, so CSV text is coerced (numbers, true/false/1/0/yes/no, JSON
  text for objects and lists) and only text that cannot be coerced is mistyped.
* JSON ``null`` is the same as an absent field. ``NaN`` in a number is NULL
  (pandas' missing value), an infinite number is mistyped.
* ``timestamp``: ISO-8601 (``T`` or space, optional fraction, ``Z``/``+hh:mm``/``+hhmm``/
  ``+hh``) converted to UTC, or epoch seconds as a number or numeric text. Without an
  offset it is read as UTC and counted (or quarantined, ``ingest.naive_timestamps``).
  Impossible dates/times (2026-02-30, 25:00, offset > 18 h) are ``impossible
  timestamp``; years outside ``[min_year, max_year]`` are ``timestamp out of range``.
* ``interaction_id`` and ``query`` must be non-blank strings; ``response`` a string,
  empty only when ``error`` is a non-empty string.
* Duplicate keys in a JSON object make the record ambiguous: ``duplicate JSON key``,
  also inside ``segment`` (the ``seg_<key>`` column would take the first value
  while ``segment_json`` kept both; JSON itself does not say which one is meant).
* Unknown top-level fields, and unknown keys inside ``feedback``/``outcome``, are
  kept in ``extra_json``; ``segment`` is kept whole in ``segment_json``.
* Quarantined records do not take part in deduplication: a broken re-send of an id
  does not erase its earlier valid version.

All SQL here is built from constants of this module; limits travel as parameters
and log text only ever as data.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from evalflow.config.settings import IngestSettings
from evalflow.ingest import schema as S

NUMS = "('BIGINT', 'UBIGINT', 'DOUBLE')"
ISO_RE = (
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
TZ_RE = r"^([+-])(\d{2}):?(\d{2})?$"
EPOCH_RE = r"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"

# The kind of every field of the input contract decides its type check and how it is read.
TOP_KINDS: dict[str, str] = {
    "interaction_id": "string",
    "timestamp": "timestamp",
    "query": "string",
    "response": "string",
    "conversation_id": "string",
    "turn": "integer",
    "user_id": "string",
    "model_version": "string",
    "prompt_version": "string",
    "rollout_arm": "string",
    "traffic_share": "number",
    "segment": "object",
    "context": "context",
    "latency_ms": "number",
    "tokens_in": "number",
    "tokens_out": "number",
    "cost_usd": "number",
    "feedback": "object",
    "outcome": "object",
    "error": "string",
}
FEEDBACK_KINDS: dict[str, str] = {
    "rating": "string",
    "comment": "string",
    "copied": "bool",
    "edited": "bool",
    "retried": "bool",
}
OUTCOME_KINDS: dict[str, str] = {
    **{f: "bool" for f in S.OUTCOME_BOOL_FIELDS},
    "resolution_minutes": "number",
}
assert tuple(TOP_KINDS) == S.KNOWN_FIELDS
assert tuple(FEEDBACK_KINDS) == S.FEEDBACK_FIELDS
assert tuple(OUTCOME_KINDS) == S.OUTCOME_FIELDS
CTX_SLOTS = 8
"""Types of the first passages come with the record's type pass; longer lists get their own."""
OPTIONAL_STRINGS = ("conversation_id", "user_id", "model_version", "prompt_version", "rollout_arm")
NUMBERS = ("traffic_share", "latency_ms", "tokens_in", "tokens_out", "cost_usd")

STAGE_COLUMNS: dict[str, str] = {
    "source_line": "BIGINT",
    "reason": "VARCHAR",
    "field": "VARCHAR",
    "raw": "VARCHAR",
    "day": "DATE",
    "timestamp": "TIMESTAMP",
    "naive_ts": "BOOLEAN",
    **{
        c: t
        for c, (t, _) in S.raw_columns([]).items()
        if c not in ("day", "timestamp", "source_file", "source_line")
    },
}
"""What a staged landing file holds: every record, kept (``reason`` NULL) or not.
``seg_*`` columns and ``source_file`` are added when a day is assembled, so staging
does not depend on the segment configuration or on the file's name."""


@dataclass(frozen=True)
class Limits:
    """The parser settings that change what a file parses to (part of the staging key)."""

    max_field_bytes: int
    max_record_bytes: int
    naive_quarantine: bool
    min_year: int
    max_year: int
    follow_symlinks_outside: bool = False
    """A discovery policy, not a parse setting: left out of the staging key."""

    @classmethod
    def from_settings(cls, s: IngestSettings) -> Limits:
        return cls(
            s.max_field_bytes,
            s.max_record_bytes,
            s.naive_timestamps == "quarantine",
            s.min_year,
            s.max_year,
            s.follow_symlinks_outside_landing,
        )

    def parse_settings(self) -> dict[str, object]:
        """The settings that change what a file parses to (its staging fingerprint)."""
        out = dict(self.__dict__)
        del out["follow_symlinks_outside"]
        return out

    def params(self) -> dict[str, object]:
        lo = dt.datetime(self.min_year, 1, 1, tzinfo=dt.UTC)
        hi = dt.datetime(self.max_year, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)
        return {
            "max_field": self.max_field_bytes,
            "max_record": self.max_record_bytes,
            "naive_quarantine": self.naive_quarantine,
            "min_year": self.min_year,
            "max_year": self.max_year,
            "epoch_lo": lo.timestamp(),
            "epoch_hi": hi.timestamp(),
        }


_ESCAPED = r"""replace(replace(replace(
    regexp_replace(CAST({col} AS VARCHAR), '(\\x0D)?\\x0A$', ''),
    '\x22', '"'), '\x27', ''''), '\x5C', '\')"""


def escaped_bytes_sql(col: str) -> str:
    r"""Readable text of bytes that are not valid UTF-8: bad bytes as ``\xNN``.

    DuckDB renders a BLOB with every non-ASCII byte escaped, and also ``"``, ``'``
    and ``\``; those three are put back (backslash last, so the result stays
    unambiguous) and a trailing line terminator is dropped.
    """
    return _ESCAPED.format(col=col)


# -- SQL generation -------------------------------------------------------------------
#
# Each JSON object (the record, then its ``feedback`` and ``outcome``) is parsed three
# times, each pass cheap and vectorised: ``json_type`` over a list of paths gives every
# known field's JSON type (the type check), ``json_keys`` finds unknown and duplicated
# keys, and ``json_transform`` reads all values into typed columns at once. Values are
# only used where the JSON type was right, so the transform's own coercions (a number
# read as text, say) never leak through in strict mode.


def _target(kind: str, lenient: bool) -> object:
    return {
        "string": "VARCHAR",
        "number": "DOUBLE",
        "integer": "DOUBLE",
        "bool": "BOOLEAN",
        "timestamp": "VARCHAR",
        "object": "JSON",
        "context": "VARCHAR" if lenient else ["VARCHAR"],
    }[kind]


def _spec(kinds: dict[str, str], lenient: bool) -> str:
    """The json_transform structure as a SQL string literal (field names are constants)."""
    return "'" + json.dumps({k: _target(v, lenient) for k, v in kinds.items()}) + "'"


def _paths(kinds: dict[str, str]) -> str:
    return "[" + ", ".join(f"'$.\"{k}\"'" for k in kinds) + "]"


def _known(kinds: dict[str, str]) -> str:
    return "[" + ", ".join(f"'{k}'" for k in kinds) + "]"


def _parse_cols(p: str, src: str, kinds: dict[str, str], lenient: bool, types: bool = True) -> str:
    """One pass each of json_type / json_keys / json_transform over object text ``src``."""
    cols = [
        f"json_keys({src}) AS {p}keys",
        f"json_transform({src}, {_spec(kinds, lenient)}) AS {p}t",
    ]
    if types:
        cols.insert(0, f"json_type({src}, {_paths(kinds)}) AS {p}ty")
    return ", ".join(cols)


def _field_cols(p: str, src: str, kinds: dict[str, str]) -> str:
    """Per-field JSON type (JSON null treated as absent) and transformed value."""
    cols = []
    for i, k in enumerate(kinds, start=1):
        cols.append(f"nullif({p}ty[{i}], 'NULL') AS {p}ty_{k}")
        cols.append(f"struct_extract({p}t, '{k}') AS {p}t_{k}")
    cols.append(
        f"list_filter({p}keys, lambda k: NOT list_contains({_known(kinds)}, k)) AS {p}unknown"
    )
    cols.append(f"len(list_filter({p}ty[1:{len(kinds)}], lambda x: x IS NOT NULL)) AS {p}present")
    return ", ".join(cols)


def _dup_cols(p: str, src: str, kinds: dict[str, str]) -> str:
    """Duplicate keys: more keys than distinct known + unknown ones, or a failed map cast."""
    return (
        f"try_cast(CAST(CASE WHEN len({p}unknown) > 0 THEN {src} END AS JSON) "
        f"AS MAP(VARCHAR, JSON)) AS {p}map, "
        f"{src} IS NOT NULL AND len({p}keys) <> {p}present + len({p}unknown) AS {p}dup0"
    )


def _value(p: str, k: str, kind: str, lenient: bool) -> str:
    ty, t = f"{p}ty_{k}", f"{p}t_{k}"
    if kind == "string":
        return f"CASE WHEN {ty} = 'VARCHAR' THEN {t} END"
    if kind in ("number", "integer"):
        loose = f" WHEN {ty} = 'VARCHAR' THEN {t}" if lenient else ""
        return f"CASE WHEN {ty} IN {NUMS} THEN {t}{loose} END"
    if kind == "bool":
        loose = f" WHEN {ty} = 'VARCHAR' THEN {t}" if lenient else ""
        return f"CASE WHEN {ty} = 'BOOLEAN' THEN {t}{loose} END"
    raise ValueError(kind)


def _bad(p: str, k: str, kind: str, col: str) -> str:
    """The field is present but its value is unusable for its kind."""
    ty = f"{p}ty_{k}"
    if kind in ("number", "integer"):
        extra = f" OR {col} <> floor({col}) OR abs({col}) > 2147483647" if kind == "integer" else ""
        return f"({ty} IS NOT NULL AND ({col} IS NULL OR isinf({col}){extra}))"
    return f"({ty} IS NOT NULL AND {col} IS NULL)"


def _unwrap_object(ty: str, t: str, lenient: bool) -> str:
    """Object text of a field; with ``lenient`` also an object given as JSON text (CSV)."""
    strict = f"WHEN {ty} = 'OBJECT' THEN CAST({t} AS VARCHAR)"
    if not lenient:
        return f"CASE {strict} END"
    s = f"json_extract_string(CASE WHEN {ty} = 'VARCHAR' THEN {t} END, '$')"
    valid = f"CASE WHEN json_valid({s}) THEN {s} END"
    return f"CASE {strict} WHEN json_type({valid}) = 'OBJECT' THEN {valid} END"


def _entries(map_expr: str, kinds: dict[str, str]) -> str:
    return (
        f"list_filter(map_entries({map_expr}), lambda e: NOT list_contains({_known(kinds)}, e.key))"
    )


def build_sql(source: str, lenient: bool) -> str:
    """The normalising query over relation ``source`` (columns of ``RECORD_SCHEMA``).

    ``lenient`` turns on CSV text coercion. Parameters: see ``Limits.params``.
    """
    L = lenient
    typed = [
        f"{_value('', k, kd, L)} AS {k if kd == 'string' else k + '_d'}"
        for k, kd in TOP_KINDS.items()
        if kd in ("string", "number", "integer")
    ]
    typed += [f"{_value('fb_', k, kd, L)} AS feedback_{k}" for k, kd in FEEDBACK_KINDS.items()]
    typed += [
        f"{_value('oc_', k, kd, L)} AS outcome_{k}{'_d' if kd == 'number' else ''}"
        for k, kd in OUTCOME_KINDS.items()
    ]

    def col(k: str) -> str:
        kd = TOP_KINDS[k]
        return k if kd == "string" else f"{k}_d"

    def too_big(c: str) -> str:
        return f"coalesce(strlen({c}) > $max_field, false)"

    def q(text: str) -> str:
        return f"'{text}'"

    checks: list[tuple[str, str, str | None]] = [
        ("pre_reason IS NOT NULL", "pre_reason", "pre_field"),
        ("nbytes > $max_record", q(S.OVERSIZED_RECORD), None),
        ("NOT valid AND NOT terminated", q(S.TRUNCATED), None),
        ("NOT valid", q(S.INVALID_JSON), None),
        ("NOT is_obj", q(S.NOT_OBJECT), None),
        ("dup0 OR (len(unknown) > 0 AND map IS NULL)", q(S.DUPLICATE_KEY), None),
    ]

    def required(k: str, blank_ok: bool = False) -> None:
        checks.append((f"ty_{k} IS NULL", q(S.MISSING), q(k)))
        checks.append((_bad("", k, "string", k), q(S.MISTYPED), q(k)))
        if not blank_ok:
            checks.append((f"trim({k}) = ''", q(S.EMPTY), q(k)))
        checks.append((too_big(k), q(S.OVERSIZED_FIELD), q(k)))

    required("interaction_id")
    ts = q("timestamp")
    checks += [
        ("ty_timestamp IS NULL", q(S.MISSING), ts),
        (f"ty_timestamp NOT IN ('VARCHAR', {NUMS[1:-1]})", q(S.MISTYPED), ts),
        ("ts_num IS NULL AND NOT iso_match", q(S.UNPARSEABLE_TS), ts),
        ("ts_num IS NOT NULL AND NOT isfinite(ts_num)", q(S.UNPARSEABLE_TS), ts),
        (
            "ts_num IS NOT NULL AND NOT (ts_num BETWEEN $epoch_lo AND $epoch_hi)",
            q(S.TS_OUT_OF_RANGE),
            ts,
        ),
        ("iso_match AND NOT iso_possible", q(S.IMPOSSIBLE_TS), ts),
        ("ts_final IS NULL", q(S.TS_OUT_OF_RANGE), ts),
        ("naive_ts AND $naive_quarantine", q(S.NAIVE_TS), ts),
    ]
    required("query")
    checks.append((_bad("", "error", "string", "error"), q(S.MISTYPED), q("error")))
    checks.append((too_big("error"), q(S.OVERSIZED_FIELD), q("error")))
    required("response", blank_ok=True)
    checks.append(
        ("response = '' AND coalesce(trim(error), '') = ''", q(S.EMPTY_RESPONSE), q("response"))
    )
    for k in OPTIONAL_STRINGS:
        checks.append((_bad("", k, "string", k), q(S.MISTYPED), q(k)))
        checks.append((too_big(k), q(S.OVERSIZED_FIELD), q(k)))
    checks.append((_bad("", "turn", "integer", "turn_d"), q(S.MISTYPED), q("turn")))
    for k in NUMBERS:
        checks.append((_bad("", k, "number", col(k)), q(S.MISTYPED), q(k)))
    checks += [
        ("ty_segment IS NOT NULL AND seg_obj IS NULL", q(S.MISTYPED), q("segment")),
        ("seg_dup", q(S.DUPLICATE_KEY), q("segment")),
        ("seg_bad_values", q(S.MISTYPED), q("segment")),
        ("ty_context IS NOT NULL AND ctx_list IS NULL", q(S.MISTYPED), q("context")),
        ("ctx_bad_items", q(S.MISTYPED), q("context")),
        (
            "coalesce(list_max(list_transform(ctx_list, lambda c: strlen(c))) > $max_field, false)",
            q(S.OVERSIZED_FIELD),
            q("context"),
        ),
    ]
    for obj, p, kinds in (("feedback", "fb_", FEEDBACK_KINDS), ("outcome", "oc_", OUTCOME_KINDS)):
        checks.append((f"ty_{obj} IS NOT NULL AND {p}obj IS NULL", q(S.MISTYPED), q(obj)))
        checks.append(
            (f"{p}dup0 OR (len({p}unknown) > 0 AND {p}map IS NULL)", q(S.DUPLICATE_KEY), q(obj))
        )
        for k, kd in kinds.items():
            c = f"{obj}_{k}" + ("_d" if kd == "number" else "")
            checks.append((_bad(p, k, kd, c), q(S.MISTYPED), q(f"{obj}.{k}")))
            if kd == "string":
                checks.append((too_big(c), q(S.OVERSIZED_FIELD), q(f"{obj}.{k}")))
    # One CASE yields both the reason and the field (each condition evaluated once).
    verdict = (
        "CASE "
        + " ".join(
            f"WHEN {c} THEN {{'reason': {r}, 'field': {f or 'CAST(NULL AS VARCHAR)'}}}"
            for c, r, f in checks
        )
        + " END"
    )

    def nan_null(c: str) -> str:
        return f"CASE WHEN isnan({c}) THEN NULL ELSE {c} END"

    if L:
        ctx_s = "CASE WHEN ty_context = 'VARCHAR' THEN t_context END"
        ctx_json = (
            f"CASE WHEN json_valid({ctx_s}) AND starts_with(ltrim({ctx_s}), '[') THEN {ctx_s} END"
        )
        ctx_cols = """
           CASE WHEN ctx_json IS NOT NULL THEN from_json(ctx_json, '["VARCHAR"]')
                WHEN ty_context = 'VARCHAR' THEN [t_context] END AS ctx_list,
           json_type(ctx_json, '$[*]') AS ctx_types"""
        ctx_pre = f"{ctx_json} AS ctx_json,"
    else:
        first = len(TOP_KINDS) + 1
        ctx_cols = f"""
           CASE WHEN ty_context = 'ARRAY' THEN t_context
                WHEN ty_context = 'VARCHAR'
                     THEN [json_extract_string(CASE WHEN ty_context = 'VARCHAR' THEN otext END, '$.context')]
           END AS ctx_list,
           CASE WHEN ty_context = 'ARRAY' AND len(t_context) <= {CTX_SLOTS}
                     THEN ty[{first}:{first - 1} + len(t_context)]
                ELSE json_type(CASE WHEN ty_context = 'ARRAY' AND len(t_context) > {CTX_SLOTS}
                                    THEN otext END, '$.context[*]')
           END AS ctx_types"""
        ctx_pre = ""

    top_paths = (
        _paths(TOP_KINDS)[:-1]
        + ", "
        + ", ".join(f"'$.context[{i}]'" for i in range(CTX_SLOTS))
        + "]"
    )
    outcome_cols = ", ".join(
        f"outcome_{k}" if kd == "bool" else f"{nan_null(f'outcome_{k}_d')} AS outcome_{k}"
        for k, kd in OUTCOME_KINDS.items()
    )
    return f"""
WITH r0 AS (
    SELECT source_line, b, raw, nbytes, terminated, pre_reason, pre_field,
           CASE WHEN pre_reason IS NULL THEN try(decode(b)) END AS text
    FROM {source}
    WHERE NOT skip
), src AS (
    SELECT source_line, nbytes, terminated, text,
           coalesce(pre_reason, CASE WHEN text IS NULL THEN '{S.UNDECODABLE}' END) AS pre_reason,
           CASE WHEN pre_reason IS NOT NULL THEN pre_field END AS pre_field,
           CASE WHEN pre_reason IS NULL AND text IS NULL
                THEN left({escaped_bytes_sql("b")}, {S.RAW_MAX_CHARS})
                ELSE raw END AS raw,
           CASE WHEN pre_reason IS NULL AND nbytes <= $max_record THEN text END AS ptext
    FROM r0
), a1 AS (
    -- One parse gives validity (NULL list = not JSON) and the types of every known field
    -- plus the first context passages, so most records need no separate context pass.
    SELECT *, try(json_type(ptext, {top_paths})) AS ty FROM src
), a2 AS (
    SELECT *, ty IS NOT NULL AS valid,
           CASE WHEN ty IS NOT NULL
                     AND starts_with(ltrim(ptext, ' ' || chr(9) || chr(10) || chr(13)), '{{')
                THEN ptext END AS otext
    FROM a1
), a3 AS (
    SELECT *, otext IS NOT NULL AS is_obj, {_parse_cols("", "otext", TOP_KINDS, L, types=False)}
    FROM a2
), a4 AS (
    SELECT *, {_field_cols("", "otext", TOP_KINDS)} FROM a3
), a5 AS (
    SELECT *, {_dup_cols("", "otext", TOP_KINDS)},
           {_unwrap_object("ty_segment", "t_segment", L)} AS seg_obj,
           {_unwrap_object("ty_feedback", "t_feedback", L)} AS fb_obj,
           {_unwrap_object("ty_outcome", "t_outcome", L)} AS oc_obj,
           {ctx_pre}
           CASE WHEN ty_timestamp IN ('VARCHAR', {NUMS[1:-1]}) THEN trim(t_timestamp) END AS ts_s
    FROM a4
), a6 AS (
    SELECT *,
           {_parse_cols("fb_", "fb_obj", FEEDBACK_KINDS, L)},
           {_parse_cols("oc_", "oc_obj", OUTCOME_KINDS, L)},
           json_type(seg_obj, '$.*') AS seg_types,
           coalesce(len(json_keys(seg_obj)) <> len(list_distinct(json_keys(seg_obj))), false)
               AS seg_dup,
           {ctx_cols},
           CASE WHEN regexp_full_match(ts_s, '{EPOCH_RE}') THEN TRY_CAST(ts_s AS DOUBLE) END AS ts_num,
           regexp_extract(ts_s, '{ISO_RE}', ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'tz']) AS iso
    FROM a5
), a7 AS (
    SELECT *,
           {_field_cols("fb_", "fb_obj", FEEDBACK_KINDS)},
           {_field_cols("oc_", "oc_obj", OUTCOME_KINDS)},
           coalesce(list_bool_or(list_transform(seg_types, lambda t: t NOT IN ('VARCHAR', 'NULL'))), false)
               AS seg_bad_values,
           coalesce(list_bool_or(list_transform(ctx_types, lambda t: t NOT IN ('VARCHAR', 'NULL'))), false)
               AS ctx_bad_items,
           coalesce(iso.y <> '', false) AS iso_match,
           TRY_CAST(iso.y || '-' || iso.mo || '-' || iso.d AS DATE) AS iso_date,
           TRY_CAST(iso.h AS INTEGER) AS iso_h,
           TRY_CAST(iso.mi AS INTEGER) AS iso_mi,
           coalesce(TRY_CAST(nullif(iso.s, '') AS INTEGER), 0) AS iso_s,
           coalesce(TRY_CAST(rpad(left(iso.f, 6), 6, '0') AS BIGINT), 0) AS iso_us,
           regexp_extract(iso.tz, '{TZ_RE}', ['sign', 'hh', 'mm']) AS tzp
    FROM a6
), a8 AS (
    SELECT *,
           {_dup_cols("fb_", "fb_obj", FEEDBACK_KINDS)},
           {_dup_cols("oc_", "oc_obj", OUTCOME_KINDS)},
           {", ".join(typed)},
           CASE WHEN iso.tz IN ('Z', 'z', '') THEN 0
                ELSE (CASE WHEN tzp.sign = '-' THEN -1 ELSE 1 END)
                     * (TRY_CAST(tzp.hh AS INTEGER) * 60 + coalesce(TRY_CAST(nullif(tzp.mm, '') AS INTEGER), 0))
           END AS tz_min,
           iso_match AND iso.tz = '' AS naive_ts
    FROM a7
), a9 AS (
    SELECT *,
           iso_match AND iso_date IS NOT NULL AND iso_h <= 23 AND iso_mi <= 59 AND iso_s <= 59
               AND abs(tz_min) <= 18 * 60 AND coalesce(TRY_CAST(nullif(tzp.mm, '') AS INTEGER), 0) <= 59
               AS iso_possible,
           iso_match AND TRY_CAST(iso.y AS INTEGER) BETWEEN $min_year - 1 AND $max_year + 1 AS iso_year_ok
    FROM a8
), a10 AS (
    SELECT *,
           CASE WHEN ts_num IS NOT NULL AND isfinite(ts_num) AND ts_num BETWEEN $epoch_lo AND $epoch_hi
                     THEN make_timestamp(CAST(round(ts_num * 1000000) AS BIGINT))
                WHEN ts_num IS NULL AND iso_possible AND iso_year_ok
                     THEN CAST(iso_date AS TIMESTAMP)
                          + to_microseconds(((iso_h * 60 + iso_mi) * 60 + iso_s) * 1000000::BIGINT + iso_us)
                          - to_minutes(tz_min)
           END AS ts_utc
    FROM a9
), a11 AS (
    SELECT *, CASE WHEN year(ts_utc) BETWEEN $min_year AND $max_year THEN ts_utc END AS ts_final
    FROM a10
), a12 AS (
    SELECT *, {verdict} AS verdict FROM a11
), checked AS (
    SELECT *, verdict.reason AS reason, verdict.field AS field FROM a12
)
SELECT
    source_line,
    reason,
    field,
    CASE WHEN reason IS NOT NULL
         THEN left(rtrim(coalesce(raw, text), chr(13) || chr(10)), {S.RAW_MAX_CHARS}) END AS raw,
    CAST(ts_final AS DATE) AS day,
    ts_final AS timestamp,
    coalesce(naive_ts, false) AS naive_ts,
    interaction_id,
    query,
    response,
    conversation_id,
    TRY_CAST(CASE WHEN isnan(turn_d) THEN NULL ELSE turn_d END AS INTEGER) AS turn,
    user_id,
    model_version,
    prompt_version,
    rollout_arm,
    {nan_null("traffic_share_d")} AS traffic_share,
    seg_obj AS segment_json,
    ctx_list AS context,
    {nan_null("latency_ms_d")} AS latency_ms,
    {nan_null("tokens_in_d")} AS tokens_in,
    {nan_null("tokens_out_d")} AS tokens_out,
    {nan_null("cost_usd_d")} AS cost_usd,
    feedback_rating,
    feedback_comment,
    feedback_copied,
    feedback_edited,
    feedback_retried,
    {outcome_cols},
    error,
    CASE WHEN reason IS NULL AND (len(unknown) > 0 OR len(fb_unknown) > 0 OR len(oc_unknown) > 0)
         THEN CAST(to_json(map_from_entries(list_concat(
            coalesce({_entries("map", TOP_KINDS)}, []),
            CASE WHEN len(fb_unknown) > 0
                 THEN [{{'key': 'feedback', 'value': to_json(map_from_entries({_entries("fb_map", FEEDBACK_KINDS)}))}}]
                 ELSE [] END,
            CASE WHEN len(oc_unknown) > 0
                 THEN [{{'key': 'outcome', 'value': to_json(map_from_entries({_entries("oc_map", OUTCOME_KINDS)}))}}]
                 ELSE [] END
         ))) AS VARCHAR) END AS extra_json
FROM checked
"""


def normalize_records(records: pa.Table, limits: Limits, lenient: bool = False) -> pa.Table:
    """Run the normaliser over an Arrow table of records (``readers.RECORD_SCHEMA``).

    The streaming path in ``staging.parse_file`` runs the same query; this entry point
    serves tests and tools that hold records in memory.
    """
    con = duckdb.connect()
    try:
        con.register("_records", records)
        return con.sql(build_sql("_records", lenient), params=limits.params()).to_arrow_table()
    finally:
        con.close()
