"""The commands that work on a database: migrate, status, history, drift, locks, push,
generate, provision and explain-locks. Each reads the config once, does one thing, and
returns what happened; printing it is the command line's business."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from schemakit.commands._common import Say, need_url, quiet
from schemakit.config import Config, load_config
from schemakit.errors import SchemakitError, UsageError

if TYPE_CHECKING:
    from schemakit.lint import Difference, Generated, LockReport
    from schemakit.migrate import LockHolder, MigrateOptions, MigrationState, ServiceResult
    from schemakit.provision import Step

__all__ = [
    "Drift",
    "Provisioned",
    "Pushed",
    "drift",
    "explain_locks",
    "generate",
    "history",
    "locks",
    "migrate",
    "provision",
    "push",
    "status",
    "terminate_lock",
]


def _states(
    config: Config,
    url: str | None,
    database: str | None,
    services: Sequence[str],
    options: MigrateOptions,
    say: Say,
    *,
    status_only: bool,
) -> list[ServiceResult]:
    from schemakit.migrate import database_for_url
    from schemakit.migrate import migrate as run

    url = need_url(url, "no database to read" if status_only else "no database to migrate")
    target = database_for_url(config, url, database)
    return run(url, config, services, options, say, database=target, status_only=status_only)


def migrate(
    start: Path,
    url: str | None,
    services: Sequence[str] = (),
    options: MigrateOptions | None = None,
    *,
    database: str | None = None,
    all_databases: bool = False,
    parallel: int = 4,
    say: Say = quiet,
) -> list[ServiceResult]:
    """Apply the pending migrations of ``services`` (default: every service of the URL's
    database), or of every configured database on the URL's server."""
    from schemakit.migrate import MigrateOptions, migrate_all_databases

    config = load_config(start)  # a missing config first: it is the bigger problem
    options = options or MigrateOptions()
    if not all_databases:
        return _states(config, url, database, services, options, say, status_only=False)
    if services or database:
        raise UsageError("--all-databases takes no SERVICES and no --database")
    if not url:
        raise SchemakitError("no database server", hint="pass --database-url URL")
    by_database = migrate_all_databases(url, config, options, say, parallel=parallel)
    return [result for results in by_database.values() for result in results]


def status(
    start: Path,
    url: str | None,
    services: Sequence[str] = (),
    *,
    database: str | None = None,
    timeout: float = 300.0,
    say: Say = quiet,
) -> list[tuple[str, MigrationState]]:
    """Each migration of ``services`` with its state in the ledger, read without a lock."""
    from schemakit.migrate import MigrateOptions

    config = load_config(start)
    options = MigrateOptions(timeout=timeout)
    results = _states(config, url, database, services, options, say, status_only=True)
    return [(result.service, state) for result in results for state in result.states]


def history(
    start: Path,
    url: str | None,
    services: Sequence[str] = (),
    *,
    database: str | None = None,
    timeout: float = 300.0,
    say: Say = quiet,
) -> list[tuple[str, MigrationState]]:
    """The applied migrations, oldest first."""
    rows = status(start, url, services, database=database, timeout=timeout, say=say)
    applied = [(service, s) for service, s in rows if s.applied_at is not None]
    return sorted(applied, key=lambda row: row[1].applied_at)


@dataclass(frozen=True)
class Drift:
    database: str
    differences: list[Difference]
    """The differences (``is_drift``) and the pending migrations (kind ``pending``)."""

    @property
    def drifted(self) -> list[Difference]:
        return [d for d in self.differences if d.is_drift]


def drift(
    start: Path,
    url: str | None,
    *,
    database: str | None = None,
    timeout: float = 300.0,
    say: Say = quiet,
) -> Drift:
    """The live database against what its applied migrations produce in a throwaway server;
    the migrations its ledger has not recorded are listed as pending."""
    from schemakit.lint import drift as compare
    from schemakit.lint import read_live
    from schemakit.migrate import MigrateOptions, database_for_url

    url = need_url(url, "no database to compare")
    config = load_config(start)
    target = database_for_url(config, url, database)
    results = _states(
        config, url, target, (), MigrateOptions(timeout=timeout), say, status_only=True
    )
    ledger = {result.service: result.states for result in results}
    return Drift(target, compare(config, read_live(url), target, say, ledger=ledger))


