"""``schemakit migrate``, ``status`` and ``history``: thin wrappers over schemakit.migrate."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from schemakit.cli._shared import EXIT_CLEAN, EXIT_FINDINGS, libpq_url, say

__all__ = [
    "common_options",
    "config_option",
    "database_url_option",
    "format_option",
    "register",
    "timeout_option",
]

config_option = click.option(
    "--config",
    "start",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Config file, or a folder at or below it.",
)
"""``--config``: the config file, or a folder at or below it (every command that needs one)."""


def database_url_option(what: str) -> Callable[[Any], Any]:
    """``--database-url URL``, read from ``DATABASE_URL`` when not given; ``what`` it is."""
    return click.option(
        "--database-url",
        envvar="DATABASE_URL",
        metavar="URL",
        help=f"{what} (also $DATABASE_URL).",
        callback=libpq_url,
    )


def common_options(doing: str, timeout_covers: str) -> Callable[[Any], Any]:
    """SERVICES, --config, --database-url, --database, --format and --timeout, as
    ``migrate``, ``status`` and ``history`` take them; ``doing`` the database, for
    ``timeout_covers`` seconds."""

    def decorate(function: Any) -> Any:
        for option in reversed(_common_options(doing, timeout_covers)):
            function = option(function)
        return function

    return decorate


format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
"""``--format text|json``, for the commands that report data rather than findings."""


def timeout_option(covers: str) -> Callable[[Any], Any]:
    """``--timeout SECONDS`` (default 300) for the whole run: what it ``covers``."""
    return click.option(
        "--timeout",
        type=float,
        default=300.0,
        show_default=True,
        help=f"Seconds for the whole run: {covers}.",
    )


def _common_options(doing: str, timeout_covers: str) -> list[Any]:
    return [
        click.argument("services", nargs=-1),
        config_option,
        database_url_option(f"The database to {doing}"),
        click.option("--database", metavar="NAME", help="Which configured database the URL is."),
        format_option,
        timeout_option(timeout_covers),
    ]


def _echo_json(rows: list[tuple[str, Any]], *fields: str) -> None:
    """``rows`` of (service, migration state) as a JSON list of the named fields."""
    out = []
    for service, state in rows:
        item = {"service": service, "id": state.id}
        for name in fields:
            value = getattr(state, name)
            item[name] = value.isoformat() if isinstance(value, datetime) else value
        out.append(item)
    click.echo(json.dumps(out, indent=2))


@click.command("migrate")
@common_options("migrate", "connecting, waiting for the lock, retries, applying")
@click.option("--dry-run", is_flag=True, help="Print the SQL that would run; change nothing.")
@click.option(
    "--lock-timeout",
    default="5s",
    show_default=True,
    help="Per migration: how long a statement may wait for a table lock.",
)
@click.option(
    "--statement-timeout",
    default="5min",
    show_default=True,
    help="Per migration: how long one statement may run.",
)
@click.option(
    "--all-databases",
    is_flag=True,
    help="Migrate every configured database on the URL's server (the URL's own database "
    "name is replaced by each one's).",
)
@click.option(
    "--parallel", default=4, show_default=True, help="Databases at once with --all-databases."
)
@click.option(
    "--allow-unsafe",
    "allow_unsafe",
    multiple=True,
    metavar="ID",
    help="Apply migration ID despite MIG error findings (repeatable).",
)
@click.option(
    "--accept-checksum",
    "accept",
    multiple=True,
    metavar="ID",
    help="Record a deliberate edit of applied migration ID (repeatable).",
)
@click.option("--allow-missing", is_flag=True, help="Go on when applied files are gone.")
@click.option(
    "--allow-out-of-order", is_flag=True, help="Apply files that sort before applied ones."
)
def migrate_command(
    services: tuple[str, ...],
    start: Path,
    database_url: str | None,
    database: str | None,
    fmt: str,
    timeout: float,
    dry_run: bool,
    lock_timeout: str,
    statement_timeout: str,
    all_databases: bool,
    parallel: int,
    allow_unsafe: tuple[str, ...],
    accept: tuple[str, ...],
    allow_missing: bool,
    allow_out_of_order: bool,
) -> int:
    """Apply pending migrations of SERVICES (default: every service of the database).

    Each service migrates under its own PostgreSQL advisory lock (the key is derived from
    its name), one transaction per migration with lock_timeout and statement_timeout set;
    CONCURRENTLY steps run outside a transaction. Applied migrations whose files changed
    are refused before anything runs. Transient errors (connection lost, deadlock, lock
    timeout) are retried with backoff until --timeout.

    Exit 0 when everything is applied (or already was), 2 on errors: a failing migration
    is rolled back (a step outside a transaction says what it left).
    """
    from schemakit import commands
    from schemakit.migrate import MigrateOptions, RunFailed

    options = MigrateOptions(
        timeout=timeout,
        lock_timeout=lock_timeout,
        statement_timeout=statement_timeout,
        dry_run=dry_run,
        accept_checksums=accept,
        allow_unsafe=allow_unsafe,
        allow_missing=allow_missing,
        allow_out_of_order=allow_out_of_order,
    )
    failure: RunFailed | None = None
    try:
        results = commands.migrate(
            start,
            database_url,
            services,
            options,
            database=database,
            all_databases=all_databases,
            parallel=parallel,
            say=say,
        )
    except RunFailed as exc:  # what ran before the failure is reported too, then the error
        failure, results = exc, exc.results
    failed = failure.results[-1] if failure and failure.results else None
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "service": r.service,
                        "applied": r.applied,
                        "sql": r.sql,
                        "warnings": r.warnings,
                    }
                    | ({"database": r.database} if r.database else {})
                    | ({"error": failure.render()} if failure and r is failed else {})
                    for r in results
                ],
                indent=2,
            )
        )
    else:
        _echo_results(
            results, dry_run, failed if failure and not failure.failed_databases else None
        )
        for name in failure.failed_databases if failure else ():
            click.echo(f"-- database {name}: failed (below)")
    if failure is not None:
        if failure.signum:
            click.echo(f"error: {failure.render()}", err=True)
            raise click.exceptions.Exit(failure.exit_code)
        raise failure
    return EXIT_CLEAN


def _echo_results(results: list[Any], dry_run: bool, failed: Any) -> None:
    for result in results:
        for warning in result.warnings:
            click.echo(f"warning: {result.service}: {warning}", err=True)
        if dry_run:
            click.echo(f"-- {result.service}: {len(result.sql)} statements would run")
            for statement in result.sql:
                click.echo(statement.strip() + ("" if statement.strip().endswith(";") else ";"))
        elif result.applied:
            applied = result.applied
            # a long run names its first and last migrations, not a screenful of ids
            names = (
                ", ".join(applied)
                if len(applied) <= 10
                else f"{len(applied)} migrations, {applied[0]} .. {applied[-1]}"
            )
            click.echo(
                f"{result.service}: applied {names}" + (", then failed" if result is failed else "")
            )
        else:
            click.echo(f"{result.service}: " + ("failed" if result is failed else "up to date"))


@click.command("status")
@common_options("read", "connecting and retries")
@click.option("--check", is_flag=True, help="Exit 1 when anything is pending, edited or missing.")
def status_command(
    services: tuple[str, ...],
    start: Path,
    database_url: str | None,
    database: str | None,
    fmt: str,
    timeout: float,
    check: bool,
) -> int:
    """Show each migration as applied, pending, edited (checksum differs) or missing.

    Reads the ledger without locking or creating anything. Exit 0; with --check, 1 when
    anything is pending, edited or missing; 2 on errors.
    """
    from schemakit import commands

    rows = commands.status(
        start, database_url, services, database=database, timeout=timeout, say=say
    )
    if fmt == "json":
        _echo_json(rows, "state", "checksum", "stored_checksum")
    else:
        for service, s in rows:
            click.echo(f"{service:<20} {s.state:<8} {s.id}")
    unclean = any(s.state != "applied" for _, s in rows)
    return EXIT_FINDINGS if check and unclean else EXIT_CLEAN


@click.command("history")
@common_options("read", "connecting and retries")
def history_command(
    services: tuple[str, ...],
    start: Path,
    database_url: str | None,
    database: str | None,
    fmt: str,
    timeout: float,
) -> int:
    """List applied migrations: when, how long, by whom. Exit 0, or 2 on errors."""
    from schemakit import commands

    rows = commands.history(
        start, database_url, services, database=database, timeout=timeout, say=say
    )
    if fmt == "json":
        _echo_json(rows, "applied_at", "duration_ms", "applied_by")
        return EXIT_CLEAN
    for service, s in rows:
        click.echo(
            f"{s.applied_at:%Y-%m-%d %H:%M:%S%z}  {service:<16} {s.id:<32} "
            f"{s.duration_ms:>6} ms  {s.applied_by}"
        )
    if not rows:
        click.echo("nothing applied yet", err=True)
    return EXIT_CLEAN


@click.command("drift")
@config_option
@database_url_option("The live database")
@click.option("--database", metavar="NAME", help="Which configured database the URL is.")
@format_option
@timeout_option("connecting and retries while the ledger is read")
def drift_command(
    start: Path, database_url: str | None, database: str | None, fmt: str, timeout: float
) -> int:
    """Compare the live database with what its applied migrations produce (exit 1 on drift).

    The migrations the ledger records as applied are replayed into a throwaway PostgreSQL
    and its services' schemas are compared object by object: schemas, tables, columns (type,
    nullability, default), indexes, constraints, foreign keys, enums, functions. Each
    difference comes with the SQL that would make the database match; migrations not applied
    yet are listed as pending, which is not drift.
    """
    from schemakit import commands

    found = commands.drift(start, database_url, database=database, timeout=timeout, say=say)
    differences, target, drifted = found.differences, found.database, found.drifted
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {"object": d.object, "kind": d.kind, "detail": d.detail, "sql": d.sql}
                    for d in differences
                ],
                indent=2,
            )
        )
    else:
        for difference in differences:
            click.echo(difference.render())
        pending = len(differences) - len(drifted)
        also = f"; {pending} migration(s) pending" if pending else ""
        if drifted:
            click.echo(f"{len(drifted)} difference(s) in database {target}{also}")
        else:
            click.echo(f"no drift: database {target} is what its applied migrations produce{also}")
    return EXIT_FINDINGS if drifted else EXIT_CLEAN


@click.command("locks")
@config_option
@database_url_option("The database")
@click.option("--terminate", "pid", type=int, metavar="PID", help="End this holder's session.")
@click.option("--yes", is_flag=True, help="Do not ask before ending a session.")
def locks_command(start: Path, database_url: str | None, pid: int | None, yes: bool) -> int:
    """List who holds the services' migration locks; end a stale holder's session.

    An advisory session lock is released only by the session holding it (or when that
    session ends), so a hung runner is cleared by ending its session.

    Exit 0, or 2 on errors (a PID that holds no migration lock is one).
    """
    from schemakit import commands

    if pid is None:
        holders = commands.locks(start, database_url)
        if not holders:
            click.echo("no migration locks are held")
        for h in holders:
            click.echo(
                f"{h.service:<16} pid {h.pid:<8} {h.application_name or '-':<20} {h.client:<12} "
                f"since {h.backend_start:%Y-%m-%d %H:%M:%S}  {h.state}"
            )
        return EXIT_CLEAN

    def confirm(holder: Any) -> None:
        if not yes:
            click.confirm(
                f"end the session of pid {pid} ({holder.application_name or 'no name'}, "
                f"holding the lock of {holder.service})?",
                abort=True,
            )

    ended = commands.terminate_lock(start, database_url, pid, confirm)
    click.echo(f"ended pid {ended.pid}; the lock of {ended.service} is free")
    return EXIT_CLEAN


@click.command("generate")
@click.argument("service")
@click.option(
    "--name", "message", required=True, help="What the revision does: add_user_preferences."
)
@config_option
def generate_command(service: str, message: str, start: Path) -> int:
    """Autogenerate an Alembic revision for SERVICE's models, run it, then lint the result.

    The service's models (config key models = "package.module:Base") are compared with
    its migrations applied to a throwaway PostgreSQL; only the service's schemas are
    compared. The revision is applied there before it is kept (one that does not run is
    removed, exit 2). No model change: "no changes", nothing written, exit 0. Exit 1 when
    the lint finds something in the service (the findings are printed).
    """
    from schemakit import commands

    generated = commands.generate(start, service, message, say=say)
    if generated.path is None:
        click.echo(f"no changes: the models of {service} match its migrations")
        return EXIT_CLEAN
    click.echo(f"wrote {generated.path}")
    for finding in generated.findings:
        where = f"{finding.location.path}:{finding.location.line}: " if finding.location else ""
        click.echo(f"{where}{finding.code} {finding.message}")
    return EXIT_FINDINGS if generated.findings else EXIT_CLEAN


@click.command("push")
@click.argument("service")
@config_option
@database_url_option("A development database")
@click.option("--allow-destructive", is_flag=True, help="Allow drops and type changes.")
@click.option("--dry-run", is_flag=True, help="List the changes; apply nothing.")
def push_command(
    service: str,
    start: Path,
    database_url: str | None,
    allow_destructive: bool,
    dry_run: bool,
) -> int:
    """Development only: make the database match SERVICE's models, without a migration.

    The guideline's `db:push`. Refuses when SCHEMAKIT_ENV=production, and refuses changes
    that lose data (drop table or column, change a column type) unless
    --allow-destructive. Needs the service's models (config key models); SQL and drizzle
    services change through migrations. Everything runs in one transaction.

    Exit 0 when the database matches (or was made to), 2 on errors or a refusal.
    """
    from schemakit import commands

    pushed = commands.push(
        start, database_url, service, allow_destructive=allow_destructive, dry_run=dry_run
    )
    changes = pushed.changes
    for change in changes:
        click.echo(("would apply " if dry_run else "applied ") + change)
    if not changes:
        click.echo(f"{service}: the database already matches the models")
    return EXIT_CLEAN


def register(cli: click.Group) -> None:
    for command in (
        migrate_command,
        status_command,
        history_command,
        drift_command,
        locks_command,
        generate_command,
        push_command,
    ):
        cli.add_command(command)
