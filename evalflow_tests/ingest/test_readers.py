"""Readers: line splitting, blocks, discovery and the per-format edge cases."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import zlib
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalflow.config.settings import IngestSettings
from evalflow.ingest import readers as R
from evalflow.ingest import schema as S
from evalflow.ingest.normalize import Limits, normalize_records

LIMITS = Limits.from_settings(IngestSettings())


def rec(i: str, ts: str = "2026-10-05T10:00:00Z", **more: object) -> str:
    return json.dumps({"interaction_id": i, "timestamp": ts, "query": "q", "response": "r", **more})


def landing_file(path: Path, mtime: float | None = None) -> R.LandingFile:
    st = path.stat()
    return R.LandingFile(
        path,
        path.name,
        R.landing_format(path.name) or "",
        st.st_size,
        int(mtime * 1e9) if mtime else st.st_mtime_ns,
    )


def parse(path: Path) -> tuple[list[dict], R.ReadStats]:
    """Read and normalise a file in memory; rows as dicts in file order."""
    stats = R.ReadStats()
    con = duckdb.connect()
    lf = landing_file(path)
    tables = list(R.read_records(lf, con, stats))
    table = pa.concat_tables(tables) if tables else R.RECORD_SCHEMA.empty_table()
    out = normalize_records(table, LIMITS, lenient=lf.fmt == "csv").to_pylist()
    return sorted(out, key=lambda r: (r["source_line"] is None, r["source_line"] or 0)), stats


def test_split_records_lines_crlf_blanks_and_unterminated_tail() -> None:
    data = b'{"a":1}\r\n\n  \t\r\n{"b":2}\n{"c":'
    seg = R.split_records(data, 10, final=True)
    assert len(seg) == 5
    assert seg.content_len.tolist() == [7, 0, 3, 7, 5]
    assert seg.blank.tolist() == [False, True, True, False, False]
    assert seg.terminated.tolist() == [True, True, True, True, False]
    values = seg.binary().to_pylist()
    assert values[0] == b'{"a":1}\r\n' and values[4] == b'{"c":'
    assert b"".join(values) == data  # zero-copy view over the block, nothing lost
    assert R.split_records(b"", 1, final=True).content_len.tolist() == []


def test_split_records_quote_aware_for_csv() -> None:
    data = b'a,b\n1,"x\ny"\n2,"he said ""hi""\nbye"\n3,z\n'
    seg = R.split_records(data, 1, final=True, quote_aware=True)
    assert [bytes(v).rstrip(b"\n") for v in seg.binary().to_pylist()] == [
        b"a,b",
        b'1,"x\ny"',
        b'2,"he said ""hi""\nbye"',
        b"3,z",
    ]


def test_non_final_block_must_end_on_newline() -> None:
    with pytest.raises(ValueError):
        R.split_records(b'{"a":1}\n{"b"', 1, final=False)


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
def test_iter_blocks_reassembles_lines_across_block_edges(block: int) -> None:
    lines = [b"x" * n for n in (0, 3, 100, 5, 250, 1)]
    data = b"\n".join(lines) + b"\nlast-without-newline"
    blocks = list(R.iter_blocks(io.BytesIO(data).readinto, block_bytes=block))
    assert b"".join(bytes(b) for b, _ in blocks) == data
    assert [final for _, final in blocks][-1] is True
    assert all(bytes(b).endswith(b"\n") for b, final in blocks if not final)


def test_small_blocks_keep_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "BLOCK_BYTES", 128)
    path = tmp_path / "many.jsonl"
    body = [rec(f"i-{n}") if n % 7 else "" for n in range(1, 60)]
    body[19] = "{broken"
    path.write_text("\n".join(body) + "\n")
    rows, stats = parse(path)
    assert stats.blank_lines == 8 and stats.records == 51
    assert [r["source_line"] for r in rows] == [n for n in range(1, 60) if n % 7]
    broken = [r for r in rows if r["reason"]]
    assert [(r["source_line"], r["reason"]) for r in broken] == [(20, S.INVALID_JSON)]
    assert all(r["interaction_id"] == f"i-{r['source_line']}" for r in rows if not r["reason"])


def test_discover_order_and_exclusions(tmp_path: Path) -> None:
    files = {
        "b.jsonl": 100,
        "a.jsonl": 100,
        "sub/c.csv": 50,
        "z.parquet": 200,
        "d.jsonl.gz": 150,
        "_truth/t.jsonl": 1,
        "sub/_truth/t.jsonl": 1,
        ".hidden.jsonl": 1,
        ".tmp/x.jsonl": 1,
        "readme.md": 1,
        "data.json": 1,
    }
    for rel, mtime in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}\n")
        os.utime(p, (mtime, mtime))
    found = R.discover(tmp_path)
    assert [f.rel for f in found.files] == [
        "sub/c.csv",
        "a.jsonl",
        "b.jsonl",
        "d.jsonl.gz",
        "z.parquet",
    ]
    assert [f.fmt for f in found.files] == ["csv", "jsonl", "jsonl", "jsonl.gz", "parquet"]
    assert found.ignored == {"data.json": "unknown format", "readme.md": "unknown format"}
    empty = R.discover(tmp_path / "missing")
    assert (empty.files, empty.ignored) == ([], {})


def test_damaged_gzip_keeps_what_was_readable(tmp_path: Path) -> None:
    lines = [rec(f"i-{n}", query_pad="p" * (n % 50)) for n in range(400)]
    full = gzip.compress(("\n".join(lines) + "\n").encode())
    cut = full[: len(full) // 2]
    (tmp_path / "d.jsonl.gz").write_bytes(cut)
    # Independent oracle: how many complete lines does zlib recover from these bytes?
    prefix = zlib.decompressobj(wbits=31).decompress(cut)
    complete = prefix.count(b"\n")
    rows, stats = parse(tmp_path / "d.jsonl.gz")
    kept = [r for r in rows if r["reason"] is None]
    assert [r["interaction_id"] for r in kept] == [f"i-{n}" for n in range(len(kept))]
    assert len(kept) == complete
    reasons = [r["reason"] for r in rows if r["reason"]]
    partial = 0 if prefix.endswith(b"\n") else 1
    assert reasons == [S.TRUNCATED] * partial + [S.UNREADABLE_FILE]
    damage = rows[-1]
    assert "compressed stream damaged" in damage["raw"]
    assert stats.records == len(rows) == complete + partial + 1


def test_utf16_file_is_transcoded(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    path.write_bytes((rec("u-1", query="naïve") + "\r\n" + rec("u-2") + "\r\n").encode("utf-16"))
    rows, stats = parse(path)
    assert [(r["interaction_id"], r["reason"]) for r in rows] == [("u-1", None), ("u-2", None)]
    assert rows[0]["query"] == "naïve" and "transcoded from UTF-16" in stats.notes


def test_parquet_types_dotted_columns_and_nan(tmp_path: Path) -> None:
    table = pa.table(
        {
            "interaction_id": ["a", "b", "c"],
            "timestamp": pa.array([dt.datetime(2026, 10, 5, 23, 30)] * 3, pa.timestamp("ms")),
            "query": ["q", "q", "q"],
            "response": ["r", "r", "r"],
            "latency_ms": [1.5, float("nan"), None],
            "feedback.rating": ["up", None, "down"],
            "feedback.copied": [True, False, None],
            "outcome.escalated": [True, None, False],
            "context": pa.array([["x"], [], None], pa.list_(pa.string())),
            'weird col "name"': [1, 2, 3],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    rows, _stats = parse(tmp_path / "t.parquet")
    assert [r["reason"] for r in rows] == [None, None, None]
    assert [r["source_line"] for r in rows] == [1, 2, 3]
    assert all(r["naive_ts"] for r in rows)  # a naive timestamp column
    assert [r["latency_ms"] for r in rows] == [1.5, None, None]
    assert [r["feedback_rating"] for r in rows] == ["up", None, "down"]
    assert [r["feedback_copied"] for r in rows] == [True, False, None]
    assert [r["context"] for r in rows] == [["x"], [], None]
    assert json.loads(rows[0]["extra_json"]) == {'weird col "name"': 1}


def test_parquet_number_id_is_mistyped_and_tz_aware_time_is_utc(tmp_path: Path) -> None:
    table = pa.table(
        {
            "interaction_id": pa.array([7], pa.int64()),
            "timestamp": pa.array(
                [dt.datetime(2026, 10, 5, 12, tzinfo=dt.timezone(dt.timedelta(hours=-5)))],
                pa.timestamp("us", tz="America/New_York"),
            ),
            "query": ["q"],
            "response": ["r"],
        }
    )
    pq.write_table(table, tmp_path / "n.parquet")
    rows, _ = parse(tmp_path / "n.parquet")
    assert (rows[0]["reason"], rows[0]["field"]) == (S.MISTYPED, "interaction_id")
    assert rows[0]["timestamp"] == dt.datetime(2026, 10, 5, 17)


def test_parquet_nanosecond_timestamps_are_truncated_to_microseconds(tmp_path: Path) -> None:
    ns = pa.array([1_791_194_400_123_456_789], pa.timestamp("ns", tz="UTC"))
    pq.write_table(
        pa.table({"interaction_id": ["a"], "timestamp": ns, "query": ["q"], "response": ["r"]}),
        tmp_path / "ns.parquet",
    )
    rows, _ = parse(tmp_path / "ns.parquet")
    assert rows[0]["reason"] is None
    assert rows[0]["timestamp"] == dt.datetime(2026, 10, 5, 10, 0, 0, 123456)


def test_corrupt_parquet_is_one_unreadable_record(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    rows, stats = parse(tmp_path / "bad.parquet")
    assert [(r["source_line"], r["reason"]) for r in rows] == [(None, S.UNREADABLE_FILE)]
    assert stats.records == 1


def test_csv_duplicate_header_quarantines_every_row(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_bytes(
        b"interaction_id,timestamp,query,query,response\n"
        b"a,2026-10-05T10:00:00Z,q1,q2,r\nb,2026-10-05T10:00:00Z,q1,q2,r\n"
    )
    rows, _ = parse(tmp_path / "d.csv")
    assert [(r["source_line"], r["reason"], r["field"]) for r in rows] == [
        (2, S.MALFORMED_CSV, "header"),
        (3, S.MALFORMED_CSV, "header"),
    ]


def test_csv_bom_crlf_blank_lines_and_empty_values(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(
        b"\xef\xbb\xbfinteraction_id,timestamp,query,response,error,user_id\r\n"
        b"a,2026-10-05T10:00:00Z,q,,boom,\r\n"
        b"\r\n"
        b"b,2026-10-05T10:00:00Z,,r,,u\r\n"
    )
    rows, stats = parse(tmp_path / "e.csv")
    assert stats.blank_lines == 1 and stats.records == 2
    assert (rows[0]["reason"], rows[0]["response"], rows[0]["user_id"]) == (None, "", None)
    assert (rows[1]["source_line"], rows[1]["reason"], rows[1]["field"]) == (4, S.EMPTY, "query")


def test_csv_header_only_and_empty_file(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_bytes(b"interaction_id,timestamp,query,response\n")
    (tmp_path / "e.csv").write_bytes(b"")
    for name in ("h.csv", "e.csv"):
        rows, stats = parse(tmp_path / name)
        assert rows == [] and stats.records == 0


def test_blank_lines_are_not_records(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_bytes(b"\n \n\t\n" + rec("a").encode() + b"\n\n")
    rows, stats = parse(tmp_path / "b.jsonl")
    assert stats.blank_lines == 4 and stats.records == 1
    assert rows[0]["source_line"] == 4


def test_undecodable_lines_only_lose_themselves(tmp_path: Path) -> None:
    good = rec("ok-1").encode()
    lines = [
        good,
        b'{"interaction_id":"x","query":"\xc3\x28"}',
        b"\xff" * 10,
        rec("ok-2").encode(),
        b'{"truncated utf8 \xe2\x82"}',
    ]
    (tmp_path / "u.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    rows, _ = parse(tmp_path / "u.jsonl")
    assert [(r["source_line"], r["reason"]) for r in rows] == [
        (1, None),
        (2, S.UNDECODABLE),
        (3, S.UNDECODABLE),
        (4, None),
        (5, S.UNDECODABLE),
    ]
    assert rows[1]["raw"] == '{"interaction_id":"x","query":"\\xC3("}'
    assert np.all([r["day"] is None for r in rows if r["reason"]])
