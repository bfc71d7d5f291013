"""Versioned single-row update: the guideline's optimistic lock as one statement."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.orm import Session as _Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.util import await_only

from schemakit.db._common import Processor, column_keys, direct_driver, reraise, table_of
from schemakit.errors import ConflictError
from schemakit.models import SoftDelete

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["aupdate_versioned", "update_versioned"]

M = TypeVar("M")


@dataclass(frozen=True, eq=False)
class _Versioned:
    """An update_versioned call's target, resolved once per (model, value names)."""

    table: sa.Table
    pk: sa.Column[Any]
    keys: tuple[str, ...]
    soft: bool
    stmt: sa.Update


@functools.lru_cache(maxsize=512)
def _versioned(model: Any, names: tuple[str, ...]) -> _Versioned:
    # Resolving the names and building the statement costs more than running it.
    table = table_of(model)
    if "version" not in table.c:
        raise TypeError(f"{table.fullname} has no version column (use the Versioned mixin)")
    pks = list(table.primary_key.columns)
    if len(pks) != 1:
        raise TypeError(f"{table.fullname} needs a single-column primary key")
    pk = pks[0]
    keys = tuple(column_keys(model, table, names))
    forbidden = {pk.key, "version"} & set(keys)
    if forbidden:
        raise ValueError(f"update_versioned sets {', '.join(sorted(forbidden))} itself")
    soft = isinstance(model, type) and issubclass(model, SoftDelete)
    changes: dict[str, Any] = {k: sa.bindparam(f"value_{i}") for i, k in enumerate(keys)}
    changes["version"] = table.c.version + sa.literal_column("1")
    if "updated_at" in table.c and "updated_at" not in changes:
        changes["updated_at"] = sa.func.now()
    criteria = [pk == sa.bindparam("_id"), table.c.version == sa.bindparam("_expected")]
    if soft:
        criteria.append(table.c.is_deleted == sa.false())
    stmt = sa.update(table).where(*criteria).values(changes).returning(*table.c)
    return _Versioned(table, pk, keys, soft, stmt)


_NAMED = re.compile(r"%\((\w+)\)s")


class _DriverUpdate:
    """A :class:`_Versioned` statement compiled once for a dialect, to run on the psycopg cursor
    with the bind and result processing ``conn.execute`` would apply."""

    __slots__ = (
        "binds",
        "columns",
        "dialect",
        "order",
        "plain",
        "positional_sql",
        "results",
        "sql",
    )

    def __init__(self, versioned: _Versioned, dialect: sa.Dialect) -> None:
        compiled = versioned.stmt.compile(dialect=dialect)
        self.sql: str | None = None if compiled.positional else compiled.string
        self.dialect = dialect
        names = [f"value_{i}" for i in range(len(versioned.keys))] + ["_id", "_expected"]
        self.binds = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ]
        # The same text with %s placeholders: psycopg takes a tuple without checking and
        # reordering a dict of names on every call.
        found = _NAMED.findall(self.sql or "")
        self.order = [names.index(name) for name in found] if set(found) == set(names) else None
        self.positional_sql = _NAMED.sub("%s", self.sql) if self.sql and self.order else None
        # Placeholders in the order the values come and no bind processing: send them as given.
        self.plain = self.order == list(range(len(names))) and all(p is None for _, p in self.binds)
        self.columns = list(versioned.table.c)
        # Result processors by position, known from the first cursor description.
        self.results: list[tuple[int, Processor]] | None = None

    def params(self, values: Iterable[Any]) -> dict[str, Any]:
        return {
            name: value if proc is None else proc(value)
            for (name, proc), value in zip(self.binds, values, strict=True)
        }

    def positional(self, values: Sequence[Any]) -> tuple[Any, ...]:
        assert self.order is not None
        if self.plain:
            return tuple(values)
        binds = self.binds
        return tuple(
            values[i] if binds[i][1] is None else binds[i][1](values[i])  # type: ignore[misc]
            for i in self.order
        )

    def processors(self, description: Sequence[Any]) -> list[tuple[int, Processor]]:
        found: list[tuple[int, Processor]] = []
        for i, (column, field) in enumerate(zip(self.columns, description, strict=True)):
            impl = column.type.dialect_impl(self.dialect)
            proc = impl.result_processor(self.dialect, field.type_code)
            if proc is not None:
                found.append((i, proc))
        return found


