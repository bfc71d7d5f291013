"""Replay migrations into a throwaway database and record which statement created each object.

Provenance comes from the server, not from reading the SQL: an event trigger on
``ddl_command_end`` logs every object (and every constraint of a touched table) that a
statement creates or moves, tagged with the statement's number. So ``DO`` blocks,
``ALTER ... SET SCHEMA``, ``SET LOCAL search_path`` and unnamed constraints are attributed to
the statement that really made them.

Statements travel in batches, one message each, every statement after the ``set_config`` that
numbers it: one round trip per batch instead of two per statement (issue 19 measured the
replay at 0.72x that way). What it finds is exactly what replaying statement by statement
finds (``BATCHED = False``; a test compares both).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from schemakit.catalog import Catalog, from_database
from schemakit.config import Config, Service
from schemakit.errors import ConfigError, MigrationError, first_line
from schemakit.lint._cache import (
    CacheEntry,
    KeyBuilder,
    Origin,
    ReplayCache,
    code_digest,
    server_identity,
)
from schemakit.lint._declared import Declared, baseline_sql, declared_models, declared_sources
from schemakit.lint._replay_roles import create_roles, roles_named
from schemakit.migrate import MigrationFile, MigrationSet, discover, read_sql_file
from schemakit.rules import Finding, Location, enclosing_paths
from schemakit.rules.apl.migration_does_not_apply import MigrationDoesNotApply
from schemakit.server import Cluster
from schemakit.sql import Statement, cannot_run_in_transaction

__all__ = ["Origin", "Origins", "ReplayFailure", "refused", "replay"]

Progress = Callable[[str], None]
_unique = itertools.count(1)

_LOG_SCHEMA = "schemakit_replay"
_SETUP = f"""
CREATE SCHEMA {_LOG_SCHEMA};
CREATE UNLOGGED TABLE {_LOG_SCHEMA}.log (seq bigserial, stmt integer, path text);
CREATE FUNCTION {_LOG_SCHEMA}.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    -- one statement per event, not a loop of one or two per command: the trigger fires for
    -- every DDL statement of the replay, and its cost is the replay's biggest above the floor
    INSERT INTO {_LOG_SCHEMA}.log (stmt, path)
    WITH r AS MATERIALIZED (SELECT classid, objid FROM pg_event_trigger_ddl_commands())
    SELECT nullif(current_setting('schemakit.stmt', true), '')::integer, made.path FROM (
        SELECT ns.nspname || '.' || c.relname AS path
        FROM r JOIN pg_class c ON c.oid = r.objid
        JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE r.classid = 'pg_class'::regclass
        UNION ALL
        SELECT ns.nspname || '.' || c.relname || '.' || con.conname
        FROM r JOIN pg_constraint con ON con.conrelid = r.objid
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE r.classid = 'pg_class'::regclass
        UNION ALL
        SELECT ns.nspname || '.' || t.typname
        FROM r JOIN pg_type t ON t.oid = r.objid
        JOIN pg_namespace ns ON ns.oid = t.typnamespace
        WHERE r.classid = 'pg_type'::regclass
        UNION ALL
        SELECT ns.nspname || '.' || p.proname
        FROM r JOIN pg_proc p ON p.oid = r.objid
        JOIN pg_namespace ns ON ns.oid = p.pronamespace
        WHERE r.classid = 'pg_proc'::regclass
        UNION ALL
        SELECT ns.nspname FROM r JOIN pg_namespace ns ON ns.oid = r.objid
        WHERE r.classid = 'pg_namespace'::regclass
    ) made;
END
$$;
CREATE EVENT TRIGGER schemakit_replay_ddl ON ddl_command_end
    EXECUTE FUNCTION {_LOG_SCHEMA}.on_ddl();
"""
_TEARDOWN = f"DROP EVENT TRIGGER schemakit_replay_ddl; DROP SCHEMA {_LOG_SCHEMA} CASCADE"


@dataclass(frozen=True)
class ReplayFailure:
    """A migration the server refused during the replay: where, and what it said."""

    service: str
    location: Location
    message: str
    statement: str | None
    hint: str

    def error(self) -> MigrationError:
        return MigrationError(
            self.message,
            path=self.location.path,
            line=self.location.line,
            statement=self.statement,
            hint=self.hint,
        )


def refused(failure: ReplayFailure) -> Finding:
    """APL001 at the statement the replay's server refused."""
    return MigrationDoesNotApply().finding(
        failure.message[:1].upper() + failure.message[1:],
        failure.hint[:1].upper() + failure.hint[1:].rstrip(".") + ". The service's later "
        "migrations were not replayed, so its catalog findings cover what applied before.",
        location=failure.location,
        service=failure.service,
    )


