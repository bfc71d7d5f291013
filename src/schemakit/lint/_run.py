"""``schemakit lint``: audit a live database, or replay migrations into a throwaway one.

Services with ``models`` configured (or the base named by ``--models``) are also linted from
their SQLAlchemy models, with no database: the table-shape rules (``MODEL_FAMILIES``) run over
:func:`~schemakit.catalog.from_metadata`, and each finding points at the model class's line.
A rule code reported for the same object by both the models and the database is kept once,
at the model (the file to edit); the database's other findings stay as they are.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from schemakit._pg import connect
from schemakit.catalog import Catalog, from_database, from_drizzle, from_metadata
from schemakit.config import Config, Service, load_config
from schemakit.errors import DatabaseError, SchemakitError, redact
from schemakit.lint._common import (
    SHAPE_FAMILIES,
    LintOptions,
    LintResult,
    Progress,
    chosen_rules,
    conclude,
    file_ignores,
    is_drizzle_source,
    replayable,
    syntax_findings,
)
from schemakit.lint._replay import replay
from schemakit.migrate import (
    ALEMBIC_VERSION_TABLE,
    MigrationSet,
    alembic_offline_sql,
    database_for_url,
    discover,
    load_metadata,
)
from schemakit.rules import (
    RULES,
    CatalogContext,
    Finding,
    InlineIgnore,
    Location,
    MigrationStep,
    Rule,
    enclosing_paths,
    run_catalog_rules,
    run_sql_rules,
)
from schemakit.rules.invalid_suppression import InvalidSuppression
from schemakit.rules.iso.missing_service_schema import MissingServiceSchema
from schemakit.sql import Statement, scan_statements
from schemakit.testing import Cluster

__all__ = ["MODEL_FAMILIES", "LintOptions", "LintResult", "lint"]


def lint(
    path: Path,
    options: LintOptions | None = None,
    progress: Progress | None = None,
    *,
    cluster: Cluster | None = None,
) -> LintResult:
    """Lint the platform whose config is at or above ``path``.

    With ``options.database_url`` the live database is audited; otherwise every service's
    migrations are replayed into a throwaway PostgreSQL and the result is audited. Pass a
    started ``cluster`` to replay into it (its databases are created and dropped here)
    instead of starting one.
    """
    options = options or LintOptions()
    say = progress or (lambda message: None)
    config = load_config(path, required=options.database_url is None)
    rules = chosen_rules(config, options)
    result = LintResult(rules=rules, config_path=config.path)
    findings: list[Finding] = []
    inline: list[InlineIgnore] = []
    if options.database_url:
        database = database_for_url(config, options.database_url, options.database)
        say(f"reading the catalog of {redact(options.database_url)}")
        catalog = read_live(options.database_url)
        ctx = CatalogContext(catalog, config, database, has_registry=bool(config.services))
        findings += run_catalog_rules(rules, ctx)
        result.databases.append(database)
        result.sources.append(redact(options.database_url))
    else:
        # Read and split every service's migrations once for the replay and both passes below.
        found = {s.name: discover(s, config.path) for s in config.services.values()}
        syntax, to_replay = _syntax_errors(found)
        findings += syntax
        cut = {name for name, kept in to_replay.items() if kept is not found[name]}
        for database, catalog, origins in replay(config, say, cluster, found=to_replay):
            ctx = CatalogContext(catalog, config, database, creator=origins.creator)
            findings += [
                finding
                for finding in run_catalog_rules(rules, ctx, origins.locate)
                # a replay cut at a syntax error has not made what later files would
                if not (finding.code == MissingServiceSchema.code and finding.service in cut)
            ]
            result.databases.append(database)
        for service in config.services.values():
            if service.migrations is not None:
                result.sources.append(str(service.migrations))
        findings += _statement_findings(config, rules, found)
        inline, invalid = _inline_ignores(config, {rule.code for rule in RULES}, found)
        if InvalidSuppression in rules:
            findings += invalid
    model_findings, model_sources = _lint_models(config, rules, options.models, say)
    findings = _merge(findings, model_findings)
    result.sources += model_sources
    source_findings, source_files = _lint_drizzle_sources(config, rules, say)
    findings = _merge(findings, source_findings)
    result.sources += source_files
    return conclude(result, findings, inline, config)


def _syntax_errors(
    sets: Mapping[str, MigrationSet | None],
) -> tuple[list[Finding], dict[str, MigrationSet | None]]:
    """SYN001 for every statement the parser rejects, and the sets cut before the first broken
    file of each service: a replay past it would fail on whatever the broken statement made."""
    findings: list[Finding] = []
    cut: dict[str, MigrationSet | None] = dict(sets)
    for name, migrations in sets.items():
        if migrations is None or not migrations.is_sql:
            continue
        for file in migrations.files:
            findings += syntax_findings(
                file,
                name,
                "Fix the SQL. The replay of this service stopped before this file, so its "
                "catalog findings cover only the files before it.",
            )
        kept = replayable(migrations.files)
        if len(kept) < len(migrations.files):
            cut[name] = replace(migrations, files=kept)
    return findings, cut


def _statement_findings(
    config: Config,
    rules: tuple[type[Rule], ...],
    sets: Mapping[str, MigrationSet | None],
) -> list[Finding]:
    """The MIG rules over each service's migrations, in order, located at each statement."""
    found: list[Finding] = []
    for service in config.services.values():
        migrations = sets[service.name]
        if migrations is None:
            continue
        if migrations.is_sql:
            steps = [
                MigrationStep(service.name, f.id, f.path, f.scanned[0], f.date)
                for f in migrations.files
            ]
        else:
            steps = _alembic_steps(service, migrations) if migrations.files else []
        # drizzle-orm's migrator runs a drizzle folder's pending files in one transaction.
        # schemakit migrate sets lock_timeout and statement_timeout itself; a service whose
        # config names another runner (runner = "drizzle" or "other") gets neither.
        for finding in run_sql_rules(
            rules,
            steps,
            in_transaction=migrations.kind == "drizzle",
            runner_sets_lock_timeout=service.runner == "schemakit",
            # the sync engine itself; a service with schemas of its own there is a
            # projection, which the guideline has use them (mana_ai.mission_snapshots)
            exempt=config.is_exempt(service.database) and not service.schemas,
            drop_wait_days=config.lint.drop_wait_days,
        ):
            found.append(replace(finding, database=service.database))
    return found


