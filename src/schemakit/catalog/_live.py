"""Build a Catalog from a live database with a fixed number of set-based pg_catalog queries."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

import psycopg
from psycopg import pq
from psycopg.rows import tuple_row

from schemakit._gc import gc_paused
from schemakit.catalog._model import (
    Catalog,
    Column,
    Constraint,
    DefaultGrant,
    ForeignKey,
    Function,
    Grant,
    Index,
    Role,
    Schema,
    Sequence,
    Table,
    TypeDef,
)
from schemakit.catalog._queries import query
from schemakit.errors import CatalogError

__all__ = ["QUERIES", "from_database"]

QUERIES = (
    "schemas",
    "tables",
    "columns",
    "indexes",
    "constraints",
    "types",
    "sequences",
    "functions",
    "grants",
    "roles",
    "default_grants",
)
_KINDS = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
}


# Catalog columns newer than some supported servers: (first version that has it, stand-in).
_NEWER_COLUMNS = {"i.indnullsnotdistinct": (150000, "false")}


@cache
def _query(name: str, server_version: int = 0) -> str:
    text = query(name)
    for column, (since, stand_in) in _NEWER_COLUMNS.items():
        if server_version < since:
            text = text.replace(column, stand_in)
    return text


def from_database(conn: psycopg.Connection[Any]) -> Catalog:
    """Read every user object of the connected database.

    Sends one query per object kind (``QUERIES``), inside one read-only repeatable-read
    transaction so all kinds come from the same snapshot; the count of round trips does not
    depend on how many tables there are.
    """
    try:
        return _load(conn)
    except psycopg.Error as exc:
        raise CatalogError(f"reading the catalog failed: {exc}") from exc


def _load(conn: psycopg.Connection[Any]) -> Catalog:
    version = conn.info.server_version
    builder = _Builder(conn.info.dbname, version)
    # Outside a transaction conn.transaction() opens the real one, so SET LOCAL ends with it;
    # inside the caller's, it is a savepoint and a SET LOCAL would outlive this call.
    own_transaction = conn.info.transaction_status == pq.TransactionStatus.IDLE
    # The rows and the objects built from them hold no reference cycles, but there are hundreds
    # of thousands of them: pausing the cyclic GC avoids a full collection every few thousand
    # allocations (about a third of the time of a 10,000-table load).
    with gc_paused():
        with conn.transaction():
            setup = []
            if conn.autocommit:
                setup.append("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if own_transaction:
                # The planner prices the per-row deparsing functions high enough to JIT-compile
                # the bigger queries, which costs more than it saves on catalog-sized tables.
                setup.append("SET LOCAL jit = off")
            if setup:
                conn.execute("; ".join(setup))
            for name, rows in _results(conn, version):
                builder.add(name, rows)
        return builder.catalog()


def _results(
    conn: psycopg.Connection[Any], version: int
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Send every query of QUERIES in pipeline mode, then yield each one's rows in order.

    Still one statement per object kind, but the server computes the next kind while the
    caller turns the previous kind's rows into objects: the overlap without a thread.
    """
    with conn.pipeline():
        cursors = []
        for name in QUERIES:
            cur = conn.cursor(row_factory=tuple_row)  # whatever the connection's default
            cur.execute(_query(name, version))
            cursors.append((name, cur))
        for name, cur in cursors:
            yield name, cur.fetchall()


