"""The studio's one door to the rest of schemakit: lint results, catalogs, the ledger and lock
reports, turned into the plain data of :mod:`schemakit.studio._model`.

Nothing else in the studio imports lint, migrate or catalog, so a change to their API is
adapted here alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from schemakit.catalog import Catalog, Table
from schemakit.config import Config, load_config
from schemakit.errors import redact
from schemakit.rules import Finding, enclosing_paths, get_rule
from schemakit.server import Cluster
from schemakit.studio._model import (
    ColumnView,
    Edge,
    FindingView,
    ForeignKeyView,
    IndexView,
    MigrationView,
    ServiceView,
    Snapshot,
    TableView,
)

__all__ = ["Loaded", "load", "lock_report", "rule_doc", "unclaimed_name"]

Progress = Callable[[str], None]

_STATEMENT_FAMILIES = ("MIG", "SYN")
_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


@dataclass(frozen=True)
class Loaded:
    snapshot: Snapshot
    files: Mapping[tuple[str, str], tuple[Path, Path]]
    """(service, migration id) -> (its file, its migrations folder), for lock reports."""


def unclaimed_name(database: str) -> str:
    """The box of ``database``'s schemas that no service claims."""
    return f"{database}: unclaimed"


def load(
    path: Path,
    database_url: str | None = None,
    *,
    database: str | None = None,
    cluster: Cluster | None = None,
    progress: Progress | None = None,
) -> Loaded:
    """Lint the platform at ``path`` and read what it holds: its migrations replayed into a
    throwaway PostgreSQL (``cluster``, or one started here), or the live ``database_url``
    with its ledger and its drift from the migrations."""
    from schemakit.lint import LintOptions, drift, lint, read_live
    from schemakit.migrate import database_for_url, discover

    say = progress or (lambda message: None)
    config = load_config(path, required=database_url is None)
    catalogs: dict[str, Catalog] = {}
    drifted: dict[str, tuple[str, ...]] = {}
    states: dict[str, list[Any]] = {}
    with contextlib.ExitStack() as stack:
        server = cluster if cluster is not None else stack.enter_context(Cluster())
        if database_url:
            result = lint(path, LintOptions(database_url=database_url, database=database), say)
            name = database_for_url(config, database_url, database)
            # A live audit runs the catalog rules only; what the migrations do (pending ones
            # above all) is judged statement by statement, as `lint --sql` does.
            result = replace(
                result, findings=[*result.findings, *_statement_findings(config, name)]
            )
            live = read_live(database_url)
            catalogs[name] = live
            states = _ledger(database_url, config, name, say)
            say(f"comparing {name} with its migrations (drift)")
            drifted[name] = tuple(
                # the ledger's pending migrations are pending, not drift (as `schemakit drift`)
                d.render()
                for d in drift(config, live, name, say, cluster=server, ledger=states)
                if d.is_drift
            )
        else:
            result = lint(path, LintOptions(), say, cluster=server)
            catalogs = _replayed(config, say, server)
    files: dict[tuple[str, str], tuple[Path, Path]] = {}
    migrations: dict[str, tuple[MigrationView, ...]] = {}
    for service in config.services.values():
        found = discover(service, config.path)
        if found is None or service.database not in catalogs:
            continue
        for file in found.files:
            files[service.name, file.id] = (file.path, found.folder)
        migrations[service.name] = _migration_views(config, service.name, found.files, states)
    snapshot = _snapshot(
        config,
        catalogs,
        list(result.findings),
        migrations,
        source=redact(database_url) if database_url else "embedded replay",
        live=bool(database_url),
        drift=drifted,
    )
    return Loaded(snapshot, files)


def _statement_findings(config: Config, database: str) -> list[Finding]:
    from schemakit.lint import LintOptions, lint_files
    from schemakit.migrate import discover

    folders = []
    for service in config.services_in(database):
        found = discover(service, config.path)
        if found is not None and found.is_sql and found.files:  # Alembic's are Python
            folders.append(found.folder)
    if not folders:
        return []
    return list(lint_files(folders, LintOptions(select=_STATEMENT_FAMILIES)).findings)


