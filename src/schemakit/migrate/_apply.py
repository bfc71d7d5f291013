"""Applying pending migrations: batched transactions, one migration at a time, steps outside a
transaction, Alembic revisions; each recorded in the ledger as it commits."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import psycopg

from schemakit.config import Config, Service
from schemakit.conventions import quote_ident
from schemakit.errors import MigrationError, first_line
from schemakit.migrate import _ledger as ledger
from schemakit.migrate._alembic import alembic_upgrade
from schemakit.migrate._connection import Deadline, is_transient
from schemakit.migrate._gate import gate
from schemakit.migrate._options import MigrateOptions, Say, timeouts_sql
from schemakit.migrate._pieces import PIECE_BYTES, send_in_pieces
from schemakit.migrate._sources import MigrationFile, MigrationSet
from schemakit.migrate._states import MigrationState, ServiceResult

__all__ = ["apply_pending", "owner_for"]

_BATCH_FILES = 50
_BATCH_BYTES = 256 * 1024


def apply_pending(
    conn: psycopg.Connection[Any],
    url: str,
    service: Service,
    migrations: MigrationSet,
    options: MigrateOptions,
    result: ServiceResult,
    deadline: Deadline,
    say: Say,
    config: Config | None,
) -> None:
    """Apply the pending migrations of ``result.states`` in order (all parsed, checked and
    gated first), consecutive transactional ones in one message, and record each as applied."""
    states = result.states
    if migrations.kind == "alembic":
        _apply_alembic(conn, url, service, migrations, states, options, result, say)
        return
    drizzle_table = ledger.DRIZZLE_TABLE if migrations.kind == "drizzle" else None
    by_id = {f.id: f for f in migrations.files}
    pending = [by_id[s.id] for s in states if s.state == "pending"]
    for file in pending:
        _refuse_transaction_control(file)  # parse errors, too, surface before any change
    gate(service, migrations, states, options, config, conn)
    if options.dry_run:
        result.sql += [s.text for file in pending for s in file.statements]
        return
    if not pending:
        return
    as_role = owner_for(conn, service, result)
    existing = _existing_schemas(conn, service.schemas) if as_role else None
    for file in pending:
        _own_schema_may_exist(file, service, existing)
    recorder = ledger.Recorder(conn, migrations.service, drizzle_table)
    by_state = {s.id: s for s in states}
    total = len(pending)

    def applied(file: MigrationFile) -> None:
        result.applied.append(file.id)
        by_state[file.id].state = "applied"

    for batch in _batches(pending):
        done = len(result.applied)
        first, last = batch[0].path.name, batch[-1].path.name
        deadline.check(f"applying {first}")
        if len(batch) > 1:
            say(f"{service.name}: applying {first} .. {last} ({done + len(batch)}/{total})")
        else:
            say(f"{service.name}: applying {first} ({done + 1}/{total})")
        if batch[0].transactional and not _needs_autocommit(batch[0]):
            _apply_transactions(conn, migrations, batch, options, recorder, applied, as_role)
        else:
            _apply_file(conn, migrations, batch[0], options, recorder, as_role)
            applied(batch[0])


def owner_for(conn: psycopg.Connection[Any], service: Service, result: ServiceResult) -> str | None:
    """The role to apply ``service``'s migrations as (``SET ROLE``), so that what they create
    is owned by the service's owner role, never by the connecting user: its ``owner_role``
    once ``schemakit provision`` created it. None (the connecting user) for a service with
    no ``role``, and, with a warning, when the owner role does not exist yet."""
    owner = service.owner_role
    if owner is None:
        return None
    row = conn.execute(
        "SELECT r.oid IS NOT NULL, current_user::text,"
        " coalesce(pg_has_role(current_user, r.oid, 'MEMBER'), false)"
        " FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = %s",
        (owner,),
    ).fetchone()
    assert row is not None
    exists, user, member = row
    if not exists:
        result.warnings.append(
            f"owner role {owner} does not exist: the migrations ran as {user}, who owns what "
            "they created; run schemakit provision (it creates the owner role and hands "
            "those objects over), after which migrate runs them as the owner"
        )
        return None
    if not member:
        raise MigrationError(
            f"{user} may not SET ROLE {owner}, service {service.name}'s owner role, to run its "
            "migrations as the owner; nothing was applied",
            hint=f"run migrate as a superuser, or GRANT {quote_ident(owner)} TO "
            f"{quote_ident(user)}",
        )
    return owner


def _existing_schemas(conn: psycopg.Connection[Any], schemas: Sequence[str]) -> set[str]:
    rows = conn.execute(
        "SELECT nspname::text FROM pg_namespace WHERE nspname = ANY(%s)", (list(schemas),)
    ).fetchall()
    return {row[0] for row in rows}


def _own_schema_may_exist(file: MigrationFile, service: Service, existing: set[str] | None) -> None:
    """A migration's ``CREATE SCHEMA`` of one of the service's own schemas, which
    ``provision`` may have created first (drizzle-kit writes ``CREATE SCHEMA "x"`` with no
    IF NOT EXISTS). Only the statements sent change (the file's cached list), not the file
    or its checksum.

    Run as the connecting user (``existing`` None): a bare one runs as ``CREATE SCHEMA IF
    NOT EXISTS``. Run as the owner role (``existing``: which of the service's schemas
    exist), which may not create schemas (PostgreSQL checks CREATE on the database even for
    IF NOT EXISTS): one that exists is sent as a no-op, a missing one is an error before anything
    runs (``provision`` creates the service's schemas)."""
    statements = file.statements
    for index, statement in enumerate(statements):
        if statement.kind != "CreateSchemaStmt":
            continue  # before .node: a big file's INSERTs keep no tree, asking parses again
        node = statement.node
        schema = node.get("schemaname")
        if schema not in service.schemas:
            continue
        if node.get("schemaElts"):
            continue  # CREATE SCHEMA x CREATE TABLE ...: the tables are the point; runs as is
        if existing is None:
            if not (node.get("if_not_exists") or node.get("authrole")):
                text = f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}"
                statements[index] = replace(statement, text=text)
        elif schema in existing:
            # a no-op in its place: a big file's statement table is not shortened, and the
            # count of results still names a failing statement
            statements[index] = replace(statement, text=f"SELECT 'schema {schema} exists'")
        else:
            raise MigrationError(
                f"schema {schema} of service {service.name} does not exist, and its owner role "
                f"{service.owner_role}, which runs the migrations, may not create schemas; "
                "nothing was applied",
                path=file.path,
                line=statement.line,
                statement=statement.text,
                hint="run schemakit provision: it creates the service's schemas, owned by "
                "the owner role",
            )


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
    rows: list[tuple[str, str, int]] = []

    def record(connection: Any, revision: str) -> None:
        elapsed = int((time.monotonic() - started[0]) * 1000)
        started[0] = time.monotonic()
        rows.append((revision, by_id[revision].checksum, elapsed))
        say(f"{service.name}: applied revision {revision}")

    # Alembic's own version table says what is applied (status reads it); the ledger is the
    # history (checksum, who, how long). Its rows go in one statement after the run, or after
    # the failure, instead of one round trip inside each revision's transaction.
    try:
        result.applied += alembic_upgrade(
            url,
            service,
            on_applied=record,
            timeouts=timeouts_sql(options),
            as_role=owner_for(conn, service, result),
        )
    finally:
        if rows and not conn.closed:
            ledger.Recorder(conn, service.name).record_many(rows)


_CONTROL = {
    "TRANS_STMT_BEGIN": "BEGIN",
    "TRANS_STMT_START": "START TRANSACTION",
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}
"""Statements that end or start a transaction: inside a migration's own transaction they
would commit half of it (or open a second one)."""


_OUTSIDE = {
    "VacuumStmt": "VACUUM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
}


def _needs_autocommit(file: MigrationFile) -> bool:
    """Run statement by statement outside a transaction: marked so, or a CONCURRENTLY step
    (which PostgreSQL refuses inside one, and which the runner has always run that way)."""
    from schemakit.sql import is_concurrent

    return not file.transactional or any(is_concurrent(s) for s in file.statements)


def _refuse_transaction_control(file: MigrationFile) -> None:
    """A transactional file may not hold BEGIN/COMMIT/ROLLBACK, nor a statement PostgreSQL
    refuses inside a transaction (VACUUM, CREATE DATABASE, ...) other than CONCURRENTLY."""
    from schemakit.sql import cannot_run_in_transaction, is_concurrent

    if not file.transactional:
        return
    for statement in file.statements:
        control = statement.kind == "TransactionStmt" and statement.node.get("kind") in _CONTROL
        outside = cannot_run_in_transaction(statement) and not is_concurrent(statement)
        if control or outside:
            what = _CONTROL.get(statement.node.get("kind", ""), "")
            what = what or _OUTSIDE.get(statement.kind, statement.kind.removesuffix("Stmt"))
            raise MigrationError(
                f"{what} inside migration {file.id} of service {file.service}: schemakit runs "
                "each migration in its own transaction"
                + (
                    ", so it would commit or end part of it"
                    if control
                    else ", which PostgreSQL refuses for this statement"
                )
                + "; nothing was applied",
                path=file.path,
                line=statement.line,
                statement=statement.text,
                hint="remove it and let the runner own the transaction, or mark the file "
                "'-- schemakit: no-transaction' on a line of its own to run it statement by "
                "statement outside a transaction",
            )


def _apply_file(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    file: MigrationFile,
    options: MigrateOptions,
    recorder: ledger.Recorder,
    as_role: str | None = None,
) -> None:
    """A non-transactional migration, statement by statement (a CONCURRENTLY step, or a file
    marked no-transaction), as ``as_role`` when given; if one fails, say exactly what ran
    and what it left behind."""
    started = time.monotonic()
    conn.execute(timeouts_sql(options).encode())
    done = 0
    try:
        if as_role is not None:
            conn.execute(f"SET ROLE {quote_ident(as_role)}".encode())
        for statement in file.statements:
            _run(conn, migrations, file, statement)
            done += 1
        elapsed = int((time.monotonic() - started) * 1000)
        conn.execute(b"RESET ROLE")  # the ledger is the connecting user's
        recorder.record(file.id, file.checksum, when=file.when, duration_ms=elapsed)
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
        conn.execute(b"RESET ROLE; RESET lock_timeout; RESET statement_timeout")


_HEAD_STATEMENTS = 3
"""BEGIN and the two SET LOCALs of :func:`_begin`: each gives the server's reply one result
(one more, SET LOCAL ROLE, when the migrations run as the owner role)."""


def _begin(timeouts: str, as_role: str | None) -> bytes:
    head = b"BEGIN;\n" + timeouts.replace("SET ", "SET LOCAL ").encode()
    if as_role is not None:
        head += f";\nSET LOCAL ROLE {quote_ident(as_role)}".encode()
    return head


def _transaction_text(
    head: bytes, file: MigrationFile, recorder: ledger.Recorder, as_role: str | None
) -> bytes:
    """One migration as one transaction in simple-protocol text: BEGIN, the timeouts (LOCAL)
    and the owner role, its statements, its ledger row (and drizzle's: RESET ROLE first,
    the ledger is the connecting user's) and COMMIT."""
    parts = [head]
    parts += [statement.text.encode() for statement in file.statements]
    if as_role is not None:
        parts.append(b"RESET ROLE")
    parts += [recorder.statement(file.id, file.checksum, when=file.when), b"COMMIT"]
    return b";\n".join(parts)


def _send(conn: psycopg.Connection[Any], message: bytes) -> tuple[int, psycopg.Error | None]:
    """Send ``message`` (statements in simple-protocol text) once; return how many statements
    succeeded and the error of the one that failed (None when all did).

    The server answers each statement with one result and abandons the rest of the message
    at the first error, so the count of results before the error names the failing statement
    exactly: nothing is run a second time to find it (its statement_timeout paid twice).
    """
    from psycopg import generators, pq
    from psycopg.errors import error_from_result

    with conn.lock:
        conn.pgconn.send_query(message)
        results = conn.wait(generators.execute(conn.pgconn))
    done = 0
    for result in results:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            return done, error_from_result(result, encoding=conn.info.encoding)
        done += 1
    return done, None


def _apply_transactions(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    files: list[MigrationFile],
    options: MigrateOptions,
    recorder: ledger.Recorder,
    applied: Callable[[MigrationFile], None],
    as_role: str | None = None,
) -> None:
    """Apply transactional migrations in one round trip, each its own transaction with its
    own ledger row (as ``as_role`` when given, the ledger row as the connecting user),
    calling ``applied`` for each that committed.

    PostgreSQL abandons the rest of a message at the first error, so a failure leaves the
    migrations before it committed and none after it run; the failing statement is the one
    after the last result the server returned.
    """
    head = _begin(timeouts_sql(options), as_role)
    # the server answers each statement once: BEGIN and the SETs, then the tail (RESET ROLE,
    # the ledger row, COMMIT)
    before = _HEAD_STATEMENTS + (as_role is not None)
    after = 2 + (as_role is not None)
    try:
        if len(files) == 1 and len(files[0].text) > PIECE_BYTES:  # bounded memory: _pieces
            row = recorder.statement(files[0].id, files[0].checksum, when=files[0].when)
            tail = (b"RESET ROLE;\n" if as_role is not None else b"") + row + b";\nCOMMIT"
            done, failure = send_in_pieces(conn, head, files[0], tail, _send)
        else:
            message = b";\n".join(
                _transaction_text(head, file, recorder, as_role) for file in files
            )
            done, failure = _send(conn, message)
    except KeyboardInterrupt:  # SIGTERM or Ctrl-C: psycopg cancelled the statement running
        _note_committed(conn, migrations, files, applied)
        raise
    except psycopg.Error as exc:
        # the connection broke: which migrations committed is for the next attempt to read
        raise _failed(migrations, files[0], None, exc, in_batch=len(files) > 1) from exc
    for file in files:
        size = before + len(file.statements) + after
        if failure is None or done >= size:
            applied(file)
            done -= size
            continue
        assert failure is not None
        if not conn.closed:
            with contextlib.suppress(psycopg.Error):
                conn.execute(b"ROLLBACK")
        index = done - before
        statement = file.statements[index] if 0 <= index < len(file.statements) else None
        raise _failed(migrations, file, statement, failure) from failure


def _note_committed(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    files: list[MigrationFile],
    applied: Callable[[MigrationFile], None],
) -> None:
    """After an interrupted message: which of its migrations committed, from the ledger."""
    if conn.closed:
        return
    with contextlib.suppress(psycopg.Error):
        conn.execute(b"ROLLBACK")
        committed = ledger.recorded(conn, migrations.service, [file.id for file in files])
        for file in files:
            if file.id in committed:
                applied(file)


def _failed(
    migrations: MigrationSet,
    file: MigrationFile,
    statement: Any,
    exc: psycopg.Error,
    *,
    in_batch: bool = False,
) -> MigrationError:
    """The error of a migration that failed in its transaction (rolled back, not recorded)."""
    diag: Any = getattr(exc, "diag", None)
    primary = (diag.message_primary if diag is not None else None) or first_line(exc)
    sqlstate = getattr(exc, "sqlstate", None)
    where = "" if statement is not None else " (at BEGIN, its ledger row or COMMIT)"
    if in_batch:
        where = f" (the connection broke while migrations from {file.id} on were sent)"
    error = MigrationError(
        f"migration {file.id} of service {migrations.service} failed{where}: {primary}"
        + (f" (SQLSTATE {sqlstate})" if sqlstate else ""),
        path=file.path,
        line=statement.line if statement is not None else None,
        statement=statement.text if statement is not None else None,
        hint="the migration was rolled back; the database is as it was before it",
    )
    error.transient = is_transient(exc)  # type: ignore[attr-defined]
    error.sqlstate = sqlstate  # type: ignore[attr-defined]
    return error


def _batches(
    files: list[MigrationFile],
) -> Iterator[list[MigrationFile]]:
    """Consecutive transactional migrations grouped for :func:`_apply_transactions`; a
    migration that must run outside a transaction is a batch of its own."""
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


def _invalid_indexes(conn: psycopg.Connection[Any]) -> list[str]:
    from schemakit.catalog import query

    rows = conn.execute(query("invalid_indexes"), {"schemas": None}).fetchall()
    return [f"{schema}.{name}" for schema, name in rows]


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
        error.transient = is_transient(exc)  # type: ignore[attr-defined]
        error.sqlstate = sqlstate  # type: ignore[attr-defined]
        raise error from exc
