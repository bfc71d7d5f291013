"""What a rule is, what it finds, and what it sees."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from schemakit.config import Config
from schemakit.conventions import TEXT_ID_COLUMNS, quote_ident

if TYPE_CHECKING:  # the statement rules (lint --sql) never load the catalog's model
    from schemakit.catalog import Catalog

__all__ = [
    "DOC_SECTIONS",
    "CatalogContext",
    "CatalogRule",
    "Finding",
    "Fix",
    "Location",
    "Rule",
    "Severity",
    "enclosing_paths",
    "quote_ident",
]

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Guideline")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    path: Path
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Fix:
    """A proposed fix: SQL, and whether a person must review it before it runs."""

    sql: str
    review: str | None = None
    """Why it needs review (a rewrite, a lock, a data conversion); None when it is safe."""


def enclosing_paths(path: str) -> Iterator[str]:
    """``path`` without a function signature, then each enclosing object's path:
    ``auth.users.user_id`` -> ``auth.users.user_id``, ``auth.users``, ``auth``."""
    path = path.split("(", 1)[0]
    while path:
        yield path
        if "." not in path:
            return
        path = path.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Finding:
    """One problem: data, not an exception."""

    code: str
    name: str
    message: str
    help: str
    severity: Severity
    object: str | None = None
    """Dotted object path, e.g. ``auth.users.user_id``."""
    database: str | None = None
    location: Location | None = None
    service: str | None = None
    fix: Fix | None = None
    """SQL that fixes it, for ``lint --fix-sql`` (never applied by schemakit)."""
    kind: str = "object"
    """The kind of database object ``object`` is (see :attr:`Rule.object_kind`)."""

    def at(self, location: Location | None) -> Finding:
        return replace(self, location=location) if location else self

    @property
    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        loc = self.location
        return (
            str(loc.path) if loc else "~",
            loc.line if loc else 0,
            loc.column if loc else 0,
            self.database or "",
            self.object or "",
            self.code,
        )


class Rule:
    """Base of every rule. The docstring is the rule's documentation (see DOC_SECTIONS)."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    status: ClassVar[str] = "stable"
    needs_registry: ClassVar[bool] = False
    """True when the rule compares against the services registry (skipped without config)."""
    object_kind: ClassVar[str] = "object"
    """The kind of database object its findings name (``table``, ``column``, ...; SARIF's
    logical location); a rule whose objects vary passes ``kind=`` with each finding."""
    meta: ClassVar[str | None] = None
    """Set on the rules about the linting itself, not the schema (``syntax``,
    ``unused-suppression``, ``invalid-suppression``): the pipeline reports them wherever SQL
    text is read."""

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        sections: dict[str, str] = {}
        current: str | None = None
        for line in cls.doc().splitlines():
            heading = re.match(r"^##\s+(.*\S)\s*$", line)
            if heading:
                current = heading.group(1)
                sections[current] = ""
            elif current is not None:
                sections[current] += line + "\n"
        return {k: v.strip() for k, v in sections.items()}

    @classmethod
    def family(cls) -> str:
        return cls.code[:3]

    def finding(
        self,
        message: str,
        help: str,
        *,
        object: str | None = None,
        location: Location | None = None,
        database: str | None = None,
        service: str | None = None,
        fix: Fix | None = None,
        kind: str | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            message=message,
            help=help,
            severity=self.severity,
            object=object,
            database=database,
            location=location,
            service=service,
            fix=fix,
            kind=kind or self.object_kind,
        )


@dataclass
class CatalogContext:
    """What a catalog rule sees: one database's catalog and the config that describes it."""

    catalog: Catalog
    config: Config
    database: str
    has_registry: bool = True
    creator: Callable[[str], str | None] = field(default=lambda path: None)
    """Which service's migration created the object at ``path`` (embedded mode), if known."""

    @property
    def exempt(self) -> bool:
        return self.config.is_exempt(self.database)

    @property
    def text_id_columns(self) -> frozenset[str]:
        """Columns holding Better Auth ids: the config's ``text-id-columns``, else the
        conventions' (TYP001, IDX003, SEC003)."""
        configured = self.config.lint.text_id_columns
        return frozenset(TEXT_ID_COLUMNS if configured is None else configured)

    @property
    def owners(self) -> dict[str, tuple[str, ...]]:
        return self.config.schema_owners(self.database)

    def is_ignored_schema(self, schema: str) -> bool:
        return schema in self.config.tool_schemas

    def owner_of(self, schema: str) -> str | None:
        owners = self.owners.get(schema)
        return owners[0] if owners else None

    def service_of(self, path: str, role: str | None) -> str | None:
        """The service an object belongs to: its creating migration, else its owner role."""
        created_by = self.creator(path)
        if created_by:
            return created_by
        if role:
            for service in self.config.services_in(self.database):
                if service.role == role:
                    return service.name
        return None

    def config_location(self, text: str) -> Location | None:
        line = self.config.line_of(text)
        if self.config.path is None:
            return None
        return Location(self.config.path, line or 1)


class CatalogRule(Rule):
    """A rule over the Catalog IR; runs unchanged whatever source built the catalog."""

    def check(self, ctx: CatalogContext) -> Iterable[Finding]:
        raise NotImplementedError
