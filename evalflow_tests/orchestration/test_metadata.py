"""Markdown previews in Dagster metadata: log text renders as literal text, never as markup."""

from __future__ import annotations

import html

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from evalflow.ingest.assets import _md_table
from evalflow.orchestration.metadata import md_escape, md_preview

HOSTILE = [
    "[click me](https://evil.example/phish)",
    "![pixel](https://evil.example/track.png)",
    "[ref]: https://evil.example/ref",
    "<https://evil.example/auto>",
    '<img src=x onerror="alert(1)">',
    "<script>alert(1)</script>",
    "**bold** _em_ `code` ~~strike~~",
    "# heading",
    "a | b | c",
    "line one\nline two\r\n- item",
    "&lt;already an entity&gt; &amp;",
    "back\\slash \\[not a link\\](x)",
    "1. ordered",
    "- item",
    "+ item",
    "    indented code",
    "> quote",
    "_lead and trail_",
    "---",
    "# ",
    "-5 degrees and 1.5 points",
    "__double__",
]


def _render(md: str) -> str:
    """Render as the UI would: CommonMark with GitHub tables."""
    return MarkdownIt("commonmark").enable("table").render(md)


def _text_of(rendered: str) -> str:
    """The visible text of rendered HTML (tags removed, entities decoded)."""
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_literally(text: str) -> None:
    rendered = _render(md_escape(text))
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered
    for tag in ("<strong>", "<em>", "<code>", "<h1>", "<ul>", "<table>"):
        assert tag not in rendered
    # what the reader sees is the text itself (line breaks folded into spaces)
    expected = " ".join(text.replace("\r", "\n").split("\n")).replace("  ", " ")
    assert " ".join(_text_of(rendered).split()) == " ".join(expected.split())
    for tag in ("<ol>", "<li>", "<pre>", "<blockquote>", "<h2>", "<hr"):
        assert tag not in rendered


@pytest.mark.parametrize(
    ("text", "neutralised"),
    [
        ("see https://evil.example/x", "https\\://evil.example/x"),
        ("HTTP://EVIL.EXAMPLE", "HTTP\\://EVIL.EXAMPLE"),
        ("go to www.evil.example", "www\\.evil.example"),
        ("mail bob@example.com", "bob\\@example.com"),
    ],
)
def test_bare_urls_and_addresses_cannot_autolink(text: str, neutralised: str) -> None:
    """GFM turns bare URLs and e-mail addresses into links; the trigger is escaped."""
    assert neutralised in md_escape(text)


def test_identifiers_stay_searchable() -> None:
    for plain in ("toxicity_signal_rate", "2026-10-05", "seg.queue=billing", "0.25", "a/b.jsonl"):
        assert md_escape(plain) == plain


def test_preview_table_keeps_hostile_cells_in_their_cells() -> None:
    df = pd.DataFrame(
        {
            "interaction_id": ["i-1", "i-2"],
            "query": ["[click](https://evil.example) | <b>x</b>", "ok\n| --- |\n| injected |"],
        }
    )
    rendered = _render(md_preview(df).value)
    assert "<a " not in rendered and "<b>" not in rendered
    assert rendered.count("<tr>") == 3  # header + two rows: nothing injected a row
    assert "[click](https://evil.example) | &lt;b&gt;x&lt;/b&gt;" in rendered


def test_ingest_reconciliation_table_escapes_file_names() -> None:
    df = pd.DataFrame({"source_file": ["[x](https://evil.example)/a.jsonl"], "kept": [3]})
    rendered = _render(_md_table(df))
    assert "<a " not in rendered
    assert "[x](https://evil.example)/a.jsonl" in rendered


def test_long_text_is_cut_before_escaping() -> None:
    cell = md_preview(pd.DataFrame({"q": ["[" * 200]}), max_chars=10).value.splitlines()[-1]
    # nine escaped brackets and the ellipsis: an escape is never cut in half
    assert cell == "| " + "\\[" * 9 + "… |"
