"""Split SQL text into statements with file and line, and read inline suppressions."""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, MutableSequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from schemakit.errors import MigrationError
from schemakit.sql._decoding import Piece, decoded, part, statements_of, tree_of
from schemakit.sql._tree import enabled_options

if TYPE_CHECKING:
    from msgspec import Raw

__all__ = [
    "Statement",
    "StatementTable",
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
    tree: dict[str, Any] | Raw | None = field(default_factory=dict, compare=False, repr=False)
    """The parse tree as split; its JSON, not yet decoded (a :class:`Raw`); or None when it
    was not kept (see :attr:`node`)."""

    @property
    def node(self) -> dict[str, Any]:
        """The statement's parse tree in libpg_query's JSON form (the body under ``kind``),
        parsed once with the split so no consumer parses the text again. In a folder its
        JSON is decoded when first asked for and only the last few trees are kept (see
        :func:`schemakit.sql._decoding.decoded`); in a big file the trees of data statements (INSERT, UPDATE, ...)
        are not kept, and the few asked for are parsed again from the text (see
        :data:`_PIECE`)."""
        tree = self.tree
        if tree.__class__ is dict:
            return tree
        if tree is None:
            return tree_of(self.text, self.kind)
        return decoded(tree)  # type: ignore[arg-type]

    def part(self, key: str) -> Any:
        """``node.get(key)``, without decoding the rest of a tree not decoded yet: what a
        rule needs of a view is its name, not its query; of a function, not its body."""
        tree = self.tree
        if tree.__class__ is dict:
            return tree.get(key)
        if tree is None:
            return tree_of(self.text, self.kind).get(key)
        return part(tree, key)  # type: ignore[arg-type]


def _statement_maker() -> Callable[
    [str, Path | None, int, int, int, int, str, dict[str, Any] | Raw | None], Statement
]:
    """``Statement(text, path, line, end_line, column, index, kind, tree)``, made by setting its
    slots directly: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, twice as slow, and a folder's lint makes one per statement."""
    fields = ("text", "path", "line", "end_line", "column", "index", "kind", "tree")
    assert tuple(Statement.__dataclass_fields__) == fields
    s_text, s_path, s_line, s_end, s_column, s_index, s_kind, s_tree = (
        Statement.__dict__[name].__set__ for name in fields
    )
    new = object.__new__

    def make(
        text: str,
        path: Path | None,
        line: int,
        end_line: int,
        column: int,
        index: int,
        kind: str,
        tree: dict[str, Any] | Raw | None,
    ) -> Statement:
        statement: Statement = new(Statement)
        s_text(statement, text)
        s_path(statement, path)
        s_line(statement, line)
        s_end(statement, end_line)
        s_column(statement, column)
        s_index(statement, index)
        s_kind(statement, kind)
        s_tree(statement, tree)
        return statement

    return make


_make_statement = _statement_maker()


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


def split_statements(text: str, path: Path | None = None) -> MutableSequence[Statement]:
    """Split ``text`` with PostgreSQL's own parser (libpg_query, through pglast).

    Text is first cut at drizzle-kit's ``--> statement-breakpoint`` lines, as drizzle's
    migrator does, so a chunk needs no trailing semicolon; each chunk is then split by the
    parser. A syntax error raises :class:`MigrationError` naming the file and line. A big
    text's statements come as a :class:`StatementTable` (see :data:`_PIECE`).
    """
    nul = text.find("\x00")
    if nul != -1:
        raise _nul_error(text, nul, path)
    if len(text) <= _PIECE and BREAKPOINT not in text:  # one parse (most files): as a list
        return _statements(text, path, _parse_piece(text, text, 0, path) or [])
    pieces = (
        (chunk_start + start, chunk_start + stop, tree)
        for chunk_start, chunk_end in _chunks(text)
        for start, stop, tree in _iter_chunk(text[chunk_start:chunk_end], text, chunk_start, path)
    )
    return _statements(text, path, pieces)


def _statements(
    text: str, path: Path | None, pieces: Iterable[Piece]
) -> MutableSequence[Statement]:
    """The statements at ``pieces`` (in order): a list, or a table for a big text."""
    table = StatementTable(text, path) if len(text) > _PIECE else None
    statements: list[Statement] = []
    count, rfind = text.count, text.rfind
    line, at = 1, 0  # lines counted as the statements come: no table of line starts
    for start, stop, tree in pieces:
        ((kind, node),) = tree.items() if tree else (("", {}),)
        line += count("\n", at, start)
        at = start
        end_line = line + count("\n", start, max(start, stop - 1))
        column = start - rfind("\n", 0, start)
        if table is not None:
            table.add(start, stop, line, end_line, column, kind, node)
        else:
            statements.append(
                _make_statement(
                    text[start:stop], path, line, end_line, column, len(statements), kind, node
                )
            )
    return statements if table is None else table


class StatementTable(MutableSequence[Statement]):
    """The statements of one big text, held as columns of numbers (where each starts and
    stops, its lines, its kind, the trees that were kept) rather than as objects: 56 bytes a
    statement where a :class:`Statement` and its text take some 400, for the half million
    INSERTs of a data migration. A :class:`Statement` is made when one is asked for; one
    replaced (``table[i] = ...``) is kept as given."""

    def __init__(self, text: str, path: Path | None) -> None:
        self._text, self._path = text, path
        self._spans = array("q")  # start, stop, line, end_line, column per statement
        self._kinds: list[str] = []
        self._trees: list[dict[str, Any] | Raw | None] = []
        self._replaced: dict[int, Statement] = {}
        self._interned: dict[str, str] = {}

    def add(
        self,
        start: int,
        stop: int,
        line: int,
        end_line: int,
        column: int,
        kind: str,
        tree: dict[str, Any] | Raw | None,
    ) -> None:
        self._spans.extend((start, stop, line, end_line, column))
        self._kinds.append(self._interned.setdefault(kind, kind))
        self._trees.append(tree)

    def __len__(self) -> int:
        return len(self._kinds)

    def _make(self, index: int) -> Statement:
        replaced = self._replaced.get(index)
        if replaced is not None:
            return replaced
        start, stop, line, end_line, column = self._spans[5 * index : 5 * index + 5]
        return _make_statement(
            self._text[start:stop],
            self._path,
            line,
            end_line,
            column,
            index,
            self._kinds[index],
            self._trees[index],
        )

    @overload
    def __getitem__(self, index: int) -> Statement: ...
    @overload
    def __getitem__(self, index: slice) -> MutableSequence[Statement]: ...
    def __getitem__(self, index: int | slice) -> Statement | MutableSequence[Statement]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._make(index)

    def __iter__(self) -> Iterator[Statement]:
        for index in range(len(self._kinds)):
            yield self._make(index)

    @overload
    def __setitem__(self, index: int, value: Statement) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Statement]) -> None: ...
    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice) or not 0 <= index < len(self):
            raise TypeError("a statement table replaces one statement at a time")
        self._replaced[index] = value

    def __delitem__(self, index: int | slice) -> None:
        raise TypeError("a statement table is not shortened")

    def insert(self, index: int, value: Statement) -> None:
        raise TypeError("a statement table grows only as its text is split")


