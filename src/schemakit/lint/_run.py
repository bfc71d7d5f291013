"""``schemakit lint``: audit a live database, or replay migrations into a throwaway one."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from schemakit.catalog import Catalog, from_database
from schemakit.config import Config, load_config
from schemakit.errors import DatabaseError, MigrationError, SchemakitError, redact
from schemakit.migrate import MigrationSet, discover
from schemakit.rules import (
    RULES,
    CatalogContext,
    Finding,
    InlineIgnore,
    Location,
    Rule,
    apply_suppressions,
    matches,
    run_catalog_rules,
    select_rules,
)
from schemakit.sql import created_objects
from schemakit.testing import Cluster

__all__ = ["LintOptions", "LintResult", "lint"]

Progress = Callable[[str], None]
_unique = itertools.count(1)


@dataclass(frozen=True)
class LintOptions:
    database_url: str | None = None
    database: str | None = None
    """Which configured database ``database_url`` is (default: matched by name)."""
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    rules: tuple[type[Rule], ...] = ()
    databases: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """What was read: redacted URLs, or migration folders."""
    config_path: Path | None = None


def lint(
    path: Path,
    options: LintOptions | None = None,
    progress: Progress | None = None,
    *,
    cluster: Cluster | None = None,
) -> LintResult:
    """Lint the platform whose config is at or above ``path``.

    With ``options.database_url`` the live database is audited; otherwise every service's
    migrations are replayed into a throwaway PostgreSQL and the result is audited. Pass a
    started ``cluster`` to replay into it (its databases are created and dropped here)
    instead of starting one.
    """
    options = options or LintOptions()
    say = progress or (lambda message: None)
    config = load_config(path, required=options.database_url is None)
    settings = config.lint
    rules = select_rules(
        options.select if options.select is not None else settings.select,
        (*settings.ignore, *options.ignore),
        (*settings.extend_select, *options.extend_select),
    )
    _check_selectors(
        (
            *(options.select or ()),
            *options.ignore,
            *options.extend_select,
            *settings.select,
            *settings.ignore,
            *settings.extend_select,
        ),
        config,
    )
    result = LintResult(rules=rules, config_path=config.path)
    findings: list[Finding] = []
    inline: list[InlineIgnore] = []
    if options.database_url:
        database = _configured_database(config, options)
        say(f"reading the catalog of {redact(options.database_url)}")
        catalog = _read_live(options.database_url)
        ctx = CatalogContext(catalog, config, database, has_registry=bool(config.services))
        findings += run_catalog_rules(rules, ctx)
        result.databases.append(database)
        result.sources.append(redact(options.database_url))
    else:
        for database, catalog, origins in _replay(config, say, cluster):
            ctx = CatalogContext(catalog, config, database, creator=partial(_creator, origins))
            findings += run_catalog_rules(rules, ctx, partial(_locate, origins))
            result.databases.append(database)
        for service in config.services.values():
            if service.migrations is not None:
                result.sources.append(str(service.migrations))
        inline = _inline_ignores(config)
    outcome = apply_suppressions(
        findings,
        enabled=rules,
        inline=inline,
        per_object=settings.per_object_ignores,
        config_location=lambda text: _config_location(config, text),
    )
    result.findings = sorted(outcome.findings, key=lambda f: f.sort_key)
    result.suppressed = len(outcome.suppressed)
    return result


def _check_selectors(selectors: tuple[str, ...], config: Config) -> None:
    codes = [rule.code for rule in RULES]
    for selector in selectors:
        if not any(matches(code, selector) for code in codes):
            raise SchemakitError(
                f"rule selector {selector!r} matches no rule"
                + (f" (from --select/--ignore or {config.path})" if config.path else ""),
                hint="see 'schemakit rules' for the codes",
            )


def _config_location(config: Config, text: str) -> Location | None:
    if config.path is None:
        return None
    return Location(config.path, config.line_of(text) or 1)


def _configured_database(config: Config, options: LintOptions) -> str:
    if options.database:
        if config.services and options.database not in config.known_databases:
            raise SchemakitError(
                f"--database {options.database} is not a database of any service in {config.path}",
                hint="known databases: " + ", ".join(config.known_databases),
            )
        return options.database
    from psycopg.conninfo import conninfo_to_dict

    try:
        name = str(conninfo_to_dict(options.database_url or "").get("dbname") or "")
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(
            f"invalid database URL {redact(options.database_url or '')}: {redact(str(exc).strip())}",
            hint="percent-encode special characters in the password (space is %20)",
        ) from exc
    if not config.services:
        return name or config.default_database
    if name in config.known_databases:
        return name
    if len(config.known_databases) == 1:
        return config.known_databases[0]
    raise SchemakitError(
        f"the URL's database '{name}' matches none of the configured databases "
        + ", ".join(config.known_databases),
        hint="say which one it is with --database NAME",
    )


def _read_live(url: str) -> Catalog:
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(
            f"invalid database URL {redact(url)}: {redact(str(exc).strip())}",
            hint="percent-encode special characters in the password (space is %20)",
        ) from exc
    try:
        conn = psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as exc:
        raise DatabaseError(
            f"cannot connect to {redact(url)}: {_first_line(str(exc))}",
            hint="check the URL, that the server runs, and that it accepts this user",
        ) from exc
    with conn:
        return from_database(conn)


def _first_line(text: str) -> str:
    return redact(text.strip().splitlines()[0] if text.strip() else text)


Origins = dict[str, tuple[Location, str]]


def _creator(origins: Origins, path: str) -> str | None:
    hit = _lookup(origins, path)
    return hit[1] if hit else None


def _locate(origins: Origins, path: str) -> Location | None:
    hit = _lookup(origins, path)
    return hit[0] if hit else None


def _lookup(origins: Origins, path: str) -> tuple[Location, str] | None:
    path = path.split("(", 1)[0]
    while path:
        if path in origins:
            return origins[path]
        if "." not in path:
            return None
        path = path.rsplit(".", 1)[0]
    return None


def _inline_ignores(config: Config) -> list[InlineIgnore]:
    items = []
    for service in config.services.values():
        migrations = discover(service, config.path)
        if migrations is None:
            continue
        for file in migrations.files:
            if "schemakit:" not in file.text:
                continue
            for statement in file.statements:
                for code in sorted(statement.suppressed):
                    comment_line = _comment_line(
                        file.text, statement.line, statement.end_line, code
                    )
                    items.append(
                        InlineIgnore(
                            file.path, statement.line, statement.end_line, code, comment_line
                        )
                    )
    return items


def _comment_line(text: str, first: int, last: int, code: str) -> int:
    lines = text.splitlines()
    for number in range(last, 0, -1):
        if number <= len(lines) and "schemakit:" in lines[number - 1] and code in lines[number - 1]:
            return number
    return first


def _replay(
    config: Config, say: Progress, shared: Cluster | None
) -> Iterator[tuple[str, Catalog, Origins]]:
    """Apply each database's migrations to a fresh throwaway database; yield its catalog."""
    plan: list[tuple[str, list[MigrationSet]]] = []
    total = 0
    for database in config.databases:
        sets = []
        for service in config.services_in(database):
            found = discover(service, config.path)
            if found is not None:
                sets.append(found)
                total += len(found.files)
        plan.append((database, sets))
    # Parse everything before starting a server: a syntax error costs nothing to report.
    for _, sets in plan:
        for migration_set in sets:
            for file in migration_set.files:
                _ = file.statements
    say(
        f"replaying {total} migration files of {len(config.services)} services into a throwaway PostgreSQL"
    )
    with contextlib.ExitStack() as stack:
        cluster = shared if shared is not None else stack.enter_context(Cluster())
        for database, sets in plan:
            # A shared cluster may already hold a database of that name: use a unique one.
            actual = database if shared is None else f"lint_{next(_unique)}_{database}"
            cluster.create_database(actual)
            if shared is not None:
                stack.callback(cluster.drop_database, actual)
            _create_roles(cluster, config)
            origins: Origins = {}
            for migration_set in sets:
                _apply(cluster.dsn(actual), migration_set, origins)
            with cluster.connect(actual) as conn:
                catalog = from_database(conn)
            yield database, catalog, origins


