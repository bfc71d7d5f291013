"""Split SQL text into statements with file and line, and read inline suppressions."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from schemakit.errors import MigrationError

__all__ = [
    "Statement",
    "Suppression",
    "attached_span",
    "line_starts",
    "read_suppressions",
    "split_statements",
]

BREAKPOINT = "--> statement-breakpoint"
_SUPPRESSION = re.compile(r"schemakit:\s*ignore\[(?P<codes>[^\]]*)\]")
_CODE = re.compile(r"^[A-Z]{3}[0-9]{0,3}$")


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement as written in its file."""

    text: str
    path: Path | None
    line: int
    """1-based line where the statement starts."""
    end_line: int
    column: int = 1
    index: int = 0


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline ``-- schemakit: ignore[CODE, ...]`` comment."""

    path: Path | None
    line: int
    codes: tuple[str, ...]
    invalid: tuple[str, ...] = ()
    """Entries that are not rule codes or prefixes (``IS0001``, ``ISO-001``, or the whole
    comment when it is not ``schemakit: ignore[...]``)."""


def line_starts(text: str) -> list[int]:
    """Offsets at which each line starts, for bisecting an offset into a line number."""
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def read_suppressions(text: str, path: Path | None = None) -> list[Suppression]:
    """The ``schemakit: ignore[...]`` comments of ``text``: real comment tokens only, found by
    PostgreSQL's own lexer, so the words inside a string or a function body do not count."""
    found: list[Suppression] = []
    if "schemakit:" not in text:
        return found
    from pglast import parser

    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return found  # the split reports the error with its line
    starts = line_starts(text)
    for token in tokens:
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            continue
        body = text[token.start : token.end + 1]
        if "schemakit:" not in body:
            continue
        line = bisect.bisect_right(starts, token.start)
        match = _SUPPRESSION.search(body)
        if match is None:
            found.append(Suppression(path, line, (), (body.strip(),)))
            continue
        entries = [c.strip() for c in match["codes"].split(",") if c.strip()]
        codes = tuple(c for c in entries if _CODE.match(c))
        invalid = tuple(c for c in entries if not _CODE.match(c)) or (() if codes else ("",))
        found.append(Suppression(path, line, codes, invalid))
    return found


def split_statements(text: str, path: Path | None = None) -> list[Statement]:
    """Split ``text`` with PostgreSQL's own parser (libpg_query, through pglast).

    Text is first cut at drizzle-kit's ``--> statement-breakpoint`` lines, as drizzle's
    migrator does, so a chunk needs no trailing semicolon; each chunk is then split by the
    parser. A syntax error raises :class:`MigrationError` naming the file and line.
    """
    starts = line_starts(text)
    pieces: list[tuple[int, int]] = []
    for chunk_start, chunk_end in _chunks(text):
        for piece in _split_chunk(text[chunk_start:chunk_end], text, chunk_start, path):
            pieces.append((chunk_start + piece.start, chunk_start + piece.stop))
    statements: list[Statement] = []
    for index, (start, stop) in enumerate(pieces):
        line = bisect.bisect_right(starts, start)
        end_line = bisect.bisect_right(starts, max(start, stop - 1))
        statements.append(
            Statement(
                text=text[start:stop],
                path=path,
                line=line,
                end_line=end_line,
                column=start - starts[line - 1] + 1,
                index=index,
            )
        )
    return statements


def _chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the text between breakpoint markers (the whole text if none)."""
    if BREAKPOINT not in text:
        return [(0, len(text))]
    chunks = []
    begin = 0
    pos = text.find(BREAKPOINT)
    while pos != -1:
        chunks.append((begin, pos))
        begin = pos + len(BREAKPOINT)
        pos = text.find(BREAKPOINT, begin)
    chunks.append((begin, len(text)))
    return chunks


def _split_chunk(chunk: str, text: str, offset: int, path: Path | None) -> list[slice]:
    from pglast import parser

    try:
        return list(parser.split(chunk, with_parser=True, only_slices=True))
    except parser.ParseError as exc:
        message, location = (*exc.args, None)[:2]
        line = None
        if isinstance(location, int):
            # pglast reports a character offset into the chunk
            line = text.count("\n", 0, offset + location) + 1
        raise MigrationError(
            f"syntax error: {message}",
            path=path,
            line=line,
            hint="fix the SQL; the file was not applied",
        ) from exc


def attached_span(statements: list[Statement], line: int) -> tuple[int, int]:
    """(first, last) line of the statement a comment on ``line`` belongs to: the statement
    spanning it, else the next one; ``(0, -1)`` when none follows (a dangling comment)."""
    previous_end = 0
    for statement in statements:
        if previous_end < line <= statement.end_line:
            return statement.line, statement.end_line
        previous_end = statement.end_line
    return 0, -1
