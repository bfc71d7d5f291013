"""Split SQL text into statements with file and line, and read inline suppressions."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemakit.errors import MigrationError

__all__ = [
    "Statement",
    "Suppression",
    "attached_span",
    "cannot_run_in_transaction",
    "is_concurrent",
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
    kind: str = ""
    """The parse node type (``CreateStmt``, ``IndexStmt``, ...), as libpg_query names it."""
    node: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The statement's parse tree in libpg_query's JSON form (the body under ``kind``),
    parsed once with the split so no consumer parses the text again."""


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
    pieces: list[tuple[int, int, dict[str, Any]]] = []
    for chunk_start, chunk_end in _chunks(text):
        for start, stop, tree in _parse_chunk(text[chunk_start:chunk_end], text, chunk_start, path):
            pieces.append((chunk_start + start, chunk_start + stop, tree))
    statements: list[Statement] = []
    for index, (start, stop, tree) in enumerate(pieces):
        ((kind, node),) = tree.items() if tree else (("", {}),)
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
                kind=kind,
                node=node,
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


def _parse_chunk(
    chunk: str, text: str, offset: int, path: Path | None
) -> list[tuple[int, int, dict[str, Any]]]:
    """(start, stop, tree) of each statement of ``chunk``: one libpg_query parse gives both the
    statement boundaries (as ``pglast.parser.split`` finds them, whitespace trimmed, leading
    comments kept) and the tree, as JSON, which loads far faster than pglast's AST objects."""
    from pglast import parser

    try:
        parsed = json.loads(parser.parse_sql_json(chunk))
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
    raws = parsed.get("stmts") or []
    if not raws:
        return []
    # libpg_query's locations are byte offsets into the UTF-8 text
    data = chunk if chunk.isascii() else chunk.encode()
    out = []
    byte_at = char_at = 0  # statements come in order: map byte offsets to characters as we go
    for raw in raws:
        begin = raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0)
        end = begin + length if length else len(data)
        if isinstance(data, bytes):
            char_at += len(data[byte_at:begin].decode())
            byte_at = begin
            piece = data[begin:end].decode()
            begin = char_at
        else:
            piece = data[begin:end]
        stripped = piece.lstrip()
        start = begin + len(piece) - len(stripped)
        out.append((start, start + len(stripped.rstrip()), raw.get("stmt") or {}))
    return out


def is_concurrent(statement: Statement) -> bool:
    """``CREATE/DROP INDEX CONCURRENTLY``, ``REINDEX (CONCURRENTLY)`` or ``DETACH PARTITION
    ... CONCURRENTLY``: read from the tree, so the word in a comment or a string does not count."""
    node, kind = statement.node, statement.kind
    if kind in ("IndexStmt", "DropStmt"):
        return bool(node.get("concurrent"))
    if kind == "ReindexStmt":
        return any(
            p.get("DefElem", {}).get("defname") == "concurrently" for p in node.get("params") or ()
        )
    if kind == "AlterTableStmt":
        return any(
            c.get("AlterTableCmd", {}).get("def", {}).get("PartitionCmd", {}).get("concurrent")
            for c in node.get("cmds") or ()
        )
    return False


_NO_TRANSACTION_KINDS = frozenset(
    {
        "VacuumStmt",
        "CreatedbStmt",
        "DropdbStmt",
        "AlterSystemStmt",
        "CreateTableSpaceStmt",
        "DropTableSpaceStmt",
    }
)


def cannot_run_in_transaction(statement: Statement) -> bool:
    """PostgreSQL refuses this statement inside a transaction block (25001)."""
    return statement.kind in _NO_TRANSACTION_KINDS or is_concurrent(statement)


def attached_span(statements: list[Statement], line: int) -> tuple[int, int]:
    """(first, last) line of the statement a comment on ``line`` belongs to: the statement
    spanning it, else the next one; ``(0, -1)`` when none follows (a dangling comment)."""
    previous_end = 0
    for statement in statements:
        if previous_end < line <= statement.end_line:
            return statement.line, statement.end_line
        previous_end = statement.end_line
    return 0, -1
