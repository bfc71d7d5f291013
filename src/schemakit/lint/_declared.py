"""A service's declared schema: the Catalog of its Drizzle sources or of its SQLAlchemy
models, with where each object is declared, and the SQL that creates it (a baseline).

``baseline = "sources"`` says a service's first migration builds on what ``drizzle-kit
push`` (or ``metadata.create_all``) made, not on an empty schema: the replay runs
:func:`baseline_sql` first, the objects it makes located at their declarations.
"""

from __future__ import annotations

import fnmatch
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from schemakit import catalog as catalogs  # its SQLAlchemy and Drizzle readers load on use
from schemakit.catalog import Catalog, Column, Table
from schemakit.config import Service
from schemakit.conventions import quote_ident
from schemakit.lint._common import is_drizzle_source
from schemakit.migrate import load_metadata
from schemakit.rules import Location, enclosing_paths

__all__ = [
    "Declared",
    "baseline_sql",
    "declared_models",
    "declared_sources",
    "drizzle_files",
    "locate_in",
    "owned",
    "read_only",
]


@dataclass(frozen=True)
class Declared:
    """What one service declares, and where."""

    service: str
    kind: str
    """``sources`` (Drizzle TypeScript) or ``models`` (SQLAlchemy)."""
    catalog: Catalog
    locate: Callable[[str], Location | None]
    read: tuple[str, ...]
    """What was read: the files, or the models' ``package.module:Base``."""


def drizzle_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if is_drizzle_source(p) and "node_modules" not in p.parts
            )
        elif is_drizzle_source(path) and path.is_file():
            files.append(path)
    return files


def declared_sources(service: Service) -> Declared | None:
    """The Catalog of the service's Drizzle files (``sources = [...]``), or None."""
    files = drizzle_files(service.sources)
    if not files:
        return None
    catalog, where = catalogs.from_drizzle(files, service.database)
    return Declared(
        service.name, "sources", catalog, partial(locate_in, where), tuple(map(str, files))
    )


def declared_models(service: Service) -> Declared:
    """The Catalog of the service's models, located at the classes (imported now, in
    isolation: another service's module of the same name is forgotten first)."""
    assert service.models is not None
    metadata = load_metadata(service)
    catalog = catalogs.from_metadata(metadata, service.database)
    locate = _model_locator(_base_of(service.models))
    return Declared(service.name, "models", catalog, locate, (service.models,))


def read_only(service: Service, path: str) -> bool:
    """A table the service's sources declare only to read another service's (``read-only``)."""
    return any(fnmatch.fnmatchcase(path, glob) for glob in service.read_only)


def owned(declared: Declared, service: Service) -> Catalog:
    """What of ``declared`` the service itself creates: all of it but its read-only
    references to other services' tables (outside its drizzle-kit ``schemaFilter``: push never
    creates them, so no finding about them is the service's)."""
    from dataclasses import replace

    if not service.read_only:
        return declared.catalog
    catalog = declared.catalog
    tables = {k: t for k, t in catalog.tables.items() if not read_only(service, k)}
    kept = {*service.schemas, *(t.schema for t in tables.values()), "public"}
    return replace(
        catalog,
        tables=tables,
        schemas={k: v for k, v in catalog.schemas.items() if k in kept},
    )


