"""``schemakit provision``: each service's schemas owned by its owner role, used through its role."""

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
        """Make each service's schemas a boundary: owned by its owner role, used through its role.

        For the services of the URL's database: REVOKE CREATE ON SCHEMA public FROM PUBLIC
        (unless the database is exempt); for each service with a role (config key role):
        CREATE ROLE ... NOLOGIN for the role and its owner role (owner-role, by default
        <role>_owner); the owner owns the service's schemas and everything in them (what
        another role owns is handed over with ALTER ... OWNER TO, each listed); REVOKE ALL
        ON SCHEMA ... FROM PUBLIC; the role gets USAGE on the schemas, SELECT, INSERT,
        UPDATE, DELETE on tables, USAGE, SELECT on sequences and EXECUTE on functions, on
        what exists and by ALTER DEFAULT PRIVILEGES FOR ROLE <owner> on what the
        migrations (run as the owner by schemakit migrate) create later, and nothing more.
        Grants to another service's roles or PUBLIC, memberships between service roles and
        the role's membership in its owner are revoked. A service role or owner role with
        SUPERUSER, CREATEROLE or BYPASSRLS is refused. Only what is missing runs, in one
        transaction, so a second run has nothing to do. Services log in as members of
        their role (GRANT role TO login_user: passwords are not schemakit's business).
        `schemakit lint --database-url URL` then checks the boundary (SEC, ISO).

        Exit 0, or 2 on errors (nothing is changed then).
        """
        from schemakit import commands

        done = commands.provision(start, database_url, database=database, dry_run=dry_run)
        verb = "would run" if dry_run else "ran"
        for step in done.steps:
            click.echo(f"{verb}: {step.sql};  -- {step.why}")
        if not done.steps:
            click.echo(f"{done.database}: already provisioned")
        if done.reassigned:
            click.echo(
                f"{'would hand' if dry_run else 'handed'} {len(done.reassigned)} object(s) "
                "to their services' owner roles (the ALTER ... OWNER TO lines above)",
                err=True,
            )
        if done.without_role:
            click.echo(
                f"no role configured for {', '.join(done.without_role)}: their schemas are the "
                'connecting user\'s (add role = "..." to the service)',
                err=True,
            )
        for table in done.row_security_pending:
            click.echo(
                f"row-security: table {table} does not exist yet: provision again after the "
                "migration that creates it",
                err=True,
            )
        return EXIT_CLEAN
