"""Apply migrations once, under a per-service advisory lock, with retries, timeouts and checksums.

Each service runs on its own session: take ``pg_try_advisory_lock(key(service))`` (waiting
and saying who holds it), make sure the ledger exists, compare every applied migration's
stored checksum with its file, then apply what is pending, one transaction per migration (or
statement by statement for steps PostgreSQL refuses inside a transaction). A migration and
its ledger row commit together, so a killed runner leaves either both or neither.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import random
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from schemakit._gc import gc_paused
from schemakit.config import Config, Service
from schemakit.errors import DatabaseError, MigrationError, first_line, redact
from schemakit.migrate._alembic import alembic_upgrade, current_revisions
from schemakit.migrate._sources import MigrationFile, MigrationSet, discover

__all__ = [
    "LEDGER",
    "MigrateOptions",
    "MigrationState",
    "ServiceResult",
    "advisory_holders",
    "apply_service",
    "lock_key",
    "migrate",
    "migrate_all_databases",
    "service_status",
    "url_for_database",
]

LEDGER = "schemakit.migrations"
DRIZZLE_TABLE = ("drizzle", "__drizzle_migrations")
_TRANSIENT = {
    "57P03",  # cannot_connect_now (starting up, shutting down)
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available (lock_timeout hit)
    "08000",
    "08003",
    "08006",
    "08001",
    "08004",  # connection exceptions
    "57P01",
    "57P02",  # admin/crash shutdown
}
Say = Callable[[str], None]


def lock_key(service: str) -> int:
    """The advisory lock key of ``service``: derived from its name, no hand-assigned ids."""
    digest = hashlib.sha256(f"schemakit:migrate:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True)
class MigrateOptions:
    timeout: float = 300.0
    """Whole run, lock wait and retries included (seconds)."""
    lock_timeout: str = "5s"
    """Per migration: how long a statement may wait for a table lock before giving up."""
    statement_timeout: str = "5min"
    dry_run: bool = False
    accept_checksums: tuple[str, ...] = ()
    allow_unsafe: tuple[str, ...] = ()
    """Migration ids the MIG gate lets through despite error findings."""
    retries: int = 5
    application_name: str = "schemakit migrate"


@dataclass
class MigrationState:
    id: str
    state: str
    """``applied``, ``pending``, ``edited`` (checksum differs) or ``missing`` (file gone)."""
    checksum: str | None = None
    stored_checksum: str | None = None
    applied_at: Any = None
    duration_ms: int | None = None
    applied_by: str | None = None


@dataclass
class ServiceResult:
    service: str
    applied: list[str] = field(default_factory=list)
    states: list[MigrationState] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    """With dry_run: the statements that would run."""
    warnings: list[str] = field(default_factory=list)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, doing: str) -> None:
        if self.left() <= 0:
            raise DatabaseError(
                f"timed out after {self.seconds:g} s while {doing}",
                hint="raise --timeout, or find what holds the database up (schemakit locks)",
            )


_PERMANENT_CONNECT = (
    "does not exist",
    "authentication failed",
    "no pg_hba.conf entry",
    "invalid ",  # a bad URL: invalid sslmode value, invalid integer value for port, ...
)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.OperationalError) and getattr(exc, "sqlstate", None) is None:
        # could not connect / connection lost: no SQLSTATE; a wrong name or password will
        # not fix itself by waiting
        return not any(text in str(exc) for text in _PERMANENT_CONNECT)
    return getattr(exc, "sqlstate", None) in _TRANSIENT


def _connect(
    url: str, options: MigrateOptions, deadline: _Deadline, say: Say
) -> psycopg.Connection[Any]:
    attempt = 0
    while True:
        try:
            conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=max(1, min(10, int(deadline.left()))),
                application_name=options.application_name,
            )
            if conn.info.server_version >= 140000:
                # A runner killed mid-statement must not leave its backend running (and holding
                # the migration lock) until the statement ends: the server checks the client.
                conn.execute("SET client_connection_check_interval = '1s'")
            return conn
        except psycopg.Error as exc:
            attempt += 1
            if not _is_transient(exc) or attempt > options.retries or deadline.left() <= 0:
                raise DatabaseError(
                    f"cannot connect to {redact(url)} after {attempt} attempt(s): "
                    f"{first_line(exc)}",
                    hint="check the URL and that the server runs; transient errors are retried "
                    "with backoff until --timeout",
                ) from exc
            _backoff(attempt, deadline, say, f"connecting failed ({first_line(exc)})")


def _backoff(attempt: int, deadline: _Deadline, say: Say, why: str) -> None:
    # Exponential with full jitter, capped, and never past the deadline.
    delay = min(deadline.left(), random.uniform(0, min(8.0, 0.2 * 2**attempt)))
    say(f"{why}; retry {attempt} in {delay:.1f} s")
    if delay > 0:
        time.sleep(delay)


def advisory_holders(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    """Sessions holding a one-key advisory lock in this database (``schemakit locks`` and the
    runner's wait message read the same): (key, pid, application_name, client address,
    backend_start, state, query) each."""
    rows = conn.execute(
        "SELECT (l.classid::bigint << 32) | l.objid::bigint, l.pid, "
        "coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), "
        "a.backend_start, coalesce(a.state, ''), coalesce(a.query, '') "
        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY l.pid"
    ).fetchall()
    # pg_locks splits the int8 key into two oids: put it back together, signed
    return [(k - (1 << 64) if k >= (1 << 63) else k, *rest) for k, *rest in rows]


def _lock(conn: psycopg.Connection[Any], service: str, deadline: _Deadline, say: Say) -> None:
    key = lock_key(service)
    announced = False
    while True:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
            return
        if not announced:
            holders = [h for h in advisory_holders(conn) if h[0] == key]
            for _, pid, app, addr, since, state, _ in holders:
                say(
                    f"{service}: waiting for the migration lock held by pid {pid} "
                    f"({app or 'no application_name'}, {addr}, connected since {since}, {state})"
                )
            announced = True
        deadline.check(f"waiting for the migration lock of service {service}")
        time.sleep(min(0.25, max(0.01, deadline.left())))


def _unlock(conn: psycopg.Connection[Any], service: str) -> None:
    if not conn.closed:
        conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(service),))


_BOOTSTRAP_KEY = lock_key("<ledger>")


def _ensure_ledger(conn: psycopg.Connection[Any], drizzle_table: tuple[str, str] | None) -> None:
    # Outside the migration transactions, under a global lock: two first runs at once must not
    # both try to create the schema (a unique violation on pg_namespace).
    conn.execute("SELECT pg_advisory_lock(%s)", (_BOOTSTRAP_KEY,))
    try:
        conn.execute(
            b"CREATE SCHEMA IF NOT EXISTS schemakit;"
            b"CREATE TABLE IF NOT EXISTS schemakit.migrations ("
            b" service text NOT NULL, id text NOT NULL, checksum text NOT NULL,"
            b" applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL,"
            b" applied_by text NOT NULL, PRIMARY KEY (service, id))"
        )
        if drizzle_table:
            schema, table = drizzle_table
            conn.execute(
                sql.SQL(
                    "CREATE SCHEMA IF NOT EXISTS {};"
                    "CREATE TABLE IF NOT EXISTS {}.{} ("
                    " id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)"
                ).format(sql.Identifier(schema), sql.Identifier(schema), sql.Identifier(table))
            )
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_BOOTSTRAP_KEY,))


def _exists(conn: psycopg.Connection[Any], table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])


def _applied(conn: psycopg.Connection[Any], service: str) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT id, checksum, applied_at, duration_ms, applied_by FROM schemakit.migrations "
        "WHERE service = %s ORDER BY applied_at, id",
        (service,),
    ).fetchall()
    return {row[0]: row for row in rows}


def _drizzle_applied(
    conn: psycopg.Connection[Any], table: tuple[str, str], files: Sequence[MigrationFile]
) -> dict[str, str]:
    """Files drizzle's own migrator recorded (matched by journal ``when``), id -> stored hash."""
    rows = conn.execute(
        sql.SQL("SELECT hash, created_at FROM {}.{}").format(
            sql.Identifier(table[0]), sql.Identifier(table[1])
        )
    ).fetchall()
    by_when = {int(created): stored for stored, created in rows if created is not None}
    return {f.id: by_when[f.when] for f in files if f.when is not None and f.when in by_when}


