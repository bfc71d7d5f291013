"""Build a Catalog from a live database with a fixed number of set-based pg_catalog queries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from operator import attrgetter
from typing import Any, NoReturn, TypeVar, cast

import psycopg
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.rows import tuple_row

from schemakit._gc import gc_paused
from schemakit.catalog import _streams
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
    Trigger,
    TypeDef,
)
from schemakit.catalog._queries import query
from schemakit.conventions import _keywords_to_quote, quote_ident
from schemakit.errors import CatalogError

__all__ = ["QUERIES", "from_database"]

QUERIES = (
    "schemas",
    "tables",
    "roles",
    "defaults",
    "types",
    "sequences",
    "functions",
    "grants",
    "default_grants",
    "triggers",
    "columns",
    "opclasses",
    "indexes",
    "constraints",
)
"""The catalog's queries, in the order the builder takes their rows: tables before what
belongs to them, what needs no columns before the columns (so the builder has it done while
the server still reads the columns), the columns before the indexes and constraints named
from them."""
_KINDS = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
}


# Catalog columns newer than some supported servers: (first version that has it, stand-in).
_NEWER_COLUMNS = {
    "i.indnullsnotdistinct": (150000, "false"),
    "ix.indnullsnotdistinct": (150000, "false"),
    "con.conperiod": (170000, "false"),
}


@cache
def _query(name: str, server_version: int = 0) -> str:
    text = query(name)
    for column, (since, stand_in) in _NEWER_COLUMNS.items():
        if server_version < since:
            text = text.replace(column, stand_in)
    return text


def from_database(conn: psycopg.Connection[Any], *, parallel: bool = True) -> Catalog:
    """Read every user object of the connected database.

    Sends one query per object kind (``QUERIES``), inside one read-only repeatable-read
    transaction so all kinds come from the same snapshot, and one more when some index's text
    needs ``pg_get_indexdef`` (see indexes.sql); the count of round trips does not depend on
    how many tables there are.

    When ``conn`` is not inside a transaction (and ``parallel``), about half of the queries run
    on a second connection to the same server, database and user (libpq's parameters of
    ``conn``, its password included), in a transaction on the snapshot of ``conn``'s
    (``pg_export_snapshot``) with ``conn``'s session settings: two backends work at once and
    the catalog is the one ``conn`` alone reads. Inside the caller's transaction (which may
    have written what another snapshot would not see), when that connection cannot be made
    or share the snapshot, or when ``conn`` is done with its own share before it is ready,
    ``conn`` runs them all. ``parallel=False`` always reads on ``conn`` alone.
    """
    try:
        return _load(conn, parallel)
    except psycopg.Error as exc:
        raise CatalogError(f"reading the catalog failed: {exc}") from exc


def _load(conn: psycopg.Connection[Any], parallel: bool) -> Catalog:
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
            if own_transaction:
                conn.execute(
                    f"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; {_SETUP}"
                )
            with conn.lock:
                _Reading(conn, version, parallel=parallel and own_transaction).into(builder)
            if builder.pending_indexes:
                definitions = conn.cursor(row_factory=tuple_row).execute(
                    _query("index_definitions", version), (list(builder.pending_indexes),)
                )
                builder.add_index_definitions(definitions.fetchall())
            builder.build_tables()
        catalog = builder.catalog()
        # Its working rows and indexes go now, while the collector is still off: a
        # collection after this would otherwise walk the hundred thousand rows once more.
        del builder
    return catalog


_SETUP = "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
"""The planner prices the per-row deparsing functions high enough to JIT-compile the bigger
queries, which costs more than it saves on catalog-sized tables; parallel workers only take
the cores the other backend and the builder use meanwhile."""

_SIBLING_QUERIES = frozenset(
    {
        "schemas",
        "defaults",
        "types",
        "sequences",
        "functions",
        "grants",
        "default_grants",
        "triggers",
        "indexes",
    }
)
"""What a sibling connection reads: about half of the servers' work, the smaller kinds (the
builder's work while the caller's connection reads the columns) and then the indexes. Not
roles.sql, which asks who current_user is. Either connection's share comes in QUERIES
order."""


class _Reading:
    """The queries of QUERIES on ``conn`` (and, when ``parallel``, some on a sibling), each
    read by a thread of its own; ``into`` hands their rows to the builder in QUERIES order.

    When conn is done with its share before the sibling has even begun (a small catalog, a
    slow connect), conn reads the sibling's share too and the sibling is let go: a second
    connection is only worth it while it saves time."""

    def __init__(self, conn: psycopg.Connection[Any], version: int, *, parallel: bool) -> None:
        self.conn = conn
        self.version = version
        self.slots = _streams.Slots()
        self.theirs = [s for s in QUERIES if parallel and s in _SIBLING_QUERIES]
        steps = [self._step(s) for s in QUERIES if s not in self.theirs]
        if self.theirs:
            steps.insert(0, ("snapshot", _streams.EXPORT.encode()))
        self.sibling: psycopg.Connection[Any] | None = None
        self.abandoned = False
        self._state = threading.Lock()  # the sibling starts its queries or is abandoned
        self.threads = [_thread(self._run_own, steps)]
        if self.theirs:
            self.threads.append(_thread(self._run_sibling, list(self.theirs)))

    def _step(self, step: str) -> tuple[str, bytes]:
        return step, _query(step, self.version).encode()

    def _run_own(self, steps: list[tuple[str, bytes]]) -> None:
        _streams.run_pipeline(self.conn, steps, self.slots)
        self.slots.put(_OWN_DONE, True)

    def _run_sibling(self, theirs: list[str]) -> None:
        try:
            sibling = _streams.open_sibling(
                _streams.sibling_conninfo(self.conn),
                lambda: _streams.exported(self.slots.take("snapshot")),
                _SETUP,
            )
        except Exception as exc:  # whatever its trouble, conn reads its share
            self.slots.put_missing(theirs, exc)
            return
        with self._state:
            if not self.abandoned:
                self.sibling = sibling
        if self.sibling is None:
            sibling.close()
            return
        _streams.run_pipeline(sibling, [self._step(s) for s in theirs], self.slots)

    def into(self, builder: _Builder) -> None:
        try:
            self._consume(builder)
        except BaseException:
            if self.sibling is not None:
                self.sibling.cancel_safe()
            raise
        finally:
            self._join()
            if self.sibling is not None:
                self.sibling.close()

    def _join(self) -> None:
        """Wait for conn's thread, and the sibling's unless it was let go (it may still be
        connecting: it closes what it gets)."""
        with self._state:
            self.abandoned = self.abandoned or self.sibling is None
        for thread in self.threads[: 1 if self.abandoned else 2]:
            thread.join()

    def _consume(self, builder: _Builder) -> None:
        rows = Transformer(self.conn)
        for step in QUERIES:
            if step in self.theirs and self.slots.first_of(step, _OWN_DONE) != step:
                with self._state:  # conn is done and the sibling has not begun: let it go
                    self.abandoned = self.sibling is None
                if self.abandoned:
                    self._retry(step)
            result = self.slots.take(step)
            if step in self.theirs and not _rows(result):
                # The sibling failed (to connect, to share the snapshot, or on this query):
                # conn reads the rest of its share (a query that fails there raises).
                self._retry(step)
                result = self.slots.take(step)
            if not _rows(result):
                _raise(step, result)
            result = cast(pq.abc.PGresult, result)
            rows.set_pgresult(result)
            builder.add(step, rows.load_rows(0, result.ntuples, tuple))

    def _retry(self, step: str) -> None:
        if self.sibling is not None:
            self.sibling.cancel_safe()
        self._join()
        rest, self.theirs = self.theirs[self.theirs.index(step) :], []
        # A query of conn's that failed has ended its snapshot (the sibling may have found it
        # gone for that reason): that failure is the one to report.
        for own in QUERIES[QUERIES.index(step) :]:
            if own not in rest and not _rows(result := self.slots.peek(own)):
                _raise(own, result)
        for name in rest:
            self.slots.drop(name)
        _streams.run_pipeline(self.conn, [self._step(s) for s in rest], self.slots)


_OWN_DONE = "(conn's share read)"
"""The slot conn's thread fills when its pipeline is over."""


