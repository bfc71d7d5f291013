"""``schemakit generate``: autogenerate an Alembic revision for a service, run it, lint it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schemakit.config import Config
from schemakit.errors import MigrationError, SchemakitError
from schemakit.lint._run import LintResult, lint
from schemakit.migrate import MigrateOptions, discover, generate_revision, migrate
from schemakit.rules import Finding
from schemakit.server import Cluster

__all__ = ["Generated", "generate"]


@dataclass(frozen=True)
class Generated:
    """What :func:`generate` did."""

    path: Path | None
    """The revision written, or None: the models add nothing, and no file was written."""
    findings: list[Finding] = field(default_factory=list)
    """Lint findings in this service (or in the new file) with the revision applied."""
    lint: LintResult | None = None


def generate(
    config: Config,
    service_name: str,
    message: str,
    say: Callable[[str], None] = lambda message: None,
) -> Generated:
    """Write a revision with what the service's models add to its migrations, prove it runs,
    and lint the result.

    The comparison database is a throwaway one with the database's migrations applied by the
    runner, so no live database is needed and nothing in production is read. The new revision
    is then applied there by the same runner ``schemakit migrate`` uses; if that fails, the
    file is removed and the error raised, so no revision that cannot run is left behind.
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
        dsn = cluster.dsn(service.database)
        cluster.create_database(service.database)
        say(f"applying the migrations of database {service.database} to a throwaway copy")
        options = MigrateOptions(timeout=600)
        migrate(dsn, config, options=options, database=service.database)
        path = generate_revision(service, message, dsn)
        if path is None:
            return Generated(None)
        try:
            say(f"applying {path.name} to the throwaway copy")
            migrate(dsn, config, [service_name], options=options)
            # the same throwaway server replays the migrations for lint (under other names)
            result = lint(config.path or config.root, cluster=cluster, config=config)
        except SchemakitError as exc:
            path.unlink(missing_ok=True)
            raise MigrationError(
                f"the generated revision does not run, so it was not kept: {exc.message}",
                path=path,
                hint="a model uses something autogenerate cannot render; write this revision "
                "by hand (or report it)",
            ) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    # The service's findings: by service, or located in its migrations or its models' folders.
    folders = [path.parent.parent.resolve(), *(p.resolve() for p in service.python_path)]
    mine = [
        f
        for f in result.findings
        if f.service == service_name
        or (
            f.location is not None
            and any(Path(f.location.path).resolve().is_relative_to(d) for d in folders)
        )
    ]
    return Generated(path, mine, result)