class Origins:
    """Object path -> the statement that first created it (or moved it to that path)."""

    def __init__(self, entries: dict[str, Origin]) -> None:
        self._entries = entries

    def creator(self, path: str) -> str | None:
        """The service whose migration created exactly this object (never its schema's)."""
        origin = self._entries.get(path.split("(", 1)[0])
        return origin.service if origin else None

    def locate(self, path: str) -> Location | None:
        """Where the object, or the nearest enclosing object, was created."""
        for candidate in enclosing_paths(path):
            origin = self._entries.get(candidate)
            if origin is not None:
                return origin.location
        return None


def replay(
    config: Config,
    say: Progress,
    shared: Cluster | None = None,
    *,
    only: str | None = None,
    found: Mapping[str, MigrationSet | None] | None = None,
    failures: list[ReplayFailure] | None = None,
    declared: Mapping[str, Declared] | None = None,
    cache: ReplayCache | None = None,
    server: Callable[[], Cluster] | None = None,
) -> Iterator[tuple[str, Catalog, Origins]]:
    """Apply each database's migrations to a fresh throwaway database; yield its catalog.

    Everything is read and parsed before a server starts, so a bad file costs nothing. A
    migration the server refuses raises :class:`MigrationError`, unless ``failures`` is given:
    then it is recorded there, that service's later migrations are skipped (they build on
    what failed), and the other services are replayed as usual.

    A service with a ``baseline`` gets it first (``declared``: what each service declares,
    when the caller has read it already); then a statement of its migrations that makes what
    the baseline already has (``already exists``) is skipped, as it was on the database push
    made.

    With a ``cache``, a database whose every input is as in an earlier run is not replayed:
    what that run made is read back (see :mod:`schemakit.lint._cache`). ``server``: what
    gives the cluster to replay into when one is needed (one started early, on another
    thread, which the caller stops), instead of starting one here.
    """
    plan: list[tuple[str, list[_Planned]]] = []
    for database in config.databases:
        if only is not None and database != only:
            continue
        sets = []
        for service in config.services_in(database):
            migrations = (
                found[service.name] if found is not None else discover(service, config.path)
            )
            if migrations is not None:
                sets.append(_planned(service, migrations, declared, say))
        plan.append((database, sets))
    for _, sets in plan:
        for planned in sets:
            for migration_set in planned.sets:
                if migration_set.is_sql:
                    for file in migration_set.files:
                        _ = file.statements
    keys: dict[str, str] = {}
    hits: dict[str, CacheEntry] = {}
    if cache is not None and shared is None:  # a caller's cluster: a test of the replay itself
        keys = _keys(config, plan, raising=failures is None, say=say)
        for database, key in keys.items():
            if (entry := cache.load(key)) is not None:
                hits[database] = entry
    total = sum(len(p.migrations.files) for db, sets in plan if db not in hits for p in sets)
    if hits and len(hits) == len(plan):
        say(
            "replay: nothing it depends on changed since an earlier run; its result is "
            "read from the cache (--no-cache replays)"
        )
    else:
        say(
            f"replaying {total} migration files of {len(config.services)} services "
            "into a throwaway PostgreSQL"
            + (f" ({len(hits)} of {len(plan)} databases from the cache)" if hits else "")
        )
    with contextlib.ExitStack() as stack:
        cluster: Cluster | None = None
        for database, sets in plan:
            entry = hits.get(database)
            if entry is None:
                if cluster is None:
                    if shared is not None:
                        cluster = shared
                    elif server is not None:
                        cluster = server()
                    else:
                        cluster = stack.enter_context(Cluster())
                    create_roles(cluster, config, roles_named(_all_sets(plan)), say)
                entry = _replay_database(
                    cluster, config, database, sets, shared, say, stack, raising=failures is None
                )
                if database in keys and cache is not None:
                    cache.store(keys[database], entry)
            else:
                for message in entry.said:
                    say(message)
            if failures is not None:
                failures.extend(entry.failures)
            yield database, entry.catalog, Origins(entry.origins)


