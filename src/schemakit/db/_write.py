"""Write paths that skip the ORM unit of work: set-based upsert and versioned single-row update."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session as _Session
from sqlalchemy.orm.attributes import set_committed_value

from schemakit.errors import ConflictError
from schemakit.models import SoftDelete

__all__ = ["COPY_THRESHOLD", "UpsertResult", "update_versioned", "upsert"]

COPY_THRESHOLD = 2_000
"""From this many rows ``upsert(method="auto")`` loads them with COPY instead of VALUES lists."""

_NEVER_UPDATED = frozenset({"id", "created_at", "version", "updated_at"})


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


def _upsert_statement(
    table: sa.Table, insert: Insert, conflict: list[str], update: list[str]
) -> Insert:
    if not update:
        return insert.on_conflict_do_nothing(index_elements=conflict)
    changes: dict[str, Any] = {key: insert.excluded[key] for key in update}
    if "updated_at" in table.c:
        changes["updated_at"] = sa.func.now()
    if "version" in table.c:
        changes["version"] = table.c.version + sa.literal_column("1")
    return insert.on_conflict_do_update(index_elements=conflict, set_=changes)


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
    # Rename attribute keys to column keys once, check shapes, and keep the last row per key.
    rename = dict(zip(given, columns, strict=True))
    deduped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if len(row) != len(given) or any(k not in rename for k in row):
            raise ValueError(f"every row must have the same keys: {sorted(given)}")
        values = {rename[k]: v for k, v in row.items()}
        deduped[tuple(values[k] for k in conflict_keys)] = values
    duplicates = len(rows) - len(deduped)
    use_copy = method == "copy" or (method == "auto" and len(deduped) >= COPY_THRESHOLD)
    conn = _connection(target)
    if use_copy:
        inserted, touched = _upsert_copy(conn, table, columns, conflict_keys, update_keys, deduped)
    else:
        inserted, touched = _upsert_values(
            conn, table, columns, conflict_keys, update_keys, deduped
        )
    return UpsertResult(inserted, touched - inserted, len(deduped) - touched + duplicates)


_INSERTED = sa.literal_column("xmax = 0", sa.Boolean).label("inserted")


def _upsert_values(
    conn: sa.Connection,
    table: sa.Table,
    columns: list[str],
    conflict: list[str],
    update: list[str],
    rows: dict[tuple[Any, ...], dict[str, Any]],
) -> tuple[int, int]:
    # One statement for the whole batch: each column travels as one array parameter and
    # unnest() zips them back into rows. Unlike a VALUES list (one parameter per cell, capped
    # at 65,535) or executemany (one statement per row), the SQL text is the same for any
    # batch size, so it is compiled and prepared once.
    target = [table.c[k] for k in columns]
    arrays = [
        sa.cast(
            sa.bindparam(f"column_{i}", [r[c.key] for r in rows.values()], type_=ARRAY(c.type)),
            ARRAY(c.type),
        )
        for i, c in enumerate(target)
    ]
    source = (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(c.name) for c in target))
        .render_derived(name="source")
    )
    insert = pg_insert(table).from_select(target, sa.select(*source.c))
    stmt = _upsert_statement(table, insert, conflict, update).returning(_INSERTED)
    flags = conn.execute(stmt).scalars().all()
    return sum(1 for f in flags if f), len(flags)


def _upsert_copy(
    conn: sa.Connection,
    table: sa.Table,
    columns: list[str],
    conflict: list[str],
    update: list[str],
    rows: dict[tuple[Any, ...], dict[str, Any]],
) -> tuple[int, int]:
    driver = conn.connection.driver_connection
    if driver is None or not hasattr(driver, "cursor") or _is_async(driver):
        raise TypeError("the COPY path needs a synchronous psycopg connection")
    dialect = conn.dialect
    target_columns = [table.c[k] for k in columns]
    temp = sa.Table(
        f"_schemakit_upsert_{uuid.uuid4().hex[:16]}",
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in target_columns),
    )
    quoted = ", ".join(dialect.identifier_preparer.quote(c.name) for c in target_columns)
    temp_name = dialect.identifier_preparer.quote(temp.name)
    # Same column types as the target, none of its constraints or defaults, dropped at commit
    # at the latest (and explicitly below, so two upserts in one transaction do not clash).
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {temp_name} ON COMMIT DROP AS "
        f"SELECT {quoted} FROM {_qualified(dialect, table)} WITH NO DATA"
    )
    # Python values -> what the driver expects (enum members to labels, dicts to Jsonb, ...).
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in target_columns]
    keys = list(columns)
    with driver.cursor() as cur, cur.copy(f"COPY {temp_name} ({quoted}) FROM STDIN") as copy:
        if any(processors):
            for values in rows.values():
                copy.write_row(
                    [
                        proc(values[k]) if proc else values[k]
                        for proc, k in zip(processors, keys, strict=True)
                    ]
                )
        else:
            for values in rows.values():
                copy.write_row([values[k] for k in keys])
    insert = pg_insert(table).from_select(target_columns, sa.select(*temp.c))
    upserted = (
        _upsert_statement(table, insert, conflict, update).returning(_INSERTED).cte("upserted")
    )
    counts = conn.execute(
        sa.select(
            sa.func.count().filter(upserted.c.inserted),
            sa.func.count(),
        ).select_from(upserted)
    ).one()
    conn.exec_driver_sql(f"DROP TABLE {temp_name}")
    return int(counts[0]), int(counts[1])


def _is_async(driver: Any) -> bool:
    import psycopg

    return isinstance(driver, psycopg.AsyncConnection)


def _qualified(dialect: sa.Dialect, table: sa.Table) -> str:
    prep = dialect.identifier_preparer
    name = prep.quote(table.name)
    return f"{prep.quote_schema(table.schema)}.{name}" if table.schema else name


@functools.lru_cache(maxsize=512)
def _versioned_update(
    table: sa.Table, pk: sa.Column[Any], keys: tuple[str, ...], soft: bool
) -> sa.Update:
    # Built once per (table, columns): constructing the statement costs more than running it.
    changes: dict[str, Any] = {k: sa.bindparam(f"value_{i}") for i, k in enumerate(keys)}
    changes["version"] = table.c.version + sa.literal_column("1")
    if "updated_at" in table.c and "updated_at" not in changes:
        changes["updated_at"] = sa.func.now()
    criteria = [pk == sa.bindparam("_id"), table.c.version == sa.bindparam("_expected")]
    if soft:
        criteria.append(table.c.is_deleted == sa.false())
    return sa.update(table).where(*criteria).values(changes).returning(*table.c)


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
    """
    table = _table(model)
    if "version" not in table.c:
        raise TypeError(f"{table.fullname} has no version column (use the Versioned mixin)")
    pk = list(table.primary_key.columns)
    if len(pk) != 1:
        raise TypeError(f"{table.fullname} needs a single-column primary key")
    keys = _column_keys(model, table, values)
    forbidden = {pk[0].key, "version"} & set(keys)
    if forbidden:
        raise ValueError(f"update_versioned sets {', '.join(sorted(forbidden))} itself")
    soft = isinstance(model, type) and issubclass(model, SoftDelete)
    stmt = _versioned_update(table, pk[0], tuple(keys), soft)
    params = {f"value_{i}": v for i, v in enumerate(values.values())}
    params.update(_id=id, _expected=expected_version)
    row = session.connection().execute(stmt, params).mappings().first()
    if row is None:
        current = (
            session.connection()
            .execute(
                sa.select(table.c.version, *([table.c.is_deleted] if soft else [])).where(
                    pk[0] == id
                )
            )
            .first()
        )
        if current is None:
            message = f"{table.fullname} {pk[0].name}={id} does not exist"
        elif soft and current[1]:
            message = f"{table.fullname} {pk[0].name}={id} was deleted"
        else:
            message = (
                f"{table.fullname} {pk[0].name}={id} is at version {current[0]}, "
                f"not {expected_version}: it was modified by another operation"
            )
        raise ConflictError(message, hint="reload it and apply the change again")
    if not isinstance(model, sa.Table):
        obj = session.identity_map.get(session.identity_key(model, id))
        if obj is not None:
            for attr in sa.inspect(model).column_attrs:
                set_committed_value(obj, attr.key, row[attr.columns[0].key])
    return row
