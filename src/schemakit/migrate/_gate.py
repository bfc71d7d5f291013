"""The MIG-rule gate run over pending migrations before anything is applied."""

from __future__ import annotations

from schemakit.config import DEFAULT_DROP_WAIT_DAYS, Config, Service
from schemakit.errors import MigrationError
from schemakit.migrate._options import MigrateOptions
from schemakit.migrate._sources import MigrationSet
from schemakit.migrate._states import MigrationState

__all__ = ["gate"]


def gate(
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
        RULES,
        MigrationStep,
        Severity,
        apply_overrides,
        apply_suppressions,
        matches,
        run_sql_rules,
        select_rules,
    )
    from schemakit.sql import attached_span, read_suppressions

    rules = RULES
    if config is not None:
        settings = config.lint
        rules = select_rules(settings.select, settings.ignore, settings.extend_select)
    by_path = {f.path: f for f in migrations.files}
    steps = [
        MigrationStep(service.name, f.id, f.path, f.statements, f.date) for f in migrations.files
    ]
    # schemakit runs a CONCURRENTLY migration outside a transaction: MIG002 does not apply here
    wait = config.lint.drop_wait_days if config is not None else DEFAULT_DROP_WAIT_DAYS
    found = list(
        run_sql_rules(
            rules,
            steps,
            in_transaction=False,
            runner_sets_lock_timeout=True,
            drop_wait_days=wait,
        )
    )
    if config is not None:
        found, _ = apply_overrides(found, config)
        per_object = config.lint.per_object_ignores
        found = apply_suppressions(found, enabled=(), per_object=per_object).findings
    blocking = []
    for finding in found:
        location = finding.location
        file = by_path.get(location.path) if location else None
        if file is None or location is None or file.id not in pending:
            continue
        if finding.severity is not Severity.ERROR or file.id in options.allow_unsafe:
            continue
        suppressed = any(
            matches(finding.code, code)
            and (span := attached_span(list(file.statements), s.line))[0]
            <= location.line
            <= span[1]
            for s in read_suppressions(file.text, file.path)
            for code in s.codes
        )
        if not suppressed:
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
