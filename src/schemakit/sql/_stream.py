"""Split SQL text into statements with file and line, and read inline suppressions."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from schemakit.errors import MigrationError

__all__ = ["Statement", "Suppression", "line_starts", "read_suppressions", "split_statements"]

BREAKPOINT = "--> statement-breakpoint"
_SUPPRESSION = re.compile(r"--\s*schemakit:\s*ignore\[(?P<codes>[A-Za-z0-9_,\s]+)\]")


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
    suppressed: frozenset[str] = frozenset()
    """Codes that ``-- schemakit: ignore[...]`` comments attach to this statement."""


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline ``-- schemakit: ignore[CODE, ...]`` comment."""

    path: Path | None
    line: int
    codes: tuple[str, ...]


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
    found: list[Suppression] = []
    if "schemakit:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), 1):
        for match in _SUPPRESSION.finditer(line):
            codes = tuple(c.strip().upper() for c in match["codes"].split(",") if c.strip())
            found.append(Suppression(path, number, codes))
    return found


def split_statements(text: str, path: Path | None = None) -> list[Statement]:
    """Split ``text`` with PostgreSQL's own parser (libpg_query, through pglast).

    Text is first cut at drizzle-kit's ``--> statement-breakpoint`` lines, as drizzle's
    migrator does, so a chunk needs no trailing semicolon; each chunk is then split by the
    parser. A syntax error raises :class:`MigrationError` naming the file and line. Inline
    suppressions attach to the statement they sit in, or to the next statement after them.
    """
    starts = line_starts(text)
    suppressions = read_suppressions(text, path)
    pieces: list[tuple[int, int]] = []
    for chunk_start, chunk_end in _chunks(text):
        for piece in _split_chunk(text[chunk_start:chunk_end], text, chunk_start, path):
            pieces.append((chunk_start + piece.start, chunk_start + piece.stop))
    statements: list[Statement] = []
    previous_end_line = 0
    for index, (start, stop) in enumerate(pieces):
        line = bisect.bisect_right(starts, start)
        end_line = bisect.bisect_right(starts, max(start, stop - 1))
        codes = frozenset(
            code for s in suppressions if previous_end_line < s.line <= end_line for code in s.codes
        )
        statements.append(
            Statement(
                text=text[start:stop],
                path=path,
                line=line,
                end_line=end_line,
                column=start - starts[line - 1] + 1,
                index=index,
                suppressed=codes,
            )
        )
        previous_end_line = end_line
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
