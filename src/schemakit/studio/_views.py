"""What each page draws, from a :class:`Snapshot`: laid-out boxes and edges, filtered findings,
search hits. Templates only loop over what these return."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from schemakit.studio._layout import Box, layered
from schemakit.studio._model import SEVERITIES, FindingView, ServiceView, Snapshot, TableView

__all__ = ["ErdBox", "PlatformBox", "erd", "filtered", "platform", "search"]

_CHAR = 7.2
"""Width of one character of the diagrams' 12px monospace font, near enough."""
_LINE = 16.0
_HEADER = 26.0
_SEARCH_LIMIT = 50


@dataclass(frozen=True)
class PlatformBox:
    service: ServiceView
    box: Box
    counts: str
    """``2 errors · 1 warning · 5 tables``"""
    severity: str | None
    """The worst severity among the service's findings."""


def _plural(count: int, word: str) -> str:
    plural = "indexes" if word == "index" else f"{word}s"
    return f"{count} {word if count == 1 else plural}"


def _worst(service: ServiceView, snapshot: Snapshot) -> str | None:
    severities = {snapshot.findings[i].severity for i in service.findings}
    return next((s for s in SEVERITIES if s in severities), None)


def _counts(service: ServiceView, snapshot: Snapshot) -> str:
    errors = service.count("error", snapshot.findings)
    warnings = service.count("warning", snapshot.findings)
    return " · ".join(
        (
            _plural(errors, "error"),
            _plural(warnings, "warning"),
            _plural(len(service.tables), "table"),
        )
    )


@dataclass(frozen=True)
class DiagramEdge:
    source: str
    target: str
    kind: str
    labels: tuple[str, ...]
    path: str


@dataclass(frozen=True)
class Diagram:
    database: str
    width: float
    height: float
    boxes: tuple[PlatformBox, ...]
    edges: tuple[DiagramEdge, ...]


def _text_width(texts: Iterable[str], floor: float) -> float:
    return max([floor, *(_CHAR * len(t) + 24 for t in texts)])


def platform(snapshot: Snapshot) -> list[Diagram]:
    """One diagram per database: a box per service, an edge per pair of services that a
    foreign key or a grant joins (every such key or grant listed on it)."""
    diagrams = []
    databases = sorted({s.database for s in snapshot.services.values()})
    for database in databases:
        services = [s for s in snapshot.services.values() if s.database == database]
        counts = {s.name: _counts(s, snapshot) for s in services}
        sizes: dict[Hashable, tuple[float, float]] = {
            s.name: (
                _text_width([s.name, *s.schemas, counts[s.name]], 170),
                _HEADER + _LINE * max(1, len(s.schemas)) + 30,
            )
            for s in services
        }
        grouped: dict[tuple[str, str, str], list[str]] = {}
        for edge in snapshot.edges:
            if edge.source in sizes and edge.target in sizes:
                grouped.setdefault((edge.source, edge.target, edge.kind), []).append(edge.label)
        layout = layered(sizes, [(s, t) for s, t, _ in grouped], max_width=1100)
        paths = {(s, t): p for s, t, p in layout.paths}
        boxes = tuple(
            PlatformBox(s, layout.boxes[s.name], counts[s.name], _worst(s, snapshot))
            for s in services
        )
        edges = tuple(
            DiagramEdge(s, t, kind, tuple(labels), paths[s, t])
            for (s, t, kind), labels in grouped.items()
        )
        diagrams.append(Diagram(database, layout.width, layout.height, boxes, edges))
    return diagrams


@dataclass(frozen=True)
class ErdBox:
    table: TableView
    box: Box
    external: bool
    """A table of another service that one of this service's tables references."""
    flagged_columns: frozenset[str]
    severity: str | None
    """The worst severity of the table's (shown) findings."""
    count: int
    summary: str
    """``8 columns · 2 indexes``"""


@dataclass(frozen=True)
class Erd:
    width: float
    height: float
    boxes: tuple[ErdBox, ...]
    edges: tuple[tuple[str, str, str], ...]
    detail: bool
    """Columns and indexes in the boxes; False: names only (a big service, unfocused)."""
    focus: str | None = None


DETAIL_LIMIT = 60
"""Above this many tables a service's diagram shows names only, and a click on one shows it
with its neighbours in full: thousands of columns are neither readable nor quick to draw."""


