"""Apply migrations once, under a per-service advisory lock, with retries, timeouts and checksums.

Each service runs on its own session: take ``pg_try_advisory_lock(key(service))`` (waiting
and saying who holds it), make sure the ledger exists, compare every applied migration's
stored checksum with its file, then apply what is pending, one transaction per migration (or
statement by statement for steps PostgreSQL refuses inside a transaction). A migration and
its ledger row commit together, so a killed runner leaves either both or neither.

The parts: connecting and retrying under the deadline (``_connection``), the lock
(``_advisory``), the ledger (``_ledger``), each migration's state (``_states``), the MIG gate
(``_gate``) and applying (``_apply``).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Sequence
from typing import Any

import psycopg

from schemakit._gc import gc_paused
from schemakit.config import Config, Service
from schemakit.errors import DatabaseError, MigrationError, SchemakitError, first_line, redact
from schemakit.migrate._advisory import lock, unlock
from schemakit.migrate._apply import apply_pending
from schemakit.migrate._connection import (
    Deadline,
    DeadlineExceeded,
    backoff,
    connect,
    is_transient,
)
from schemakit.migrate._failure import RunFailed, Stopped, stop_on_sigterm
from schemakit.migrate._options import MigrateOptions, Say
from schemakit.migrate._sources import MigrationSet, discover
from schemakit.migrate._states import ServiceResult, check_edits, check_history, read_states

__all__ = [
    "apply_service",
    "migrate",
    "migrate_all_databases",
    "service_status",
    "url_for_database",
]


def apply_service(
    url: str,
    service: Service,
    migrations: MigrationSet,
    options: MigrateOptions,
    deadline: Deadline,
    say: Say,
    *,
    status_only: bool = False,
    config: Config | None = None,
    result: ServiceResult | None = None,
) -> ServiceResult:
    """Migrate (or, with ``status_only``, inspect) one service, retrying transient failures
    until the deadline. ``config``: its ``[lint]`` table applies to the safety gate, as to
    ``schemakit lint``; ``result``: where to say what was applied, failure or not."""
    result = result or ServiceResult(service.name)
    attempt = 0
    server_started: Any = None
    ended: int | None = None  # the pid of a session the server ended (57P01)
    last: BaseException | None = None
    while True:
        conn, started = connect(url, options, deadline, say)
        if ended is not None and started == server_started:
            conn.close()
            raise _terminated(service, ended)
        server_started, pid = started, conn.info.backend_pid
        try:
            if status_only:
                result.states = read_states(conn, service, migrations, status_only=True)
                return result
            lock(conn, service.name, deadline, say)
            try:
                result.states = read_states(conn, service, migrations, status_only=False)
                result.warnings.clear()  # each attempt says them again
                check_edits(conn, service, migrations, result.states, options)
                check_history(service, migrations, result.states, options, result)
                apply_pending(
                    conn, url, service, migrations, options, result, deadline, say, config
                )
                return result
            finally:
                # If unlocking fails the session ends below, and PostgreSQL releases it then.
                if not conn.closed:
                    with contextlib.suppress(psycopg.Error):
                        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                            conn.execute("ROLLBACK")  # interrupted inside a migration
                        unlock(conn, service.name)
        except (MigrationError, psycopg.Error) as exc:
            transient = getattr(exc, "transient", False) or (
                isinstance(exc, psycopg.Error) and is_transient(exc)
            )
            attempt += 1
            last = exc
            if transient and deadline.left() > 0:
                backoff(
                    attempt, deadline, say, f"{service.name}: transient failure ({first_line(exc)})"
                )
            if not transient or deadline.left() <= 0:
                error = _final(service, exc, attempt, deadline)
                if error is exc:
                    raise
                raise error from exc
            # An administrator's termination and a server shutting down both end the session
            # with 57P01; the next connection tells them apart (the server's start time).
            ended = pid if _sqlstate(exc) == "57P01" else None
        except DeadlineExceeded as exc:
            if last is not None:  # the deadline passed between retries: say what kept failing
                exc.message += (
                    f"\n  gave up after {attempt} attempt(s); the last error: {first_line(last)}"
                )
            raise
        finally:
            conn.close()


def _sqlstate(exc: BaseException | None) -> str | None:
    for _ in range(5):  # an exception and the causes it was raised from
        if exc is None:
            break
        state = getattr(exc, "sqlstate", None)
        if state:
            return str(state)
        exc = exc.__cause__
    return None


def _terminated(service: Service, pid: int) -> DatabaseError:
    return DatabaseError(
        f"service {service.name}: the runner's session (pid {pid}) was terminated by another "
        "session while the server kept running (pg_terminate_backend, as 'schemakit locks "
        "--terminate' does); not retried",
        hint="the migration it was running was rolled back (one outside a transaction keeps "
        "the statements that finished); run migrate again when it should go on",
    )


def _final(
    service: Service, exc: MigrationError | psycopg.Error, attempts: int, deadline: Deadline
) -> SchemakitError:
    """The error to stop with: the last one, and after retries how many there were."""
    error: SchemakitError
    if isinstance(exc, psycopg.Error):
        error = DatabaseError(f"service {service.name}: {first_line(exc)}")
    else:
        error = exc
    if attempts > 1 or deadline.left() <= 0:
        error.message += (
            f"\n  gave up after {attempts} attempt(s) in {deadline.seconds - deadline.left():.1f}"
            f" s: transient errors are retried until --timeout ({deadline.seconds:g} s)"
        )
    return error


def migrate(
    url: str,
    config: Config,
    services: Sequence[str] = (),
    options: MigrateOptions | None = None,
    say: Say | None = None,
    *,
    database: str | None = None,
    status_only: bool = False,
) -> list[ServiceResult]:
    """Migrate (or inspect) the named services, or every service of the URL's database."""
    options = options or MigrateOptions()
    say = say or (lambda message: None)
    deadline = Deadline(options.timeout)
    chosen = _choose(config, services, database)
    # Every file is read (and checksummed) before connecting; pending files are parsed before
    # the first of them runs, so a syntax error changes nothing. Applied files are not parsed:
    # the no-op run stays cheap however long the history.
    plans = []
    # What is loaded now (imports, revision modules, file texts) lives for the whole run: the
    # cyclic collector does not run while it loads, then it is moved out of the collector's
    # sight (gc.freeze), so its passes during the run stay short.
    with gc_paused():
        for service in chosen:
            found = discover(service, config.path)
            if found is not None:
                plans.append((service, found))
    gc.freeze()
    results: list[ServiceResult] = []
    try:
        with stop_on_sigterm():
            for service, found in plans:
                results.append(ServiceResult(service.name, database or ""))
                apply_service(
                    url,
                    service,
                    found,
                    options,
                    deadline,
                    say,
                    status_only=status_only,
                    config=config,
                    result=results[-1],
                )
    except Stopped as exc:
        raise RunFailed(results, signum=exc.signum) from exc
    except SchemakitError as exc:
        if status_only:
            raise
        raise RunFailed(results, exc, dry_run=options.dry_run) from exc
    finally:
        gc.unfreeze()
    return results