@functools.lru_cache(maxsize=512)
def _driver_update(versioned: _Versioned, dialect: sa.Dialect) -> _DriverUpdate:
    return _DriverUpdate(versioned, dialect)


_CURSOR = "schemakit_versioned_cursor"


def _cursor(conn: sa.Connection, driver: Any) -> Any:
    """A psycopg cursor kept with the pooled connection for update_versioned's statements.

    Making a cursor (and its adapters map) costs a sixth of a single-row round trip; a
    connection runs one statement at a time, so one cursor serves every call on it. The info
    dict lives as long as the DBAPI connection. A cursor of another class than the connection's
    ``cursor_factory`` now (a statement counter swapped it in) is replaced, so what counts
    statements sees these too.
    """
    info = conn.connection.info
    cur = info.get(_CURSOR)
    if cur is None or cur.connection is not driver or type(cur) is not driver.cursor_factory:
        cur = info[_CURSOR] = driver.cursor()
    return cur


def _update_on_driver(
    conn: sa.Connection, driver: Any, plan: _DriverUpdate, sql: str, values: Sequence[Any]
) -> Sequence[Any] | None:
    """The updated row's values in table column order, processed as ``conn.execute`` would."""
    import psycopg

    params: Any = plan.positional(values) if sql == plan.positional_sql else plan.params(values)
    cur = _cursor(conn, driver)
    try:
        if isinstance(driver, psycopg.AsyncConnection):
            # In SQLAlchemy's greenlet (AsyncSession.run_sync): wait on psycopg's async cursor.
            fetched = await_only(_execute_async(cur, sql, params))
        else:
            cur.execute(sql, params)
            fetched = cur.fetchone()
    except psycopg.Error as exc:
        reraise(conn, exc, sql, params)
    return _processed(plan, cur, fetched)


def _processed(plan: _DriverUpdate, cur: Any, fetched: Any) -> Sequence[Any] | None:
    if fetched is None:
        return None
    if plan.results is None:
        # Reading the description builds a Column per field: only the first time.
        plan.results = plan.processors(cur.description)
    if plan.results:
        fetched = list(fetched)
        for i, proc in plan.results:
            fetched[i] = proc(fetched[i])
    return fetched  # type: ignore[no-any-return]


async def _execute_async(cur: Any, sql: str, params: Any) -> Any:
    await cur.execute(sql, params)
    return await cur.fetchone()


@overload
def update_versioned(
    session: _Session, model: sa.Table, id: Any, expected_version: int, values: Mapping[str, Any]
) -> sa.RowMapping: ...
@overload
def update_versioned(
    session: _Session, model: type[M], id: Any, expected_version: int, values: Mapping[str, Any]
) -> M: ...
def update_versioned(
    session: _Session,
    model: Any,
    id: Any,
    expected_version: int,
    values: Mapping[str, Any],
) -> Any:
    """The guideline's optimistic lock as one statement; the updated row, or ConflictError.

    ``UPDATE ... SET <values>, version = version + 1, updated_at = now() WHERE id = :id AND
    version = :expected [AND NOT is_deleted] RETURNING *``. No row means someone else changed
    (or deleted) it first: :class:`ConflictError` says which, from one more query on that
    path only.

    For a mapped class the result is the object, typed as the model: the copy already loaded
    in ``session`` brought up to date, or a new persistent one built from the returned row (no
    second query). For a ``Table`` it is the row's ``RowMapping``. From async code use
    :func:`aupdate_versioned`.

    The SQL is compiled once per model, columns and dialect. When nothing listens to the
    engine's statement events (see :func:`schemakit.db._common.direct_driver`) it runs straight
    on the psycopg cursor with the same bind and result processing, and driver errors are
    raised as SQLAlchemy's; otherwise it goes through ``Connection.execute`` so listeners see
    it.
    """
    versioned = _versioned(model, tuple(values))
    conn = session.connection()
    driver = direct_driver(conn)
    plan = _driver_update(versioned, conn.dialect) if driver is not None else None
    row: Sequence[Any] | None
    if plan is not None and plan.sql is not None:
        # The same SQL conn.execute would send, without its per-call machinery (execution
        # context, result metadata from the cursor description), which costs more than the
        # round trip itself for a one-row statement.
        sql = plan.positional_sql or plan.sql
        row = _update_on_driver(conn, driver, plan, sql, (*values.values(), id, expected_version))
    else:
        params = {f"value_{i}": v for i, v in enumerate(values.values())}
        params.update(_id=id, _expected=expected_version)
        row = conn.execute(versioned.stmt, params).first()
    if row is None:
        raise _conflict(conn, versioned, id, expected_version)
    return _result(session, model, versioned, row)