def locks(start: Path, url: str | None) -> list[LockHolder]:
    """Who holds the services' migration locks."""
    from schemakit.migrate import lock_holders

    url = need_url(url, "no database")
    return lock_holders(url, load_config(start))


def terminate_lock(
    start: Path,
    url: str | None,
    pid: int,
    confirm: Callable[[LockHolder], None] = lambda holder: None,
) -> LockHolder:
    """End the session of ``pid``, a migration lock's holder (``confirm`` may abort first)."""
    from schemakit.migrate import lock_holders, terminate

    url = need_url(url, "no database")
    config = load_config(start)
    holder = next((h for h in lock_holders(url, config) if h.pid == pid), None)
    if holder is not None:
        confirm(holder)
    return terminate(url, config, pid)


def generate(start: Path, service: str, message: str, *, say: Say = quiet) -> Generated:
    """An Alembic revision for ``service``'s models, proven to run, then the lint of the
    result (``path`` None: the models add nothing, and nothing was written)."""
    from schemakit.lint import generate as autogenerate

    return autogenerate(load_config(start), service, message, say)


@dataclass(frozen=True)
class Pushed:
    service: str
    changes: list[str]
    dry_run: bool


def push(
    start: Path,
    url: str | None,
    service: str,
    *,
    allow_destructive: bool = False,
    dry_run: bool = False,
) -> Pushed:
    """Development only: make the database match ``service``'s models, without a migration."""
    from schemakit.migrate import push_models

    url = need_url(url, "no database")
    config = load_config(start)
    if service not in config.services:
        raise SchemakitError(f"unknown service {service!r}")
    if config.services[service].models is None:
        raise SchemakitError(
            f"service {service} has no models to push",
            hint="push compares models with the database; SQL and drizzle services use "
            "schemakit migrate",
        )
    changes = push_models(
        url, config.services[service], allow_destructive=allow_destructive, dry_run=dry_run
    )
    return Pushed(service, list(changes), dry_run)


@dataclass(frozen=True)
class Provisioned:
    database: str
    steps: list[Step]
    dry_run: bool
    without_role: list[str] = field(default_factory=list)
    """Services with no role configured: their schemas stay the connecting user's."""
    row_security_pending: list[str] = field(default_factory=list)
    """Tables named for row-level security that do not exist yet."""

    @property
    def reassigned(self) -> list[Step]:
        """The steps that hand an object to its service's owner role."""
        return [s for s in self.steps if s.sql.startswith("ALTER ") and " OWNER TO " in s.sql]


def provision(
    start: Path, url: str | None, *, database: str | None = None, dry_run: bool = False
) -> Provisioned:
    """Each service's schemas owned by its owner role, used through its role and closed to
    PUBLIC and the other services: what is missing, in one transaction (nothing with
    ``dry_run``)."""
    from schemakit._pg import connect
    from schemakit.migrate import database_for_url
    from schemakit.provision import apply, check_claims, plan, row_security_pending

    config = load_config(start)
    url = need_url(url, "no database to provision")
    target = database_for_url(config, url, database)
    check_claims(config, target)  # from the config alone: before connecting
    with connect(url) as conn:
        steps = plan(conn, config, target)
        if steps and not dry_run:
            apply(conn, steps)
        pending = row_security_pending(conn, config, target)
    without = [s.name for s in config.services_in(target) if s.role is None]
    return Provisioned(target, list(steps), dry_run, without, pending)


def explain_locks(
    file: Path,
    *,
    verify: bool = False,
    database_url: str | None = None,
    setup: Sequence[Path] = (),
    progress: Say | None = None,
) -> LockReport:
    """The locks each statement of ``file`` takes, predicted and (on request) checked."""
    from schemakit.lint import explain_file

    return explain_file(
        file, verify=verify, database_url=database_url, setup=tuple(setup), progress=progress
    )
