"""What both ways of linting share: options, the result, config overrides, inline ignores."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schemakit.config import Config
from schemakit.errors import ConfigError, SchemakitError
from schemakit.migrate._sources import MigrationFile
from schemakit.rules import (
    RULES,
    Finding,
    InlineIgnore,
    Location,
    Rule,
    apply_overrides,
    apply_suppressions,
    matches,
    select_rules,
)
from schemakit.rules.invalid_suppression import InvalidSuppression
from schemakit.rules.syntax_error import SyntaxError_
from schemakit.sql import attached_span, read_suppressions

__all__ = [
    "SHAPE_FAMILIES",
    "TYPESCRIPT_SUFFIXES",
    "LintOptions",
    "LintResult",
    "Progress",
    "apply_overrides",
    "check_option_selectors",
    "check_selectors",
    "chosen_rules",
    "conclude",
    "config_location",
    "file_ignores",
    "is_drizzle_source",
    "replayable",
    "syntax_findings",
]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LintOptions:
    database_url: str | None = None
    database: str | None = None
    """Which configured database ``database_url`` is (default: matched by name)."""
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    models: str | None = None
    """``package.module:Base`` to lint as the models of the service owning its schema."""


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    rules: tuple[type[Rule], ...] = ()
    databases: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """What was read: redacted URLs, or migration folders."""
    config_path: Path | None = None


_SELECTOR_HINT = "see 'schemakit rules' for the codes"


def _matches_a_rule(selector: str) -> bool:
    return any(matches(rule.code, selector) for rule in RULES)


def check_option_selectors(selectors: Iterable[str]) -> None:
    """Every selector given to ``--select``, ``--ignore`` or ``--extend-select`` (or their
    :class:`LintOptions` fields) names at least one rule."""
    for selector in selectors:
        if not _matches_a_rule(selector):
            raise SchemakitError(
                f"rule selector {selector!r} (from --select, --ignore or --extend-select) "
                "matches no rule",
                hint=_SELECTOR_HINT,
            )


def check_selectors(selectors: Iterable[tuple[str, str | None]], config: Config) -> None:
    """Every ``(selector, config key)`` names at least one rule (key None: a command-line
    option), and every service a per-service ignore names exists."""
    for selector, key in selectors:
        if key is None:
            check_option_selectors([selector])
        elif not _matches_a_rule(selector):
            raise ConfigError(
                f"rule selector {selector!r} matches no rule",
                path=config.path,
                key=key,
                hint=_SELECTOR_HINT,
            )
    for service in config.lint.per_service_ignores:
        if service not in config.services:
            raise ConfigError(
                f"no service {service!r} is configured",
                path=config.path,
                key=f"lint.per-service-ignores.{service}",
                hint="services: " + ", ".join(sorted(config.services)),
            )


def _config_selectors(config: Config) -> Iterator[tuple[str, str]]:
    """Every rule selector of the config's ``[lint]`` table, with its key."""
    settings = config.lint
    for key, selectors in (
        ("lint.select", settings.select),
        ("lint.ignore", settings.ignore),
        ("lint.extend-select", settings.extend_select),
    ):
        yield from ((s, key) for s in selectors)
    for table, mapping in (
        ("lint.per-file-ignores", settings.per_file_ignores),
        ("lint.per-service-ignores", settings.per_service_ignores),
        ("lint.per-object-ignores", settings.per_object_ignores),
    ):
        for name, selectors in mapping.items():
            yield from ((s, f"{table}.{name}") for s in selectors)
    yield from ((code, f"lint.severity.{code}") for code in settings.severity)


def config_location(config: Config, text: str) -> Location | None:
    if config.path is None:
        return None
    return Location(config.path, config.line_of(text) or 1)


def file_ignores(file: MigrationFile, known: set[str]) -> tuple[list[InlineIgnore], list[Finding]]:
    """One file's inline ignores, attached to their statements, and SUP002 for invalid ones.

    An ignore after the last statement attaches to nothing; it is kept with an empty span so
    it is reported as unused (SUP001) rather than silently dropped.
    """
    items: list[InlineIgnore] = []
    invalid: list[Finding] = []
    if "schemakit:" not in file.text:
        return items, invalid
    report = InvalidSuppression()
    statements = file.scanned[0]
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
        first, last = attached_span(statements, suppression.line)
        for code in suppression.codes:
            if code not in bad:
                items.append(InlineIgnore(file.path, first, last, code, suppression.line))
    return items, invalid


TYPESCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
"""What a TypeScript file's name ends in (a Drizzle source, never SQL)."""


def is_drizzle_source(path: Path) -> bool:
    """A TypeScript file the Drizzle reader reads: not a declaration file (``.d.ts``)."""
    return path.name.endswith(TYPESCRIPT_SUFFIXES) and ".d." not in path.name


SHAPE_FAMILIES = ("NAM", "TYP", "COL", "IDX")
"""Rule families that judge a table's shape: they run over models, Drizzle sources and
replayed SQL files alike. The ISO rules judge a whole database (which schemas exist and
who claims them, what else lives there), which those do not describe."""


def replayable(files: Sequence[MigrationFile]) -> tuple[MigrationFile, ...]:
    """The files before the first one with a syntax error: a replay past it would fail on
    whatever the broken statement made."""
    broken = next((i for i, f in enumerate(files) if f.scanned[1]), len(files))
    return tuple(files[:broken])


def syntax_findings(file: MigrationFile, service: str | None, hint: str) -> list[Finding]:
    """SYN001 for each statement of ``file`` the parser rejects, at its line and column."""
    rule = SyntaxError_()
    return [
        rule.finding(
            error.reason[:1].upper() + error.reason[1:],
            hint,
            location=Location(file.path, error.line or 1, error.column),
            service=service,
        )
        for error in file.scanned[1]
    ]


def chosen_rules(config: Config, options: LintOptions) -> tuple[type[Rule], ...]:
    """The rules the config's ``[lint]`` and the options select; an unknown code or prefix in
    either is an error naming it."""
    settings = config.lint
    given = (*(options.select or ()), *options.ignore, *options.extend_select)
    check_selectors([*((s, None) for s in given), *_config_selectors(config)], config)
    return select_rules(
        options.select if options.select is not None else settings.select,
        (*settings.ignore, *options.ignore),
        (*settings.extend_select, *options.extend_select),
    )


def conclude(
    result: LintResult, findings: list[Finding], inline: list[InlineIgnore], config: Config
) -> LintResult:
    """Apply the config's overrides and every suppression, and sort what is left into
    ``result``."""
    findings, overridden = apply_overrides(findings, config)
    outcome = apply_suppressions(
        findings,
        enabled=result.rules,
        inline=inline,
        per_object=config.lint.per_object_ignores,
        config_location=lambda text: config_location(config, text),
    )
    result.findings = sorted(outcome.findings, key=lambda f: f.sort_key)
    result.suppressed = len(outcome.suppressed) + overridden
    return result
