"""Build a Catalog from a live database with a fixed number of set-based pg_catalog queries."""

from __future__ import annotations

import gc
from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg import pq

from schemakit.catalog._model import (
    Catalog,
    Column,
    Constraint,
    ForeignKey,
    Function,
    Grant,
    Index,
    Schema,
    Sequence,
    Table,
    TypeDef,
)
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
    text = (resources.files("schemakit.catalog") / "sql" / f"{name}.sql").read_text()
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
    # Outside a transaction conn.transaction() opens the real one, so SET LOCAL ends with it;
    # inside the caller's, it is a savepoint and a SET LOCAL would outlive this call.
    own_transaction = conn.info.transaction_status == pq.TransactionStatus.IDLE
    # The rows and the objects built from them hold no reference cycles, but there are hundreds
    # of thousands of them: pausing the cyclic GC avoids a full collection every few thousand
    # allocations (about a third of the time of a 10,000-table load).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        rows: dict[str, list[tuple[Any, ...]]] = {}
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
            cur = conn.cursor()
            for name in QUERIES:
                cur.execute(_query(name, version))
                rows[name] = cur.fetchall()
            database = conn.info.dbname
        return _assemble(database, version, rows)
    finally:
        if gc_was_enabled:
            gc.enable()


def _assemble(database: str, version: int, rows: dict[str, list[tuple[Any, ...]]]) -> Catalog:
    schemas = {name: Schema(name, owner) for name, owner in rows["schemas"]}

    table_rows = {oid: row for oid, *row in rows["tables"]}
    columns: dict[int, list[Column]] = {oid: [] for oid in table_rows}
    for oid, name, type_, type_schema, type_name, notnull, default, identity, generated in rows[
        "columns"
    ]:
        bucket = columns.get(oid)
        if bucket is not None:
            bucket.append(
                Column(
                    name, type_, not notnull, default, type_schema, type_name, identity, generated
                )
            )

    indexes: dict[int, list[Index]] = {}
    for oid, name, unique, primary, valid, cols, predicate, method, definition, con in rows[
        "indexes"
    ]:
        if oid in table_rows:
            indexes.setdefault(oid, []).append(
                Index(name, tuple(cols), unique, primary, valid, predicate, method, definition, con)
            )

    fks: dict[int, list[ForeignKey]] = {}
    constraints: dict[int, list[Constraint]] = {}
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
    ) in rows["constraints"]:
        if oid not in table_rows:
            continue
        if kind == "f":
            fks.setdefault(oid, []).append(
                ForeignKey(
                    name, tuple(cols), ref_schema, ref_table, tuple(ref_cols), on_delete, validated
                )
            )
        else:
            constraints.setdefault(oid, []).append(
                Constraint(name, kind, tuple(cols), definition, validated)
            )

    tables: dict[str, Table] = {}
    for oid, (schema, name, relkind, owner, comment, rls) in table_rows.items():
        table = Table(
            schema,
            name,
            _KINDS.get(relkind, relkind),
            owner,
            tuple(columns[oid]),
            tuple(sorted(indexes.get(oid, ()), key=lambda i: i.name)),
            tuple(sorted(fks.get(oid, ()), key=lambda f: f.name)),
            tuple(sorted(constraints.get(oid, ()), key=lambda c: c.name)),
            comment,
            rls,
        )
        tables[table.path] = table

    types = {}
    for schema, name, kind, owner, labels in rows["types"]:
        typedef = TypeDef(schema, name, kind, owner, tuple(labels))
        types[typedef.path] = typedef

    sequences = {}
    for schema, name, owner, t_schema, t_name, t_col in rows["sequences"]:
        owned_by = f"{t_schema}.{t_name}.{t_col}" if t_name else None
        sequence = Sequence(schema, name, owner, owned_by)
        sequences[sequence.path] = sequence

    functions = {}
    for schema, name, args, kind, owner, language in rows["functions"]:
        function = Function(schema, name, args, _PROKINDS.get(kind, kind), owner, language)
        functions[function.path] = function

    grants = tuple(Grant(*row) for row in rows["grants"])
    return Catalog(
        database=database,
        schemas=schemas,
        tables=dict(sorted(tables.items())),
        types=types,
        sequences=sequences,
        functions=functions,
        grants=grants,
        server_version=version,
    )


_PROKINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window function"}
