"""What every way of linting shares: options, the result, and the files as the rule pipeline
reads them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from schemakit.migrate._sources import MigrationFile
from schemakit.report import LintReport
from schemakit.rules import Selection, SourceText

__all__ = [
    "SHAPE_FAMILIES",
    "TYPESCRIPT_SUFFIXES",
    "LintOptions",
    "LintResult",
    "Progress",
    "is_drizzle_source",
    "replayable",
    "source_texts",
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
    cache: bool = False
    """Keep each replay's result in the user's cache folder and reuse it while nothing it
    depends on changes (the CLI's default; ``--no-cache`` turns it off)."""

    @property
    def selection(self) -> Selection:
        return Selection(self.select, self.ignore, self.extend_select)


LintResult = LintReport
"""What a lint run returns: the report itself (findings, rules, databases, sources,
suppressed), so nothing is copied between the linting and the reporters."""


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


def source_texts(
    files: Iterable[MigrationFile], service: str | None = None, hint: str | None = None
) -> list[SourceText]:
    """SQL migration files as the rule pipeline reads them: syntax errors and inline ignores."""
    texts = []
    for file in files:
        statements, errors = file.scanned
        text = SourceText(file.path, file.text, statements, errors, service)
        texts.append(replace(text, syntax_hint=hint) if hint else text)
    return texts