def _replay_database(
    cluster: Cluster,
    config: Config,
    database: str,
    sets: list[_Planned],
    shared: Cluster | None,
    say: Progress,
    stack: contextlib.ExitStack,
    *,
    raising: bool,
) -> CacheEntry:
    """Replay one database's services into a new database of ``cluster``; what it made."""
    said: list[str] = []

    def keep(message: str) -> None:
        said.append(message)
        say(message)

    # A shared cluster may already hold a database of that name: use a unique one.
    actual = database if shared is None else f"lint_{next(_unique)}_{database}"
    cluster.create_database(actual)
    if shared is not None:
        stack.callback(cluster.drop_database, actual)
    with cluster.connect(actual) as conn:
        conn.execute(_SETUP.encode())
    statements: list[Origin] = []
    failures: list[ReplayFailure] = []
    for planned in sets:
        failed = _apply_planned(cluster.dsn(actual), config, planned, statements, keep)
        if failed is not None:
            failures.append(failed)
            keep(f"{failed.message} at {failed.location.path}:{failed.location.line}")
            if raising:
                raise failed.error()
    with cluster.connect(actual) as conn:
        rows = conn.execute(
            f"SELECT path, stmt FROM {_LOG_SCHEMA}.log WHERE stmt IS NOT NULL ORDER BY seq"
        ).fetchall()
        conn.execute(_TEARDOWN.encode())
        catalog = from_database(conn)
    entries: dict[str, Origin] = {}
    for path, number in rows:
        entries.setdefault(path, statements[number])
    return CacheEntry(catalog, entries, failures, said)


def _all_sets(plan: list[tuple[str, list[_Planned]]]) -> Iterator[MigrationSet]:
    return (m for _, sets in plan for planned in sets for m in planned.sets)


def _keys(
    config: Config, plan: list[tuple[str, list[_Planned]]], *, raising: bool, say: Progress
) -> dict[str, str]:
    """Each database's cache key: the digest of everything its replay depends on. A
    database with Alembic revisions has none (Python the key cannot see)."""
    from schemakit.errors import ClusterError

    common = KeyBuilder().add(code_digest(), "raising" if raising else "recording")
    try:
        common.add(*server_identity())
        if config.path is not None:
            common.add(str(config.path), config.path.read_bytes())
    except (OSError, ClusterError):
        return {}  # the replay says what is wrong
    # the roles made before any database is replayed: other databases' migrations name some
    configured = {s.role for s in config.services.values() if s.role}
    common.add(*sorted(configured | roles_named(_all_sets(plan))))
    keys = {}
    for database, sets in plan:
        python = [p.migrations.service for p in sets if not p.migrations.is_sql]
        if python:
            say(
                f"database {database} is replayed every run: service {python[0]}'s migrations "
                "are Alembic revisions, Python the cache cannot see into"
            )
            continue
        key = common.copy().add("database", database)
        for planned in sets:
            key.add("service", planned.migrations.service)
            for location, text in planned.declared_sql:
                key.add("declared", str(location.path), location.line, location.column, text)
            for migration_set in planned.sets:
                key.add("set", migration_set.kind, str(migration_set.folder))
                for file in migration_set.files:
                    key.add("file", file.id, str(file.path), file.text)
        keys[database] = key.hexdigest()
    return keys


@dataclass(frozen=True)
class _Planned:
    """One service's replay: its baseline (statements from its declarations, or a schema
    dump), then its migrations."""

    migrations: MigrationSet
    declared_sql: tuple[tuple[Location, str], ...] = ()
    dump: MigrationSet | None = None

    @property
    def sets(self) -> tuple[MigrationSet, ...]:
        return (*((self.dump,) if self.dump is not None else ()), self.migrations)

    @property
    def has_baseline(self) -> bool:
        return bool(self.declared_sql) or self.dump is not None


