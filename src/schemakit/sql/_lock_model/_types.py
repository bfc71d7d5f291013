"""Column types as the parse tree spells them, and which type changes rewrite the table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from schemakit.sql._tree import names

__all__ = ["SERIAL_TYPES", "ColumnType", "plain_using", "type_change_note", "type_change_rewrites"]

SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


# serial types are integers with a sequence; the names people write for internal ones
_TYPE_ALIASES = {
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
    "smallserial": "int2",
    "serial2": "int2",
}
_TYPE_SHOWN = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
}


@dataclass(frozen=True)
class ColumnType:
    """A column type as the parse tree spells it: the name (``pg_catalog.`` left out, a
    serial type as its integer), the modifiers (-1 for one that is not a number), whether
    an array."""

    name: str
    mods: tuple[int, ...] = ()
    array: bool = False

    @classmethod
    def of(cls, type_name: dict[str, Any]) -> ColumnType:
        parts = [p for p in names(type_name.get("names")) if p != "pg_catalog"]
        name = ".".join(parts).lower()
        mods = []
        for mod in type_name.get("typmods") or ():
            ival = mod.get("A_Const", {}).get("ival")
            mods.append(int(ival.get("ival", 0)) if isinstance(ival, dict) else -1)
        return cls(_TYPE_ALIASES.get(name, name), tuple(mods), bool(type_name.get("arrayBounds")))

    @classmethod
    def parse(cls, text: str) -> ColumnType | None:
        """The type ``format_type()`` spells as ``text`` (``character varying(50)``,
        ``integer[]``), read by PostgreSQL's parser; None if it is not a type name."""
        return _parse_type(text)

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.mods))})" if self.mods else ""
        return f"{_TYPE_SHOWN.get(self.name, self.name)}{mods}{'[]' if self.array else ''}"


def type_change_rewrites(old: ColumnType, new: ColumnType) -> bool:
    """PostgreSQL rewrites the table to change a column from ``old`` to ``new`` (no USING):
    only binary-coercible changes with no stricter limit keep the old storage."""
    if old == new:
        return False
    if old.array or new.array:
        return True
    if old.name in ("varchar", "text") and (
        new.name == "text" or (new.name == "varchar" and not new.mods)
    ):
        return False  # binary-coercible, no length to check
    if old.name == new.name == "varchar" and old.mods and new.mods:
        return new.mods[0] < old.mods[0]
    if old.name == new.name == "numeric" and old.mods:
        if not new.mods:
            return False
        old_scale = old.mods[1] if len(old.mods) > 1 else 0
        new_scale = new.mods[1] if len(new.mods) > 1 else 0
        return new_scale != old_scale or new.mods[0] < old.mods[0]
    return True


def type_change_note(old: ColumnType | None, new: ColumnType, using: bool) -> tuple[bool, str]:
    """(rewrites, note) of ``ALTER COLUMN ... TYPE new`` from ``old`` (None: not known)."""
    if using:
        return True, f"TYPE {new} USING ...: rewrites the table and rebuilds its indexes"
    if old is None:
        return True, (
            f"TYPE {new}: rewrites the table and its indexes unless binary-coercible from "
            "the old type (e.g. varchar(n) to text or a wider varchar; old type not in the file)"
        )
    same = not type_change_rewrites(old, new)
    if same:
        return False, f"TYPE {old} -> {new}: binary-coercible, no rewrite"
    return True, f"TYPE {old} -> {new}: rewrites the table and rebuilds its indexes"


def plain_using(using: dict[str, Any], column: str, new: ColumnType) -> bool:
    """``USING column`` or ``USING column::new_type`` (a parse tree): the same as no USING
    clause, so :func:`type_change_rewrites` decides (PostgreSQL strips such a cast before
    it asks whether the change rewrites the table)."""
    cast = using.get("TypeCast")
    if cast is not None:
        if ColumnType.of(cast.get("typeName") or {}) != new:
            return False
        using = cast.get("arg") or {}
    return names(using.get("ColumnRef", {}).get("fields")) == [column]


@cache
def _parse_type(text: str) -> ColumnType | None:
    from schemakit.errors import MigrationError
    from schemakit.sql._stream import split_statements

    try:
        statements = split_statements(f"SELECT NULL::{text}")
    except MigrationError:
        return None
    if len(statements) != 1:
        return None
    targets = statements[0].node.get("targetList") or [{}]
    cast = targets[0].get("ResTarget", {}).get("val", {}).get("TypeCast")
    return ColumnType.of(cast["typeName"]) if cast and cast.get("typeName") else None
