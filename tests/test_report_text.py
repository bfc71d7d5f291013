"""The text report without colour is written without rich (a pre-commit hook's output is
not a terminal): it must be what rich writes, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemakit.report import _text
from schemakit.report._text import render_text
from schemakit.rules import Finding, Location, Severity

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
findings = st.lists(
    st.builds(
        Finding,
        code=st.sampled_from(["MIG001", "ISO001", "SYN001"]),
        name=st.sampled_from(["index-without-concurrently", "table-in-public"]),
        message=words,
        help=words,
        severity=st.sampled_from(list(Severity)),
        database=st.one_of(st.none(), st.just("main")),
        location=st.one_of(
            st.none(),
            st.builds(Location, st.just(Path("m/0001.sql")), st.integers(1, 999), st.integers(1)),
        ),
    ),
    max_size=4,
)


def _render(items: list[Finding], suppressed: int, mode: str) -> str:
    out = io.StringIO()
    render_text(items, stream=out, suppressed=suppressed, databases=["main"], mode=mode)
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(
    items=findings,
    suppressed=st.integers(0, 3),
    mode=st.sampled_from(["", "sql", "replay"]),
)
def test_plain_text_is_what_rich_writes_without_colour(
    items: list[Finding], suppressed: int, mode: str
) -> None:
    plain = _render(items, suppressed, mode)
    with pytest.MonkeyPatch.context() as patch:
        # rich's own path, on a stream that is no terminal: it decides on no colour itself
        patch.setattr(_text, "_colour_wanted", lambda stream: True)
        through_rich = _render(items, suppressed, mode)
    assert plain == through_rich


def test_colour_follows_the_terminal_and_force_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert not _text._colour_wanted(io.StringIO())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert _text._colour_wanted(io.StringIO())
    finding = Finding("MIG001", "x", "message", "help", Severity.ERROR)
    out = io.StringIO()
    render_text([finding], stream=out, suppressed=0, databases=[], color=None)
    assert "\x1b[" in out.getvalue()
