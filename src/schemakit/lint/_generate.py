"""``schemakit generate``: autogenerate an Alembic revision for a service, then lint it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schemakit.config import Config
from schemakit.errors import SchemakitError
from schemakit.lint._run import LintResult, lint
from schemakit.migrate import MigrateOptions, discover, generate_revision, migrate
from schemakit.server import Cluster

__all__ = ["generate"]


def generate(
    config: Config,
    service_name: str,
    message: str,
    say: Callable[[str], None] = lambda message: None,
) -> tuple[Path, LintResult]:
    """Write a revision with what the service's models add to its migrations, then lint.

    The comparison database is a throwaway one with the database's migrations applied by the
    runner, so no live database is needed and nothing in production is read.
    """
    service = config.services.get(service_name)
    if service is None:
        raise SchemakitError(
            f"unknown service {service_name!r}", hint="known: " + ", ".join(config.services)
        )
    found = discover(service, config.path)
    if found is None or found.kind != "alembic":
        raise SchemakitError(
            f"service {service_name} has no Alembic migrations folder",
            hint="point migrations at a folder with a versions/ subfolder (it may be empty)",
        )
    with Cluster() as cluster:
        cluster.create_database(service.database)
        say(f"applying the migrations of database {service.database} to a throwaway copy")
        migrate(
            cluster.dsn(service.database),
            config,
            options=MigrateOptions(timeout=600),
            database=service.database,
        )
        path = generate_revision(service, message, cluster.dsn(service.database))
        say(f"wrote {path}")
        # the same throwaway server replays the migrations for lint (under other names)
        return path, lint(config.path or config.root, cluster=cluster)
