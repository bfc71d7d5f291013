"""The Reporter protocol and the registry of output formats the CLI offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from schemakit.report._github import render_github
from schemakit.report._json import paths_relative_to, render_json
from schemakit.report._sarif import render_sarif
from schemakit.report._text import render_text
from schemakit.rules import Finding, Rule

__all__ = [
    "REPORTERS",
    "GithubReporter",
    "JsonReporter",
    "LintReport",
    "Reporter",
    "SarifReporter",
    "TextReporter",
    "rules_table",
]


@dataclass(frozen=True)
class LintReport:
    """Everything a reporter may show about one lint run."""

    findings: Sequence[Finding]
    rules: Sequence[type[Rule]]
    version: str = ""
    """schemakit's version (default: the installed one, read only by the formats that print
    it: importlib.metadata costs 20 ms of a lint run's start-up)."""
    databases: Sequence[str] = ()
    sources: Sequence[str] = field(default_factory=tuple)
    suppressed: int = 0
    mode: str = ""
    """How the findings were made: ``replay``, ``live``, ``sql`` or ``sql-replay``."""
    root: Path | None = None
    """The project's folder: report paths are relative to it (default: the working
    directory)."""


def _version() -> str:
    import schemakit

    return str(schemakit.__version__)


class Reporter(Protocol):
    """Writes a :class:`LintReport` to a stream; ``color`` None means 'if it is a terminal'."""

    def write(self, report: LintReport, stream: IO[str], *, color: bool | None = None) -> None: ...


class TextReporter:
    def write(self, report: LintReport, stream: IO[str], *, color: bool | None = None) -> None:
        with paths_relative_to(report.root):
            render_text(
                report.findings,
                stream=stream,
                suppressed=report.suppressed,
                # SQL files linted without a database: say how many were read instead
                databases=report.databases
                or (
                    [f"{len(report.sources)} SQL file{'s' if len(report.sources) != 1 else ''}"]
                    if report.sources
                    else []
                ),
                color=color,
                mode=report.mode,
            )


class JsonReporter:
    def write(self, report: LintReport, stream: IO[str], *, color: bool | None = None) -> None:
        with paths_relative_to(report.root):
            stream.write(
                render_json(
                    report.findings,
                    version=report.version or _version(),
                    rules=report.rules,
                    databases=report.databases,
                    sources=report.sources,
                    suppressed=report.suppressed,
                    mode=report.mode,
                )
            )


class SarifReporter:
    def write(self, report: LintReport, stream: IO[str], *, color: bool | None = None) -> None:
        with paths_relative_to(report.root):
            stream.write(
                render_sarif(
                    report.findings, version=report.version or _version(), rules=report.rules
                )
            )


class GithubReporter:
    def write(self, report: LintReport, stream: IO[str], *, color: bool | None = None) -> None:
        with paths_relative_to(report.root):
            stream.write(render_github(report.findings))


REPORTERS: dict[str, Reporter] = {
    "text": TextReporter(),
    "json": JsonReporter(),
    "sarif": SarifReporter(),
    "github": GithubReporter(),
}


def rules_table(rules: Sequence[type[Rule]]) -> list[dict[str, str]]:
    """One row per rule, as ``schemakit rules --format json`` prints it."""
    return [
        {
            "code": r.code,
            "name": r.name,
            "severity": r.severity.value,
            "status": r.status,
            "summary": r.summary(),
        }
        for r in rules
    ]
