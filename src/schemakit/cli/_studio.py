"""``schemakit studio``: a thin wrapper over :mod:`schemakit.studio`."""

from __future__ import annotations

from pathlib import Path

import click

from schemakit.cli._shared import EXIT_CLEAN, say
from schemakit.errors import SchemakitError

__all__ = ["register"]


def register(cli: click.Group) -> None:
    @cli.command("studio")
    @click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
    @click.option(
        "--database-url",
        envvar="DATABASE_URL",
        metavar="URL",
        help="Show this live database (its ledger and drift too) instead of replaying the "
        "migrations (also $DATABASE_URL).",
    )
    @click.option(
        "--database",
        metavar="NAME",
        help="Which configured database the URL points at (default: matched by its name).",
    )
    @click.option(
        "--host",
        default=None,
        metavar="ADDRESS",
        help="Listen here instead of 127.0.0.1. Anything but loopback lets others on the "
        "network read your schema: it is refused unless given explicitly, with a warning.",
    )
    @click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default="a free port",
        help="Port to listen on.",
    )
    @click.option("--no-open", is_flag=True, help="Do not open a browser.")
    def studio_command(
        path: Path,
        database_url: str | None,
        database: str | None,
        host: str | None,
        port: int,
        no_open: bool,
    ) -> int:
        """Look at the platform at PATH in a browser: services and what crosses between
        them, each service's tables and findings, migrations, and who may do what.

        \b
        Read-only and local: the studio listens on 127.0.0.1 (a free port unless --port),
        replays the migrations into a throwaway PostgreSQL as 'schemakit lint' does, or
        reads --database-url (nothing is ever written to it). Ctrl-C stops it.
        """
        try:
            from schemakit.studio import create_app, load, warm
            from schemakit.studio._serve import LOOPBACK, bind, is_loopback, serve
        except ImportError as exc:
            raise SchemakitError(
                f"the studio needs the 'studio' extra ({exc.name} is not installed)",
                hint="pip install 'schemakit[studio]'",
            ) from exc
        if host is not None and not is_loopback(host):
            click.echo(
                f"warning: listening on {host}: anyone who can reach it can read this "
                "platform's schema, findings and migrations",
                err=True,
            )
        sock = bind(host or LOOPBACK, port)
        try:
            loaded = load(path, database_url or None, database=database, progress=say)
            app = create_app(loaded)
            say("rendering the platform's and the services' pages")
            warm(app)
            serve(app, sock, open_browser=not no_open, say=say)
        finally:
            sock.close()
        return EXIT_CLEAN
