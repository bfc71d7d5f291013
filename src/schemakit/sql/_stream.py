"""Split SQL text into statements with file and line, and read inline suppressions."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemakit.errors import MigrationError
from schemakit.sql._tree import enabled_options

__all__ = [
    "Statement",
    "Suppression",
    "attached_span",
    "cannot_run_in_transaction",
    "is_concurrent",
    "line_starts",
    "read_suppressions",
    "scan_statements",
    "split_statements",
]

BREAKPOINT = "--> statement-breakpoint"


class SqlSyntaxError(MigrationError):
    """libpg_query rejected the text: where, and PostgreSQL's own words for it."""

    def __init__(
        self, reason: str, *, path: Path | None, line: int | None, column: int = 1
    ) -> None:
        reason = " ".join(reason.split())  # the quoted text may run over a newline
        said = reason if reason.lower().startswith("syntax error") else f"syntax error: {reason}"
        super().__init__(
            said + (f" (column {column})" if line else ""),
            path=path,
            line=line,
            hint="fix the SQL; the file was not applied",
        )
        self.reason = reason
        self.column = column


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

    tokens = _scan(text)
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


def _scan(text: str) -> list[Any]:
    """PostgreSQL's tokens of ``text``; up to the error when the scanner fails (an
    unterminated string or comment runs to the end of the file: no comment token after it)."""
    from pglast import parser

    try:
        return list(parser.scan(text))
    except parser.ParseError as exc:
        location = (*exc.args, None)[1]
        if isinstance(location, int) and 0 < location < len(text):
            return _scan(text[:location])
        return []


def split_statements(text: str, path: Path | None = None) -> list[Statement]:
    """Split ``text`` with PostgreSQL's own parser (libpg_query, through pglast).

    Text is first cut at drizzle-kit's ``--> statement-breakpoint`` lines, as drizzle's
    migrator does, so a chunk needs no trailing semicolon; each chunk is then split by the
    parser. A syntax error raises :class:`MigrationError` naming the file and line.
    """
    nul = text.find("\x00")
    if nul != -1:
        raise _nul_error(text, nul, path)
    starts = line_starts(text)
    pieces: list[tuple[int, int, dict[str, Any]]] = []
    for chunk_start, chunk_end in _chunks(text):
        for start, stop, tree in _parse_chunk(text[chunk_start:chunk_end], text, chunk_start, path):
            pieces.append((chunk_start + start, chunk_start + stop, tree))
    return _statements(text, path, starts, pieces)


def _statements(
    text: str, path: Path | None, starts: list[int], pieces: list[tuple[int, int, dict[str, Any]]]
) -> list[Statement]:
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


def scan_statements(
    text: str, path: Path | None = None
) -> tuple[list[Statement], list[SqlSyntaxError]]:
    """Like :func:`split_statements`, but a syntax error does not lose the rest of the file.

    When the parser rejects a chunk, PostgreSQL's scanner splits it at the semicolons it can
    see and each piece is parsed alone: the good statements are kept, each bad one becomes a
    :class:`SqlSyntaxError` at its own line. This is what a linter wants (every finding of a
    half-written file, and the error as one of them); a runner wants ``split_statements``.
    """
    nul = text.find("\x00")
    if nul != -1:
        # libpg_query reads a C string: it would stop there, silently. Lint what comes before.
        before, problems = scan_statements(text[:nul], path)
        return before, [*problems, _nul_error(text, nul, path)]
    try:
        return split_statements(text, path), []
    except SqlSyntaxError:
        pass
    starts = line_starts(text)
    pieces: list[tuple[int, int, dict[str, Any]]] = []
    errors: list[SqlSyntaxError] = []
    for chunk_start, chunk_end in _chunks(text):
        _recover(text, chunk_start, chunk_end, path, pieces, errors)
    return _statements(text, path, starts, pieces), errors


def _recover(
    text: str,
    begin: int,
    end: int,
    path: Path | None,
    pieces: list[tuple[int, int, dict[str, Any]]],
    errors: list[SqlSyntaxError],
) -> None:
    """Parse ``text[begin:end]``; on a syntax error, parse it piece by piece (see above)."""
    from pglast import parser

    try:
        parsed = _parse_chunk(text[begin:end], text, begin, path)
    except SqlSyntaxError:
        pass
    else:
        pieces += [(begin + a, begin + b, tree) for a, b, tree in parsed]
        return
    try:
        spans = _scanner_spans(text[begin:end])
    except parser.ParseError as exc:
        # An unterminated string or comment: keep what comes before it, the rest is the error.
        errors.append(_chunk_error(exc, text, begin, path, end))
        location = (*exc.args, None)[1]
        if isinstance(location, int) and 0 < location < end - begin:
            cut = text.rfind(";", begin, begin + location)
            if cut > begin:
                _recover(text, begin, cut + 1, path, pieces, errors)
        return
    for start, stop in spans:
        start, stop = begin + start, begin + stop
        try:
            parsed = _parse_chunk(text[start:stop], text, start, path)
        except SqlSyntaxError as exc:
            errors.append(exc)
        else:
            pieces += [(start + a, start + b, tree) for a, b, tree in parsed]


