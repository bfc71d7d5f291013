"""Count the statements an engine or session sends, and group them by shape (N+1 detection)."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as _Session

from schemakit.testing._counting import QueryCounter

__all__ = ["StatementCounter", "count_statements", "statement_shape"]

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
# %(name)s, %s, $1, ?, :name; not the "::" of a cast.
_PARAM = re.compile(r"%\([^)]+\)s|%s|\$\d+|\?|(?<![:\w]):[A-Za-z_]\w*")
_POSTCOMPILE = re.compile(r"\(?__\[POSTCOMPILE_\w+\]\)?")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)*\s*\)")
_SPACE = re.compile(r"\s+")


def statement_shape(sql: str) -> str:
    """``sql`` with literals and parameters replaced by ``?`` and IN-lists collapsed.

    ``SELECT ... WHERE id = %(id_1)s`` run for 50 ids gives 50 statements of one shape: the
    N+1 signature. A lazy load and an ``IN (1, 2, 3)`` of any length normalise alike.
    """
    shape = _POSTCOMPILE.sub("(?)", sql)
    shape = _STRING.sub("?", shape)
    shape = _PARAM.sub("?", shape)
    shape = _NUMBER.sub("?", shape)
    shape = _LIST.sub("(?)", shape)
    return _SPACE.sub(" ", shape).strip()


class StatementCounter(QueryCounter):
    """Statements seen while counting, in order (one entry per execute/executemany)."""

    def shapes(self) -> Counter[str]:
        """How often each statement shape ran."""
        return Counter(statement_shape(s) for s in self.statements)

    def repeated(self, threshold: int) -> dict[str, int]:
        """Shapes that ran more than ``threshold`` times: likely N+1 loads."""
        return {shape: n for shape, n in self.shapes().items() if n > threshold}


def _engine_of(target: Any) -> sa.Engine:
    if isinstance(target, sa.Engine):
        return target
    if isinstance(target, sa.Connection):
        return target.engine
    sync_engine = getattr(target, "sync_engine", None)  # AsyncEngine, AsyncConnection
    if isinstance(sync_engine, sa.Engine):
        return sync_engine
    session = getattr(target, "sync_session", target)  # AsyncSession -> Session
    if isinstance(session, _Session):
        bind = session.get_bind()
        return bind if isinstance(bind, sa.Engine) else bind.engine
    raise TypeError(f"cannot count statements of {target!r}")


@contextlib.contextmanager
def count_statements(target: Any) -> Iterator[StatementCounter]:
    """Record every statement sent through ``target``'s engine inside the ``with`` block.

    ``target`` is an Engine, Connection, Session, or their async counterparts. Listens to
    SQLAlchemy's ``before_cursor_execute``, so it sees what goes to the driver, lazy loads
    included, from every connection of that engine (other threads too).
    """
    counter = StatementCounter()
    with recording(_engine_of(target), counter.statements):
        yield counter


@contextlib.contextmanager
def recording(target: Any, into: list[str]) -> Iterator[None]:
    """Append each statement SQLAlchemy sends through ``target`` (an Engine; the Engine class
    reaches every engine) to ``into``, inside the ``with`` block."""

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        into.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(target, "before_cursor_execute", record)
