"""What each migration of a service is (applied, pending, edited, missing), read from the
ledgers, and what a run reports per service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from schemakit.config import Service
from schemakit.errors import MigrationError
from schemakit.migrate import _ledger as ledger
from schemakit.migrate._alembic import current_revisions
from schemakit.migrate._options import MigrateOptions
from schemakit.migrate._sources import MigrationFile, MigrationSet

__all__ = [
    "MigrationState",
    "ServiceResult",
    "check_edits",
    "check_history",
    "out_of_order",
    "read_states",
    "states",
]


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
    ledger_id: str | None = None
    """The id as the ledger row spells it (a file renamed to another Unicode form keeps it)."""


@dataclass
class ServiceResult:
    service: str
    database: str = ""
    applied: list[str] = field(default_factory=list)
    states: list[MigrationState] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    """With dry_run: the statements that would run."""
    warnings: list[str] = field(default_factory=list)


def states(
    migrations: MigrationSet, applied: dict[str, tuple[Any, ...]], drizzle: dict[str, str]
) -> list[MigrationState]:
    """Each file against the ledger rows (``applied``) and the tool's own table (``drizzle``:
    id -> stored checksum), then the rows whose files are gone."""
    found = []
    known = set()
    for file in migrations.files:
        known.add(file.id)
        current = file.checksum
        row = applied.get(file.id)
        if row is None and file.id != (bare := _bare_id(migrations, file)):
            # a service that had one folder when this file was applied, under its bare id:
            # listing a second folder prefixed it, and it is the same migration
            row = applied.get(bare)
            if row is not None:
                known.add(bare)
        stored = row[1] if row else drizzle.get(file.id)
        if stored is None:
            found.append(MigrationState(file.id, "pending", current))
            continue
        state = "applied" if stored == current else "edited"
        found.append(
            MigrationState(
                file.id,
                state,
                current,
                stored,
                row[2] if row else None,
                row[3] if row else None,
                row[4] if row else "recorded by the tool's own tracking table",
                row[0] if row else None,
            )
        )
    for id_, row in applied.items():
        if id_ not in known:
            found.append(
                MigrationState(id_, "missing", None, row[1], row[2], row[3], row[4], row[0])
            )
    return found


def _bare_id(migrations: MigrationSet, file: MigrationFile) -> str:
    """The id a file of the first folder had while it was the service's only folder."""
    if file.path.parent != migrations.folder or "/" not in file.id:
        return file.id
    return file.id.rsplit("/", 1)[1]


def read_states(
    conn: psycopg.Connection[Any],
    service: Service,
    migrations: MigrationSet,
    *,
    status_only: bool,
) -> list[MigrationState]:
    """Each migration as applied, pending, edited or missing, from the ledgers. A run makes
    the ledger tables first; status reads without creating (or locking) anything, so it asks
    whether they exist."""
    drizzle_table = ledger.DRIZZLE_TABLE if migrations.kind == "drizzle" else None
    if not status_only:
        ledger.ensure(conn, drizzle_table)
    applied = ledger.read(conn, service.name) if not status_only or ledger.exists(conn) else {}
    drizzle = (
        ledger.drizzle_applied(conn, drizzle_table, migrations.files)
        if drizzle_table and (not status_only or ledger.exists(conn, ".".join(drizzle_table)))
        else {}
    )
    if migrations.kind == "alembic":
        # revisions Alembic itself recorded count as applied, as they are
        current = {f.id: f.checksum for f in migrations.files}
        drizzle = {rev: current[rev] for rev in current_revisions(conn, service) if rev in current}
    return states(migrations, applied, drizzle)


def check_edits(
    conn: psycopg.Connection[Any],
    service: Service,
    migrations: MigrationSet,
    found: list[MigrationState],
    options: MigrateOptions,
) -> None:
    """Refuse applied migrations whose files changed, unless accepted (``accept_checksums``):
    then the ledger takes the file's checksum."""
    by_id = {f.id: f for f in migrations.files}
    for state in found:
        if state.state != "edited":
            continue
        file = by_id[state.id]
        if state.id in options.accept_checksums:
            assert state.checksum is not None  # an edited migration has its file
            ledger.accept_checksum(conn, service.name, state.ledger_id or state.id, state.checksum)
            state.state = "applied"
            continue
        raise MigrationError(
            f"applied migration {state.id} of service {service.name} was edited: "
            f"its checksum was {state.stored_checksum}, the file's is now {state.checksum}",
            path=file.path,
            hint="never edit an applied migration: revert the file and add a new one, or record "
            f"a deliberate change with --accept-checksum {state.id}",
        )


def out_of_order(found: list[MigrationState]) -> list[MigrationState]:
    """Pending migrations that sort before an applied one (a branch merged late)."""
    last = max((i for i, s in enumerate(found) if s.state in ("applied", "edited")), default=-1)
    return [s for i, s in enumerate(found) if s.state == "pending" and i < last]


def check_history(
    service: Service,
    migrations: MigrationSet,
    found: list[MigrationState],
    options: MigrateOptions,
    result: ServiceResult,
) -> None:
    """Stop before anything runs when the history on disk is not the one the database had:
    an applied migration's file is gone, or a pending one sorts before an applied one. Each
    is allowed by its own option, named in the message; allowed, it is a warning."""
    missing = [s.id for s in found if s.state == "missing"]
    if missing and not options.allow_missing:
        raise MigrationError(
            f"{len(missing)} applied migration(s) of service {service.name} have no file in "
            f"{migrations.folder}: {', '.join(missing)}; nothing was applied",
            hint="restore the file(s); if they were removed on purpose, remove their ledger "
            f"rows with 'schemakit repair {service.name}', or run once with --allow-missing",
        )
    if missing:
        result.warnings.append(f"applied migration(s) without a file: {', '.join(missing)}")
    if migrations.kind == "alembic":
        return  # Alembic orders revisions by their graph, not by name
    late = out_of_order(found)
    if late and not options.allow_out_of_order:
        last = next(s.id for s in reversed(found) if s.state in ("applied", "edited"))
        raise MigrationError(
            f"pending migration(s) of service {service.name} sort before the applied "
            f"{last}: {', '.join(s.id for s in late)}; nothing was applied",
            hint="rename them to sort after the last applied migration (drizzle's migrator "
            "would skip them), or apply them out of order with --allow-out-of-order",
        )
    by_id = {f.id: f for f in migrations.files}
    for state in late:
        result.warnings.append(
            f"{by_id[state.id].path.name} sorts before an applied migration; applying it "
            "out of order (drizzle's migrator would skip it)"
        )
