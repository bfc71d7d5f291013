"""``schemakit provision``: each service's schemas owned by its role, nothing for PUBLIC."""

from __future__ import annotations

from pathlib import Path

import click

from schemakit.cli._migrate import config_option, database_url_option
from schemakit.cli._shared import EXIT_CLEAN
from schemakit.errors import SchemakitError

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
        from schemakit._pg import connect
        from schemakit.config import load_config
        from schemakit.migrate import database_for_url
        from schemakit.provision import apply, foreign_owned, plan

        config = load_config(start)
        if not database_url:
            raise SchemakitError(
                "no database to provision", hint="pass --database-url URL or set DATABASE_URL"
            )
        target = database_for_url(config, database_url, database)
        with connect(database_url) as conn:
            steps = plan(conn, config, target)
            if steps and not dry_run:
                apply(conn, steps)
            left = foreign_owned(conn, config, target)
        verb = "would run" if dry_run else "ran"
        for step in steps:
            click.echo(f"{verb}: {step.sql};  -- {step.why}")
        if not steps:
            click.echo(f"{target}: already provisioned")
        without = [s.name for s in config.services_in(target) if s.role is None]
        if without:
            click.echo(
                f"no role configured for {', '.join(without)}: their schemas are the "
                'connecting user\'s (add role = "..." to the service)',
                err=True,
            )
        for item in left:
            click.echo(f"owned by another role than its service's: {item}", err=True)
        return EXIT_CLEAN