def scan_statements(
    text: str, path: Path | None = None
) -> tuple[MutableSequence[Statement], list[SqlSyntaxError]]:
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
    pieces: list[Piece] = []
    errors: list[SqlSyntaxError] = []
    for chunk_start, chunk_end in _chunks(text):
        _recover(text, chunk_start, chunk_end, path, pieces, errors)
    return _statements(text, path, pieces), errors


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


_PIECE = 1 << 18
"""Characters of SQL parsed in one libpg_query call, about. A bigger chunk (a 50 MB file of
INSERTs) is parsed piece by piece, so its JSON trees never exist all at once (the JSON text
alone is ten times the SQL); and the trees of its data statements are not kept: they are
most of such a file and what the rules and the runner need of them is the kind."""


def _parse_chunk(chunk: str, text: str, offset: int, path: Path | None) -> list[Piece]:
    """:func:`_iter_chunk` as a list: a syntax error raises here, not while iterating."""
    return list(_iter_chunk(chunk, text, offset, path))


def _iter_chunk(chunk: str, text: str, offset: int, path: Path | None) -> Iterator[Piece]:
    """(start, stop, tree) of each statement of ``chunk``, piece by piece when it is big.

    A piece ends at a semicolon that ends a line, and is kept only when the parser agrees
    that its last statement ends at that semicolon: one inside a string, a comment, a dollar
    quote or a ``BEGIN ATOMIC`` body makes the piece fail or end elsewhere, and the piece
    grows to the next candidate (doubling), so the statements are exactly the whole chunk's.
    """
    if len(chunk) <= _PIECE:
        yield from _parse_piece(chunk, text, offset, path) or []
        return
    begin, size = 0, _PIECE
    while begin < len(chunk):
        cut = chunk.find(";\n", begin + size)
        end = len(chunk) if cut == -1 else cut + 1
        last = end == len(chunk)
        try:
            parsed = _parse_piece(chunk[begin:end], text, offset + begin, path, cut=not last)
        except SqlSyntaxError:
            if last:
                raise  # the rest of the chunk fails as a whole: a real syntax error
            parsed = None
        if parsed is None:
            size *= 2
            continue
        for a, b, tree in parsed:
            yield begin + a, begin + b, tree
        begin, size = end, _PIECE


