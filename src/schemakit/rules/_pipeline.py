"""The one rule pipeline: which rules run, over what, and what is left after the config and
every suppression.

Every way of checking goes through :func:`check` (``schemakit lint`` on a project, on files or
standard input, and the gate ``schemakit migrate`` runs before applying), so a rule ignored in
``[lint]``, a per-file or per-service ignore, a severity override and an inline
``-- schemakit: ignore[CODE]`` act the same everywhere. The callers only say what to look at:
catalogs (:class:`CatalogRun`), migrations in order (:class:`StatementRun`), and the SQL texts
whose syntax errors and inline ignores count (:class:`SourceText`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from schemakit.config import Config
from schemakit.errors import ConfigError, SchemakitError
from schemakit.rules._base import CatalogContext, Finding, Location, Rule
from schemakit.rules._engine import (
    InlineIgnore,
    apply_overrides,
    apply_suppressions,
    run_catalog_rules,
    service_of,
)
from schemakit.rules._registry import TABLE, RuleEntry, matches, meta_rule, select_rules
from schemakit.rules._statements import MigrationStep, run_sql_rules
from schemakit.sql import (
    ColumnType,
    SqlSyntaxError,
    Statement,
    attached_span,
    read_suppressions,
)

__all__ = [
    "CatalogRun",
    "Checked",
    "Selection",
    "SourceText",
    "StatementRun",
    "check",
    "check_option_selectors",
    "choose_rules",
]

_SELECTOR_HINT = "see 'schemakit rules' for the codes"


@dataclass(frozen=True)
class Selection:
    """The command line's ``--select``, ``--ignore`` and ``--extend-select``."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()


def _matches_a_rule(selector: str) -> bool:
    return any(matches(entry.code, selector) for entry in TABLE)


