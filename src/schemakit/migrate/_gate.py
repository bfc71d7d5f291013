"""The MIG-rule gate run over pending migrations before anything is applied."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemakit.config import Config, Service
from schemakit.errors import MigrationError
from schemakit.migrate._options import MigrateOptions
from schemakit.migrate._sources import MigrationSet
from schemakit.migrate._states import MigrationState

if TYPE_CHECKING:
    import psycopg

__all__ = ["gate"]


def gate(
    service: Service,
    migrations: MigrationSet,
    states: list[MigrationState],
    options: MigrateOptions,
    config: Config | None,
    conn: psycopg.Connection[Any] | None = None,
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
        changes_column_types,
        check,
        choose_rules,
        known_types_of,
    )

    config = config or Config(path=None, root=Path.cwd())
    # the gate judges statements; the catalog and suppression-report rules are lint's
    rules = tuple(rule for rule in choose_rules(config) if issubclass(rule, SqlRule))
    steps = [
        MigrationStep(service.name, f.id, f.path, f.statements, f.date) for f in migrations.files
    ]
    known = None  # the database's column types, for a type change of a column no file made
    if conn is not None and changes_column_types(
        s for f in migrations.files if f.id in pending for s in f.statements
    ):
        from schemakit.catalog import from_database

        known = known_types_of(from_database(conn))
    # schemakit runs a CONCURRENTLY migration outside a transaction: MIG002 does not apply here,
    # and it sets lock_timeout itself
    run = StatementRun(steps, runner_sets_lock_timeout=True, known_types=known)
    checked = check(
        config,
        rules,
        statements=[run],
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
