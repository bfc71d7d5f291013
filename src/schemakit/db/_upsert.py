"""Set-based upsert: one ``INSERT ... ON CONFLICT`` per batch, from unnested arrays or COPY."""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session as _Session
from sqlalchemy.util import await_only

from schemakit.db._common import Processor, column_keys, connection_of, reraise, table_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

__all__ = ["COPY_THRESHOLD", "OnDeleted", "UpsertResult", "aupsert", "upsert"]

COPY_THRESHOLD = 2_000
"""From this many rows ``upsert(method="auto")`` loads them with COPY instead of VALUES lists."""

_NEVER_UPDATED = frozenset({"id", "created_at", "version", "updated_at"})

OnDeleted = Literal["skip", "restore"]
"""What :func:`upsert` does with a row whose key matches a soft-deleted row."""


@dataclass(frozen=True)
class UpsertResult:
    """What one :func:`upsert` did, counted by the server (``xmax = 0`` marks a fresh insert)."""

    inserted: int
    updated: int
    """Rows whose key existed and were updated (restored ones included)."""
    skipped: int
    """Rows left alone: a conflict with ``update=()`` (DO NOTHING), a key matching a
    soft-deleted row with ``on_deleted="skip"``, or duplicates in the input."""
    restored: int = 0
    """Of ``updated``: rows that were soft-deleted and are live again (``on_deleted="restore"``)."""
    skipped_deleted: int = 0
    """Of ``skipped``: rows whose key matched a soft-deleted row, which stays deleted and
    unchanged (``on_deleted="skip"``, the default)."""


@dataclass(frozen=True)
class _Shape:
    table: sa.Table
    columns: tuple[str, ...]
    conflict: tuple[str, ...]
    update: tuple[str, ...]
    on_deleted: OnDeleted
    soft: bool
    """The table has ``is_deleted`` (the SoftDelete mixin)."""


def _upsert_statement(shape: _Shape, insert: Insert) -> Insert:
    table = shape.table
    conflict = list(shape.conflict)
    changes: dict[str, Any] = {key: insert.excluded[key] for key in shape.update}
    where: sa.ColumnElement[bool] | None = None
    if shape.soft:
        if shape.on_deleted == "skip":
            # The soft-deleted row stays as it is, deleted: not updated behind the filter.
            where = table.c.is_deleted == sa.false()
        else:
            changes["is_deleted"] = sa.false()
            if "deleted_at" in table.c:
                changes["deleted_at"] = sa.null()
            if not shape.update:
                # DO NOTHING for live rows, but deleted ones come back.
                where = table.c.is_deleted == sa.true()
    if not changes:
        return insert.on_conflict_do_nothing(index_elements=conflict)
    if "updated_at" in table.c:
        changes["updated_at"] = sa.func.now()
    if "version" in table.c:
        changes["version"] = table.c.version + sa.literal_column("1")
    return insert.on_conflict_do_update(index_elements=conflict, set_=changes, where=where)


_INSERTED = sa.literal_column("xmax = 0", sa.Boolean).label("inserted")


def _counted(shape: _Shape, source: sa.FromClause) -> sa.Select[Any]:
    """The upsert of ``source``'s rows, answering (inserted, inserted + updated, deleted keys)
    in one row: counted by the server instead of sending back a flag per row."""
    table = shape.table
    target = [table.c[k] for k in shape.columns]
    insert = pg_insert(table).from_select(target, sa.select(*(source.c[c.name] for c in target)))
    upserted = _upsert_statement(shape, insert).returning(_INSERTED).cte("upserted")
    counts: list[Any] = [sa.func.count().filter(upserted.c.inserted), sa.func.count()]
    if shape.soft and (shape.on_deleted == "restore" or not shape.update):
        # Every part of one statement reads the same snapshot: this sees the soft-deleted rows
        # as they were before the INSERT above touched them. (Skipping with an update list
        # needs no count: the rows the conflict's WHERE left out are exactly the deleted ones.)
        keys = [table.c[k] for k in shape.conflict]
        matched = sa.tuple_(*keys).in_(sa.select(*(source.c[c.name] for c in keys)))
        deleted = sa.select(sa.func.count()).where(matched, table.c.is_deleted == sa.true())
        counts.append(deleted.scalar_subquery())
    else:
        counts.append(sa.literal(-1))
    return sa.select(*counts).select_from(upserted)