def _replayed(config: Config, say: Progress, cluster: Cluster) -> dict[str, Catalog]:
    # lint.replay is not in lint's public exports; it is the one replay lint itself uses.
    from schemakit.lint._replay import replay

    return {database: catalog for database, catalog, _ in replay(config, say, cluster)}


def _ledger(url: str, config: Config, database: str, say: Progress) -> dict[str, list[Any]]:
    from schemakit.migrate import service_status

    results = service_status(url, config, (), None, say, database=database)
    return {r.service: list(r.states) for r in results}


def _relative(config: Config, path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(config.root.resolve()))
    except ValueError:
        return path.name


def _migration_views(
    config: Config, service: str, files: Iterable[Any], states: Mapping[str, list[Any]]
) -> tuple[MigrationView, ...]:
    by_id = {f.id: f for f in files}
    if service not in states:
        return tuple(
            MigrationView(
                service,
                f.id,
                _relative(config, f.path),
                "replayed",
                checksum=f.checksum,
                written=f.date.isoformat(timespec="minutes") if f.date else None,
            )
            for f in by_id.values()
        )
    views = []
    for state in states[service]:
        file = by_id.get(state.id)
        views.append(
            MigrationView(
                service,
                state.id,
                _relative(config, file.path) if file else None,
                state.state,
                checksum=state.checksum,
                stored_checksum=state.stored_checksum,
                applied_at=str(state.applied_at) if state.applied_at else None,
                applied_by=state.applied_by,
                written=file.date.isoformat(timespec="minutes") if file and file.date else None,
            )
        )
    return tuple(views)


def _owners(config: Config, database: str) -> dict[str, tuple[str, ...]]:
    owners: dict[str, tuple[str, ...]] = config.schema_owners(database)
    in_database = config.services_in(database)
    if config.is_exempt(database) and len(in_database) == 1:
        # an exempt database's raw tables in public are its one service's (mana_sync)
        owners.setdefault("public", (in_database[0].name,))
    return owners


def _snapshot(
    config: Config,
    catalogs: Mapping[str, Catalog],
    findings: list[Finding],
    migrations: Mapping[str, tuple[MigrationView, ...]],
    *,
    source: str,
    live: bool,
    drift: Mapping[str, tuple[str, ...]],
) -> Snapshot:
    tables: dict[str, TableView] = {}
    service_tables: dict[str, list[str]] = {}
    unclaimed: dict[str, set[str]] = {}
    table_service: dict[str, str] = {}
    for database, catalog in catalogs.items():
        owners = _owners(config, database)
        for schema in catalog.schemas:
            if schema not in owners and schema not in config.tool_schemas:
                unclaimed.setdefault(database, set()).add(schema)
        for table in catalog.tables.values():
            if table.schema in config.tool_schemas:
                continue
            names = owners.get(table.schema) or (unclaimed_name(database),)
            if not owners.get(table.schema):
                unclaimed.setdefault(database, set()).add(table.schema)
            table_service[table.path] = names[0]
            for name in names:
                service_tables.setdefault(name, []).append(table.path)
    for database, catalog in catalogs.items():
        for each in catalog.tables.values():
            if each.path in table_service:
                tables[each.path] = _table_view(each, database, table_service)
    views, by_table = _findings(config, findings, catalogs, table_service)
    for path, ids in by_table.items():
        if path in tables:
            old = tables[path]
            tables[path] = TableView(**{**_fields(old), "findings": tuple(ids)})
    services = _services(config, service_tables, unclaimed, views)
    return Snapshot(
        project=config.root.name,
        source=source,
        live=live,
        databases=tuple(catalogs),
        services=services,
        tables=tables,
        findings=views,
        edges=_edges(config, catalogs, tables),
        migrations=migrations,
        security=_security(config, catalogs),
        drift=drift,
    )