def check_option_selectors(selectors: Iterable[str]) -> None:
    """Every selector given to ``--select``, ``--ignore`` or ``--extend-select`` names at
    least one rule."""
    for selector in selectors:
        if not _matches_a_rule(selector):
            raise SchemakitError(
                f"rule selector {selector!r} (from --select, --ignore or --extend-select) "
                "matches no rule",
                hint=_SELECTOR_HINT,
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


def _check_config_selectors(config: Config) -> None:
    """Every selector of ``[lint]`` names at least one rule, and every service a per-service
    ignore names exists: a misspelt one would silently ignore nothing."""
    for selector, key in _config_selectors(config):
        if not _matches_a_rule(selector):
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


def choose_rules(
    config: Config,
    selection: Selection | None = None,
    keep: Callable[[RuleEntry], bool] | None = None,
) -> tuple[type[Rule], ...]:
    """The rules the config's ``[lint]`` and the command line select; an unknown code or
    prefix in either is an error naming where it was written. ``keep``: only the rules the
    caller can run (by :class:`RuleEntry`: kind, family), so no other rule's module loads."""
    selection = selection or Selection()
    settings = config.lint
    check_option_selectors((*(selection.select or ()), *selection.ignore, *selection.extend_select))
    _check_config_selectors(config)
    return select_rules(
        selection.select if selection.select is not None else settings.select,
        (*settings.ignore, *selection.ignore),
        (*settings.extend_select, *selection.extend_select),
        keep,
    )


@dataclass(frozen=True)
class CatalogRun:
    """The catalog rules over one catalog."""

    ctx: CatalogContext
    locate: Callable[[str], Location | None] = lambda path: None
    """The line that declared or created the object at a path."""
    only: Callable[[type[Rule]], bool] = lambda rule: True
    """Which of the chosen rules apply to this catalog (models describe tables, not a whole
    database, so the rules about a whole database do not run over them)."""
    keep: Callable[[Finding], bool] = lambda finding: True
    """Drop what this catalog cannot judge (a replay cut short has not made what later files
    would)."""
    relocate: Callable[[Finding], Finding] = lambda finding: finding
    """Move a finding to a better line than its object's (a grant's: the GRANT statement)."""
    declared: str | None = None
    """Set for a catalog of declarations (``models``, ``sources``): their findings win over
    the same code on the same object from what was found before them (a database, then
    models), since the declaration is the file to edit."""


@dataclass(frozen=True)
class StatementRun:
    """The statement rules over one service's migrations, in the order they apply."""

    steps: Sequence[MigrationStep]
    in_transaction: bool = False
    """Every file runs inside one transaction block (drizzle-orm's migrator)."""
    runner_sets_lock_timeout: bool = False
    exempt: bool = False
    database: str | None = None
    known_types: Mapping[str, Mapping[str, ColumnType]] | None = None
    """Column types before ``steps`` where the steps do not say (:func:`known_types_of` the
    target database's catalog): MIG006 judges a type change by the real old type."""


@dataclass(frozen=True)
class SourceText:
    """A SQL file as read: its syntax errors are SYN001 and its inline ignores count."""

    path: Path
    text: str
    statements: Sequence[Statement]
    errors: Sequence[SqlSyntaxError] = ()
    service: str | None = None
    syntax_hint: str = "Fix the SQL: the migration would fail at this statement."


@dataclass
class Checked:
    """What is left to report, and how many findings the config or a comment suppressed."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    rules: tuple[type[Rule], ...] = ()


def statement_findings(
    config: Config, rules: Sequence[type[Rule]], sequence: StatementRun
) -> list[Finding]:
    """What the statement rules find in one sequence of migration steps."""
    return [
        replace(f, database=sequence.database) if sequence.database else f
        for f in run_sql_rules(
            rules,
            sequence.steps,
            in_transaction=sequence.in_transaction,
            runner_sets_lock_timeout=sequence.runner_sets_lock_timeout,
            exempt=sequence.exempt,
            drop_wait_days=config.lint.drop_wait_days,
            known_types=sequence.known_types,
        )
    ]


def check(
    config: Config,
    rules: Sequence[type[Rule]],
    *,
    catalogs: Iterable[CatalogRun] = (),
    statements: Iterable[StatementRun] = (),
    texts: Sequence[SourceText] = (),
    given: Iterable[Finding] = (),
    standalone: bool = False,
    solved: Sequence[list[Finding]] | None = None,
) -> Checked:
    """Run ``rules`` over what is given, then apply ``[lint]`` (per-file, per-service and
    per-object ignores, severities) and the texts' inline ignores, and report unused
    (SUP001) and invalid (SUP002) suppressions when those rules are chosen.

    ``given``: findings the caller made from what it read (a migration the replay's server
    refused), kept when their rule is chosen.
    ``standalone``: the input belongs to no service (loose files), so no finding names one.
    ``solved``: :func:`statement_findings` of each of ``statements``, when the caller has
    worked them out already (on another thread, while a replay ran).
    """
    enabled = {rule.code for rule in rules}
    found = [f for f in given if f.code in enabled]
    declared: dict[str, list[Finding]] = {}
    for run in catalogs:
        chosen = [rule for rule in rules if run.only(rule)]
        got = [
            run.relocate(f) for f in run_catalog_rules(chosen, run.ctx, run.locate) if run.keep(f)
        ]
        if run.declared:
            declared.setdefault(run.declared, []).extend(got)
        else:
            found += got
    for index, sequence in enumerate(statements):
        found += (
            solved[index] if solved is not None else statement_findings(config, rules, sequence)
        )
    found += (f for text in texts for f in _syntax_findings(text) if f.code in enabled)
    inline, invalid = _inline_ignores(texts)
    found += (f for f in invalid if f.code in enabled)
    for group in declared.values():
        seen = {(f.code, f.object) for f in group if f.object}
        found = [f for f in found if (f.code, f.object) not in seen] + group
    if config.lint.library_tables:
        found = [f for f in found if not _library_owned(f, config.lint.library_tables)]
    if standalone:
        found = [f if f.service is None else _without_service(f) for f in found]
    else:
        # every finding names its service: the one whose schema holds the object, or whose
        # migrations or sources hold the file
        found = [f if f.service else replace(f, service=service_of(f, config)) for f in found]
    found, overridden = apply_overrides(found, config)
    outcome = apply_suppressions(
        found,
        enabled=rules,
        inline=inline,
        per_object=config.lint.per_object_ignores,
        config_location=lambda text: _config_location(config, text),
    )
    return Checked(
        sorted(outcome.findings, key=lambda f: f.sort_key),
        len(outcome.suppressed) + overridden,
        tuple(rules),
    )


def _without_service(finding: Finding) -> Finding:
    """``replace(finding, service=None)``, five times as fast (a lint of a folder of loose
    files asks it of every finding): the fields copied as they are, but one."""
    copy = object.__new__(Finding)
    copy.__dict__.update(finding.__dict__, service=None)
    return copy


LIBRARY_FAMILIES = ("NAM", "TYP", "COL")
"""What a library's tables are spared: their names, types and columns are the library's."""


def _library_owned(finding: Finding, globs: Sequence[str]) -> bool:
    if finding.object is None or finding.code[:3] not in LIBRARY_FAMILIES:
        return False
    table = ".".join(finding.object.split("(", 1)[0].split(".")[:2])
    return any(fnmatch.fnmatchcase(table, glob) for glob in globs)


def _config_location(config: Config, text: str) -> Location | None:
    if config.path is None:
        return None
    return Location(config.path, config.line_of(text) or 1)


def _syntax_findings(text: SourceText) -> Iterator[Finding]:
    """SYN001 for each statement of the text the parser rejects, at its line and column."""
    rule = meta_rule("syntax")()
    for error in text.errors:
        yield rule.finding(
            error.reason[:1].upper() + error.reason[1:],
            text.syntax_hint,
            location=Location(text.path, error.line or 1, error.column),
            service=text.service,
        )


def _inline_ignores(texts: Iterable[SourceText]) -> tuple[list[InlineIgnore], list[Finding]]:
    """The texts' inline ignores, attached to their statements, and SUP002 for invalid ones.

    An ignore after the last statement attaches to nothing; it is kept with an empty span so
    it is reported as unused (SUP001) rather than silently dropped.
    """
    items: list[InlineIgnore] = []
    invalid: list[Finding] = []
    report = meta_rule("invalid-suppression")()
    for text in texts:
        if "schemakit:" not in text.text:
            continue
        statements = list(text.statements)
        for suppression in read_suppressions(text.text, text.path):
            where = Location(text.path, suppression.line)
            bad = list(suppression.invalid)
            bad += [c for c in suppression.codes if not _matches_a_rule(c)]
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
                    items.append(InlineIgnore(text.path, first, last, code, suppression.line))
    return items, invalid