def upsert(
    target: _Session | sa.Connection,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] | None = None,
    method: Literal["auto", "values", "copy"] = "auto",
    on_deleted: OnDeleted = "skip",
) -> UpsertResult:
    """Insert ``rows`` into ``model``'s table, updating those whose ``conflict`` key exists.

    One ``INSERT ... ON CONFLICT (conflict) DO UPDATE SET`` for the whole batch, atomic with no
    read-then-write race. The conflict branch sets the ``update`` columns (default: every
    given column but the key, ``id`` and ``created_at``; ``()`` means DO NOTHING) and, when the
    table has them, ``updated_at = now()`` and ``version = version + 1``. Later duplicates of a
    key in ``rows`` win (PostgreSQL refuses to update one row twice in a statement).

    On a soft-deletable table (``is_deleted``), a row whose key matches a soft-deleted row is
    left alone by default (``on_deleted="skip"``: it stays deleted, counted in
    ``skipped_deleted``); ``on_deleted="restore"`` updates it and clears ``is_deleted`` and
    ``deleted_at`` (counted in ``restored``), also with ``update=()``.

    Values are written as SQLAlchemy Core writes them, through each column type's bind
    processing: enum members by value, and for JSON columns ``None`` is JSON ``null`` unless the
    type says ``none_as_null=True`` (:func:`schemakit.models.jsonb_column` does for nullable
    columns), while ``sa.null()`` is always SQL NULL and ``sa.JSON.NULL`` always JSON ``null``.

    ``method="values"`` sends each column as one array and unnests them in a single statement,
    whatever the batch size; ``"copy"`` COPYs the rows into a temporary table and runs one
    ``INSERT ... SELECT ... ON CONFLICT``; ``"auto"`` picks COPY from :data:`COPY_THRESHOLD`
    rows. Runs in the caller's transaction and commits nothing; objects already loaded in a
    session are not refreshed. From async code use :func:`aupsert`.
    """
    table = table_of(model)
    if not rows:
        return UpsertResult(0, 0, 0)
    if on_deleted not in ("skip", "restore"):
        raise ValueError(f"on_deleted must be 'skip' or 'restore', not {on_deleted!r}")
    given = list(rows[0].keys())
    columns = column_keys(model, table, given)
    conflict_keys = column_keys(model, table, conflict)
    if not conflict_keys or not set(conflict_keys) <= set(columns):
        raise ValueError("every conflict column must be given in the rows")
    if update is None:
        update_keys = [k for k in columns if k not in conflict_keys and k not in _NEVER_UPDATED]
    else:
        update_keys = column_keys(model, table, update)
    deduped = _last_per_key(rows, given, [columns.index(k) for k in conflict_keys])
    duplicates = len(rows) - len(deduped)
    use_copy = method == "copy" or (method == "auto" and len(deduped) >= COPY_THRESHOLD)
    conn = connection_of(target)
    soft = "is_deleted" in table.c
    shape = _Shape(
        table, tuple(columns), tuple(conflict_keys), tuple(update_keys), on_deleted, soft
    )
    if use_copy:
        counts = _upsert_copy(conn, _copy_plan(shape, conn.dialect), deduped)
    else:
        counts = _upsert_values(conn, _values_plan(shape), deduped)
    inserted, touched, deleted = counts
    if deleted < 0:  # not counted: see _counted
        deleted = len(deduped) - touched if soft else 0
    skipped = len(deduped) - touched + duplicates
    if on_deleted == "restore":
        return UpsertResult(inserted, touched - inserted, skipped, restored=deleted)
    return UpsertResult(inserted, touched - inserted, skipped, skipped_deleted=deleted)


async def aupsert(
    target: AsyncSession | AsyncConnection,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] | None = None,
    method: Literal["auto", "values", "copy"] = "auto",
    on_deleted: OnDeleted = "skip",
) -> UpsertResult:
    """:func:`upsert` on an ``AsyncSession`` or ``AsyncConnection``, COPY path included
    (psycopg's async COPY)."""
    return await target.run_sync(
        _upsert_sync,
        model,
        rows,
        conflict,
        update,
        method,
        on_deleted,
    )


def _upsert_sync(
    target: _Session | sa.Connection,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    conflict: Sequence[str],
    update: Sequence[str] | None,
    method: Literal["auto", "values", "copy"],
    on_deleted: OnDeleted,
) -> UpsertResult:
    return upsert(
        target, model, rows, conflict=conflict, update=update, method=method, on_deleted=on_deleted
    )


