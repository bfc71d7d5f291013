"""What the write paths share: resolving a model's table and columns, reaching the psycopg
connection under SQLAlchemy, and raising driver errors as SQLAlchemy would."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.orm import Session as _Session

Processor = Callable[[Any], Any]


def table_of(model: Any) -> sa.Table:
    table = getattr(model, "__table__", model)
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model!r} is neither a mapped class nor a Table")
    return table


def column_keys(model: Any, table: sa.Table, names: Iterable[str]) -> list[str]:
    """Accept ORM attribute names and column names; return the table's column keys."""
    mapper = sa.inspect(model, raiseerr=False) if not isinstance(model, sa.Table) else None
    keys = []
    for name in names:
        if name in table.c:
            keys.append(name)
        elif mapper is not None and name in mapper.column_attrs:
            keys.append(mapper.column_attrs[name].columns[0].key)
        else:
            raise ValueError(f"{table.fullname} has no column {name!r}")
    return keys


def connection_of(target: _Session | sa.Connection) -> sa.Connection:
    # A Session's Core connection: same transaction, no autoflush, no identity map.
    return target.connection() if isinstance(target, _Session) else target


def _psycopg_connection(driver: Any) -> bool:
    import psycopg

    return isinstance(driver, psycopg.Connection | psycopg.AsyncConnection)


_STATEMENT_EVENTS = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
)


def direct_driver(conn: sa.Connection) -> Any | None:
    """The psycopg connection under ``conn``, when running a compiled statement on it directly
    is indistinguishable from ``conn.execute``; else None.

    It is not when SQLAlchemy would do more than send the SQL: statement or cursor event
    listeners (tracing, the test helpers' statement counter), a ``do_execute`` hook,
    echoed SQL, or a schema translate map. Under an AsyncSession (in SQLAlchemy's greenlet)
    the driver is psycopg's ``AsyncConnection``, for the caller to await on.
    """
    if conn._echo:
        return None
    if (conn._has_events or conn.engine._has_events) and any(
        getattr(conn.dispatch, name) for name in _STATEMENT_EVENTS
    ):
        return None
    dialect = conn.dialect
    if dialect._has_events and dialect.dispatch.do_execute:
        return None
    if conn.get_execution_options().get("schema_translate_map"):
        return None
    driver = conn.connection.driver_connection
    return driver if _psycopg_connection(driver) else None


def reraise(conn: sa.Connection, exc: Exception, statement: str, params: Any) -> NoReturn:
    """Raise a driver error as ``conn.execute`` would: wrapped in SQLAlchemy's exception types
    (``IntegrityError``, ``DataError``, ...), through ``handle_error`` listeners, and with a
    lost connection invalidated in the pool. Call it from the ``except`` block."""
    conn._handle_dbapi_exception(exc, statement, params, None, None)
