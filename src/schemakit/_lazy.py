"""Module attributes loaded on first use (PEP 562), for packages whose re-exports pull in
psycopg, SQLAlchemy or tree-sitter: linting SQL files must not pay for them at start-up."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["defer_pglast_tables", "lazy_getattr"]


def lazy_getattr(
    package: str, namespace: dict[str, Any], where: Mapping[str, tuple[str, str]]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``where[name] = (module, attribute)`` when
    ``name`` is first read, and keeps it in ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        found = where.get(name)
        if found is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(found[0]), found[1])
        namespace[name] = value
        return value

    return __getattr__


class _Deferred(types.ModuleType):
    """A stand-in in ``sys.modules`` that imports the real module at its first attribute
    read and hands every read on to it."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
            importlib.import_module(self.__name__)
        return getattr(sys.modules[self.__name__], attribute)


PGLAST_TABLES = ("pglast.enums", "pglast.ast")
"""pglast's enum and AST node classes: importing pglast imports them (its package and its
parser module do), about a third of the start-up of ``lint --sql FILE``, for its parse_sql's
node objects; schemakit reads libpg_query's JSON trees (``parse_sql_json``) and never needs
them."""


def defer_pglast_tables() -> None:
    """Have ``import pglast`` skip :data:`PGLAST_TABLES` until something reads them (then they
    load as usual); nothing changes when pglast is already imported."""
    if "pglast" in sys.modules:
        return
    for name in PGLAST_TABLES:
        sys.modules.setdefault(name, _Deferred(name))
