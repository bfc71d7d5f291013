"""APL002: where a service has both, its declarations (Drizzle sources or models) against
the Catalog its replayed migrations produce, in its own schemas, both ways."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from schemakit.catalog import Catalog, Table
from schemakit.config import Config, Service
from schemakit.lint._declared import Declared, owned, read_only
from schemakit.migrate import ALEMBIC_VERSION_TABLE, MigrationSet
from schemakit.rules import Finding, Location
from schemakit.rules.apl.sources_and_migrations_disagree import SourcesAndMigrationsDisagree
from schemakit.rules.iso.stale_read_only_table import StaleReadOnlyTable
from schemakit.sql import Statement

__all__ = ["disagreements", "made_by", "stale_read_only"]

_TABLES = ("table", "partitioned table")
_GENERATE = {
    "sources": "drizzle-kit generate",
    "models": "alembic revision --autogenerate (schemakit generate)",
}


def disagreements(
    config: Config,
    declared: Mapping[str, Declared],
    replayed: Mapping[str, tuple[Catalog, Callable[[str], Location | None]]],
    skip: set[str],
    sets: Mapping[str, MigrationSet | None],
) -> list[Finding]:
    """One finding per table, column or index only one side has. ``skip``: services whose
    replay stopped short (their migrations did not make all they would); ``sets``: each
    service's migrations, to put a column at the ``ADD COLUMN`` that made it."""
    findings: list[Finding] = []
    for service in config.services.values():
        found = declared.get(service.name)
        made = replayed.get(service.database)
        if service.name in skip or found is None or made is None:
            continue
        if not service.migration_folders:
            continue
        catalog, where = made
        added = _added_columns(sets.get(service.name))

        def locate(
            path: str,
            where: Callable[[str], Location | None] = where,
            added: dict[str, Location] = added,
        ) -> Location | None:
            return added.get(path) or where(path)

        findings += _compare(service, found, catalog, locate)
    return findings


def stale_read_only(config: Config, declared: Mapping[str, Declared]) -> list[Finding]:
    """ISO010: each read-only table a service declares, against its owner's declaration
    (when the owner's sources or models were read)."""
    rule = StaleReadOnlyTable()
    findings: list[Finding] = []
    for service in config.services.values():
        mine = declared.get(service.name)
        if mine is None or not service.read_only:
            continue
        for path, table in sorted(mine.catalog.tables.items()):
            if not read_only(service, path):
                continue
            owner = next(
                (s for s in config.services_in(service.database) if table.schema in s.schemas),
                None,
            )
            theirs = declared.get(owner.name) if owner is not None else None
            if owner is None or theirs is None:
                continue
            original = theirs.catalog.tables.get(path)
            where = mine.locate(path)
            if original is None:
                findings.append(
                    rule.finding(
                        f"Table {path}, declared read-only by service {service.name}, is not "
                        f"declared by its owner, service {owner.name}",
                        "Remove the declaration, or point it at the table the owner declares.",
                        object=path,
                        location=where,
                        service=service.name,
                    )
                )
                continue
            for column in table.columns:
                other = original.column(column.name)
                if other is not None and other.type == column.type:
                    continue
                said = (
                    f"is {column.type} here and {other.type} in service {owner.name}'s declaration"
                    if other is not None
                    else f"is not declared by its owner, service {owner.name}"
                )
                findings.append(
                    rule.finding(
                        f"Column {path}.{column.name}, declared read-only by service "
                        f"{service.name}, {said}",
                        f"Declare it as service {owner.name} does, or remove it.",
                        object=f"{path}.{column.name}",
                        location=mine.locate(f"{path}.{column.name}") or where,
                        service=service.name,
                        kind="column",
                    )
                )
    return findings


def _tables(catalog: Catalog, service: Service) -> dict[str, Table]:
    return {
        path: table
        for path, table in catalog.tables.items()
        if table.schema in service.schemas
        and table.kind in _TABLES
        and table.name != ALEMBIC_VERSION_TABLE  # Alembic's bookkeeping, never declared
        and not read_only(service, path)
    }


def _added_columns(migrations: MigrationSet | None) -> dict[str, Location]:
    """``schema.table.column`` -> the first ``ALTER TABLE ... ADD COLUMN`` that adds it (the
    replay logs the table, not the column)."""
    added: dict[str, Location] = {}
    if migrations is None or not migrations.is_sql:
        return added
    for file in migrations.files:
        for statement in file.scanned[0]:
            if statement.kind == "AlterTableStmt":
                for path in made_by(statement):
                    added.setdefault(path, Location(file.path, statement.line, statement.column))
    return added