def _states(
    migrations: MigrationSet, applied: dict[str, tuple[Any, ...]], drizzle: dict[str, str]
) -> list[MigrationState]:
    states = []
    known = set()
    for file in migrations.files:
        known.add(file.id)
        current = file.checksum
        row = applied.get(file.id)
        stored = row[1] if row else drizzle.get(file.id)
        if stored is None:
            states.append(MigrationState(file.id, "pending", current))
            continue
        state = "applied" if stored == current else "edited"
        states.append(
            MigrationState(
                file.id,
                state,
                current,
                stored,
                row[2] if row else None,
                row[3] if row else None,
                row[4] if row else "recorded by the tool's own tracking table",
            )
        )
    for id_, row in applied.items():
        if id_ not in known:
            states.append(MigrationState(id_, "missing", None, row[1], row[2], row[3], row[4]))
    return states


def _needs_autocommit(file: MigrationFile) -> bool:
    from schemakit.sql import cannot_run_in_transaction

    return any(cannot_run_in_transaction(s) for s in file.statements)


@functools.cache
def _who() -> str:
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} (schemakit)"


def _apply_file(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    file: MigrationFile,
    options: MigrateOptions,
    drizzle_table: tuple[str, str] | None,
) -> None:
    started = time.monotonic()
    digest = file.checksum
    record = (
        "INSERT INTO schemakit.migrations (service, id, checksum, duration_ms, applied_by) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (service, id) DO UPDATE SET "
        "checksum = excluded.checksum, applied_at = now(), duration_ms = excluded.duration_ms, "
        "applied_by = excluded.applied_by"
    )

    def ledger_params() -> tuple[Any, ...]:
        elapsed = int((time.monotonic() - started) * 1000)
        return (migrations.service, file.id, digest, elapsed, _who())

    def write_ledger() -> None:
        # One round trip for both rows: the ledger and, for drizzle folders, drizzle's own.
        if drizzle_table and file.when is not None:
            conn.execute(
                sql.SQL(
                    "WITH ledger AS ({}) INSERT INTO {}.{} (hash, created_at) VALUES (%s, %s)"
                ).format(
                    sql.SQL(record),
                    sql.Identifier(drizzle_table[0]),
                    sql.Identifier(drizzle_table[1]),
                ),
                (*ledger_params(), digest, file.when),
            )
        else:
            conn.execute(record, ledger_params())

    timeouts = _timeouts(options)
    if not _needs_autocommit(file):
        _apply_in_one_message(conn, migrations, file, timeouts, digest, drizzle_table)
        return
    # Steps PostgreSQL refuses inside a transaction block run one by one; if one fails, say
    # exactly what ran and what it left behind.
    conn.execute(timeouts.encode())
    done = 0
    try:
        for statement in file.statements:
            _run(conn, migrations, file, statement)
            done += 1
        write_ledger()
    except MigrationError as exc:
        left = _invalid_indexes(conn)
        state = (
            f"{done} of {len(file.statements)} statements of this non-transactional migration "
            "ran and stay applied; it is not recorded as applied"
        )
        hint = "fix the failing statement and make the earlier ones re-runnable (IF NOT EXISTS)"
        if left:
            state += "; INVALID indexes left behind: " + ", ".join(left)
            hint = "drop them with DROP INDEX CONCURRENTLY, then run migrate again"
        raise MigrationError(f"{exc.message}\n  state: {state}", hint=hint) from exc
    finally:
        conn.execute(b"RESET lock_timeout; RESET statement_timeout")


