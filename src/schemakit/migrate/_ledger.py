"""The ledger, ``schemakit.migrations``: one row per applied migration of each service.

This module is the only one that names the table or writes it: create it, read a service's
rows, record applied migrations (as a statement to run or as text to send inside a
migration's own transaction), accept a reviewed checksum, forget rows. drizzle-orm's own
``drizzle.__drizzle_migrations`` is kept as drizzle-orm writes it, next to the ledger row, so
both tools agree on what a drizzle folder has applied.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from schemakit.migrate._advisory import lock_key
from schemakit.migrate._sources import MigrationFile, migration_id

__all__ = [
    "DRIZZLE_TABLE",
    "LEDGER",
    "Recorder",
    "accept_checksum",
    "drizzle_applied",
    "ensure",
    "exists",
    "forget",
    "read",
    "recorded",
    "who",
]

LEDGER = "schemakit.migrations"
DRIZZLE_TABLE = ("drizzle", "__drizzle_migrations")

_SCHEMA = LEDGER.split(".")[0]
_COLUMNS = "(service, id, checksum, duration_ms, applied_by)"
# A row records the application now in effect: a migration applied again (an Alembic revision
# downgraded then upgraded, a baseline row replaced by a real run) gets its latest checksum,
# time and author, so the next run compares the file with what actually ran.
_ON_CONFLICT = (
    b" ON CONFLICT (service, id) DO UPDATE SET checksum = excluded.checksum, "
    b"applied_at = now(), duration_ms = excluded.duration_ms, applied_by = excluded.applied_by"
)
# Inside a migration's transaction: its time so far (now() is the transaction's start).
_SINCE_BEGIN = b"(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer"
_BOOTSTRAP_KEY = lock_key("<ledger>")


@functools.cache
def who() -> str:
    """``applied_by``: the OS user and host running schemakit."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} (schemakit)"


def ensure(conn: psycopg.Connection[Any], drizzle_table: tuple[str, str] | None) -> None:
    """Create the ledger (and drizzle-orm's table for a drizzle folder) when missing."""
    drizzle = ".".join(f'"{part}"' for part in drizzle_table) if drizzle_table else LEDGER
    there = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL", (LEDGER, drizzle)
    ).fetchone()
    if there and there[0]:
        return  # every run but the first: one round trip, no DDL, no lock
    # Outside the migration transactions, under a global lock: two first runs at once must not
    # both try to create the schema (a unique violation on pg_namespace).
    conn.execute("SELECT pg_advisory_lock(%s)", (_BOOTSTRAP_KEY,))
    try:
        conn.execute(
            f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA};"
            f"CREATE TABLE IF NOT EXISTS {LEDGER} ("
            " service text NOT NULL, id text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL,"
            " applied_by text NOT NULL, PRIMARY KEY (service, id))".encode()
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


def exists(conn: psycopg.Connection[Any], table: str = LEDGER) -> bool:
    """Whether ``table`` (the ledger by default) exists: status reads without creating it."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])


def read(conn: psycopg.Connection[Any], service: str) -> dict[str, tuple[Any, ...]]:
    """The service's rows by id (NFC, as files are named: :func:`migration_id`):
    (id as recorded, checksum, applied_at, duration_ms, applied_by)."""
    rows = conn.execute(
        "SELECT id, checksum, applied_at, duration_ms, applied_by FROM "
        + LEDGER
        + " WHERE service = %s ORDER BY applied_at, id",
        (service,),
    ).fetchall()
    return {migration_id(row[0]): row for row in rows}


def recorded(conn: psycopg.Connection[Any], service: str, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` the ledger holds for ``service``."""
    rows = conn.execute(
        "SELECT id FROM " + LEDGER + " WHERE service = %s AND id = ANY(%s)",
        (service, list(ids)),
    ).fetchall()
    return {row[0] for row in rows}


def drizzle_applied(
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


def accept_checksum(
    conn: psycopg.Connection[Any], service: str, migration: str, checksum: str
) -> None:
    """Record ``checksum`` as the one reviewed for an applied, edited migration."""
    conn.execute(
        "UPDATE " + LEDGER + " SET checksum = %s WHERE service = %s AND id = %s",
        (checksum, service, migration),
    )


def forget(conn: psycopg.Connection[Any], service: str, ids: Sequence[str]) -> int:
    """Remove the rows of ``ids`` (migrations whose files are gone); how many went."""
    cursor = conn.execute(
        "DELETE FROM " + LEDGER + " WHERE service = %s AND id = ANY(%s)", (service, list(ids))
    )
    return cursor.rowcount


class Recorder:
    """The statements that record one service's applied migrations, composed once per run
    (a ``sql.SQL.format`` per migration cost more than the rest of building the text).

    :meth:`statement` is simple-protocol text: the batched path sends it inside each
    migration's own transaction, so a migration and its row commit together.
    """

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        service: str,
        drizzle_table: tuple[str, str] | None = None,
        *,
        applied_by: str | None = None,
    ) -> None:
        self._conn = conn
        self._insert = f"INSERT INTO {LEDGER} {_COLUMNS} VALUES ".encode()
        self._service = b"(" + self.literal(service) + b", "
        self._who = b", " + self.literal(applied_by or who()) + b")"
        self._drizzle = None
        if drizzle_table:
            self._drizzle = (
                sql.SQL("INSERT INTO {}.{} (hash, created_at) VALUES (")
                .format(sql.Identifier(drizzle_table[0]), sql.Identifier(drizzle_table[1]))
                .as_bytes(conn)
            )

    def literal(self, value: object) -> bytes:
        return sql.Literal(value).as_bytes(self._conn)

    def _row(self, migration: str, checksum: str, duration_ms: int | None) -> bytes:
        duration = _SINCE_BEGIN if duration_ms is None else str(int(duration_ms)).encode()
        return (
            self._service
            + self.literal(migration)
            + b", "
            + self.literal(checksum)
            + b", "
            + duration
            + self._who
        )

    def statement(
        self,
        migration: str,
        checksum: str,
        *,
        when: int | None = None,
        duration_ms: int | None = None,
    ) -> bytes:
        """The row of ``migration`` (and drizzle-orm's, given its journal ``when``) as one
        statement; ``duration_ms`` None: the time since the transaction began."""
        ledger = self._insert + self._row(migration, checksum, duration_ms) + _ON_CONFLICT
        if self._drizzle is None or when is None:
            return ledger
        drizzle = self._drizzle + self.literal(checksum) + b", " + self.literal(when) + b")"
        # One round trip for both rows: the ledger and drizzle-orm's own.
        return b"WITH ledger AS (" + ledger + b") " + drizzle

    def record(
        self,
        migration: str,
        checksum: str,
        *,
        when: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        """Run :meth:`statement` now."""
        self._conn.execute(
            self.statement(migration, checksum, when=when, duration_ms=duration_ms),
            prepare=False,
        )

    def record_many(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Record (id, checksum, duration_ms) rows in one statement."""
        latest = {migration: (checksum, ms) for migration, checksum, ms in rows}
        if not latest:
            return
        values = b", ".join(self._row(m, c, ms) for m, (c, ms) in latest.items())
        self._conn.execute(self._insert + values + _ON_CONFLICT, prepare=False)