def _alembic_steps(service: Service, migrations: MigrationSet) -> list[MigrationStep]:
    """Each Alembic revision's upgrade as its offline SQL (``alembic upgrade --sql``), without
    Alembic's own bookkeeping; findings point at the revision's ``def upgrade`` line."""
    texts = {f.path: f.text for f in migrations.files}
    steps = []
    for revision, path, text in alembic_offline_sql(service):
        line = _upgrade_line(texts[path])
        statements = [
            replace(statement, path=path, line=line, end_line=line, column=1)
            for statement in scan_statements(text, path)[0]
            if not _alembic_bookkeeping(statement)
        ]
        steps.append(MigrationStep(service.name, revision, path, statements))
    return steps


def _alembic_bookkeeping(statement: Statement) -> bool:
    if statement.kind == "TransactionStmt":
        return True
    relation = statement.node.get("relation") or {}
    return relation.get("relname") == ALEMBIC_VERSION_TABLE


def _upgrade_line(text: str) -> int:
    lines = text.splitlines()
    return next((n for n, line in enumerate(lines, 1) if line.startswith("def upgrade")), 1)


MODEL_FAMILIES = SHAPE_FAMILIES
"""Rule families run over models (see :data:`SHAPE_FAMILIES`)."""


def _lint_models(
    config: Config, rules: tuple[type[Rule], ...], spec: str | None, say: Progress
) -> tuple[list[Finding], list[str]]:
    """Findings of the table-shape rules over each service's models, located at the classes."""
    services = [s for s in config.services.values() if s.models is not None]
    if spec is not None:
        owner = _owner_of_models(config, spec)
        services = [s for s in services if s.name != owner.name] + [replace(owner, models=spec)]
    model_rules = tuple(
        rule for rule in rules if rule.family() in MODEL_FAMILIES or rule.code in SOURCE_ISO_RULES
    )
    findings: list[Finding] = []
    sources: list[str] = []
    for service in services:
        assert service.models is not None
        say(f"reading the models of service {service.name} ({service.models})")
        metadata = load_metadata(service)
        catalog = from_metadata(metadata, service.database)
        ctx = CatalogContext(
            catalog,
            config,
            service.database,
            has_registry=bool(config.services),
            creator=_created_by(service.name),
        )
        locate = _model_locator(_base_of(service.models))
        findings += run_catalog_rules(model_rules, ctx, locate)
        sources.append(service.models)
    return findings, sources


SOURCE_ISO_RULES = ("ISO001", "ISO002", "ISO004", "ISO007", "ISO008")
"""ISO rules that judge one service's objects alone, so they run over its models and Drizzle
sources too: a raw ``pgTable(`` or a module-level ``pgEnum(`` lands in public, a schema no
service registers, another service's schema, a foreign key into another service. The other
ISO rules (a schema claimed twice or missing, one nobody claims) need the whole database."""


def _drizzle_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if is_drizzle_source(p) and "node_modules" not in p.parts
            )
        elif is_drizzle_source(path) and path.is_file():
            files.append(path)
    return files