class _Builder:
    """Turns each query's rows into model objects as they arrive, then makes the Catalog.

    ``add`` must see the kinds in QUERIES order (tables before the kinds that belong to them).
    """

    def __init__(self, database: str, version: int) -> None:
        self.database = database
        self.version = version
        self.schemas: dict[str, Schema] = {}
        self.table_rows: dict[int, tuple[Any, ...]] = {}
        self.columns: dict[int, list[Column]] = {}
        self.indexes: dict[int, list[Index]] = {}
        self.fks: dict[int, list[ForeignKey]] = {}
        self.constraints: dict[int, list[Constraint]] = {}
        self.types: dict[str, TypeDef] = {}
        self.sequences: dict[str, Sequence] = {}
        self.functions: dict[str, Function] = {}
        self.grants: tuple[Grant, ...] = ()
        self.roles: dict[str, Role] = {}
        self.user = ""
        self.default_grants: tuple[DefaultGrant, ...] = ()

    def add(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        getattr(self, f"_add_{name}")(rows)

    def _add_schemas(self, rows: list[tuple[Any, ...]]) -> None:
        self.schemas = {name: Schema(name, owner) for name, owner in rows}

    def _add_tables(self, rows: list[tuple[Any, ...]]) -> None:
        self.table_rows = {row[0]: row for row in rows}
        self.columns = {oid: [] for oid in self.table_rows}

    def _add_columns(self, rows: list[tuple[Any, ...]]) -> None:
        # By table, then position; nearly sorted already, so this is a cheap merge pass.
        rows.sort(key=_TABLE_AND_POSITION)
        get_bucket = self.columns.get
        for (
            oid,
            _position,
            name,
            type_,
            type_schema,
            type_name,
            notnull,
            default,
            identity,
            generated,
        ) in rows:
            bucket = get_bucket(oid)
            if bucket is not None:
                bucket.append(
                    Column(
                        name,
                        type_,
                        not notnull,
                        default,
                        type_schema,
                        type_name,
                        identity,
                        generated,
                    )
                )

    def _add_indexes(self, rows: list[tuple[Any, ...]]) -> None:
        table_rows, indexes = self.table_rows, self.indexes
        for oid, name, unique, primary, valid, cols, predicate, method, definition, con in rows:
            if oid in table_rows:
                index = Index(
                    name, tuple(cols), unique, primary, valid, predicate, method, definition, con
                )
                bucket = indexes.get(oid)
                if bucket is None:
                    indexes[oid] = [index]
                else:
                    bucket.append(index)

    def _add_constraints(self, rows: list[tuple[Any, ...]]) -> None:
        table_rows, fks, constraints = self.table_rows, self.fks, self.constraints
        for (
            oid,
            name,
            kind,
            cols,
            ref_schema,
            ref_table,
            ref_cols,
            on_delete,
            validated,
            definition,
        ) in rows:
            if oid not in table_rows:
                continue
            if kind == "f":
                fks.setdefault(oid, []).append(
                    ForeignKey(
                        name,
                        tuple(cols),
                        ref_schema,
                        ref_table,
                        tuple(ref_cols),
                        on_delete,
                        validated,
                    )
                )
            else:
                constraints.setdefault(oid, []).append(
                    Constraint(name, kind, tuple(cols), definition, validated)
                )

    def _add_types(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, name, kind, owner, labels in rows:
            typedef = TypeDef(schema, name, kind, owner, tuple(labels))
            self.types[typedef.path] = typedef

    def _add_sequences(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, name, owner, t_schema, t_name, t_col in rows:
            owned_by = f"{t_schema}.{t_name}.{t_col}" if t_name else None
            sequence = Sequence(schema, name, owner, owned_by)
            self.sequences[sequence.path] = sequence

    def _add_functions(self, rows: list[tuple[Any, ...]]) -> None:
        for schema, name, args, kind, owner, language, definer, config in rows:
            function = Function(
                schema,
                name,
                args,
                _PROKINDS.get(kind, kind),
                owner,
                language,
                definer,
                tuple(config or ()),
            )
            self.functions[function.path] = function

    def _add_grants(self, rows: list[tuple[Any, ...]]) -> None:
        self.grants = tuple(Grant(*row) for row in rows)

    def _add_roles(self, rows: list[tuple[Any, ...]]) -> None:
        for name, superuser, privileges_of, current, createrole, createdb, bypass, of in rows:
            self.roles[name] = Role(
                name,
                superuser,
                frozenset(privileges_of),
                createrole,
                createdb,
                bypass,
                frozenset(of),
            )
            if current:
                self.user = name

    def _add_default_grants(self, rows: list[tuple[Any, ...]]) -> None:
        self.default_grants = tuple(
            DefaultGrant(owner, schema, _DEFAULT_KINDS.get(kind, kind), grantee, privilege)
            for owner, schema, kind, grantee, privilege in rows
        )

    def catalog(self) -> Catalog:
        tables: dict[str, Table] = {}
        for oid, schema, name, relkind, owner, comment, rls, parent in self.table_rows.values():
            table = Table(
                schema,
                name,
                _KINDS.get(relkind, relkind),
                owner,
                tuple(self.columns[oid]),
                _by_name(self.indexes.get(oid)),
                _by_name(self.fks.get(oid)),
                _by_name(self.constraints.get(oid)),
                comment,
                rls,
                parent,
            )
            tables[table.path] = table
        return Catalog(
            database=self.database,
            schemas=self.schemas,
            tables=dict(sorted(tables.items())),
            types=self.types,
            sequences=self.sequences,
            functions=self.functions,
            grants=self.grants,
            server_version=self.version,
            roles=self.roles,
            user=self.user,
            default_grants=self.default_grants,
        )


# pg_default_acl.defaclobjtype codes
_DEFAULT_KINDS = {"r": "table", "S": "sequence", "f": "function", "T": "type", "n": "schema"}
_PROKINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window function"}
_TABLE_AND_POSITION = itemgetter(0, 1)
_NAME = attrgetter("name")
_Named = TypeVar("_Named", Index, ForeignKey, Constraint)


def _by_name(items: list[_Named] | None) -> tuple[_Named, ...]:
    if not items:
        return ()
    if len(items) == 1:
        return (items[0],)
    return tuple(sorted(items, key=_NAME))
