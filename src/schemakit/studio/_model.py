"""What the studio's views render: plain, frozen data, with no database handle or password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ColumnView",
    "Edge",
    "FindingView",
    "ForeignKeyView",
    "IndexView",
    "MigrationView",
    "ServiceView",
    "Snapshot",
    "TableView",
]

SEVERITIES = ("error", "warning")


@dataclass(frozen=True, slots=True)
class FindingView:
    id: int
    code: str
    name: str
    severity: str
    message: str
    help: str
    object: str | None
    services: tuple[str, ...]
    """Every service the finding is shown under (a schema claimed twice has two)."""
    table: str | None
    """``schema.table`` of the table it names (or whose column, index or key it names)."""
    column: str | None
    file: str | None
    """Relative to the project's folder."""
    line: int | None

    @property
    def family(self) -> str:
        return self.code[:3]


@dataclass(frozen=True, slots=True)
class ColumnView:
    name: str
    type: str
    nullable: bool
    default: str | None
    primary: bool
    references: str | None
    """``schema.table`` a foreign key on this column points at."""


@dataclass(frozen=True, slots=True)
class IndexView:
    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool
    definition: str


@dataclass(frozen=True, slots=True)
class ForeignKeyView:
    name: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    target_service: str | None


@dataclass(frozen=True, slots=True)
class TableView:
    path: str
    schema: str
    name: str
    kind: str
    database: str
    service: str
    columns: tuple[ColumnView, ...]
    indexes: tuple[IndexView, ...]
    foreign_keys: tuple[ForeignKeyView, ...]
    findings: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceView:
    name: str
    database: str
    schemas: tuple[str, ...]
    role: str | None
    migrations: str | None
    """The migrations folder, relative to the project's folder."""
    claimed: bool = True
    """False for the box of a database's schemas no service claims."""
    tables: tuple[str, ...] = ()
    findings: tuple[int, ...] = ()

    def count(self, severity: str, findings: Mapping[int, FindingView]) -> int:
        return sum(1 for i in self.findings if findings[i].severity == severity)


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: str
    """``foreign key`` or ``grant``."""
    label: str


@dataclass(frozen=True, slots=True)
class MigrationView:
    service: str
    id: str
    file: str | None
    state: str
    """``applied``, ``pending``, ``edited``, ``missing`` or, with no live database,
    ``replayed``."""
    checksum: str | None = None
    stored_checksum: str | None = None
    applied_at: str | None = None
    applied_by: str | None = None
    written: str | None = None


@dataclass(frozen=True)
class Snapshot:
    project: str
    source: str
    """``embedded replay`` or the live database's redacted URL."""
    live: bool
    databases: tuple[str, ...]
    """The databases read (on a live database: the one its URL names)."""
    services: Mapping[str, ServiceView]
    tables: Mapping[str, TableView]
    findings: Mapping[int, FindingView]
    edges: tuple[Edge, ...]
    migrations: Mapping[str, tuple[MigrationView, ...]]
    security: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """role -> schema -> privileges (``OWNER``, ``USAGE``, ``CREATE``, table privileges)."""
    drift: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """database -> differences between the live database and its replayed migrations."""
    notes: tuple[str, ...] = ()