def _apply_in_one_message(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    file: MigrationFile,
    timeouts: str,
    digest: str,
    drizzle_table: tuple[str, str] | None,
) -> None:
    """BEGIN, the settings, every statement, the ledger rows and COMMIT as one simple-protocol
    message: one round trip per migration. If it fails, the transaction is rolled back and the
    statements are run again one by one inside a transaction that is rolled back too, only to
    name the failing statement and its line."""
    pieces = _ledger_pieces(conn, migrations.service, timeouts, drizzle_table)
    try:
        conn.execute(_transaction_text(conn, pieces, file, digest), prepare=False)
        return
    except psycopg.Error as exc:
        failure = exc
    if not conn.closed:
        with contextlib.suppress(psycopg.Error):
            conn.execute(b"ROLLBACK")
    error = MigrationError(
        f"migration {file.id} of service {migrations.service} failed: {first_line(failure)}",
        path=file.path,
        hint="the migration was rolled back; the database is as it was before it",
    )
    if _is_transient(failure) or conn.closed:
        error.transient = _is_transient(failure)  # type: ignore[attr-defined]
        raise error from failure
    conn.execute(pieces[0])  # BEGIN and the timeouts, as the message had them
    try:
        for statement in file.statements:
            _run(conn, migrations, file, statement)
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute(b"ROLLBACK")
    raise error from failure