def url_for_database(url: str, database: str) -> str:
    """``url`` pointed at ``database`` instead (same host, user, password and options)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = database
    return make_conninfo("", **params)


def migrate_all_databases(
    url: str,
    config: Config,
    options: MigrateOptions | None = None,
    say: Say | None = None,
    *,
    parallel: int = 4,
    status_only: bool = False,
) -> dict[str, list[ServiceResult]]:
    """Every configured database, at most ``parallel`` at a time; the URL names the server.

    Each database gets the URL with its own name; per-service locks keep concurrent runs on
    one database safe, and one database's failure does not stop the others (it is raised
    after all have finished, naming every failed database).
    """
    from concurrent.futures import ThreadPoolExecutor

    databases = [d for d in config.databases if config.services_in(d)]
    results: dict[str, list[ServiceResult]] = {}
    failures: dict[str, BaseException] = {}

    def one(database: str) -> None:
        try:
            results[database] = migrate(
                url_for_database(url, database),
                config,
                (),
                options,
                (lambda message: say(f"[{database}] {message}")) if say else None,
                database=database,
                status_only=status_only,
            )
        except Exception as exc:  # collected, reported together below
            failures[database] = exc

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        list(pool.map(one, databases))
    if failures:
        raise _databases_failed(databases, results, failures, options)
    return {db: results[db] for db in databases}


def _databases_failed(
    databases: list[str],
    results: dict[str, list[ServiceResult]],
    failures: dict[str, BaseException],
    options: MigrateOptions | None,
) -> RunFailed:
    """One error for the databases that failed, with every database's results (the plans, on
    a dry run) and the failed ones named."""

    def reason(exc: BaseException) -> str:
        if isinstance(exc, RunFailed) and exc.cause is not None:
            exc = exc.cause
        if isinstance(exc, SchemakitError):
            return exc.message.replace("\n", "\n    ")
        return redact(str(exc))

    dry_run = bool(options and options.dry_run)
    detail = "\n".join(f"  {db}: {reason(exc)}" for db, exc in sorted(failures.items()))
    partial = [r for db in databases for r in results.get(db, [])]
    for exc in failures.values():
        if isinstance(exc, RunFailed):
            partial += [r for r in exc.results if r.applied]
    cause = MigrationError(
        f"{len(failures)} of {len(databases)} databases failed:\n{detail}",
        hint="nothing was changed (--dry-run); the other databases' plans are above"
        if dry_run
        else "the databases not named here were migrated; fix these and run again",
    )
    error = RunFailed(partial, cause, dry_run=dry_run)
    error.failed_databases = sorted(failures)
    return error


def _choose(config: Config, names: Sequence[str], database: str | None) -> list[Service]:
    if names:
        unknown = [n for n in names if n not in config.services]
        if unknown:
            raise MigrationError(
                f"unknown service(s): {', '.join(unknown)}",
                hint="known: " + ", ".join(config.services),
            )
        return [config.services[n] for n in names]
    return [
        s
        for s in config.services.values()
        if s.migrations is not None and (database is None or s.database == database)
    ]


def service_status(*args: Any, **kwargs: Any) -> list[ServiceResult]:
    """:func:`migrate` with ``status_only``: nothing is applied."""
    return migrate(*args, status_only=True, **kwargs)
