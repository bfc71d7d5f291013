"""Applying pending migrations: batched transactions, one migration at a time, steps outside a
transaction, Alembic revisions; each recorded in the ledger as it commits."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import psycopg

from schemakit.config import Config, Service
from schemakit.errors import MigrationError, first_line
from schemakit.migrate import _ledger as ledger
from schemakit.migrate._alembic import alembic_upgrade
from schemakit.migrate._connection import Deadline, is_transient
from schemakit.migrate._gate import gate
from schemakit.migrate._options import MigrateOptions, Say, timeouts_sql
from schemakit.migrate._sources import MigrationFile, MigrationSet
from schemakit.migrate._states import MigrationState, ServiceResult

__all__ = ["apply_pending"]

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
    """Apply the pending migrations of ``result.states`` in order (all parsed and gated
    first), consecutive transactional ones in one message, and record each as applied."""
    states = result.states
    if migrations.kind == "alembic":
        _apply_alembic(conn, url, service, migrations, states, options, result, say)
        return
    drizzle_table = ledger.DRIZZLE_TABLE if migrations.kind == "drizzle" else None
    by_id = {f.id: f for f in migrations.files}
    last_applied = max((i for i, s in enumerate(states) if s.state == "applied"), default=-1)
    total = sum(1 for s in states if s.state == "pending")
    for state in states:
        if state.state == "pending":
            _ = by_id[state.id].statements  # parse errors surface before any change
    gate(service, migrations, states, options, config)
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
    if not pending:
        return
    recorder = ledger.Recorder(conn, migrations.service, drizzle_table)
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
            committed = _apply_batch(conn, migrations, batch, options, recorder)
        for file in batch:
            if file.id not in committed:
                # alone, or after a failure in the batch: one by one
                deadline.check(f"applying {file.path.name}")
                say(f"{service.name}: applying {file.path.name} ({done + 1}/{total})")
                _apply_file(conn, migrations, file, options, recorder)
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
        )
    finally:
        if rows and not conn.closed:
            ledger.Recorder(conn, service.name).record_many(rows)


def _needs_autocommit(file: MigrationFile) -> bool:
    from schemakit.sql import cannot_run_in_transaction

    return any(cannot_run_in_transaction(s) for s in file.statements)


def _apply_file(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    file: MigrationFile,
    options: MigrateOptions,
    recorder: ledger.Recorder,
) -> None:
    timeouts = timeouts_sql(options)
    if not _needs_autocommit(file):
        _apply_in_one_message(conn, migrations, file, timeouts, recorder)
        return
    # Steps PostgreSQL refuses inside a transaction block run one by one; if one fails, say
    # exactly what ran and what it left behind.
    started = time.monotonic()
    conn.execute(timeouts.encode())
    done = 0
    try:
        for statement in file.statements:
            _run(conn, migrations, file, statement)
            done += 1
        elapsed = int((time.monotonic() - started) * 1000)
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
        conn.execute(b"RESET lock_timeout; RESET statement_timeout")


def _apply_in_one_message(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    file: MigrationFile,
    timeouts: str,
    recorder: ledger.Recorder,
) -> None:
    """BEGIN, the settings, every statement, the ledger rows and COMMIT as one simple-protocol
    message: one round trip per migration. If it fails, the transaction is rolled back and the
    statements are run again one by one inside a transaction that is rolled back too, only to
    name the failing statement and its line."""
    head = _begin(timeouts)
    try:
        conn.execute(_transaction_text(head, file, recorder), prepare=False)
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
    if is_transient(failure) or conn.closed:
        error.transient = is_transient(failure)  # type: ignore[attr-defined]
        raise error from failure
    conn.execute(head)  # BEGIN and the timeouts, as the message had them
    try:
        for statement in file.statements:
            _run(conn, migrations, file, statement)
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute(b"ROLLBACK")
    raise error from failure


def _begin(timeouts: str) -> bytes:
    return b"BEGIN;\n" + timeouts.replace("SET ", "SET LOCAL ").encode()


def _transaction_text(head: bytes, file: MigrationFile, recorder: ledger.Recorder) -> bytes:
    """One migration as one transaction in simple-protocol text: BEGIN, the timeouts (LOCAL),
    its statements, its ledger row (and drizzle's) and COMMIT."""
    parts = [head]
    parts += [statement.text.encode() for statement in file.statements]
    parts += [recorder.statement(file.id, file.checksum, when=file.when), b"COMMIT"]
    return b";\n".join(parts)


def _apply_batch(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet,
    files: list[MigrationFile],
    options: MigrateOptions,
    recorder: ledger.Recorder,
) -> list[str]:
    """Apply several transactional migrations in one round trip; return the ids committed.

    Each migration is still its own transaction with its own ledger row; they are only sent
    together, as one simple-protocol message. PostgreSQL abandons the rest of a message at the
    first error, so a failure leaves the migrations before it committed and none after it
    run; the ledger says which committed, and the caller applies the rest one by one (the
    failing one then fails again alone, and reports its statement and line).
    """
    head = _begin(timeouts_sql(options))
    message = b";\n".join(_transaction_text(head, file, recorder) for file in files)
    try:
        conn.execute(message, prepare=False)
        return [file.id for file in files]
    except psycopg.Error:
        if conn.closed:
            raise
    with contextlib.suppress(psycopg.Error):
        conn.execute(b"ROLLBACK")
    committed = ledger.recorded(conn, migrations.service, [file.id for file in files])
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
        error.transient = is_transient(exc)  # type: ignore[attr-defined]
        raise error from exc