def _planned(
    service: Service,
    migrations: MigrationSet,
    declared: Mapping[str, Declared] | None,
    say: Progress,
) -> _Planned:
    if service.baseline is None:
        return _Planned(migrations)
    if not migrations.is_sql:
        raise ConfigError(
            f"service {service.name} has a baseline, but its migrations are Alembic revisions",
            key=f"services.{service.name}.baseline",
            hint="Alembic starts from its own base revision: stamp the database "
            "(alembic stamp) or make the first revision create what create_all made",
        )
    if isinstance(service.baseline, Path):
        say(f"service {service.name}: baseline {service.baseline.name} (a schema dump) first")
        return _Planned(migrations, dump=_dump_set(service, service.baseline))
    what = declared.get(service.name) if declared is not None else None
    if what is None:
        what = declared_sources(service) or (declared_models(service) if service.models else None)
    if what is None:
        raise ConfigError(
            f'service {service.name} has baseline = "sources" but no sources or models',
            key=f"services.{service.name}.baseline",
            hint="list its Drizzle files in sources, name its models, or use a schema dump",
        )
    units = baseline_sql(what, service)
    say(
        f"service {service.name}: baseline from its {what.kind} (the Catalog they declare, "
        f"{len(units)} statements) before its migrations"
    )
    return _Planned(migrations, declared_sql=tuple(units))


def _dump_set(service: Service, dump: Path) -> MigrationSet:
    """A pg_dump --schema-only file as one migration, without psql's meta-commands
    (``\\restrict``, ``\\connect``: lines that start with a backslash)."""
    text = read_sql_file(dump, service.name).text
    kept = "\n".join("" if line.startswith("\\") else line for line in text.split("\n"))
    file = MigrationFile(service.name, dump.stem, dump, kept)
    return MigrationSet(service.name, "sql", dump.parent, (file,))


def _apply_planned(
    dsn: str, config: Config, planned: _Planned, statements: list[Origin], say: Progress
) -> ReplayFailure | None:
    service = planned.migrations.service
    skipped: list[int] = []
    if planned.declared_sql:
        failed = _apply_units(dsn, service, planned.declared_sql, statements, skipped)
        if failed is not None:
            return failed
    if planned.dump is not None:
        failed = _apply(dsn, planned.dump, statements, skipped)
        if failed is not None:
            return failed
    if not planned.migrations.is_sql:
        return _apply_alembic(dsn, config, planned.migrations, statements)
    failed = _apply(dsn, planned.migrations, statements, skipped if planned.has_baseline else None)
    if skipped:
        say(
            f"service {service}: {len(skipped)} statements made what its baseline already "
            "has (already exists): skipped"
        )
    return failed


def _apply_units(
    dsn: str,
    service: str,
    units: tuple[tuple[Location, str], ...],
    statements: list[Origin],
    skipped: list[int],
) -> ReplayFailure | None:
    """Statements with their own locations (a baseline's), one round trip each."""
    with contextlib.closing(psycopg.connect(dsn, autocommit=True)) as conn:
        for location, text in units:
            number = len(statements)
            statements.append(Origin(location, service))
            try:
                conn.execute("SELECT set_config('schemakit.stmt', %s, false)", (str(number),))
                conn.execute(text.encode(), prepare=False)
            except psycopg.Error as exc:
                if getattr(exc, "sqlstate", None) in _ALREADY_EXISTS:
                    skipped.append(number)
                    continue
                return ReplayFailure(
                    service,
                    location,
                    f"the baseline of service {service} failed: {server_message(exc)}",
                    text,
                    "the declaration does not make valid SQL here: fix it, or give the service "
                    "a schema dump as its baseline (pg_dump --schema-only)",
                )
    return None


_ALREADY_EXISTS = frozenset({"42P06", "42P07", "42701", "42710", "42723"})
"""duplicate schema, relation, column, object (a type, a constraint, an enum label) and
function: what a push-based history's statement makes when the baseline has it already."""
_GONE_ALREADY = frozenset({"42703", "42P01", "42704"})
"""undefined column, table, object: what a drop or rename finds missing when the baseline
(the sources as they are now) no longer has it."""


def _made_already(statement: Statement, exc: psycopg.Error) -> bool:
    """The statement did, on the database push made, what the baseline already shows."""
    state = getattr(exc, "sqlstate", None)
    if state in _ALREADY_EXISTS:
        return True
    if state not in _GONE_ALREADY:
        return False
    if statement.kind in ("DropStmt", "RenameStmt"):
        return True
    commands = [c.get("AlterTableCmd", {}) for c in statement.node.get("cmds") or ()]
    return (
        statement.kind == "AlterTableStmt"
        and bool(commands)
        and all(str(c.get("subtype", "")).startswith("AT_Drop") for c in commands)
    )