def made_by(statement: Statement) -> Iterator[str]:
    """The paths of what a schema-qualified statement creates: a schema, a table, an index,
    an enum, a column it adds."""
    node = statement.node
    relation = node.get("relation") or {}
    table = f"{relation.get('schemaname')}.{relation.get('relname')}"
    if statement.kind == "CreateSchemaStmt" and node.get("schemaname"):
        yield str(node["schemaname"])
    elif statement.kind == "CreateStmt" and relation.get("schemaname"):
        yield table
    elif statement.kind == "IndexStmt" and relation.get("schemaname") and node.get("idxname"):
        yield f"{relation['schemaname']}.{node['idxname']}"
    elif statement.kind == "CreateEnumStmt":
        names = [n.get("String", {}).get("sval", "") for n in node.get("typeName") or ()]
        if len(names) == 2:
            yield ".".join(names)
    elif statement.kind == "AlterTableStmt" and relation.get("schemaname"):
        for item in node.get("cmds") or ():
            cmd = item.get("AlterTableCmd", {})
            column = (cmd.get("def") or {}).get("ColumnDef", {}).get("colname")
            if cmd.get("subtype") == "AT_AddColumn" and column:
                yield f"{table}.{column}"


def _compare(
    service: Service,
    found: Declared,
    catalog: Catalog,
    locate: Callable[[str], Location | None],
) -> Iterator[Finding]:
    side = found.kind
    generate = _GENERATE.get(side, "the migration generator")
    ahead = _Say(service.name, found.locate, side, generate, declared=True)
    behind = _Say(service.name, locate, side, generate, declared=False)
    wanted = _tables(owned(found, service), service)
    have = _tables(catalog, service)
    for path in sorted(wanted.keys() - have.keys()):
        yield ahead.finding("Table", path)
    for path in sorted(have.keys() - wanted.keys()):
        yield behind.finding("Table", path)
    for path in sorted(wanted.keys() & have.keys()):
        declared_columns = {c.name for c in wanted[path].columns}
        made_columns = {c.name for c in have[path].columns}
        for name in sorted(declared_columns - made_columns):
            yield ahead.finding("Column", f"{path}.{name}")
        for name in sorted(made_columns - declared_columns):
            yield behind.finding("Column", f"{path}.{name}")
        declared_indexes = _indexes(wanted[path])
        made_indexes = _indexes(have[path])
        schema = wanted[path].schema
        for name in sorted(declared_indexes - made_indexes):
            yield ahead.finding("Index", f"{schema}.{name}", on=path)
        for name in sorted(made_indexes - declared_indexes):
            yield behind.finding("Index", f"{schema}.{name}", on=path)


def _indexes(table: Table) -> set[str]:
    """Indexes of their own (a constraint's, the primary key's, are compared as columns)."""
    return {i.name for i in table.indexes if i.constraint is None and not i.primary}


class _Say:
    def __init__(
        self,
        service: str,
        locate: Callable[[str], Location | None],
        side: str,
        generate: str,
        *,
        declared: bool,
    ) -> None:
        self.service = service
        self.locate = locate
        self.side = side
        self.generate = generate
        self.declared = declared

    def finding(self, kind: str, path: str, on: str | None = None) -> Finding:
        where = f" on {on}" if on else ""
        if self.declared:
            message = (
                f"{kind} {path}{where} is declared in the {self.side} of service "
                f"{self.service}, but no migration creates it (the sources are ahead)"
            )
            hint = (
                f"Write the migration ({self.generate}) and commit it, or remove the declaration."
            )
        else:
            message = (
                f"{kind} {path}{where} is created by the migrations of service "
                f"{self.service}, but its {self.side} do not declare it (the migrations are "
                "ahead)"
            )
            hint = (
                f"Declare it in the {self.side} (or drop it in a migration): the next "
                f"{self.generate} would drop it otherwise."
            )
        # an index's object path is under its table; the replay logs it as schema.name
        subject = f"{on}.{path.rsplit('.', 1)[1]}" if on else path
        return SourcesAndMigrationsDisagree().finding(
            message,
            hint,
            object=subject,
            location=self.locate(subject if self.declared else path),
            service=self.service,
            kind=kind.lower(),
        )
