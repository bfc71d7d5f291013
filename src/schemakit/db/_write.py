"""Write paths that skip the ORM unit of work: set-based upsert and versioned single-row update."""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.orm import Session as _Session
from sqlalchemy.orm.attributes import set_committed_value

from schemakit.errors import ConflictError
from schemakit.models import SoftDelete

__all__ = ["COPY_THRESHOLD", "UpsertResult", "update_versioned", "upsert"]

COPY_THRESHOLD = 2_000
"""From this many rows ``upsert(method="auto")`` loads them with COPY instead of VALUES lists."""

_NEVER_UPDATED = frozenset({"id", "created_at", "version", "updated_at"})

_Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class UpsertResult:
    """What one :func:`upsert` did, counted by the server (``xmax = 0`` marks a fresh insert)."""

    inserted: int
    updated: int
    skipped: int
    """Rows left alone: a conflict with ``update=()`` (DO NOTHING), or duplicates in the input."""


def _table(model: Any) -> sa.Table:
    table = getattr(model, "__table__", model)
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model!r} is neither a mapped class nor a Table")
    return table


def _column_keys(model: Any, table: sa.Table, names: Iterable[str]) -> list[str]:
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


def _connection(target: _Session | sa.Connection) -> sa.Connection:
    # A Session's Core connection: same transaction, no autoflush, no identity map.
    return target.connection() if isinstance(target, _Session) else target


def _psycopg_connection(driver: Any) -> bool:
    import psycopg

    return isinstance(driver, psycopg.Connection)


_STATEMENT_EVENTS = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
)


