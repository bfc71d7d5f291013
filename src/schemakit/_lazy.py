"""Module attributes loaded on first use (PEP 562), for packages whose re-exports pull in
psycopg, SQLAlchemy or tree-sitter: linting SQL files must not pay for them at start-up."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


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