def _last_per_key(
    rows: Sequence[Mapping[str, Any]], given: list[str], key_positions: list[int]
) -> list[tuple[Any, ...]]:
    """Each row's values in ``given`` order; of rows sharing a conflict key only the last one,
    in the place of the first."""
    # itemgetter/map/zip keep the per-row work in C: this runs once per upserted row.
    if set(map(len, rows)) != {len(given)}:
        raise ValueError(f"every row must have the same keys: {sorted(given)}")
    values_of = operator.itemgetter(*given)
    try:
        values = list(map(values_of, rows))  # same length and all of given: the same keys
    except KeyError:
        raise ValueError(f"every row must have the same keys: {sorted(given)}") from None
    if len(given) == 1:
        values = [(v,) for v in values]
    key_of = operator.itemgetter(*key_positions)
    return list(dict(zip(map(key_of, values), values, strict=True)).values())


@dataclass(frozen=True, eq=False)
class _ValuesPlan:
    """A VALUES-path upsert built once per shape: the statement and how each column travels."""

    stmt: sa.Select[Any]
    literals: tuple[tuple[int, sa.Column[Any]], ...]
    """(position, column) of the array-typed columns, sent as text literals."""


@functools.lru_cache(maxsize=256)
def _values_plan(shape: _Shape) -> _ValuesPlan:
    # One statement for the whole batch: each column travels as one array parameter and
    # unnest() zips them back into rows. Unlike a VALUES list (one parameter per cell, capped
    # at 65,535) or executemany (one statement per row), the SQL text is the same for any
    # batch size, so it is compiled and prepared once.
    target = [shape.table.c[k] for k in shape.columns]
    arrays = []
    literals: list[tuple[int, sa.Column[Any]]] = []
    for i, c in enumerate(target):
        if isinstance(c.type, sa.ARRAY):
            # An array of arrays is a 2-D array to PostgreSQL, which unnest() flattens to its
            # elements: an array-typed column travels as text[] of array literals instead,
            # cast back to the column's type per row.
            carrier = ARRAY(sa.Text, dimensions=1)
            literals.append((i, c))
        else:
            # dimensions=1: a list value (a JSONB ["x"]) is one element, not a nested array
            # for SQLAlchemy to unpack.
            carrier = ARRAY(c.type, dimensions=1)
        arrays.append(sa.cast(sa.bindparam(f"column_{i}", type_=carrier), carrier))
    unnested = (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(c.name) for c in target))
        .render_derived(name="unnested")
    )
    # A CTE referenced once is inlined by PostgreSQL; the soft-delete count reads it again.
    source = sa.select(
        *(
            sa.cast(unnested.c[c.name], c.type).label(c.name)
            if isinstance(c.type, sa.ARRAY)
            else unnested.c[c.name]
            for c in target
        )
    ).cte("source")
    return _ValuesPlan(_counted(shape, source), tuple(literals))


def _array_literals(
    conn: sa.Connection, column: sa.Column[Any], values: Sequence[Any]
) -> list[str | None]:
    """Each array value as the text literal psycopg writes for it in COPY (the same dumpers,
    with the connection's adapters), after SQLAlchemy's bind processing of its items."""
    from psycopg.adapt import PyFormat, Transformer

    dialect = conn.dialect
    proc = column.type.dialect_impl(dialect).bind_processor(dialect)
    transformer = Transformer(conn.connection.driver_connection)
    out: list[str | None] = []
    for value in values:
        if value is None or isinstance(value, sa.sql.elements.Null):
            out.append(None)
            continue
        if proc is not None:
            value = proc(value)
        dumped = transformer.get_dumper(value, PyFormat.TEXT).dump(value)
        out.append(None if dumped is None else bytes(dumped).decode())
    return out


def _upsert_values(
    conn: sa.Connection, plan: _ValuesPlan, rows: list[tuple[Any, ...]]
) -> tuple[int, int, int]:
    by_column = list(zip(*rows, strict=True))
    params: dict[str, Any] = {f"column_{i}": list(values) for i, values in enumerate(by_column)}
    for i, column in plan.literals:
        params[f"column_{i}"] = _array_literals(conn, column, by_column[i])
    inserted, touched, deleted = conn.execute(plan.stmt, params).one()
    return int(inserted), int(touched), int(deleted)


