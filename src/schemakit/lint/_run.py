"""``schemakit lint``: audit a live database, or replay migrations into a throwaway one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from schemakit.catalog import Catalog, from_database
from schemakit.config import Config, load_config
from schemakit.errors import DatabaseError, SchemakitError, redact
from schemakit.lint._replay import replay
from schemakit.migrate import database_for_url, discover
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
from schemakit.rules.invalid_suppression import InvalidSuppression
from schemakit.sql import Statement, read_suppressions
from schemakit.testing import Cluster

__all__ = ["LintOptions", "LintResult", "lint"]

Progress = Callable[[str], None]


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
        database = database_for_url(config, options.database_url, options.database)
        say(f"reading the catalog of {redact(options.database_url)}")
        catalog = read_live(options.database_url)
        ctx = CatalogContext(catalog, config, database, has_registry=bool(config.services))
        findings += run_catalog_rules(rules, ctx)
        result.databases.append(database)
        result.sources.append(redact(options.database_url))
    else:
        for database, catalog, origins in replay(config, say, cluster):
            ctx = CatalogContext(catalog, config, database, creator=origins.creator)
            findings += run_catalog_rules(rules, ctx, origins.locate)
            result.databases.append(database)
        for service in config.services.values():
            if service.migrations is not None:
                result.sources.append(str(service.migrations))
        inline, invalid = _inline_ignores(config, {rule.code for rule in RULES})
        if InvalidSuppression in rules:
            findings += invalid
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


def read_live(url: str) -> Catalog:
    """The Catalog of the database at ``url`` (errors name the redacted URL)."""
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


def _inline_ignores(config: Config, known: set[str]) -> tuple[list[InlineIgnore], list[Finding]]:
    """Inline ignores attached to their statements, and SUP002 findings for invalid ones.

    An ignore after the last statement attaches to nothing; it is kept with an empty span so
    it is reported as unused (SUP001) rather than silently dropped.
    """
    items: list[InlineIgnore] = []
    invalid: list[Finding] = []
    report = InvalidSuppression()
    for service in config.services.values():
        migrations = discover(service, config.path)
        if migrations is None or not migrations.is_sql:
            continue
        for file in migrations.files:
            if "schemakit:" not in file.text:
                continue
            statements = file.statements
            for suppression in read_suppressions(file.text, file.path):
                where = Location(file.path, suppression.line)
                bad = list(suppression.invalid)
                bad += [c for c in suppression.codes if not any(matches(k, c) for k in known)]
                for entry in bad:
                    invalid.append(
                        report.finding(
                            f"Suppression {entry!r} is not a rule code or prefix"
                            if entry
                            else "Suppression names no rule code",
                            "Write it as -- schemakit: ignore[ISO001] (see 'schemakit rules').",
                            location=where,
                        )
                    )
                span = _attached_span(statements, suppression.line)
                for code in suppression.codes:
                    if code in bad:
                        continue
                    first, last = span
                    items.append(InlineIgnore(file.path, first, last, code, suppression.line))
    return items, invalid


def _attached_span(statements: list[Statement], line: int) -> tuple[int, int]:
    """The statement a comment on ``line`` belongs to: the one spanning it, else the next."""
    previous_end = 0
    for statement in statements:
        if previous_end < line <= statement.end_line:
            return statement.line, statement.end_line
        previous_end = statement.end_line
    return 0, -1
