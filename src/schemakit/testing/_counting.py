"""Count the statements a psycopg connection sends, to prove a loader's round trips are fixed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg

__all__ = ["QueryCounter", "count_queries"]


@dataclass
class QueryCounter:
    """Statements seen while counting, in order."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries(conn: psycopg.Connection[Any]) -> Iterator[QueryCounter]:
    """Record every statement ``conn`` executes inside the ``with`` block.

    Works by swapping the connection's cursor factory, so it counts what the client sends,
    one entry per ``execute`` call (one round trip each outside pipeline mode).
    """
    counter = QueryCounter()
    original = conn.cursor_factory

    class CountingCursor(original):  # type: ignore[valid-type,misc]
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            counter.statements.append(query if isinstance(query, str) else repr(query))
            return super().execute(query, *args, **kwargs)

    conn.cursor_factory = CountingCursor
    try:
        yield counter
    finally:
        conn.cursor_factory = original