def _neighbourhood(snapshot: Snapshot, own: list[TableView], focus: str) -> set[str]:
    """``focus``, the tables it references, and the service's tables that reference it."""
    near = {focus, *(fk.target for fk in snapshot.tables[focus].foreign_keys)}
    near |= {t.path for t in own if any(fk.target == focus for fk in t.foreign_keys)}
    return near & set(snapshot.tables)


def _erd_size(table: TableView, detail: bool, own: bool) -> tuple[float, float]:
    if not detail:
        return _text_width([table.path, _summary(table)], 160), _HEADER + _LINE + 2
    # key marker, name, two spaces, type: as service.html lays a column's row out
    rows = [f"PK  {c.name}  {c.type} not null" for c in table.columns]
    rows += [f"{i.name} ({', '.join(i.columns)})" for i in table.indexes]
    height = _HEADER + _LINE * len(table.columns) + 8
    if table.indexes and own:
        height += 6 + (_LINE - 2) * len(table.indexes)
    return _text_width([table.path, *rows], 180), height


def _summary(table: TableView) -> str:
    return f"{_plural(len(table.columns), 'column')} · {_plural(len(table.indexes), 'index')}"


def erd(
    snapshot: Snapshot,
    service: ServiceView,
    shown: Mapping[int, FindingView],
    focus: str | None = None,
) -> Erd:
    """The service's tables, and the tables of other services they reference, as boxes with
    their columns (and indexes), arrows along foreign keys. With ``focus`` (one of the
    service's tables): that table and its neighbours only."""
    own = [snapshot.tables[p] for p in service.tables if p in snapshot.tables]
    if focus is not None and focus not in {t.path for t in own}:
        focus = None
    near: set[str] = set()
    if focus is not None:
        near = _neighbourhood(snapshot, own, focus)
        own = [t for t in own if t.path in near]
    names = {t.path for t in own}
    wanted = {fk.target for t in own for fk in t.foreign_keys if focus is None or fk.target in near}
    external = sorted((wanted - names) & set(snapshot.tables))
    tables = own + [snapshot.tables[p] for p in external]
    detail = focus is not None or len(own) <= DETAIL_LIMIT
    sizes: dict[Hashable, tuple[float, float]] = {
        t.path: _erd_size(t, detail, t.path in names) for t in tables
    }
    edges = [(t.path, fk.target) for t in own for fk in t.foreign_keys if fk.target in sizes]
    layout = layered(sizes, edges)
    boxes = []
    for table in tables:
        findings = [shown[i] for i in table.findings if i in shown]
        severities = {f.severity for f in findings}
        worst = next((s for s in SEVERITIES if s in severities), None)
        boxes.append(
            ErdBox(
                table,
                layout.boxes[table.path],
                table.path not in names,
                frozenset(f.column for f in findings if f.column),
                worst,
                len(findings),
                _summary(table),
            )
        )
    paths = tuple((str(s), str(t), p) for s, t, p in layout.paths)
    return Erd(layout.width, layout.height, tuple(boxes), paths, detail, focus)


def filtered(
    snapshot: Snapshot, service: ServiceView, family: str = "", severity: str = ""
) -> dict[int, FindingView]:
    """The service's findings of ``family`` (ISO, MIG, ...) and ``severity``; empty: all."""
    out = {}
    for number in service.findings:
        finding = snapshot.findings[number]
        if family and finding.family != family:
            continue
        if severity and finding.severity != severity:
            continue
        out[number] = finding
    return out


@dataclass(frozen=True)
class Hit:
    kind: str
    """``table`` or ``column``."""
    table: TableView
    column: str | None
    type: str | None


def search(snapshot: Snapshot, query: str, limit: int = _SEARCH_LIMIT) -> list[Hit]:
    """Tables whose path, and columns whose name, contain ``query`` (case-insensitive):
    tables first, then columns, each in path order."""
    needle = query.strip().lower()
    if not needle:
        return []
    tables: list[Hit] = []
    columns: list[Hit] = []
    for path in sorted(snapshot.tables):
        table = snapshot.tables[path]
        if needle in path.lower():
            tables.append(Hit("table", table, None, None))
        if len(columns) < limit:
            columns += [
                Hit("column", table, c.name, c.type)
                for c in table.columns
                if needle in c.name.lower()
            ]
    return (tables + columns)[:limit]
