"""Reading names out of libpg_query's JSON parse trees (what every statement reader needs)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["names", "qualified", "relation"]


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
    range_var = range_var.get("RangeVar", range_var)
    return f"{range_var.get('schemaname') or 'public'}.{range_var.get('relname', '')}"