def _result(session: _Session, model: Any, versioned: _Versioned, row: Sequence[Any]) -> Any:
    if isinstance(model, sa.Table):
        return _row_maker(versioned)(row)._mapping
    return _object(session, _object_plan(model, versioned), row)


@functools.lru_cache(maxsize=512)
def _row_maker(versioned: _Versioned) -> Callable[[Sequence[Any]], sa.Row[Any]]:
    columns = list(versioned.table.c)
    # Rows keyed like conn.execute's: by column key, and by the Column object itself.
    return result_tuple([c.key for c in columns], [(c,) for c in columns])


@dataclass(frozen=True, eq=False)
class _ObjectPlan:
    """How a returned row (table column order) becomes the model's object, per model."""

    mapper: Any
    attributes: tuple[tuple[str, int], ...]
    """(attribute key, position in the row) of every mapped column."""
    pk: int
    names: tuple[str, ...]
    """The attribute keys of ``attributes``, in order."""
    values_of: Callable[[Sequence[Any]], tuple[Any, ...]]
    """The row's values for ``names``, in order (an itemgetter: the per-row work in C)."""


@functools.lru_cache(maxsize=512)
def _object_plan(model: Any, versioned: _Versioned) -> _ObjectPlan:
    mapper = sa.inspect(model)
    positions = {c.key: i for i, c in enumerate(versioned.table.c)}
    attributes = tuple((attr.key, positions[attr.columns[0].key]) for attr in mapper.column_attrs)
    names = tuple(name for name, _ in attributes)
    getter = operator.itemgetter(*(i for _, i in attributes))
    values_of = getter if len(attributes) > 1 else (lambda row: (getter(row),))
    return _ObjectPlan(mapper, attributes, positions[versioned.pk.key], names, values_of)


def _object(session: _Session, plan: _ObjectPlan, row: Sequence[Any]) -> Any:
    """The session's object for ``row``, with the row's values as its committed state."""
    key = (plan.mapper.class_, (row[plan.pk],), None)
    obj = session.identity_map.get(key) if session.identity_map else None
    if obj is not None:
        for name, i in plan.attributes:
            set_committed_value(obj, name, row[i])
        return obj
    # Persistent without a SELECT: the row is what the UPDATE returned. This is what an ORM
    # load does (loading._instance): fill the new state's dict, give it the key and the
    # session, put it in the identity map, and tell loaded_as_persistent listeners. Without
    # make_transient_to_detached() + add()'s key recomputation, cascade walk and attribute
    # events, or Session._update_impl()'s attach checks, which cost more than the rest of the
    # call. A new state has nothing to commit: no committed or expired attributes, not modified.
    obj = plan.mapper.class_manager.new_instance()
    state = instance_state(obj)
    state.dict.update(zip(plan.names, plan.values_of(row), strict=True))
    state.key = key
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    if session.dispatch.loaded_as_persistent:
        session.dispatch.loaded_as_persistent(session, state)
    return obj