# Statements that behave differently inside the implicit transaction of a batch than alone in
# autocommit, silently: SET LOCAL and SET TRANSACTION would outlive their statement, LOCK and
# DECLARE would succeed where alone they fail, an enum's new value could not be used before
# its commit, ON COMMIT DROP tables would survive, CALL may commit. Each is sent alone.
_ALONE_KINDS = frozenset(
    {"LockStmt", "ConstraintsSetStmt", "DeclareCursorStmt", "CopyStmt", "CallStmt", "AlterEnumStmt"}
)
_RUN_LIMIT = 256
"""Statements per batch: bounds the message and what a failing batch replays a second time."""
BATCHED = True
"""False: every statement in its own round trip (the reference the batches are tested against)."""

_Unit = tuple[MigrationFile, Statement]


def _apply(
    dsn: str,
    migrations: MigrationSet,
    statements: list[Origin],
    skipped: list[int] | None = None,
) -> ReplayFailure | None:
    # One connection per service in autocommit: a throwaway database needs no atomicity, and
    # CREATE INDEX CONCURRENTLY runs as written. Statements go in batches, one message each
    # (one round trip, one implicit transaction); a batch the server refuses is rolled back
    # whole and replayed statement by statement, so the state and the error's location are
    # exactly those of replaying statement by statement.
    with contextlib.closing(psycopg.connect(dsn, autocommit=True)) as conn:
        run: list[_Unit] = []
        for file in migrations.files:
            shape = _shape(file) if BATCHED and _idle(conn) else "alone"
            if shape == "plain":
                for statement in file.statements:
                    if _alone(statement):
                        failed = _flush(conn, migrations.service, run, statements, skipped)
                        failed = failed or _one(
                            conn, migrations.service, file, statement, statements, skipped
                        )
                    else:
                        run.append((file, statement))
                        failed = None
                        if len(run) >= _RUN_LIMIT:
                            failed = _flush(conn, migrations.service, run, statements, skipped)
                    if failed is not None:
                        return failed
                continue
            failed = _flush(conn, migrations.service, run, statements, skipped)
            if failed is None and shape == "wrapped":
                # its own BEGIN ... COMMIT: one batch, alone, so a failure rolls back only it
                run.extend((file, statement) for statement in file.statements)
                failed = _flush(conn, migrations.service, run, statements, skipped)
            elif failed is None:
                for statement in file.statements:
                    failed = _one(conn, migrations.service, file, statement, statements, skipped)
                    if failed is not None:
                        break
            if failed is not None:
                return failed
        return _flush(conn, migrations.service, run, statements, skipped)


def _idle(conn: psycopg.Connection[Any]) -> bool:
    return conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def _shape(file: MigrationFile) -> str:
    """plain: no transaction control (batched with its neighbours); wrapped: one BEGIN ...
    COMMIT around it all (a batch of its own); alone: anything else, statement by statement."""
    texts = file.statements
    control = [s for s in texts if s.kind == "TransactionStmt"]
    if not control:
        return "plain"
    if (
        len(texts) >= 2
        and control == [texts[0], texts[-1]]
        and texts[0].node.get("kind") in ("TRANS_STMT_BEGIN", "TRANS_STMT_START")
        and texts[-1].node.get("kind") == "TRANS_STMT_COMMIT"
        and not any(cannot_run_in_transaction(s) for s in texts)
    ):
        return "wrapped"
    return "alone"


def _alone(statement: Statement) -> bool:
    node = statement.node
    if statement.kind in _ALONE_KINDS or cannot_run_in_transaction(statement):
        return True
    if statement.kind == "VariableSetStmt":
        return bool(node.get("is_local")) or node.get("kind") == "VAR_SET_MULTI"
    if statement.kind in ("CreateStmt", "CreateTableAsStmt"):
        into = node.get("into", {}) if statement.kind == "CreateTableAsStmt" else node
        return "ONCOMMIT_DROP" in (node.get("oncommit"), into.get("onCommit"))
    return False


