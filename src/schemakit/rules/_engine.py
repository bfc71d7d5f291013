"""Run selected rules over catalogs and apply suppressions (inline and per object)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from schemakit.config import Config
from schemakit.rules._base import (
    CatalogContext,
    CatalogRule,
    Finding,
    Location,
    Rule,
    Severity,
)
from schemakit.rules._registry import matches, meta_rule

__all__ = [
    "InlineIgnore",
    "Outcome",
    "apply_overrides",
    "apply_suppressions",
    "run_catalog_rules",
]


@dataclass(frozen=True, slots=True)
class InlineIgnore:
    """``-- schemakit: ignore[CODE]`` attached to the statement spanning first..last line."""

    path: Path
    first_line: int
    last_line: int
    code: str
    comment_line: int


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)


def run_catalog_rules(
    rules: Iterable[type[Rule]],
    ctx: CatalogContext,
    locate: Callable[[str], Location | None] = lambda path: None,
) -> list[Finding]:
    """Findings of every catalog rule over ``ctx``; each gets a location from ``locate``
    (the line that created its object) when the rule did not set one, and ``ctx``'s
    database."""
    found: list[Finding] = []
    for rule_class in rules:
        if not issubclass(rule_class, CatalogRule):
            continue
        if rule_class.needs_registry and not ctx.has_registry:
            continue
        for finding in rule_class().check(ctx):
            if finding.location is None and finding.object:
                finding = finding.at(locate(finding.object))
            if finding.database is None:
                finding = replace(finding, database=ctx.database)
            found.append(finding)
    return found


def apply_suppressions(
    findings: Sequence[Finding],
    *,
    enabled: Sequence[type[Rule]],
    inline: Sequence[InlineIgnore] = (),
    per_object: Mapping[str, tuple[str, ...]] | None = None,
    config_location: Callable[[str], Location | None] = lambda text: None,
) -> Outcome:
    """Drop suppressed findings; report suppressions that matched nothing (SUP001)."""
    per_object = per_object or {}
    used_inline: set[InlineIgnore] = set()
    used_objects: set[tuple[str, str]] = set()
    by_path: dict[Path, list[InlineIgnore]] = {}
    for item in inline:
        by_path.setdefault(item.path, []).append(item)
    outcome = Outcome()
    for finding in findings:
        hit = False
        loc = finding.location
        if loc is not None:
            for item in by_path.get(loc.path, ()):
                if item.first_line <= loc.line <= item.last_line and matches(
                    finding.code, item.code
                ):
                    used_inline.add(item)
                    hit = True
        if finding.object:
            # A function's path carries its signature; a pattern may leave it out.
            names = {finding.object, finding.object.split("(", 1)[0]}
            for pattern, codes in per_object.items():
                if any(fnmatch.fnmatchcase(name, pattern) for name in names):
                    for code in codes:
                        if matches(finding.code, code):
                            used_objects.add((pattern, code))
                            hit = True
        (outcome.suppressed if hit else outcome.findings).append(finding)

    unused = meta_rule("unused-suppression")
    if unused not in enabled:
        return outcome
    enabled_codes = [rule.code for rule in enabled]
    report = unused()

    def could_fire(code: str) -> bool:
        return any(matches(c, code) for c in enabled_codes if c != unused.code)

    for item in inline:
        if item not in used_inline and could_fire(item.code):
            outcome.findings.append(
                report.finding(
                    f"Suppression of {item.code} matches no finding",
                    "Remove the ignore comment.",
                    location=Location(item.path, item.comment_line),
                )
            )
    for pattern, codes in per_object.items():
        for code in codes:
            if (pattern, code) not in used_objects and could_fire(code):
                outcome.findings.append(
                    report.finding(
                        f"per-object-ignores entry {pattern!r} = {code} matches no finding",
                        "Remove the entry from the config.",
                        object=pattern,
                        location=config_location(pattern),
                    )
                )
    return outcome


def service_of(finding: Finding, config: Config) -> str | None:
    """The service a finding is about: its own, its object's schema's, or its file's."""
    if finding.service:
        return finding.service
    if finding.object and finding.database:
        owners = config.schema_owners(finding.database).get(finding.object.split(".", 1)[0])
        if owners:
            return owners[0]
    if finding.location is not None:
        service = config.service_at(finding.location.path)
        return service.name if service is not None else None
    return None


def apply_overrides(findings: list[Finding], config: Config) -> tuple[list[Finding], int]:
    """Per-file and per-service ignores and severity overrides from ``[lint]``.

    Per-file globs match the finding's path relative to the config's folder (``*`` crosses
    ``/``); a per-service entry covers findings about the service's schemas, objects or files.
    """
    settings = config.lint
    if not (settings.per_file_ignores or settings.per_service_ignores or settings.severity):
        return findings, 0
    import fnmatch

    kept: list[Finding] = []
    dropped = 0
    for finding in findings:
        codes: list[str] = []
        if finding.location is not None and settings.per_file_ignores:
            try:
                where = finding.location.path.resolve().relative_to(config.root).as_posix()
            except ValueError:
                where = finding.location.path.as_posix()
            for pattern, selected in settings.per_file_ignores.items():
                if fnmatch.fnmatch(where, pattern):
                    codes += selected
        service = service_of(finding, config) if settings.per_service_ignores else None
        if service is not None:
            codes += settings.per_service_ignores.get(service, ())
        if any(matches(finding.code, code) for code in codes):
            dropped += 1
            continue
        level = _severity_for(finding.code, settings.severity)
        if level is not None and level != finding.severity.value:
            finding = replace(finding, severity=Severity(level))
        kept.append(finding)
    return kept, dropped


def _severity_for(code: str, overrides: Mapping[str, str]) -> str | None:
    """The most specific override for ``code`` (ISO001 beats ISO beats ALL)."""
    best: tuple[int, str] | None = None
    for selector, level in overrides.items():
        if matches(code, selector):
            rank = len(selector) if selector != "ALL" else 0
            if best is None or rank > best[0]:
                best = (rank, level)
    return best[1] if best else None
