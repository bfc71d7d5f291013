"""``schemakit provision``: each service's schemas owned by its role, nothing for PUBLIC."""

from __future__ import annotations

from pathlib import Path

import click

from schemakit.cli._migrate import config_option, database_url_option
from schemakit.cli._shared import EXIT_CLEAN

__all__ = ["register"]


def register(cli: click.Group) -> None:
    @cli.command("provision")
    @config_option
    @database_url_option("The database to provision")
    @click.option("--database", metavar="NAME", help="Which configured database the URL is.")
    @click.option("--dry-run", is_flag=True, help="Print what would run; change nothing.")
    def provision_command(
        start: Path, database_url: str | None, database: str | None, dry_run: bool
    ) -> int:
        """Make each service's schemas a boundary: owned by the service's role, closed to PUBLIC.

        For the services of the URL's database: REVOKE CREATE ON SCHEMA public FROM PUBLIC
        (unless the database is exempt); for each service with a role (config key role):
        CREATE ROLE ... NOLOGIN, its schemas created or handed to that role, REVOKE ALL ON
        SCHEMA ... FROM PUBLIC, and the right to read and write the rows of the tables and
        sequences the connecting user, who runs the migrations, makes there (granted on what
        exists, and by ALTER DEFAULT PRIVILEGES on what comes later). Only what is missing runs, in one transaction, so a second
        run has nothing to do. Services log in as members of their role (GRANT role TO
        login_user: passwords are not schemakit's business). Objects a third role owns in a
        schema are listed: this user cannot grant on them. `schemakit lint --database-url URL` then checks
        the boundary (SEC, ISO).

        Exit 0, or 2 on errors (nothing is changed then).
        """
        from schemakit import commands

        done = commands.provision(start, database_url, database=database, dry_run=dry_run)
        verb = "would run" if dry_run else "ran"
        for step in done.steps:
            click.echo(f"{verb}: {step.sql};  -- {step.why}")
        if not done.steps:
            click.echo(f"{done.database}: already provisioned")
        if done.without_role:
            click.echo(
                f"no role configured for {', '.join(done.without_role)}: their schemas are the "
                'connecting user\'s (add role = "..." to the service)',
                err=True,
            )
        for item in done.foreign_owned:
            click.echo(f"owned by another role than its service's: {item}", err=True)
        for table in done.row_security_pending:
            click.echo(
                f"row-security: table {table} does not exist yet: provision again after the "
                "migration that creates it",
                err=True,
            )
        return EXIT_CLEAN