def _flush(
    conn: psycopg.Connection[Any],
    service: str,
    run: list[_Unit],
    statements: list[Origin],
    skipped: list[int] | None = None,
) -> ReplayFailure | None:
    """Send the batch as one message, each statement after the set_config naming it."""
    if not run:
        return None
    first = len(statements)
    parts = []
    for number, (file, statement) in enumerate(run, start=first):
        statements.append(Origin(Location(file.path, statement.line, statement.column), service))
        # SET, not SELECT set_config(): no plan, and no result row for the client to read
        parts.append(f"SET schemakit.stmt = '{number}'".encode())
        parts.append(statement.text.encode())
    units = list(run)
    run.clear()
    try:
        conn.execute(b";\n".join(parts), prepare=False)
    except psycopg.Error:
        if not _idle(conn):
            conn.execute(b"ROLLBACK")
        # Nothing of the batch is left: replay it one statement at a time, from the same state.
        del statements[first:]
        for file, statement in units:
            failed = _one(conn, service, file, statement, statements, skipped)
            if failed is not None:
                return failed
    return None


def _one(
    conn: psycopg.Connection[Any],
    service: str,
    file: MigrationFile,
    statement: Statement,
    statements: list[Origin],
    skipped: list[int] | None = None,
) -> ReplayFailure | None:
    """One statement in its own round trip, after another naming it for the log. With
    ``skipped`` (a service with a baseline), a statement that makes what exists already is
    skipped and its number added there."""
    number = len(statements)
    statements.append(Origin(Location(file.path, statement.line, statement.column), service))
    # CONCURRENTLY inside the file's own BEGIN ... COMMIT would fail here, where MIG002
    # reports it: end the block early, run it, and open a new one.
    reopen = cannot_run_in_transaction(statement) and (
        conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    )
    # inside the file's own BEGIN, a skipped statement must not abort the block
    guard = skipped is not None and not reopen and not _idle(conn)
    try:
        if reopen:
            conn.execute(b"COMMIT")
        conn.execute("SELECT set_config('schemakit.stmt', %s, false)", (str(number),))
        if guard:
            conn.execute(b"SAVEPOINT schemakit_replay")
        conn.execute(statement.text.encode(), prepare=False)
        if guard:
            conn.execute(b"RELEASE SAVEPOINT schemakit_replay")
        if reopen:
            conn.execute(b"BEGIN")
    except psycopg.Error as exc:
        if skipped is not None and _made_already(statement, exc):
            if guard:
                conn.execute(b"ROLLBACK TO SAVEPOINT schemakit_replay")
            skipped.append(number)
            return None
        return ReplayFailure(
            service,
            statements[number].location,
            f"migration of service {service} failed: {server_message(exc)}",
            statement.text,
            _hint(exc),
        )
    return None


def _apply_alembic(
    dsn: str, config: Config, migrations: MigrationSet, statements: list[Origin]
) -> ReplayFailure | None:
    from schemakit.migrate import alembic_upgrade

    # Alembic runs Python on its own connection: objects are attributed to the service and
    # located at its migrations folder (which revision made them is not known here).
    number = len(statements)
    statements.append(Origin(Location(migrations.folder, 1), migrations.service))
    try:
        alembic_upgrade(
            dsn,
            config.services[migrations.service],
            timeouts=f"SELECT set_config('schemakit.stmt', '{number}', false)",
        )
    except MigrationError as exc:
        where = Location(exc.path, exc.line or 1) if exc.path else statements[number].location
        return ReplayFailure(migrations.service, where, exc.message, exc.statement, exc.hint or "")
    return None


def _hint(exc: psycopg.Error) -> str:
    if getattr(exc, "sqlstate", None) == "42704" and "role" in str(exc):
        return 'declare the role as a service\'s role = "..." in the config, or fix the migration'
    if getattr(exc, "sqlstate", None) in _MISSING:
        # the guideline's workflow: push in development, migrations on top of it
        return (
            "fix the migration so that it applies after the ones before it; if drizzle-kit "
            'push made what it changes, give the service baseline = "sources" in the config'
        )
    return "fix the migration so that it applies after the ones before it"


_MISSING = frozenset({"42P01", "3F000", "42703", "42704"})
"""undefined table, schema, column, object: what a history on top of push does not make."""


def server_message(exc: psycopg.Error) -> str:
    """The server's primary message and SQLSTATE, or the first line of the error (redacted)."""
    diag: Any = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    sqlstate = getattr(exc, "sqlstate", None)
    text = primary or first_line(exc)
    return f"{text} (SQLSTATE {sqlstate})" if sqlstate else text
