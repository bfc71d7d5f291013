"""libpg_query's JSON parse trees as the statement stream holds them: decoded at the split,
left as JSON until a rule reads them, or (in a big text) not kept at all."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msgspec import Raw

__all__ = ["Piece", "decoded", "part", "statements_of", "tree_of"]

Piece = tuple[int, int, dict[str, Any]]
"""(start, stop, ``{kind: tree}``) of one statement; the tree may be its undecoded JSON or
None (see :attr:`Statement.node`)."""


def statements_of(json_text: str, *, lean: bool) -> list[Piece]:
    """(``stmt_location``, ``stmt_len``, ``{kind: tree}``) of each statement of a parse
    result. ``lean``: a big text's, whose data statements' trees are not kept."""
    return _lean_decoder()(json_text) if lean else _decode.statements(json_text)


class _Decoder:
    """libpg_query's JSON trees into dicts: ``json.loads`` for the first few hundred KB, then
    msgspec's decoder, which reads them in about a third of the time (measured against
    ``json.loads`` and orjson on bench/sql_lint.py's trees) but costs tens of milliseconds to
    import: a one-file lint, a pre-commit hook, does not pay for it; a folder does, once.

    From the switch on, :meth:`statements` leaves each statement's tree as its JSON (a
    :class:`msgspec.Raw`, a slice of the parser's output) and :attr:`Statement.node` decodes
    it when asked: a folder's trees are then never all alive at once (ten times its JSON in
    dicts, which cost as much to free and to fault in as to build), and a statement no
    consumer reads is never decoded."""

    SWITCH_AT = 256_000
    """Bytes decoded before the switch."""

    def __init__(self) -> None:
        self.seen = 0
        self.fast: Any = None
        self.outline: Any = None

    def __call__(self, data: str | Raw) -> Any:
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
                self.outline = _outline_decoder()
        return json.loads(data)

    def statements(self, data: str) -> list[Piece]:
        """(``stmt_location``, ``stmt_len``, ``{kind: tree}``) of each statement of a parse
        result, the tree decoded or (after the switch) left as its JSON."""
        if self.outline is not None:
            return [(r.stmt_location, r.stmt_len, r.stmt) for r in self.outline(data).stmts]
        return [
            (r.get("stmt_location", 0), r.get("stmt_len", 0), r.get("stmt") or {})
            for r in self(data).get("stmts") or ()
        ]


_decode = _Decoder()

_KEEP_DECODED = 16
"""Trees :func:`decoded` keeps: a rule run asks about one statement, then the next."""

_recent: dict[int, tuple[Raw, dict[str, Any]]] = {}
"""The last trees decoded, by ``id`` of their JSON (kept here too, so the id stays its)."""


def decoded(raw: Raw) -> dict[str, Any]:
    """The tree of a statement's JSON; the last few are kept, as every rule on one statement
    asks for it (a tree is never changed once read, so a new copy reads the same)."""
    hit = _recent.get(id(raw))
    if hit is not None:
        return hit[1]
    if len(_recent) >= _KEEP_DECODED:
        _recent.clear()
    tree: dict[str, Any] = _raw_decoder()(raw)
    _recent[id(raw)] = (raw, tree)
    return tree


_parts: dict[int, tuple[Raw, dict[str, Raw]]] = {}
"""The last trees :func:`part` split into their top-level fields (as :data:`_recent`)."""


def part(raw: Raw, key: str) -> Any:
    """Field ``key`` of the tree whose JSON is ``raw``, decoding only that field (unless the
    whole tree is among the last decoded)."""
    whole = _recent.get(id(raw))
    if whole is not None:
        return whole[1].get(key)
    hit = _parts.get(id(raw))
    if hit is None:
        if len(_parts) >= _KEEP_DECODED:
            _parts.clear()
        hit = _parts[id(raw)] = (raw, _fields_decoder()(raw))
    value = hit[1].get(key)
    return None if value is None else _raw_decoder()(value)


@functools.cache
def _raw_decoder() -> Callable[[Raw], Any]:
    import msgspec

    return msgspec.json.Decoder().decode


@functools.cache
def _fields_decoder() -> Callable[[Raw], dict[str, Raw]]:
    """A decoder of one tree's top-level fields, each left as its JSON."""
    import msgspec

    return msgspec.json.Decoder(dict[str, msgspec.Raw]).decode


@functools.cache
def _outline_decoder() -> Callable[[str], Any]:
    """A decoder of libpg_query's JSON that leaves each statement's tree undecoded: its
    ``stmts`` as structs of ``stmt_location``, ``stmt_len`` and ``stmt`` (``{kind: Raw}``)."""
    import msgspec

    # defstruct, not class statements: the annotations must be types, not strings
    raw: Any = msgspec.defstruct(
        "Raw",
        [
            ("stmt", dict[str, msgspec.Raw], msgspec.field(default_factory=dict)),
            ("stmt_location", int, 0),
            ("stmt_len", int, 0),
        ],
    )
    parsed: Any = msgspec.defstruct(
        "Parsed", [("stmts", list[raw], msgspec.field(default_factory=list))]
    )
    return msgspec.json.Decoder(parsed).decode


_BULK_KINDS = frozenset(
    {"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "SelectStmt", "CopyStmt"}
)


@functools.lru_cache(maxsize=16)
def tree_of(text: str, kind: str) -> dict[str, Any]:
    """The tree of one statement whose tree was not kept (a few rules ask for several in a
    row: the last few are kept)."""
    from pglast import parser

    try:
        raws = _decode(parser.parse_sql_json(text)).get("stmts") or []
    except parser.ParseError:  # it parsed as part of its file
        return {}
    node: dict[str, Any] = (raws[0].get("stmt") or {}).get(kind, {}) if raws else {}
    return node


@functools.cache
def _lean_decoder() -> Callable[[str], list[Piece]]:
    """:meth:`_Decoder.statements` for a big text (see :func:`statements_of`): the trees of data statements are skipped,
    never built (msgspec reads past them), the others are decoded at once (a :class:`Raw`
    would keep the whole piece's JSON alive)."""
    import msgspec

    outline = _outline_decoder()
    tree = msgspec.json.Decoder().decode

    def decode(data: str) -> list[Piece]:
        return [
            (
                r.stmt_location,
                r.stmt_len,
                {
                    kind: None if kind in _BULK_KINDS else tree(body)
                    for kind, body in r.stmt.items()
                },
            )
            for r in outline(data).stmts
        ]

    return decode