def _fields(table: TableView) -> dict[str, Any]:
    return {name: getattr(table, name) for name in TableView.__slots__}


def _table_view(table: Table, database: str, table_service: Mapping[str, str]) -> TableView:
    primary = set(table.primary_key)
    references = {fk.columns[0]: fk.ref_path for fk in table.foreign_keys if len(fk.columns) == 1}
    return TableView(
        path=table.path,
        schema=table.schema,
        name=table.name,
        kind=table.kind,
        database=database,
        service=table_service[table.path],
        columns=tuple(
            ColumnView(
                c.name,
                c.type,
                c.nullable,
                c.default or (f"identity ({c.identity})" if c.identity else None),
                c.name in primary,
                references.get(c.name),
            )
            for c in table.columns
        ),
        indexes=tuple(
            IndexView(i.name, i.columns, i.unique, i.primary, i.definition) for i in table.indexes
        ),
        foreign_keys=tuple(
            ForeignKeyView(
                fk.name, fk.columns, fk.ref_path, fk.ref_columns, table_service.get(fk.ref_path)
            )
            for fk in table.foreign_keys
        ),
    )


def _findings(
    config: Config,
    findings: list[Finding],
    catalogs: Mapping[str, Catalog],
    table_service: Mapping[str, str],
) -> tuple[dict[int, FindingView], dict[str, list[int]]]:
    """Every finding, with the table (and column) it names and the services it belongs to."""
    # An index or a constraint is named schema.name: find its table.
    owned: dict[str, str] = {}
    for catalog in catalogs.values():
        for each in catalog.tables.values():
            for index in each.indexes:
                owned[f"{each.schema}.{index.name}"] = each.path
    views: dict[int, FindingView] = {}
    by_table: dict[str, list[int]] = {}
    for number, finding in enumerate(findings):
        table, column = _target(finding.object, table_service, owned)
        services = _finding_services(config, finding, table, table_service)
        location = finding.location
        views[number] = FindingView(
            id=number,
            code=finding.code,
            name=finding.name,
            severity=finding.severity.value,
            message=finding.message,
            help=finding.help,
            object=finding.object,
            services=services,
            table=table,
            column=column,
            file=_relative(config, location.path) if location else None,
            line=location.line if location else None,
        )
        if table is not None:
            by_table.setdefault(table, []).append(number)
    return views, by_table


def _target(
    path: str | None, table_service: Mapping[str, str], owned: Mapping[str, str]
) -> tuple[str | None, str | None]:
    if not path:
        return None, None
    if path in owned:
        return owned[path], None
    for candidate in enclosing_paths(path):
        if candidate in table_service:
            rest = path.split("(", 1)[0][len(candidate) + 1 :]
            return candidate, rest or None
    return None, None


def _finding_services(
    config: Config, finding: Finding, table: str | None, table_service: Mapping[str, str]
) -> tuple[str, ...]:
    if finding.service and finding.service in config.services:
        return (finding.service,)
    if table is not None:
        return (table_service[table],)
    if finding.location is not None:
        service = config.service_at(finding.location.path.resolve())
        if service is not None:
            return (service.name,)
    if finding.object:
        schema = finding.object.split(".", 1)[0]
        database = finding.database or config.default_database
        owners = _owners(config, database).get(schema)
        if owners:
            return owners
        return (unclaimed_name(database),)
    return ()


def _services(
    config: Config,
    service_tables: Mapping[str, list[str]],
    unclaimed: Mapping[str, set[str]],
    findings: Mapping[int, FindingView],
) -> dict[str, ServiceView]:
    by_service: dict[str, list[int]] = {}
    for finding in findings.values():
        for name in finding.services:
            by_service.setdefault(name, []).append(finding.id)
    services: dict[str, ServiceView] = {}
    for service in config.services.values():
        schemas = service.schemas or (("public",) if config.is_exempt(service.database) else ())
        services[service.name] = ServiceView(
            name=service.name,
            database=service.database,
            schemas=schemas,
            role=service.role,
            migrations=_relative(config, service.migrations),
            tables=tuple(sorted(service_tables.get(service.name, ()))),
            findings=tuple(by_service.get(service.name, ())),
        )
    for database, found in sorted(unclaimed.items()):
        name = unclaimed_name(database)
        services[name] = ServiceView(
            name=name,
            database=database,
            schemas=tuple(sorted(found)),
            role=None,
            migrations=None,
            claimed=False,
            tables=tuple(sorted(service_tables.get(name, ()))),
            findings=tuple(by_service.get(name, ())),
        )
    return services