def _create_roles(cluster: Cluster, config: Config) -> None:
    """Create the services' configured roles, so migrations may GRANT to them or be owned by them."""
    from psycopg import sql

    roles = sorted({s.role for s in config.services.values() if s.role})
    with cluster.connect() as conn:
        for role in roles:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))


def _apply(dsn: str, migrations: MigrationSet, origins: Origins) -> None:
    # One connection per service, statement by statement in autocommit: a throwaway database
    # needs no atomicity, and CREATE INDEX CONCURRENTLY runs as written.
    with contextlib.closing(psycopg.connect(dsn, autocommit=True)) as conn:
        for file in migrations.files:
            for statement in file.statements:
                try:
                    conn.execute(statement.text.encode(), prepare=False)
                except psycopg.Error as exc:
                    raise MigrationError(
                        f"migration of service {migrations.service} failed: {_server_message(exc)}",
                        path=file.path,
                        line=statement.line,
                        statement=statement.text,
                        hint="fix the migration; nothing after it was applied",
                    ) from exc
        statements = [s for f in migrations.files for s in f.statements]
        for created in created_objects(statements):
            location = Location(
                created.statement.path or migrations.folder,
                created.statement.line,
                created.statement.column,
            )
            origins.setdefault(created.path, (location, migrations.service))


def _server_message(exc: psycopg.Error) -> str:
    diag: Any = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    sqlstate = getattr(exc, "sqlstate", None)
    text = primary or _first_line(str(exc))
    return f"{text} (SQLSTATE {sqlstate})" if sqlstate else text