def _lint_drizzle_sources(
    config: Config, rules: tuple[type[Rule], ...], say: Progress
) -> tuple[list[Finding], list[str]]:
    """Findings over each service's Drizzle TypeScript sources (``sources = [...]``), located at
    the ``pgTable(``/``.table(``/``pgEnum(`` call that declares each object."""
    chosen = tuple(
        rule for rule in rules if rule.family() in MODEL_FAMILIES or rule.code in SOURCE_ISO_RULES
    )
    findings: list[Finding] = []
    read: list[str] = []
    for service in config.services.values():
        files = _drizzle_files(service.sources)
        if not files:
            continue
        say(f"parsing {len(files)} Drizzle files of service {service.name}")
        catalog, where = from_drizzle(files, service.database)
        ctx = CatalogContext(
            catalog,
            config,
            service.database,
            has_registry=bool(config.services),
            creator=_created_by(service.name),
        )
        findings += run_catalog_rules(chosen, ctx, partial(_locate_in, where))
        read += [str(f) for f in files]
    public_rules = tuple(rule for rule in rules if rule.code == "ISO001")
    stray = _stray_drizzle_files(config) if public_rules else []
    if stray:
        # the guideline's check, `rg "pgTable\(" services/ ...`, over the files no service
        # lists: a raw pgTable( there lands in public like any other
        say(f"parsing {len(stray)} Drizzle files that no service lists")
        catalog, where = from_drizzle(stray, config.default_database)
        ctx = CatalogContext(catalog, config, config.default_database, has_registry=False)
        findings += run_catalog_rules(public_rules, ctx, partial(_locate_in, where))
        read += [str(f) for f in stray]
    return findings, read


_NOT_SOURCE_DIRS = frozenset({"node_modules", "__pycache__"})


def _stray_drizzle_files(config: Config) -> list[Path]:
    """TypeScript files below the config's folder that call ``pgTable(`` and that no service
    lists in ``sources``, outside the folders of services in exempt databases (the
    guideline's "any hit that's not inside mana-sync is a violation": its ``rg`` covers
    every folder, so only ``node_modules`` and hidden folders are left out)."""
    if config.path is None:
        return []
    listed = [p.resolve() for s in config.services.values() for p in s.sources]
    exempt = [
        folder.resolve()
        for s in config.services.values()
        if config.is_exempt(s.database)
        for folder in (
            *((s.migrations.parent,) if s.migrations is not None else ()),
            *s.sources,
        )
    ]
    skip = [*listed, *exempt]
    found = []
    for folder, dirs, names in os.walk(config.root):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_SOURCE_DIRS and not d.startswith("."))
        for name in sorted(names):
            path = Path(folder, name)
            if not is_drizzle_source(path) or any(path.resolve().is_relative_to(p) for p in skip):
                continue
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "pgTable(" in text:
                found.append(path)
    return found


def _locate_in(where: dict[str, tuple[Path, int]], path: str) -> Location | None:
    for candidate in enclosing_paths(path):
        if candidate in where:
            file, line = where[candidate]
            return Location(file, line)
    return None


def _created_by(service: str) -> Callable[[str], str | None]:
    """Every object of a service's models is that service's."""
    return lambda path: service


def _owner_of_models(config: Config, spec: str) -> Service:
    """The first configured service owning a schema of ``spec``'s tables (``--models``)."""
    paths = (Path.cwd(), *(p for s in config.services.values() for p in s.python_path))
    probe = Service("--models", (), "", models=spec, python_path=tuple(dict.fromkeys(paths)))
    metadata = load_metadata(probe)
    schemas = sorted({t.schema or "public" for t in metadata.tables.values()})
    for service in config.services.values():
        if set(service.schemas) & set(schemas):
            return replace(service, python_path=(*service.python_path, *probe.python_path))
    raise SchemakitError(
        f"--models {spec}: no configured service owns schema {', '.join(schemas) or '(none)'}",
        hint="register the schema to a service in the config, or pass the right base",
    )


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
        for table in mapper.tables:
            where.setdefault(f"{table.schema or 'public'}.{table.name}", location)
    fallback = _source_of(base)

    def locate(path: str) -> Location | None:
        for candidate in enclosing_paths(path):
            if candidate in where:
                return where[candidate]
        return fallback

    return locate


def _source_of(cls: type) -> Location | None:
    try:
        file = inspect.getsourcefile(cls)
        _, line = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    return Location(Path(file), line) if file else None


def _merge(database: list[Finding], models: list[Finding]) -> list[Finding]:
    """Both lists, without a database finding whose code and object a model finding has."""
    seen = {(f.code, f.object) for f in models if f.object}
    return [f for f in database if (f.code, f.object) not in seen] + models


def read_live(url: str) -> Catalog:
    """The Catalog of the database at ``url`` (errors name the redacted URL)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(
            f"invalid database URL {redact(url)}: {redact(str(exc).strip())}",
            hint="percent-encode special characters in the password (space is %20)",
        ) from exc
    conn = connect(url, hint="check the URL, that the server runs, and that it accepts this user")
    with conn:
        return from_database(conn)


def _inline_ignores(
    config: Config, known: set[str], sets: Mapping[str, MigrationSet | None]
) -> tuple[list[InlineIgnore], list[Finding]]:
    """Inline ignores attached to their statements, and SUP002 findings for invalid ones."""
    items: list[InlineIgnore] = []
    invalid: list[Finding] = []
    for service in config.services.values():
        migrations = sets[service.name]
        if migrations is None or not migrations.is_sql:
            continue
        for file in migrations.files:
            file_items, file_invalid = file_ignores(file, known)
            items += file_items
            invalid += file_invalid
    return items, invalid