def _scanner_spans(chunk: str) -> list[tuple[int, int]]:
    """(start, stop) of each statement of ``chunk`` as PostgreSQL's scanner cuts it: after
    each semicolon, leading comments kept, comment-only pieces left out. pglast's own
    scanner split drops a piece whose first word is no keyword (``SELEC 1;``), and with it
    the syntax error the linter must report."""
    from pglast import parser

    spans = []
    start, seen = 0, False
    for token in parser.scan(chunk):
        if token.name in ("C_COMMENT", "SQL_COMMENT"):
            continue
        seen = True
        if token.name == "ASCII_59":
            spans.append((start, token.end + 1))
            start, seen = token.end + 1, False
    if seen:
        spans.append((start, len(chunk)))
    return spans


def _error_at(reason: str, text: str, at: int, path: Path | None) -> SqlSyntaxError:
    """A syntax error at character offset ``at`` of ``text``, as line and column."""
    line = text.count("\n", 0, at) + 1
    return SqlSyntaxError(reason, path=path, line=line, column=at - text.rfind("\n", 0, at))


def _nul_error(text: str, at: int, path: Path | None) -> SqlSyntaxError:
    return _error_at(
        "NUL byte (\\0) in the SQL text: PostgreSQL refuses it, and nothing after it is read",
        text,
        at,
        path,
    )


def _chunk_error(
    exc: Exception, text: str, offset: int, path: Path | None, end: int
) -> SqlSyntaxError:
    """The parser's error on ``text[offset:end]``, at its line and column; one with no
    location ("at end of input") is put on the chunk's last character that is not space."""
    message, location = (*exc.args, None)[:2]
    if isinstance(location, int):
        return _error_at(str(message), text, offset + location, path)
    at = len(text[:end].rstrip()) - 1
    return _error_at(str(message), text, max(offset, at, 0), path)


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


class _Decoder:
    """libpg_query's JSON trees into dicts: ``json.loads`` for the first few hundred KB, then
    msgspec's decoder, which reads them in about a third of the time (measured against
    ``json.loads`` and orjson on bench/sql_lint.py's trees) but costs tens of milliseconds to
    import: a one-file lint, a pre-commit hook, does not pay for it; a folder does, once."""

    SWITCH_AT = 256_000
    """Bytes decoded before the switch."""

    def __init__(self) -> None:
        self.seen = 0
        self.fast: Any = None

    def __call__(self, data: str) -> Any:
        if self.fast is not None:
            return self.fast(data)
        self.seen += len(data)
        if self.seen > self.SWITCH_AT:
            try:
                import msgspec.json
            except ImportError:  # an optional speed-up: without it, json.loads all along
                self.seen = -(1 << 62)
            else:
                self.fast = msgspec.json.Decoder().decode
        return json.loads(data)


_decode = _Decoder()


def _parse_chunk(
    chunk: str, text: str, offset: int, path: Path | None
) -> list[tuple[int, int, dict[str, Any]]]:
    """(start, stop, tree) of each statement of ``chunk``: one libpg_query parse gives both the
    statement boundaries (as ``pglast.parser.split`` finds them, whitespace trimmed, leading
    comments kept) and the tree, as JSON, which loads far faster than pglast's AST objects."""
    from pglast import parser

    try:
        parsed = _decode(parser.parse_sql_json(chunk))
    except parser.ParseError as exc:
        # pglast reports a character offset into the chunk
        raise _chunk_error(exc, text, offset, path, offset + len(chunk)) from exc
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
        return "concurrently" in enabled_options(node.get("params"))
    if kind == "AlterTableStmt":
        return any(
            c.get("AlterTableCmd", {}).get("def", {}).get("PartitionCmd", {}).get("concurrent")
            for c in node.get("cmds") or ()
        )
    return False


_NO_TRANSACTION_KINDS = frozenset(
    {
        "CreatedbStmt",
        "DropdbStmt",
        "AlterSystemStmt",
        "CreateTableSpaceStmt",
        "DropTableSpaceStmt",
    }
)


def cannot_run_in_transaction(statement: Statement) -> bool:
    """PostgreSQL refuses this statement inside a transaction block (25001)."""
    kind = statement.kind
    if kind in _NO_TRANSACTION_KINDS or is_concurrent(statement):
        return True
    if kind == "VacuumStmt":
        return bool(statement.node.get("is_vacuumcmd"))  # ANALYZE alone may run in one
    if kind == "ClusterStmt":
        return not statement.node.get("relation")  # CLUSTER of every clustered table
    if kind == "ReindexStmt":
        return statement.node.get("kind") in _REINDEX_MANY
    return False


# REINDEX SCHEMA/DATABASE/SYSTEM commit per table, so refuse a transaction block.
_REINDEX_MANY = frozenset(
    {"REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_DATABASE", "REINDEX_OBJECT_SYSTEM"}
)


def attached_span(statements: list[Statement], line: int) -> tuple[int, int]:
    """(first, last) line of the statement a comment on ``line`` belongs to: the statement
    spanning it, else the next one; ``(0, -1)`` when none follows (a dangling comment)."""
    previous_end = 0
    for statement in statements:
        if previous_end < line <= statement.end_line:
            return statement.line, statement.end_line
        previous_end = statement.end_line
    return 0, -1