def _transaction_text(
    conn: psycopg.Connection[Any],
    pieces: tuple[bytes, bytes, bytes, bytes | None],
    file: MigrationFile,
    digest: str,
) -> bytes:
    """One migration as one transaction in simple-protocol text: BEGIN, the timeouts (LOCAL),
    its statements, its ledger row (and drizzle's) and COMMIT."""
    head, middle, tail, drizzle = pieces

    def literal(value: object) -> bytes:
        return sql.Literal(value).as_bytes(conn)

    parts = [head]
    parts += [statement.text.encode() for statement in file.statements]
    row = literal(file.id) + b", " + literal(digest)
    if drizzle is not None and file.when is not None:
        ledger = b"WITH ledger AS (" + middle + row + tail + b") " + drizzle
        ledger += literal(digest) + b", " + literal(file.when) + b")"
    else:
        ledger = middle + row + tail
    parts += [ledger, b"COMMIT"]
    return b";\n".join(parts)


def _ledger_pieces(
    conn: psycopg.Connection[Any],
    service: str,
    timeouts: str,
    drizzle_table: tuple[str, str] | None,
) -> tuple[bytes, bytes, bytes, bytes | None]:
    """The constant parts of :func:`_transaction_text` for one service, composed once per
    batch (a ``sql.SQL.format`` per migration cost more than the rest of building the text)."""
    head = b"BEGIN;\n" + timeouts.replace("SET ", "SET LOCAL ").encode()
    middle = (
        b"INSERT INTO schemakit.migrations (service, id, checksum, duration_ms, applied_by) "
        b"VALUES (" + sql.Literal(service).as_bytes(conn) + b", "
    )
    tail = (
        b", (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer, "
        + sql.Literal(_who()).as_bytes(conn)
        + b") ON CONFLICT (service, id) DO UPDATE SET checksum = excluded.checksum, "
        b"applied_at = now(), duration_ms = excluded.duration_ms, "
        b"applied_by = excluded.applied_by"
    )
    drizzle = None
    if drizzle_table:
        drizzle = (
            sql.SQL("INSERT INTO {}.{} (hash, created_at) VALUES (")
            .format(sql.Identifier(drizzle_table[0]), sql.Identifier(drizzle_table[1]))
            .as_bytes(conn)
        )
    return head, middle, tail, drizzle


_BATCH_FILES = 50
_BATCH_BYTES = 256 * 1024


