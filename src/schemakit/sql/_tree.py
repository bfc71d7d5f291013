"""Reading names out of libpg_query's JSON parse trees (what every statement reader needs)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["enabled_options", "names", "option_on", "qualified", "relation"]


def names(node: Iterable[dict[str, Any]] | None) -> list[str]:
    """The strings of a name list (``[{"String": {"sval": "x"}}, ...]``)."""
    return [n["String"].get("sval", "") for n in node or () if "String" in n]


def qualified(parts: Sequence[str]) -> str:
    """``schema.name`` of a qualified name's parts (``public`` when unqualified)."""
    if not parts:
        return ""
    return ".".join(parts[-2:]) if len(parts) > 1 else f"public.{parts[0]}"


def relation(range_var: dict[str, Any] | None) -> str:
    """``schema.name`` of a RangeVar, wrapped or not (``public`` when unqualified)."""
    if not range_var:
        return ""
    if range_var is _last_relation[0]:
        return str(_last_relation[1])  # the rules on one statement each ask for its table
    inner = range_var.get("RangeVar", range_var)
    path = f"{inner.get('schemaname') or 'public'}.{inner.get('relname', '')}"
    _last_relation[:] = [range_var, path]
    return path


_last_relation: list[Any] = [None, ""]
"""The RangeVar :func:`relation` last read, and its path (parse trees are not changed once
read, so the same dict has the same path)."""


def option_on(element: dict[str, Any]) -> bool:
    """A boolean option (``DefElem``) as PostgreSQL's ``defGetBoolean`` reads it: no value,
    ``true``/``on``/``1`` are on; ``false``/``off``/``0`` are off (any other value is an
    error there, taken as on here)."""
    arg = element.get("arg")
    if arg is None:
        return True
    if "Integer" in arg:
        return bool(arg["Integer"].get("ival", 0))  # libpg_query leaves out a zero
    if "Boolean" in arg:
        return bool(arg["Boolean"].get("boolval", False))
    value = str(arg.get("String", {}).get("sval", "")).lower()
    return value not in ("false", "off")


def enabled_options(options: Iterable[dict[str, Any]] | None) -> set[str]:
    """The names of the options of a list (``(CONCURRENTLY, FULL false)``) that are on."""
    out = set()
    for option in options or ():
        element = option.get("DefElem")
        if element is not None and option_on(element):
            out.add(str(element.get("defname", "")).lower())
    return out