@overload
async def aupdate_versioned(
    session: AsyncSession,
    model: sa.Table,
    id: Any,
    expected_version: int,
    values: Mapping[str, Any],
) -> sa.RowMapping: ...
@overload
async def aupdate_versioned(
    session: AsyncSession,
    model: type[M],
    id: Any,
    expected_version: int,
    values: Mapping[str, Any],
) -> M: ...
async def aupdate_versioned(
    session: AsyncSession,
    model: Any,
    id: Any,
    expected_version: int,
    values: Mapping[str, Any],
) -> Any:
    """:func:`update_versioned` on an ``AsyncSession``; the object (or ``RowMapping`` for a
    ``Table``), or :class:`ConflictError`.

    Once the session holds a connection, the statement is awaited on psycopg's async cursor
    straight from this coroutine: no ``run_sync`` greenlet, whose spawn and switches cost as
    much as the rest of the call. The first call of a session (which may have to check a
    connection out of the pool), a conflict, a driver error and a listened-to engine go
    through ``run_sync``, as any other session work.
    """
    sync = session.sync_session
    conn = _held_connection(sync)
    driver = direct_driver(conn) if conn is not None else None
    if conn is not None and driver is not None:
        versioned = _versioned(model, tuple(values))
        plan = _driver_update(versioned, conn.dialect)
        if plan.sql is not None:
            sql = plan.positional_sql or plan.sql
            row = await _aupdate_on_driver(
                session, conn, driver, plan, sql, (*values.values(), id, expected_version)
            )
            if row is None:
                raise await session.run_sync(_conflict_of, conn, versioned, id, expected_version)
            return _result(sync, model, versioned, row)
    return await session.run_sync(update_versioned, model, id, expected_version, values)


def _held_connection(session: _Session) -> sa.Connection | None:
    """The connection ``session``'s active transaction already holds, found without I/O (which
    ``Session.connection()`` may need, to check one out of the pool); None when there is none
    yet or the transaction is not active (``Session.connection()`` raises the right error)."""
    current = session.get_nested_transaction() or session.get_transaction()
    if current is None or not current.is_active:
        return None
    root = session.get_transaction()
    # SessionTransaction.bound_connection() is SQLAlchemy 2.1.7+; older ones take run_sync.
    bound = getattr(root, "bound_connection", None)
    if bound is None:
        return None
    try:
        conn: sa.Connection = bound()
    except sa.exc.InvalidRequestError:  # no connection for the session's bind yet
        return None
    return conn


async def _aupdate_on_driver(
    session: AsyncSession,
    conn: sa.Connection,
    driver: Any,
    plan: _DriverUpdate,
    sql: str,
    values: Sequence[Any],
) -> Sequence[Any] | None:
    """:func:`_update_on_driver` awaited on psycopg's ``AsyncConnection`` from the event loop."""
    import psycopg

    params: Any = plan.positional(values) if sql == plan.positional_sql else plan.params(values)
    cur = _cursor(conn, driver)
    try:
        fetched = await _execute_async(cur, sql, params)
    except psycopg.Error as exc:
        # Wrapping may invalidate a lost connection, whose close is awaited: in the greenlet.
        await session.run_sync(_reraise_of, conn, exc, sql, params)
        raise  # not reached: _reraise_of always raises
    return _processed(plan, cur, fetched)


def _reraise_of(
    session: _Session, conn: sa.Connection, exc: Exception, sql: str, params: Any
) -> None:
    reraise(conn, exc, sql, params)


def _conflict_of(
    session: _Session, conn: sa.Connection, versioned: _Versioned, id: Any, expected: int
) -> ConflictError:
    return _conflict(conn, versioned, id, expected)


def _conflict(
    conn: sa.Connection, versioned: _Versioned, id: Any, expected_version: int
) -> ConflictError:
    table, pk, soft = versioned.table, versioned.pk, versioned.soft
    current = conn.execute(
        sa.select(table.c.version, *([table.c.is_deleted] if soft else [])).where(pk == id)
    ).first()
    if current is None:
        message = f"{table.fullname} {pk.name}={id} does not exist"
    elif soft and current[1]:
        message = f"{table.fullname} {pk.name}={id} was deleted"
    else:
        message = (
            f"{table.fullname} {pk.name}={id} is at version {current[0]}, "
            f"not {expected_version}: it was modified by another operation"
        )
    return ConflictError(message, hint="reload it and apply the change again")