def _direct_driver(conn: sa.Connection) -> Any | None:
    """The psycopg connection under ``conn``, when running a compiled statement on it directly
    is indistinguishable from ``conn.execute``; else None.

    It is not when SQLAlchemy would do more than send the SQL: statement or cursor event
    listeners (tracing, :func:`schemakit.testing.count_statements`), a ``do_execute`` hook,
    echoed SQL, a schema translate map, or an asyncio driver (``session.run_sync``).
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


def _reraise(conn: sa.Connection, exc: Exception, statement: str, params: Any) -> NoReturn:
    """Raise a driver error as ``conn.execute`` would: wrapped in SQLAlchemy's exception types
    (``IntegrityError``, ``DataError``, ...), through ``handle_error`` listeners, and with a
    lost connection invalidated in the pool. Call it from the ``except`` block."""
    conn._handle_dbapi_exception(exc, statement, params, None, None)


def _upsert_statement(
    table: sa.Table, insert: Insert, conflict: Sequence[str], update: Sequence[str]
) -> Insert:
    if not update:
        return insert.on_conflict_do_nothing(index_elements=list(conflict))
    changes: dict[str, Any] = {key: insert.excluded[key] for key in update}
    if "updated_at" in table.c:
        changes["updated_at"] = sa.func.now()
    if "version" in table.c:
        changes["version"] = table.c.version + sa.literal_column("1")
    return insert.on_conflict_do_update(index_elements=list(conflict), set_=changes)


_INSERTED = sa.literal_column("xmax = 0", sa.Boolean).label("inserted")


def _counted(
    table: sa.Table, insert: Insert, conflict: Sequence[str], update: Sequence[str]
) -> sa.Select[int, int]:
    """The upsert of ``insert``'s rows, answering (inserted, inserted + updated) in one row:
    counted by the server instead of sending back a flag per row."""
    upserted = (
        _upsert_statement(table, insert, conflict, update).returning(_INSERTED).cte("upserted")
    )
    return sa.select(sa.func.count().filter(upserted.c.inserted), sa.func.count()).select_from(
        upserted
    )


def upsert(
    target: _Session | sa.Connection,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] | None = None,
    method: Literal["auto", "values", "copy"] = "auto",
) -> UpsertResult:
    """Insert ``rows`` into ``model``'s table, updating those whose ``conflict`` key exists.

    One ``INSERT ... ON CONFLICT (conflict) DO UPDATE SET`` for the whole batch, atomic with no
    read-then-write race. The conflict branch sets the ``update`` columns (default: every
    given column but the key, ``id`` and ``created_at``; ``()`` means DO NOTHING) and, when the
    table has them, ``updated_at = now()`` and ``version = version + 1``. Later duplicates of a
    key in ``rows`` win (PostgreSQL refuses to update one row twice in a statement).

    ``method="values"`` sends each column as one array and unnests them in a single
    statement, whatever the batch size; ``"copy"`` COPYs the rows into a temporary table and runs one
    ``INSERT ... SELECT ... ON CONFLICT``; ``"auto"`` picks COPY from :data:`COPY_THRESHOLD`
    rows. Runs in the caller's transaction and commits nothing; objects already loaded in a
    session are not refreshed. Sync only: from async code use ``session.run_sync``.
    """
    table = _table(model)
    if not rows:
        return UpsertResult(0, 0, 0)
    given = list(rows[0].keys())
    columns = _column_keys(model, table, given)
    conflict_keys = _column_keys(model, table, conflict)
    if not conflict_keys or not set(conflict_keys) <= set(columns):
        raise ValueError("every conflict column must be given in the rows")
    if update is None:
        update_keys = [k for k in columns if k not in conflict_keys and k not in _NEVER_UPDATED]
    else:
        update_keys = _column_keys(model, table, update)
    deduped = _last_per_key(rows, given, [columns.index(k) for k in conflict_keys])
    duplicates = len(rows) - len(deduped)
    use_copy = method == "copy" or (method == "auto" and len(deduped) >= COPY_THRESHOLD)
    conn = _connection(target)
    shape = (table, tuple(columns), tuple(conflict_keys), tuple(update_keys))
    if use_copy:
        inserted, touched = _upsert_copy(conn, _copy_plan(*shape, conn.dialect), deduped)
    else:
        inserted, touched = _upsert_values(conn, _values_plan(*shape), deduped)
    return UpsertResult(inserted, touched - inserted, len(deduped) - touched + duplicates)


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

    stmt: sa.Select[int, int]
    literals: tuple[tuple[int, sa.Column[Any]], ...]
    """(position, column) of the array-typed columns, sent as text literals (see
    _values_plan)."""


@functools.lru_cache(maxsize=256)
def _values_plan(
    table: sa.Table, columns: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...]
) -> _ValuesPlan:
    # One statement for the whole batch: each column travels as one array parameter and
    # unnest() zips them back into rows. Unlike a VALUES list (one parameter per cell, capped
    # at 65,535) or executemany (one statement per row), the SQL text is the same for any
    # batch size, so it is compiled and prepared once.
    target = [table.c[k] for k in columns]
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
            # dimensions=1: a list or tuple value (a JSONB ["x"]) is one element, not a
            # nested array SQLAlchemy would unpack.
            carrier = ARRAY(c.type, dimensions=1)
        arrays.append(sa.cast(sa.bindparam(f"column_{i}", type_=carrier), carrier))
    source = (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(c.name) for c in target))
        .render_derived(name="source")
    )
    selected = [
        sa.cast(source.c[c.name], c.type) if isinstance(c.type, sa.ARRAY) else source.c[c.name]
        for c in target
    ]
    insert = pg_insert(table).from_select(target, sa.select(*selected))
    return _ValuesPlan(_counted(table, insert, conflict, update), tuple(literals))


def _array_literals(
    conn: sa.Connection, column: sa.Column[Any], values: Sequence[Any]
) -> list[str | None]:
    """Each array value as the text literal psycopg writes for it in COPY (same dumpers, the
    connection's adapters), after SQLAlchemy's bind processing of its items."""
    from psycopg.adapt import PyFormat, Transformer

    dialect = conn.dialect
    proc = column.type.dialect_impl(dialect).bind_processor(dialect)
    driver = conn.connection.driver_connection
    transformer = Transformer(driver)  # type: ignore[arg-type]
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
) -> tuple[int, int]:
    by_column = list(zip(*rows, strict=True))
    params: dict[str, Any] = {f"column_{i}": list(values) for i, values in enumerate(by_column)}
    for i, column in plan.literals:
        params[f"column_{i}"] = _array_literals(conn, column, by_column[i])
    inserted, touched = conn.execute(plan.stmt, params).one()
    return int(inserted), int(touched)


@dataclass(frozen=True, eq=False)
class _CopyPlan:
    """Everything about a COPY upsert that depends only on its shape, built once per shape."""

    prepare: str
    copy: str
    upsert: sa.Select[int, int]
    processors: tuple[tuple[int, _Processor], ...]
    """(position, bind processor) of the columns whose Python values the driver cannot take as
    they are (enum members to labels, dicts to Jsonb, ...)."""


@functools.lru_cache(maxsize=256)
def _copy_plan(
    table: sa.Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    dialect: sa.Dialect,
) -> _CopyPlan:
    prep = dialect.identifier_preparer
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
    insert = pg_insert(table).from_select(target, sa.select(*temp.c))
    processors = []
    for i, c in enumerate(target):
        proc = c.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            processors.append((i, proc))
    return _CopyPlan(
        prepare=prepare,
        copy=f"COPY {temp_name} ({quoted}) FROM STDIN",
        upsert=_counted(table, insert, conflict, update),
        processors=tuple(processors),
    )


def _upsert_copy(
    conn: sa.Connection, plan: _CopyPlan, rows: list[tuple[Any, ...]]
) -> tuple[int, int]:
    import psycopg

    driver = conn.connection.driver_connection
    if not _psycopg_connection(driver):
        raise TypeError("the COPY path needs a synchronous psycopg connection")
    assert driver is not None
    # Multiple statements in one string need the simple query protocol: no parameters.
    conn.exec_driver_sql(plan.prepare, execution_options={"no_parameters": True})
    try:
        with driver.cursor() as cur, cur.copy(plan.copy) as copy:
            write = copy.write_row
            if plan.processors:
                for values in rows:
                    row = list(values)
                    for i, proc in plan.processors:
                        row[i] = proc(row[i])
                    write(row)
            else:
                for values in rows:
                    write(values)
    except psycopg.Error as exc:
        _reraise(conn, exc, plan.copy, None)
    inserted, touched = conn.execute(plan.upsert).one()
    return int(inserted), int(touched)


def _qualified(dialect: sa.Dialect, table: sa.Table) -> str:
    prep = dialect.identifier_preparer
    name = prep.quote(table.name)
    return f"{prep.quote_schema(table.schema)}.{name}" if table.schema else name


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
    table = _table(model)
    if "version" not in table.c:
        raise TypeError(f"{table.fullname} has no version column (use the Versioned mixin)")
    pks = list(table.primary_key.columns)
    if len(pks) != 1:
        raise TypeError(f"{table.fullname} needs a single-column primary key")
    pk = pks[0]
    keys = tuple(_column_keys(model, table, names))
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


class _DriverUpdate:
    """A :class:`_Versioned` statement compiled once for a dialect, to run on the psycopg cursor
    with the bind and result processing ``conn.execute`` would apply."""

    __slots__ = ("binds", "columns", "dialect", "make_row", "results", "sql")

    def __init__(self, versioned: _Versioned, dialect: sa.Dialect) -> None:
        compiled = versioned.stmt.compile(dialect=dialect)
        self.sql: str | None = None if compiled.positional else compiled.string
        self.dialect = dialect
        names = [f"value_{i}" for i in range(len(versioned.keys))] + ["_id", "_expected"]
        self.binds = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ]
        self.columns = list(versioned.table.c)
        # Rows keyed like conn.execute's: by column key, and by the Column object itself.
        self.make_row = result_tuple([c.key for c in self.columns], [(c,) for c in self.columns])
        # Result processors by position, known from the first cursor description.
        self.results: list[tuple[int, _Processor]] | None = None

    def params(self, values: Iterable[Any]) -> dict[str, Any]:
        return {
            name: value if proc is None else proc(value)
            for (name, proc), value in zip(self.binds, values, strict=True)
        }

    def processors(self, description: Sequence[Any]) -> list[tuple[int, _Processor]]:
        found: list[tuple[int, _Processor]] = []
        for i, (column, field) in enumerate(zip(self.columns, description, strict=True)):
            impl = column.type.dialect_impl(self.dialect)
            proc = impl.result_processor(self.dialect, field.type_code)
            if proc is not None:
                found.append((i, proc))
        return found


@functools.lru_cache(maxsize=512)
def _driver_update(versioned: _Versioned, dialect: sa.Dialect) -> _DriverUpdate:
    return _DriverUpdate(versioned, dialect)


def _update_on_driver(
    conn: sa.Connection, driver: Any, plan: _DriverUpdate, sql: str, values: Iterable[Any]
) -> sa.RowMapping | None:
    import psycopg

    params = plan.params(values)
    try:
        with driver.cursor() as cur:
            cur.execute(sql, params)
            fetched = cur.fetchone()
            if fetched is None:
                return None
            if plan.results is None:
                plan.results = plan.processors(cur.description)
    except psycopg.Error as exc:
        _reraise(conn, exc, sql, params)
    if plan.results:
        fetched = list(fetched)
        for i, proc in plan.results:
            fetched[i] = proc(fetched[i])
    return plan.make_row(fetched)._mapping


def update_versioned(
    session: _Session,
    model: Any,
    id: Any,
    expected_version: int,
    values: Mapping[str, Any],
) -> sa.RowMapping:
    """The guideline's optimistic lock as one statement; the updated row, or ConflictError.

    ``UPDATE ... SET <values>, version = version + 1, updated_at = now() WHERE id = :id AND
    version = :expected [AND NOT is_deleted] RETURNING *``. No row means someone else changed
    (or deleted) it first: :class:`ConflictError` says which, from one more query on that
    path only. A copy of the row already loaded in ``session`` is brought up to date.

    The SQL is compiled once per model, columns and dialect. When nothing listens to the
    engine's statement events (see :func:`_direct_driver`) it runs straight on the psycopg
    cursor with the same bind and result processing, and driver errors are raised as
    SQLAlchemy's; otherwise it goes through ``Connection.execute`` so listeners see it.
    """
    versioned = _versioned(model, tuple(values))
    conn = session.connection()
    driver = _direct_driver(conn)
    plan = _driver_update(versioned, conn.dialect) if driver is not None else None
    row: sa.RowMapping | None
    if plan is not None and plan.sql is not None:
        # The same SQL conn.execute would send, without its per-call machinery (execution
        # context, result metadata from the cursor description), which costs more than the
        # round trip itself for a one-row statement.
        row = _update_on_driver(
            conn, driver, plan, plan.sql, (*values.values(), id, expected_version)
        )
    else:
        params = {f"value_{i}": v for i, v in enumerate(values.values())}
        params.update(_id=id, _expected=expected_version)
        row = conn.execute(versioned.stmt, params).mappings().first()
    if row is None:
        raise _conflict(conn, versioned, id, expected_version)
    if session.identity_map and not isinstance(model, sa.Table):
        obj = session.identity_map.get(session.identity_key(model, id))
        if obj is not None:
            for attr in sa.inspect(model).column_attrs:
                set_committed_value(obj, attr.key, row[attr.columns[0].key])
    return row


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
