"""``schemakit baseline``, ``repair`` and ``validate``: adopting a database that exists,
repairing its ledger, and checking the history in CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from schemakit.cli._migrate import (
    common_options,
    config_option,
    database_url_option,
    format_option,
    timeout_option,
)
from schemakit.cli._shared import EXIT_CLEAN, EXIT_FINDINGS, say

__all__ = ["register"]

_timeout = timeout_option("connecting, retries and waiting for the migration lock")


@click.command("baseline")
@click.argument("service")
@config_option
@database_url_option("The database to adopt")
@click.option(
    "--to", "to", metavar="MIGRATION", help="The last migration the database already has."
)
@click.option(
    "--no-check",
    is_flag=True,
    help="Do not check that the objects the migrations create exist.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be recorded; record nothing.")
@format_option
@_timeout
def baseline_command(
    service: str,
    start: Path,
    database_url: str | None,
    to: str | None,
    no_check: bool,
    dry_run: bool,
    fmt: str,
    timeout: float,
) -> int:
    """Record SERVICE's migrations (up to --to) as applied without running them.

    For a database built before schemakit ran it: the objects the migrations create
    (schemas, tables, views, sequences, indexes, types) are checked to exist first, then
    each migration gets its ledger row (and, for drizzle folders, drizzle-orm's), so
    migrate applies only newer files. Exit 0, or 2 on errors (a missing object is one).
    """
    from schemakit import commands

    result = commands.baseline(
        start,
        database_url,
        service,
        to=to,
        check=not no_check,
        dry_run=dry_run,
        timeout=timeout,
        say=say,
    )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "service": result.service,
                    "recorded": result.recorded,
                    "already_applied": result.already,
                    "objects_checked": result.checked,
                    "dry_run": dry_run,
                },
                indent=2,
            )
        )
        return EXIT_CLEAN
    verb = "would record" if dry_run else "recorded"
    if result.recorded:
        click.echo(
            f"{service}: {verb} {len(result.recorded)} migration(s) as applied "
            f"({result.recorded[0]} .. {result.recorded[-1]}); "
            f"{result.checked} object(s) checked"
        )
    else:
        click.echo(f"{service}: nothing to record")
    if result.already:
        click.echo(f"{service}: {len(result.already)} were already in the ledger")
    return EXIT_CLEAN


@click.command("repair")
@click.argument("service")
@config_option
@database_url_option("The database")
@click.option("--yes", is_flag=True, help="Do not ask before acting.")
@click.option("--dry-run", is_flag=True, help="List the actions; change nothing.")
@format_option
@_timeout
def repair_command(
    service: str,
    start: Path,
    database_url: str | None,
    yes: bool,
    dry_run: bool,
    fmt: str,
    timeout: float,
) -> int:
    """Repair SERVICE's ledger after a deliberate change, or a failed CONCURRENTLY step.

    Lists, then (after confirmation, or --yes) carries out: removing the ledger rows of
    applied migrations whose files are gone, recording the checksums of edited files
    (review the edits first), dropping INVALID indexes in the service's schemas. Exit 0,
    or 2 on errors.
    """
    from schemakit import commands

    def confirm(actions: list[Any]) -> bool:
        if fmt == "text":
            for action in actions:
                click.echo(action.render())
        if yes:
            return True
        return click.confirm(f"carry out these {len(actions)} action(s)?", err=True)

    actions, done = commands.repair(
        start, database_url, service, confirm, dry_run=dry_run, timeout=timeout, say=say
    )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "service": service,
                    "actions": [
                        {"action": a.kind, "target": a.target, "detail": a.detail} for a in actions
                    ],
                    "done": done,
                },
                indent=2,
            )
        )
    elif not actions:
        click.echo(f"{service}: nothing to repair")
    elif dry_run:
        for action in actions:
            click.echo(action.render())
        click.echo(f"{service}: {len(actions)} action(s) would run (--dry-run)")
    elif done:
        click.echo(f"{service}: {len(actions)} action(s) done")
    else:
        click.echo(f"{service}: nothing done")
    return EXIT_CLEAN


@click.command("validate")
@common_options("check", "connecting and retries")
def validate_command(
    services: tuple[str, ...],
    start: Path,
    database_url: str | None,
    database: str | None,
    fmt: str,
    timeout: float,
) -> int:
    """Check the migration history for CI: exit 1 when an applied migration's file is
    missing or edited, or a pending one sorts before an applied one (migrate would stop
    on each). Pending migrations are fine. Reads without locking or creating anything.
    """
    from schemakit import commands

    problems = commands.validate(
        start, database_url, services, database=database, timeout=timeout, say=say
    )
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {"service": p.service, "id": p.id, "state": p.state, "problem": p.problem}
                    for p in problems
                ],
                indent=2,
            )
        )
    else:
        for p in problems:
            click.echo(f"{p.service}: {p.id}: {p.problem}")
        if not problems:
            click.echo("history is consistent")
    return EXIT_FINDINGS if problems else EXIT_CLEAN


def register(cli: click.Group) -> None:
    for command in (baseline_command, repair_command, validate_command):
        cli.add_command(command)