def _parse_piece(
    chunk: str, text: str, offset: int, path: Path | None, *, cut: bool = False
) -> list[Piece] | None:
    """(start, stop, tree) of each statement of ``chunk``: one libpg_query parse gives both the
    statement boundaries (as ``pglast.parser.split`` finds them, whitespace trimmed, leading
    comments kept) and the tree, as JSON, which loads far faster than pglast's AST objects.

    ``cut``: a piece of a bigger chunk, cut after a semicolon: None when the parser's last
    statement does not end there (see :func:`_parse_chunk`)."""
    from pglast import parser

    lean = len(text) > _PIECE
    try:
        json_text = parser.parse_sql_json(chunk)
    except parser.ParseError as exc:
        # pglast reports a character offset into the chunk
        raise _chunk_error(exc, text, offset, path, offset + len(chunk)) from exc
    raws = statements_of(json_text, lean=lean)
    del json_text
    if cut:
        location, length, _ = raws[-1] if raws else (0, 0, None)
        size = len(chunk) if chunk.isascii() else len(chunk.encode())
        if location + length != size - 1:
            return None
    if not raws:
        return []
    # libpg_query's locations are byte offsets into the UTF-8 text
    data = chunk if chunk.isascii() else chunk.encode()
    out = []
    byte_at = char_at = 0  # statements come in order: map byte offsets to characters as we go
    for begin, length, stmt in raws:
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
        out.append((start, start + len(stripped.rstrip()), stmt))
    return out


_MAY_BE_CONCURRENT = frozenset({"IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt"})


def is_concurrent(statement: Statement) -> bool:
    """``CREATE/DROP INDEX CONCURRENTLY``, ``REINDEX (CONCURRENTLY)`` or ``DETACH PARTITION
    ... CONCURRENTLY``: read from the tree, so the word in a comment or a string does not count."""
    kind = statement.kind
    if kind not in _MAY_BE_CONCURRENT:
        return False  # and no tree asked for: a big file's INSERTs keep none
    # JSON not decoded yet: without the word (each form below has it, a "concurrent" key or
    # a "concurrently" option) the answer needs no decoding
    json_text: Any = statement.tree
    if json_text is not None and json_text.__class__ is not dict:
        return b"concurrent" in bytes(json_text) and _is_concurrent(kind, statement.node)
    return _is_concurrent(kind, statement.node)


def _is_concurrent(kind: str, node: dict[str, Any]) -> bool:
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