def _apply_batch(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    files: list[MigrationFile],
    options: MigrateOptions,
    drizzle_table: tuple[str, str] | None,
) -> list[str]:
    """Apply several transactional migrations in one round trip; return the ids committed.

    Each migration is still its own transaction with its own ledger row; they are only sent
    together, as one simple-protocol message. PostgreSQL abandons the rest of a message at the
    first error, so a failure leaves the migrations before it committed and none after it
    run; the ledger says which committed, and the caller applies the rest one by one (the
    failing one then fails again alone, and reports its statement and line).
    """
    pieces = _ledger_pieces(conn, migrations.service, _timeouts(options), drizzle_table)
    message = b";\n".join(_transaction_text(conn, pieces, file, file.checksum) for file in files)
    try:
        conn.execute(message, prepare=False)
        return [file.id for file in files]
    except psycopg.Error:
        if conn.closed:
            raise
    with contextlib.suppress(psycopg.Error):
        conn.execute(b"ROLLBACK")
    rows = conn.execute(
        "SELECT id FROM schemakit.migrations WHERE service = %s AND id = ANY(%s)",
        (migrations.service, [file.id for file in files]),
    ).fetchall()
    committed = {row[0] for row in rows}
    return [file.id for file in files if file.id in committed]


def _batches(
    files: list[MigrationFile],
) -> Iterator[list[MigrationFile]]:
    """Consecutive transactional migrations grouped for :func:`_apply_batch`; a migration
    that must run outside a transaction is a batch of its own."""
    batch: list[MigrationFile] = []
    size = 0
    for file in files:
        if _needs_autocommit(file):
            if batch:
                yield batch
            yield [file]
            batch, size = [], 0
            continue
        if batch and (len(batch) >= _BATCH_FILES or size + len(file.text) > _BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(file)
        size += len(file.text)
    if batch:
        yield batch


def _timeouts(options: MigrateOptions) -> str:
    return (
        f"SET lock_timeout = '{options.lock_timeout}'; "
        f"SET statement_timeout = '{options.statement_timeout}'"
    )


def _invalid_indexes(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _run(
    conn: psycopg.Connection[Any], migrations: MigrationSet, file: MigrationFile, statement: Any
) -> None:
    try:
        conn.execute(statement.text.encode(), prepare=False)
    except psycopg.Error as exc:
        diag: Any = getattr(exc, "diag", None)
        primary = (diag.message_primary if diag is not None else None) or first_line(exc)
        sqlstate = getattr(exc, "sqlstate", None)
        error = MigrationError(
            f"migration {file.id} of service {migrations.service} failed: {primary}"
            + (f" (SQLSTATE {sqlstate})" if sqlstate else ""),
            path=file.path,
            line=statement.line,
            statement=statement.text,
            hint="the migration was rolled back; the database is as it was before it",
        )
        error.transient = _is_transient(exc)  # type: ignore[attr-defined]
        raise error from exc


def apply_service(
    url: str,
    service: Service,
    migrations: MigrationSet,
    options: MigrateOptions,
    deadline: _Deadline,
    say: Say,
    *,
    status_only: bool = False,
    config: Config | None = None,
) -> ServiceResult:
    """Migrate (or, with ``status_only``, inspect) one service, retrying transient failures.
    ``config``: its ``[lint]`` table applies to the safety gate, as to ``schemakit lint``."""
    result = ServiceResult(service.name)
    attempt = 0
    while True:
        conn = _connect(url, options, deadline, say)
        try:
            if status_only:
                result.states = _read_states(conn, service, migrations, status_only=True)
                return result
            _lock(conn, service.name, deadline, say)
            try:
                result.states = _read_states(conn, service, migrations, status_only=False)
                _check_edits(conn, service, migrations, result.states, options)
                _apply_pending(
                    conn, url, service, migrations, options, result, deadline, say, config
                )
                return result
            finally:
                # If unlocking fails the session ends below, and PostgreSQL releases it then.
                if not conn.closed:
                    with contextlib.suppress(psycopg.Error):
                        _unlock(conn, service.name)
        except (MigrationError, psycopg.Error) as exc:
            transient = getattr(exc, "transient", False) or (
                isinstance(exc, psycopg.Error) and _is_transient(exc)
            )
            attempt += 1
            if not transient or attempt > options.retries or deadline.left() <= 0:
                if isinstance(exc, psycopg.Error):
                    raise DatabaseError(f"service {service.name}: {first_line(exc)}") from exc
                raise
            _backoff(
                attempt, deadline, say, f"{service.name}: transient failure ({first_line(exc)})"
            )
        finally:
            conn.close()


def _read_states(
    conn: psycopg.Connection[Any],
    service: Service,
    migrations: MigrationSet,
    *,
    status_only: bool,
) -> list[MigrationState]:
    """Each migration as applied, pending, edited or missing, from the ledgers. A run makes
    the ledger tables first; status reads without creating (or locking) anything, so it asks
    whether they exist."""
    drizzle_table = DRIZZLE_TABLE if migrations.kind == "drizzle" else None
    if not status_only:
        _ensure_ledger(conn, drizzle_table)
    applied = _applied(conn, service.name) if not status_only or _exists(conn, LEDGER) else {}
    drizzle = (
        _drizzle_applied(conn, drizzle_table, migrations.files)
        if drizzle_table and (not status_only or _exists(conn, ".".join(drizzle_table)))
        else {}
    )
    if migrations.kind == "alembic":
        # revisions Alembic itself recorded count as applied, as they are
        current = {f.id: f.checksum for f in migrations.files}
        drizzle = {rev: current[rev] for rev in current_revisions(conn, service) if rev in current}
    return _states(migrations, applied, drizzle)


def _apply_pending(
    conn: psycopg.Connection[Any],
    url: str,
    service: Service,
    migrations: MigrationSet,
    options: MigrateOptions,
    result: ServiceResult,
    deadline: _Deadline,
    say: Say,
    config: Config | None,
) -> None:
    """Apply the pending migrations of ``result.states`` in order (all parsed and gated
    first), consecutive transactional ones in one message, and record each as applied."""
    states = result.states
    if migrations.kind == "alembic":
        _apply_alembic(conn, url, service, migrations, states, options, result, say)
        return
    drizzle_table = DRIZZLE_TABLE if migrations.kind == "drizzle" else None
    by_id = {f.id: f for f in migrations.files}
    last_applied = max((i for i, s in enumerate(states) if s.state == "applied"), default=-1)
    total = sum(1 for s in states if s.state == "pending")
    for state in states:
        if state.state == "pending":
            _ = by_id[state.id].statements  # parse errors surface before any change
    _gate(service, migrations, states, options, config)
    pending = []
    for index, state in enumerate(states):
        if state.state != "pending":
            continue
        file = by_id[state.id]
        if index < last_applied:
            result.warnings.append(
                f"{file.path.name} sorts before an applied migration; applying it "
                "out of order (drizzle's migrator would skip it)"
            )
        if options.dry_run:
            result.sql += [s.text for s in file.statements]
            continue
        pending.append(file)
    by_state = {s.id: s for s in states}
    done = 0
    for batch in _batches(pending):
        deadline.check(f"applying {batch[0].path.name}")
        committed: list[str] = []
        if len(batch) > 1:
            say(
                f"{service.name}: applying {batch[0].path.name} .. "
                f"{batch[-1].path.name} ({done + len(batch)}/{total})"
            )
            committed = _apply_batch(conn, migrations, batch, options, drizzle_table)
        for file in batch:
            if file.id not in committed:
                # alone, or after a failure in the batch: one by one
                deadline.check(f"applying {file.path.name}")
                say(f"{service.name}: applying {file.path.name} ({done + 1}/{total})")
                _apply_file(conn, migrations, file, options, drizzle_table)
            done += 1
            result.applied.append(file.id)
            by_state[file.id].state = "applied"


def _apply_alembic(
    conn: psycopg.Connection[Any],
    url: str,
    service: Service,
    migrations: MigrationSet,
    states: list[MigrationState],
    options: MigrateOptions,
    result: ServiceResult,
    say: Say,
) -> None:
    pending = [s.id for s in states if s.state == "pending"]
    if not pending:
        return
    if options.dry_run:
        result.sql += [f"-- Alembic revision {rev}" for rev in pending]
        return
    by_id = {f.id: f for f in migrations.files}
    started = [time.monotonic()]
    rows: list[tuple[Any, ...]] = []

    def record(connection: Any, revision: str) -> None:
        elapsed = int((time.monotonic() - started[0]) * 1000)
        started[0] = time.monotonic()
        rows.append((service.name, revision, by_id[revision].checksum, elapsed, _who()))
        say(f"{service.name}: applied revision {revision}")

    # Alembic's own version table says what is applied (status reads it); the ledger is the
    # history (checksum, who, how long). Its rows go in one statement after the run, or after
    # the failure, instead of one round trip inside each revision's transaction.
    try:
        result.applied += alembic_upgrade(
            url,
            service,
            on_applied=record,
            timeouts=_timeouts(options),
        )
    finally:
        if rows and not conn.closed:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO schemakit.migrations "
                    "(service, id, checksum, duration_ms, applied_by) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (service, id) DO NOTHING",
                    rows,
                )


def _gate(
    service: Service,
    migrations: MigrationSet,
    states: list[MigrationState],
    options: MigrateOptions,
    config: Config | None,
) -> None:
    """The MIG rules over the pending migrations: an error blocks the run before anything is
    applied, unless the statement carries ``-- schemakit: ignore[CODE]`` or the migration is
    named in ``allow_unsafe``. The config's ``[lint]`` table (rule selection, per-file,
    per-service and per-object ignores, severities) applies as it does to ``schemakit lint``."""
    pending = {s.id for s in states if s.state == "pending"}
    if not pending:
        return  # the no-op run stays free of the rules' imports
    from schemakit.rules import (
        MigrationStep,
        Severity,
        SourceText,
        SqlRule,
        StatementRun,
        check,
        choose_rules,
    )

    config = config or Config(path=None, root=Path.cwd())
    # the gate judges statements; the catalog and suppression-report rules are lint's
    rules = tuple(rule for rule in choose_rules(config) if issubclass(rule, SqlRule))
    steps = [
        MigrationStep(service.name, f.id, f.path, f.statements, f.date) for f in migrations.files
    ]
    # schemakit runs a CONCURRENTLY migration outside a transaction: MIG002 does not apply here,
    # and it sets lock_timeout itself
    checked = check(
        config,
        rules,
        statements=[StatementRun(steps, in_transaction=False, runner_sets_lock_timeout=True)],
        texts=[SourceText(f.path, f.text, f.statements) for f in migrations.files],
    )
    by_path = {f.path: f for f in migrations.files}
    blocking = []
    for finding in checked.findings:
        location = finding.location
        file = by_path.get(location.path) if location else None
        if file is None or file.id not in pending or file.id in options.allow_unsafe:
            continue
        if finding.severity is Severity.ERROR:
            blocking.append((file, finding))
    if blocking:
        lines = "\n".join(
            f"  {f.path.name}:{x.location.line if x.location else 1}: {x.code} {x.message}"
            for f, x in blocking
        )
        first = blocking[0][0].id
        raise MigrationError(
            f"{len(blocking)} unsafe statement(s) in pending migrations of service "
            f"{service.name}; nothing was applied:\n{lines}",
            hint="fix them, or accept one deliberately with -- schemakit: ignore[CODE] on the "
            f"statement or --allow-unsafe {first}",
        )


def _check_edits(
    conn: psycopg.Connection[Any],
    service: Service,
    migrations: MigrationSet,
    states: list[MigrationState],
    options: MigrateOptions,
) -> None:
    by_id = {f.id: f for f in migrations.files}
    for state in states:
        if state.state != "edited":
            continue
        file = by_id[state.id]
        if state.id in options.accept_checksums:
            conn.execute(
                "UPDATE schemakit.migrations SET checksum = %s WHERE service = %s AND id = %s",
                (state.checksum, service.name, state.id),
            )
            state.state = "applied"
            continue
        raise MigrationError(
            f"applied migration {state.id} of service {service.name} was edited: "
            f"its checksum was {state.stored_checksum}, the file's is now {state.checksum}",
            path=file.path,
            hint="never edit an applied migration: revert the file and add a new one, or record "
            f"a deliberate change with --accept-checksum {state.id}",
        )


def migrate(
    url: str,
    config: Config,
    services: Sequence[str] = (),
    options: MigrateOptions | None = None,
    say: Say | None = None,
    *,
    database: str | None = None,
    status_only: bool = False,
) -> list[ServiceResult]:
    """Migrate (or inspect) the named services, or every service of the URL's database."""
    options = options or MigrateOptions()
    say = say or (lambda message: None)
    deadline = _Deadline(options.timeout)
    chosen = _choose(config, services, database)
    # Every file is read (and checksummed) before connecting; pending files are parsed before
    # the first of them runs, so a syntax error changes nothing. Applied files are not parsed:
    # the no-op run stays cheap however long the history.
    plans = []
    # What is loaded now (imports, revision modules, file texts) lives for the whole run: the
    # cyclic collector does not run while it loads, then it is moved out of the collector's
    # sight (gc.freeze), so its passes during the run stay short.
    with gc_paused():
        for service in chosen:
            found = discover(service, config.path)
            if found is not None:
                plans.append((service, found))
    gc.freeze()
    try:
        return [
            apply_service(
                url, service, found, options, deadline, say, status_only=status_only, config=config
            )
            for service, found in plans
        ]
    finally:
        gc.unfreeze()


def url_for_database(url: str, database: str) -> str:
    """``url`` pointed at ``database`` instead (same host, user, password and options)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = database
    return make_conninfo("", **params)


def migrate_all_databases(
    url: str,
    config: Config,
    options: MigrateOptions | None = None,
    say: Say | None = None,
    *,
    parallel: int = 4,
    status_only: bool = False,
) -> dict[str, list[ServiceResult]]:
    """Every configured database, at most ``parallel`` at a time; the URL names the server.

    Each database gets the URL with its own name; per-service locks keep concurrent runs on
    one database safe, and one database's failure does not stop the others (it is raised
    after all have finished, naming every failed database).
    """
    from concurrent.futures import ThreadPoolExecutor

    databases = [d for d in config.databases if config.services_in(d)]
    results: dict[str, list[ServiceResult]] = {}
    failures: dict[str, BaseException] = {}

    def one(database: str) -> None:
        try:
            results[database] = migrate(
                url_for_database(url, database),
                config,
                (),
                options,
                (lambda message: say(f"[{database}] {message}")) if say else None,
                database=database,
                status_only=status_only,
            )
        except Exception as exc:  # collected, reported together below
            failures[database] = exc

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        list(pool.map(one, databases))
    if failures:
        detail = "\n".join(
            f"  {db}: {exc.message if isinstance(exc, MigrationError | DatabaseError) else redact(str(exc))}"
            for db, exc in sorted(failures.items())
        )
        raise MigrationError(
            f"{len(failures)} of {len(databases)} databases failed:\n{detail}",
            hint="the other databases were migrated; fix these and run again",
        )
    return {db: results[db] for db in databases}


def _choose(config: Config, names: Sequence[str], database: str | None) -> list[Service]:
    if names:
        unknown = [n for n in names if n not in config.services]
        if unknown:
            raise MigrationError(
                f"unknown service(s): {', '.join(unknown)}",
                hint="known: " + ", ".join(config.services),
            )
        return [config.services[n] for n in names]
    return [
        s
        for s in config.services.values()
        if s.migrations is not None and (database is None or s.database == database)
    ]


def service_status(*args: Any, **kwargs: Any) -> list[ServiceResult]:
    """:func:`migrate` with ``status_only``: nothing is applied."""
    return migrate(*args, status_only=True, **kwargs)