@dataclass(frozen=True, eq=False)
class _CopyPlan:
    """Everything about a COPY upsert that depends only on its shape, built once per shape."""

    prepare: str
    copy: str
    upsert: sa.Select[Any]
    processors: tuple[tuple[int, Processor], ...]
    """(position, bind processor) of the columns whose Python values the driver cannot take as
    they are (enum members to labels, dicts to Jsonb, ...)."""


@functools.lru_cache(maxsize=256)
def _copy_plan(shape: _Shape, dialect: sa.Dialect) -> _CopyPlan:
    prep = dialect.identifier_preparer
    table, columns = shape.table, shape.columns
    target = [table.c[k] for k in columns]
    # One temporary table name per (target, columns), so every statement below has constant
    # text: compiled once, cached by SQLAlchemy and prepared by the server like any other.
    digest = hashlib.blake2b(f"{table.fullname}\0{columns}".encode(), digest_size=8).hexdigest()
    temp = sa.table(
        f"_schemakit_upsert_{digest}", *(sa.column(c.name) for c in target), schema="pg_temp"
    )
    temp_name = f"pg_temp.{prep.quote(temp.name)}"
    quoted = ", ".join(prep.quote(c.name) for c in target)
    # Created afresh on every call, copying the target's column types as they are now (not as
    # at an earlier upsert of this transaction), without its constraints or defaults. ON COMMIT
    # DROP ends it with the transaction; a rollback undoes its creation. The DROP IF EXISTS
    # clears an earlier upsert's table in the same transaction (or one a rolled-back savepoint
    # brought back); otherwise it finds nothing. Both statements go in one round trip.
    prepare = (
        f"DROP TABLE IF EXISTS {temp_name}; "
        f"CREATE TEMPORARY TABLE {prep.quote(temp.name)} ON COMMIT DROP AS "
        f"SELECT {quoted} FROM {_qualified(dialect, table)} WITH NO DATA"
    )
    processors = []
    for i, c in enumerate(target):
        proc = c.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            processors.append((i, proc))
    return _CopyPlan(
        prepare=prepare,
        copy=f"COPY {temp_name} ({quoted}) FROM STDIN",
        upsert=_counted(shape, temp),
        processors=tuple(processors),
    )


def _upsert_copy(
    conn: sa.Connection, plan: _CopyPlan, rows: list[tuple[Any, ...]]
) -> tuple[int, int, int]:
    import psycopg

    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection | psycopg.AsyncConnection):
        raise TypeError("the COPY path needs a psycopg connection")
    # Multiple statements in one string need the simple query protocol: no parameters.
    conn.exec_driver_sql(plan.prepare, execution_options={"no_parameters": True})
    try:
        if isinstance(driver, psycopg.AsyncConnection):
            # Under AsyncSession/AsyncConnection this runs in SQLAlchemy's greenlet (run_sync),
            # which can wait on the event loop for psycopg's async COPY.
            await_only(_copy_rows_async(driver, plan, rows))
        else:
            with driver.cursor() as cur, cur.copy(plan.copy) as copy:
                write = copy.write_row
                for values in _processed(plan, rows):
                    write(values)
    except psycopg.Error as exc:
        reraise(conn, exc, plan.copy, None)
    inserted, touched, deleted = conn.execute(plan.upsert).one()
    return int(inserted), int(touched), int(deleted)


def _processed(plan: _CopyPlan, rows: list[tuple[Any, ...]]) -> Iterable[Sequence[Any]]:
    if not plan.processors:
        return rows
    return (_process_row(plan.processors, values) for values in rows)


def _process_row(processors: tuple[tuple[int, Processor], ...], values: tuple[Any, ...]) -> Any:
    row = list(values)
    for i, proc in processors:
        row[i] = proc(row[i])
    return row


async def _copy_rows_async(driver: Any, plan: _CopyPlan, rows: list[tuple[Any, ...]]) -> None:
    async with driver.cursor() as cur, cur.copy(plan.copy) as copy:
        write = copy.write_row
        for values in _processed(plan, rows):
            await write(values)


def _qualified(dialect: sa.Dialect, table: sa.Table) -> str:
    prep = dialect.identifier_preparer
    name = prep.quote(table.name)
    return f"{prep.quote_schema(table.schema)}.{name}" if table.schema else name