def baseline_sql(declared: Declared, service: Service) -> list[tuple[Location, str]]:
    """The statements that create what the service declares in its own schemas (what
    ``drizzle-kit push`` would have made), each with the declaration it comes from."""
    catalog = declared.catalog
    fallback = Location(Path(declared.read[0]) if declared.kind == "sources" else Path("."), 1)

    def at(path: str) -> Location:
        return declared.locate(path) or fallback

    units: list[tuple[Location, str]] = []
    tables = [
        t
        for t in catalog.tables.values()
        if t.schema in service.schemas and not read_only(service, t.path)
    ]
    for schema in service.schemas:
        if schema in catalog.schemas or any(t.schema == schema for t in tables):
            units.append((at(schema), f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}"))
    used = {(c.type_schema, c.type_name) for t in tables for c in t.columns}
    for path, typedef in catalog.types.items():
        if typedef.kind != "enum":
            continue
        if typedef.schema in service.schemas or (typedef.schema, typedef.name) in used:
            labels = ", ".join("'" + label.replace("'", "''") + "'" for label in typedef.labels)
            name = f"{quote_ident(typedef.schema)}.{quote_ident(typedef.name)}"
            units.append((at(path), f"CREATE TYPE {name} AS ENUM ({labels})"))
    for table in tables:
        units.append((at(table.path), _create_table(table)))
        for index in table.indexes:
            if index.constraint is None and index.definition:
                units.append((at(f"{table.path}.{index.name}"), index.definition))
    made = {t.path for t in tables}
    for table in tables:
        for fk in table.foreign_keys:
            if fk.ref_path not in made:
                continue  # another service's table: the replay may not have made it
            action = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
            units.append(
                (
                    at(f"{table.path}.{fk.name}"),
                    f"ALTER TABLE {_name(table)} ADD CONSTRAINT {quote_ident(fk.name)} "
                    f"FOREIGN KEY ({_idents(fk.columns)}) REFERENCES "
                    f"{quote_ident(fk.ref_schema)}.{quote_ident(fk.ref_table)} "
                    f"({_idents(fk.ref_columns)})"
                    + (f" ON DELETE {action[fk.on_delete]}" if fk.on_delete in action else ""),
                )
            )
    return units


def _name(table: Table) -> str:
    return f"{quote_ident(table.schema)}.{quote_ident(table.name)}"


def _idents(names: tuple[str, ...]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def _create_table(table: Table) -> str:
    parts = [_column(c) for c in table.columns]
    parts += (
        f"CONSTRAINT {quote_ident(c.name)} {c.definition}"
        for c in table.constraints
        if c.kind in ("p", "u", "c") and c.definition
    )
    return f"CREATE TABLE {_name(table)} (\n  " + ",\n  ".join(parts) + "\n)"


def _column(column: Column) -> str:
    kind = column.type
    if column.type_schema not in ("pg_catalog", "") and column.type_name:
        kind = f"{quote_ident(column.type_schema)}.{quote_ident(column.type_name)}"
        kind += "[]" if column.type.endswith("[]") else ""
    text = f"{quote_ident(column.name)} {kind}"
    if column.identity:
        text += " GENERATED " + ("ALWAYS" if column.identity == "a" else "BY DEFAULT")
        text += " AS IDENTITY"
    elif column.default is not None:
        text += f" DEFAULT {column.default}"
    return text + ("" if column.nullable else " NOT NULL")


def locate_in(where: dict[str, tuple[Path, int]], path: str) -> Location | None:
    for candidate in enclosing_paths(path):
        if candidate in where:
            file, line = where[candidate]
            return Location(file, line)
    return None


def _base_of(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(sys.modules[module], attr)


def _model_locator(base: Any) -> Callable[[str], Location | None]:
    """Object path -> the line of the class mapped to its table (or the base's, for the rest)."""
    where: dict[str, Location] = {}
    for mapper in base.registry.mappers:
        location = _source_of(mapper.class_)
        if location is None:
            continue
        lines = _attribute_lines(mapper.class_, location)
        for table in mapper.tables:
            path = f"{table.schema or 'public'}.{table.name}"
            where.setdefault(path, location)
            # a column's finding at the line that declares its attribute (mixins' columns,
            # declared elsewhere, stay at the class)
            for prop in mapper.column_attrs:
                line = lines.get(prop.key)
                for column in prop.columns:
                    if line is not None and getattr(column, "table", None) is table:
                        where.setdefault(f"{path}.{column.name}", Location(location.path, line))
    fallback = _source_of(base)

    def locate(path: str) -> Location | None:
        for candidate in enclosing_paths(path):
            if candidate in where:
                return where[candidate]
        return fallback

    return locate


def _attribute_lines(cls: type, location: Location) -> dict[str, int]:
    """Attribute name -> the line of ``cls``'s body that assigns it (``x: Mapped[...] = ...``)."""
    import ast
    import textwrap

    try:
        source, _ = inspect.getsourcelines(cls)
        tree = ast.parse(textwrap.dedent("".join(source)))
    except (OSError, TypeError, SyntaxError):
        return {}
    lines: dict[str, int] = {}
    for node in tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else ():
        targets = (
            [node.target]
            if isinstance(node, ast.AnnAssign)
            else node.targets
            if isinstance(node, ast.Assign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                lines.setdefault(target.id, location.line + node.lineno - 1)
    return lines


def _source_of(cls: type) -> Location | None:
    try:
        file = inspect.getsourcefile(cls)
        _, line = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    return Location(Path(file), line) if file else None