def _raise(step: str, result: object) -> NoReturn:
    if isinstance(result, BaseException):
        raise result
    message = _error_message(step, cast(pq.abc.PGresult, result))
    raise psycopg.DatabaseError(message)


def _rows(result: object) -> bool:
    return (
        result is not None
        and not isinstance(result, BaseException)
        and cast(pq.abc.PGresult, result).status == pq.ExecStatus.TUPLES_OK
    )


def _thread(target: Callable[..., None], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _error_message(name: str, result: pq.abc.PGresult) -> str:
    message = result.error_message.decode(errors="replace").strip()
    return f"{name}.sql: {message or pq.ExecStatus(result.status).name}"


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
        self.attributes: dict[int, dict[int, tuple[Any, ...]]] = {}
        """relation -> attnum -> its columns.sql row (name, type oid and collation oid at 2, 9
        and 10), for every column read (a dict per relation: cheaper to fill and to probe
        than one keyed by pairs)."""
        self.defaults: dict[int, dict[int, str]] = {}
        """relation -> attnum -> the column's default or generation expression."""
        self.default_opclass: set[tuple[str, int]] = set()
        """(operator class, column type) when the class is the type's default (opclasses.sql);
        the class's oid in text."""
        self.pending_indexes: dict[int, tuple[int, int]] = {}
        """Index oid -> (table oid, place in its list) of indexes awaiting their text."""
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
        self.triggers: dict[str, Trigger] = {}
        self.tables: dict[str, Table] = {}
        self.column_grants: list[Grant] = []
        self._quoted: dict[str, str] = {}

    def quote(self, name: str) -> str:
        """quote_ident(name), once per distinct name (tables share most column names)."""
        quoted = self._quoted.get(name)
        if quoted is None:
            quoted = self._quoted[name] = quote_ident(name)
        return quoted

    def add(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        getattr(self, f"_add_{name}")(rows)

    def _add_schemas(self, rows: list[tuple[Any, ...]]) -> None:
        self.schemas = {name: Schema(name, owner) for name, owner in rows}

    def _add_tables(self, rows: list[tuple[Any, ...]]) -> None:
        self.table_rows = {row[0]: row for row in rows}
        self.columns = {oid: [] for oid in self.table_rows}

    def _add_defaults(self, rows: list[tuple[Any, ...]]) -> None:
        defaults = self.defaults
        for relation, attnum, text in rows:
            of_relation = defaults.get(relation)
            if of_relation is None:
                of_relation = defaults[relation] = {}
            of_relation[attnum] = text

    def _add_columns(self, rows: list[tuple[Any, ...]]) -> None:
        # By table, then position (a row's first two fields, which no two rows share: the
        # tuples' own order, no key to build per row).
        rows.sort()
        get_bucket = self.columns.get
        attributes, defaults = self.attributes, self.defaults
        relation = None
        bucket: list[Column] | None = None
        of_relation: dict[int, tuple[Any, ...]] = {}
        none: dict[int, str] = {}
        defaults_of = none
        # Columns are frozen and most repeat from table to table (id, user_id, created_at):
        # one object per distinct column, found by its row's fields, costs less to look up
        # than a new one costs to build.
        made: dict[tuple[Any, ...], Column] = {}
        get_made = made.get
        for row in rows:
            if row[0] != relation:  # the next relation's columns (rows come by relation)
                relation = row[0]
                of_relation = attributes[relation] = {}
                defaults_of = defaults.get(relation, none)
                bucket = get_bucket(relation)
            of_relation[row[1]] = row
            if row[11] is not None:
                self._add_column_grants(row)
            if bucket is not None:
                fields = (row[2:9], defaults_of.get(row[1]))
                column = get_made(fields)
                if column is None:
                    name, type_, type_schema, type_name, notnull, identity, generated = row[2:9]
                    column = made[fields] = Column(
                        name,
                        type_,
                        not notnull,
                        fields[1],
                        type_schema,
                        type_name,
                        identity,
                        generated,
                    )
                bucket.append(column)

    def _add_column_grants(self, row: tuple[Any, ...]) -> None:
        table = self.table_rows.get(row[0])
        if table is None:
            return
        path = f"{table[2]}.{row[2]}"
        self.column_grants += [
            Grant("column", table[1], path, grantee, privilege, grantable)
            for grantee, privilege, grantable in zip(row[11], row[12], row[13], strict=True)
        ]

    def _add_opclasses(self, rows: list[tuple[Any, ...]]) -> None:
        # the class as indexes.sql sends it, in text: no int() per key column
        self.default_opclass = {(str(opclass), type_) for opclass, type_ in rows}

    def _add_indexes(self, rows: list[tuple[Any, ...]]) -> None:
        table_rows, indexes, attributes = self.table_rows, self.indexes, self.attributes
        defaults, quote, quoted = self.default_opclass, self.quote, self._quoted
        on_table: dict[int, str] = {}  # " ON schema.table" per table, quoted once
        for (
            oid,
            name,
            unique,
            primary,
            valid,
            predicate,
            method,
            constraint,
            plain,
            index_oid,
            key,
            classes,
            collations,
            texts,
            definition,
        ) in rows:
            table = table_rows.get(oid)
            if table is None:
                continue
            if plain:
                # Each key column's quoted name; the text is pg_get_indexdef's when every
                # column has its type's default operator class (opclasses.sql) and its own
                # collation (or none), as it then prints nothing more of them.
                of_table = attributes[oid]
                if " " not in key:  # most keys: one column
                    column = of_table[int(key)]
                    texts = [quoted.get(column[2]) or quote(column[2])]
                    written = (classes, column[9]) in defaults and (
                        collations == "0" or int(collations) == column[10]
                    )
                else:
                    texts = []
                    written = True
                    for attnum, opclass, collation in zip(
                        key.split(), classes.split(), collations.split(), strict=True
                    ):
                        column = of_table[int(attnum)]
                        texts.append(quoted.get(column[2]) or quote(column[2]))
                        if (opclass, column[9]) not in defaults or (
                            collation != "0" and int(collation) != column[10]
                        ):
                            written = False
                definition = ""
                if written:
                    on = on_table.get(oid)
                    if on is None:
                        on = on_table[oid] = f" ON {quote(table[1])}.{quote(table[2])}"
                    definition = (
                        f"CREATE {'UNIQUE ' if unique else ''}INDEX {_quote_name(name)}{on} "
                        f"USING {quoted.get(method) or quote(method)} ({', '.join(texts)})"
                    )
                    if predicate is not None:
                        definition += f" WHERE {predicate}"
            index = Index(
                name,
                tuple(texts),
                unique,
                primary,
                valid,
                predicate,
                method,
                definition,
                constraint,
            )
            bucket = indexes.get(oid)
            if bucket is None:
                bucket = indexes[oid] = []
            if not definition:
                self.pending_indexes[index_oid] = (oid, len(bucket))
            bucket.append(index)

    def add_index_definitions(self, rows: list[tuple[Any, ...]]) -> None:
        for index_oid, definition in rows:
            oid, place = self.pending_indexes[index_oid]
            bucket = self.indexes[oid]
            index = bucket[place]
            bucket[place] = Index(
                index.name,
                index.columns,
                index.unique,
                index.primary,
                index.valid,
                index.predicate,
                index.method,
                definition,
                index.constraint,
            )

    def _add_constraints(self, rows: list[tuple[Any, ...]]) -> None:
        table_rows, fks, constraints = self.table_rows, self.fks, self.constraints
        names = self._names
        for (
            oid,
            name,
            kind,
            key,
            ref_schema,
            ref_table,
            ref_oid,
            ref_key,
            on_delete,
            validated,
            definition,
            ref_names,
        ) in rows:
            if oid not in table_rows:
                continue
            columns = names(oid, key)
            if kind == "f":
                fks.setdefault(oid, []).append(
                    ForeignKey(
                        name,
                        columns,
                        ref_schema,
                        ref_table,
                        tuple(ref_names) if ref_names is not None else names(ref_oid, ref_key),
                        on_delete,
                        validated,
                    )
                )
            else:
                if definition is None:  # a plain primary key or unique constraint
                    listed = ", ".join(map(self.quote, columns))
                    definition = f"{'PRIMARY KEY' if kind == 'p' else 'UNIQUE'} ({listed})"
                constraints.setdefault(oid, []).append(
                    Constraint(name, kind, columns, definition, validated)
                )

    def _names(self, oid: int, key: str | None) -> tuple[str, ...]:
        """The column names of ``key``, column numbers between spaces (constraints.sql)."""
        if not key:
            return ()
        of_table = self.attributes[oid]
        if " " not in key and key[0] != "-":  # most keys: one column
            return (of_table[int(key)][2],)
        return tuple(
            of_table[attnum][2] if attnum > 0 else _SYSTEM_COLUMNS[attnum]
            for attnum in map(int, key.split())
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
        self.grants = tuple([Grant(*row) for row in rows])

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

    def _add_triggers(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            trigger = Trigger(*row)
            self.triggers[trigger.path] = trigger

    def build_tables(self) -> None:
        """Put the tables together from their parts (all read by now)."""
        tables: dict[str, Table] = {}
        columns, indexes, fks, constraints = self.columns, self.indexes, self.fks, self.constraints
        for oid, schema, name, relkind, owner, comment, rls, parent in self.table_rows.values():
            table = Table(
                schema,
                name,
                _KINDS.get(relkind, relkind),
                owner,
                tuple(columns[oid]),
                _by_name(indexes.get(oid)),
                _by_name(fks.get(oid)),
                _by_name(constraints.get(oid)),
                comment,
                rls,
                parent,
            )
            tables[table.path] = table
        self.tables = dict(sorted(tables.items()))

    def catalog(self) -> Catalog:
        return Catalog(
            database=self.database,
            schemas=self.schemas,
            tables=self.tables,
            types=self.types,
            sequences=self.sequences,
            functions=self.functions,
            grants=(*self.grants, *self.column_grants),
            server_version=self.version,
            roles=self.roles,
            user=self.user,
            default_grants=self.default_grants,
            triggers=self.triggers,
        )


# pg_default_acl.defaclobjtype codes
_DEFAULT_KINDS = {"r": "table", "S": "sequence", "f": "function", "T": "type", "n": "schema"}
# The system columns a CHECK constraint may name (attnum < 0; columns.sql reads only > 0).
_SYSTEM_COLUMNS = {-1: "ctid", -2: "xmin", -3: "cmin", -4: "xmax", -5: "cmax", -6: "tableoid"}
_PROKINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window function"}
_NAME = attrgetter("name")
_Named = TypeVar("_Named", Index, ForeignKey, Constraint)


def _quote_name(name: str) -> str:
    """quote_ident(name), with a shortcut for the usual lower-case ASCII name (an index's
    name is seen once, so caching it as ``_Builder.quote`` does would not pay)."""
    if (
        name.isascii()
        and name.isidentifier()
        and name.islower()
        and name not in _keywords_to_quote()
    ):
        return name
    return quote_ident(name)


def _by_name(items: list[_Named] | None) -> tuple[_Named, ...]:
    if not items:
        return ()
    if len(items) == 1:
        return (items[0],)
    return tuple(sorted(items, key=_NAME))