def _edges(
    config: Config, catalogs: Mapping[str, Catalog], tables: Mapping[str, TableView]
) -> tuple[Edge, ...]:
    """Foreign keys from one service's tables into another's, and grants of one service's
    schemas to another service's role."""
    edges: list[Edge] = []
    for table in tables.values():
        for fk in table.foreign_keys:
            if fk.target_service and fk.target_service != table.service:
                edges.append(
                    Edge(
                        table.service,
                        fk.target_service,
                        "foreign key",
                        f"{table.path} → {fk.target}",
                    )
                )
    roles = {s.role: s.name for s in config.services.values() if s.role}
    for database, catalog in catalogs.items():
        owners = _owners(config, database)
        seen: set[tuple[str, str, str]] = set()
        for grant in catalog.grants:
            grantee = roles.get(grant.grantee)
            schema_owners = owners.get(grant.schema, ())
            if grantee is None or not schema_owners or grantee in schema_owners:
                continue
            key = (grantee, schema_owners[0], grant.schema)
            if key in seen:
                continue
            seen.add(key)
            edges.append(
                Edge(grantee, schema_owners[0], "grant", f"{grant.grantee} may use {grant.schema}")
            )
    return tuple(edges)


def _security(
    config: Config, catalogs: Mapping[str, Catalog]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """role -> schema -> what it may do there, for the services' configured roles."""
    roles = sorted({s.role for s in config.services.values() if s.role})
    if not roles:
        return {}
    matrix: dict[str, dict[str, set[str]]] = {role: {} for role in roles}
    for catalog in catalogs.values():
        for schema in catalog.schemas.values():
            if schema.owner in matrix:
                matrix[schema.owner].setdefault(schema.name, set()).add("OWNER")
        for grant in catalog.grants:
            if grant.grantee not in matrix or grant.schema in config.tool_schemas:
                continue
            privilege = grant.privilege.upper()
            if grant.object_kind in ("table", "column") and privilege not in _TABLE_PRIVILEGES:
                continue
            matrix[grant.grantee].setdefault(grant.schema, set()).add(privilege)
    order = {p: i for i, p in enumerate(("OWNER", "USAGE", "CREATE", *_TABLE_PRIVILEGES))}
    return {
        role: {
            schema: tuple(sorted(privileges, key=lambda p: (order.get(p, 99), p)))
            for schema, privileges in sorted(schemas.items())
        }
        for role, schemas in matrix.items()
    }


def lock_report(file: Path, folder: Path) -> dict[str, Any]:
    """The statements of a migration with the locks each takes (explain-locks' static
    prediction, told about the migrations before it)."""
    from schemakit.lint import explain_file

    report = explain_file(file, setup=(folder,))
    return {
        "file": file.name,
        "statements": [
            {
                "line": item.statement.line,
                "kind": item.statement.kind,
                "text": item.statement.text.strip(),
                "locks": [
                    {
                        "object": effect.object or None,
                        "mode": effect.mode,
                        "rewrites": effect.rewrites,
                        "scans": effect.scans,
                        "note": effect.note or None,
                    }
                    for effect in item.predicted
                ],
            }
            for item in report.statements
        ],
    }


def rule_doc(code: str) -> tuple[str, str, str, str] | None:
    """(code, name, severity, the doc as Markdown) of a rule, as ``schemakit rule`` prints it."""
    rule = get_rule(code)
    if rule is None:
        return None
    return rule.code, rule.name, rule.severity.value, rule.doc()
