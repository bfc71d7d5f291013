"""``schemakit lint``: audit a live database, or replay migrations into a throwaway one.

Services with ``models`` configured (or the base named by ``--models``) are also linted from
their SQLAlchemy models, with no database: the table-shape rules (``MODEL_FAMILIES``) run over
:func:`~schemakit.catalog.from_metadata`, and each finding points at the model class's line.
A rule code reported for the same object by both the models and the database is kept once,
at the model (the file to edit); the database's other findings stay as they are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import cast

import psycopg

from schemakit import catalog as catalogs  # its SQLAlchemy and Drizzle readers load on use
from schemakit._pg import connect
from schemakit.catalog import Catalog, from_database
from schemakit.config import Config, Service, load_config
from schemakit.errors import ClusterError, DatabaseError, SchemakitError, redact
from schemakit.lint._cache import ReplayCache, recording, run_key, server_identity
from schemakit.lint._common import (
    SHAPE_FAMILIES,
    LintOptions,
    LintResult,
    Progress,
    is_drizzle_source,
    replayable,
    source_texts,
)
from schemakit.lint._declared import (
    Declared,
    declared_models,
    declared_sources,
    locate_in,
    owned,
)
from schemakit.lint._disagree import disagreements, made_by, stale_read_only
from schemakit.lint._grants import GrantSites
from schemakit.lint._replay import Origins, ReplayFailure, refused, replay
from schemakit.migrate import (
    ALEMBIC_VERSION_TABLE,
    MigrationSet,
    alembic_offline_sql,
    database_for_url,
    discover,
    load_metadata,
)
from schemakit.rules import (
    CatalogContext,
    CatalogRun,
    Finding,
    Location,
    MigrationStep,
    Rule,
    SourceText,
    StatementRun,
    check,
    choose_rules,
    enclosing_paths,
    statement_findings,
)
from schemakit.rules.iso.missing_service_schema import MissingServiceSchema
from schemakit.server import Cluster, Starting
from schemakit.sql import Statement, scan_statements

__all__ = ["MODEL_FAMILIES", "LintOptions", "LintResult", "lint"]


def lint(
    path: Path,
    options: LintOptions | None = None,
    progress: Progress | None = None,
    *,
    cluster: Cluster | None = None,
    config: Config | None = None,
) -> LintResult:
    """Lint the platform whose config is at or above ``path``.

    With ``options.database_url`` the live database is audited; otherwise every service's
    migrations are replayed into a throwaway PostgreSQL and the result is audited. Pass a
    started ``cluster`` to replay into it (its databases are created and dropped here)
    instead of starting one, and the ``config`` when the caller has read it already.

    With ``options.cache`` (and no live database or given cluster) the report of an earlier
    run is reused when the options are the same and every file that run read, and every
    folder it listed, is as it was; else each database's replay is reused when its inputs
    are (see :mod:`schemakit.lint._cache`).
    """
    options = options or LintOptions()
    say = progress or (lambda message: None)
    if config is None:
        config = load_config(path, required=options.database_url is None)
    if not options.cache or cluster is not None or options.database_url:
        return _lint(path, options, say, cluster, config, None)
    cache = ReplayCache()
    try:
        server: tuple[str | int, ...] = server_identity()
    except (ClusterError, OSError):
        server = ("no server",)  # the run says so, if it needs one
    key = run_key(
        str(path.resolve()),
        repr(replace(options, cache=False)),
        str(config.path),
        config.path.read_bytes() if config.path is not None else None,
        *server,
    )
    cached = cache.load_run(key)
    if cached is not None:
        say(
            "lint: nothing it read changed since an earlier run; the findings are read from "
            "the cache (--no-cache lints afresh)"
        )
        return cast(LintResult, cached)
    with recording() as reads:
        result = _lint(path, options, say, None, config, cache)
    cache.store_run(key, reads, result)
    return result


def _lint(
    path: Path,
    options: LintOptions,
    say: Progress,
    cluster: Cluster | None,
    config: Config,
    cache: ReplayCache | None,
) -> LintResult:
    # A replay needs a server: it starts on another thread while models, sources and
    # migrations are read and parsed (about a second of a big platform's run)
    replays = any(s.migration_folders for s in config.services.values())
    starting = Starting() if replays and cluster is None and not options.database_url else None
    try:
        server = starting.wait if starting is not None else None
        return _lint_with(path, options, say, cluster, config, cache, server)
    finally:
        if starting is not None:
            starting.stop()


def _lint_with(
    path: Path,
    options: LintOptions,
    say: Progress,
    cluster: Cluster | None,
    config: Config,
    cache: ReplayCache | None,
    server: Callable[[], Cluster] | None,
) -> LintResult:
    rules = choose_rules(config, options.selection)
    catalogs: list[CatalogRun] = []
    statements: list[StatementRun] = []
    solving: Future[list[list[Finding]]] | None = None
    runs: list[StatementRun] = []
    texts: list[SourceText] = []
    databases: list[str] = []
    sources: list[str] = []
    given: list[Finding] = []
    # what each service declares (its models, its Drizzle sources): read first, as a
    # baseline = "sources" replay builds on it
    declared: dict[str, Declared] = {}
    model_runs, model_sources = _lint_models(config, options.models, say, declared)
    source_runs, source_files = _lint_drizzle_sources(config, rules, say, declared)
    given += stale_read_only(config, declared)
    if options.database_url:
        database = database_for_url(config, options.database_url, options.database)
        say(f"reading the catalog of {redact(options.database_url)}")
        catalog = read_live(options.database_url)
        ctx = CatalogContext(catalog, config, database, has_registry=bool(config.services))
        catalogs.append(CatalogRun(ctx))
        databases.append(database)
        sources.append(redact(options.database_url))
    else:
        # Read and split every service's migrations once for the replay and the rules.
        found = {s.name: discover(s, config.path) for s in config.services.values()}
        to_replay = _replayable_sets(found)
        cut = {name for name, kept in to_replay.items() if kept is not found[name]}
        failures: list[ReplayFailure] = []
        replayed = replay(
            config,
            say,
            cluster,
            found=to_replay,
            failures=failures,
            declared=declared,
            cache=cache,
            server=server,
        )
        # The statement rules need no database: they run on another thread while the server
        # replays (not with Alembic services, whose offline SQL is made after the replay)
        if all(m is None or m.is_sql for m in found.values()):
            runs = _statement_runs(config, found)
            pool = ThreadPoolExecutor(1, thread_name_prefix="schemakit-rules")
            solving = pool.submit(lambda: [statement_findings(config, rules, r) for r in runs])
            pool.shutdown(wait=False)
        made: dict[str, tuple[Catalog, Callable[[str], Location | None]]] = {}
        # what Alembic revisions made, at the op. call (the replay runs them as a whole)
        alembic_at: dict[str, Location] = {}
        grants = GrantSites(to_replay.values())
        for database, catalog, origins in replayed:
            locate = partial(_located, alembic_at, origins)
            made[database] = (catalog, locate)
            ctx = CatalogContext(catalog, config, database, creator=origins.creator)
            # a replay cut at a syntax error has not made what later files would
            keep = partial(_not_missing_after_cut, cut)
            catalogs.append(CatalogRun(ctx, locate, keep=keep, relocate=grants.relocate))
            databases.append(database)
        for service in config.services.values():
            sources += (str(folder) for folder in service.migration_folders)
        statements += runs if solving is not None else _statement_runs(config, found)
        alembic_at.update(
            (path, Location(step.path, statement.line))
            for run in statements
            for step in run.steps
            if step.path.suffix == ".py"
            for statement in step.statements
            for path in made_by(statement)
        )
        texts += _texts(config, found)
        given += (refused(failure) for failure in failures)
        # a service whose replay stopped has not made what its later files would
        cut |= {failure.service for failure in failures}
        given += disagreements(config, declared, made, cut, found)
    catalogs += model_runs
    sources += model_sources
    catalogs += source_runs
    sources += source_files
    given += _typescript_errors(config, [Path(f) for f in source_files])
    checked = check(
        config,
        rules,
        catalogs=catalogs,
        statements=statements,
        texts=texts,
        given=given,
        solved=solving.result() if solving is not None else None,
    )
    return LintResult(
        checked.findings,
        checked.rules,
        databases=databases,
        sources=sources,
        suppressed=checked.suppressed,
    )


def _typescript_errors(config: Config, files: list[Path]) -> list[Finding]:
    """SYN002 at the first syntax error of each Drizzle file read."""
    if not files:
        return []
    from schemakit.catalog import syntax_errors
    from schemakit.rules import meta_rule

    rule = meta_rule("typescript-syntax")()
    findings = []
    for path, line, column, what in syntax_errors(files):
        owner = config.service_at(path.resolve())
        findings.append(
            rule.finding(
                f"TypeScript syntax error: {what}",
                "Fix the file: what it declares after this point may be missing from the "
                "checks (tsc and drizzle-kit generate reject it too).",
                location=Location(path, line, column),
                service=owner.name if owner is not None else None,
            )
        )
        findings += _raw_pgtables(path, owner.name if owner is not None else None)
    return findings


_RAW_PGTABLE = re.compile(r"""\bpgTable\(\s*['"`]([^'"`]+)['"`]""")


def _raw_pgtables(path: Path, service: str | None) -> list[Finding]:
    """ISO001 for each raw ``pgTable('name'`` of a file that does not parse, found by text
    as the guideline's ``rg "pgTable\\("`` finds it (the parse tree may have lost the call)."""
    from schemakit.rules.iso.table_in_public import TableInPublic

    rule = TableInPublic()
    text = path.read_text(encoding="utf-8", errors="replace")
    return [
        rule.finding(
            f"Table public.{match.group(1)} is in the public schema (a raw pgTable( in a file "
            "that does not parse)",
            "Declare it on the service's pgSchema(...) instead: schema.table(...).",
            object=f"public.{match.group(1)}",
            location=Location(path, text.count("\n", 0, match.start()) + 1),
            service=service,
        )
        for match in _RAW_PGTABLE.finditer(text)
    ]


def _located(at: dict[str, Location], origins: Origins, path: str) -> Location | None:
    for candidate in enclosing_paths(path):
        if candidate in at:
            return at[candidate]
    return origins.locate(path)


def _not_missing_after_cut(cut: set[str], finding: Finding) -> bool:
    return not (finding.code == MissingServiceSchema.code and finding.service in cut)


_SYNTAX_HINT = (
    "Fix the SQL. The replay of this service stopped before this file, so its catalog "
    "findings cover only the files before it."
)


def _texts(config: Config, sets: Mapping[str, MigrationSet | None]) -> list[SourceText]:
    """Each service's SQL migrations, for their syntax errors and inline ignores."""
    texts: list[SourceText] = []
    for name, migrations in sets.items():
        if migrations is not None and migrations.is_sql:
            texts += source_texts(migrations.files, name, _SYNTAX_HINT)
    return texts


def _replayable_sets(
    sets: Mapping[str, MigrationSet | None],
) -> dict[str, MigrationSet | None]:
    """The sets cut before the first broken file of each service: a replay past it would
    fail on whatever the broken statement made."""
    cut: dict[str, MigrationSet | None] = dict(sets)
    for name, migrations in sets.items():
        if migrations is None or not migrations.is_sql:
            continue
        kept = replayable(migrations.files)
        if len(kept) < len(migrations.files):
            cut[name] = replace(migrations, files=kept)
    return cut


def _statement_runs(config: Config, sets: Mapping[str, MigrationSet | None]) -> list[StatementRun]:
    """The statement rules over each service's migrations, in order."""
    runs: list[StatementRun] = []
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
        runs.append(
            StatementRun(
                steps,
                in_transaction=migrations.kind == "drizzle",
                runner_sets_lock_timeout=service.runner == "schemakit",
                # the sync engine itself; a service with schemas of its own there is a
                # projection, which the guideline has use them (mana_ai.mission_snapshots)
                exempt=config.is_exempt(service.database) and not service.schemas,
                database=service.database,
            )
        )
    return runs


def _alembic_steps(service: Service, migrations: MigrationSet) -> list[MigrationStep]:
    """Each Alembic revision's upgrade as its offline SQL (``alembic upgrade --sql``), without
    Alembic's own bookkeeping; each statement's findings point at the ``op.`` call that wrote
    it (else at the revision's ``def upgrade`` line)."""
    texts = {f.path: f.text for f in migrations.files}
    steps = []
    for revision, path, text, marks in alembic_offline_sql(service):
        upgrade = _upgrade_line(texts[path])
        # the SQL text's line where each op. call's output starts -> the call's line
        starts = [(text.count("\n", 0, offset) + 1, line) for offset, line in marks]
        statements = []
        for statement in scan_statements(text, path)[0]:
            if _alembic_bookkeeping(statement):
                continue
            made = [line for start, line in starts if start <= statement.line]
            line = made[-1] if made else upgrade
            statements.append(replace(statement, path=path, line=line, end_line=line, column=1))
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
    config: Config, spec: str | None, say: Progress, declared: dict[str, Declared]
) -> tuple[list[CatalogRun], list[str]]:
    """The table-shape rules over each service's models, located at the classes."""
    services = [s for s in config.services.values() if s.models is not None]
    if spec is not None:
        owner = _owner_of_models(config, spec)
        services = [s for s in services if s.name != owner.name] + [replace(owner, models=spec)]
    runs: list[CatalogRun] = []
    sources: list[str] = []
    for service in services:
        assert service.models is not None
        say(f"reading the models of service {service.name} ({service.models})")
        found = declared_models(service)
        declared[service.name] = found
        runs.append(_declared_run(config, service, found))
        sources += found.read
    return runs, sources


def _declared_run(config: Config, service: Service, found: Declared) -> CatalogRun:
    """The rules that judge declarations, over what the service itself declares (never a
    read-only reference to another service's table), located at each declaration."""
    ctx = CatalogContext(
        owned(found, service),
        config,
        service.database,
        has_registry=bool(config.services),
        creator=_created_by(service.name),
    )
    return CatalogRun(ctx, found.locate, only=_judges_declarations, declared=found.kind)


def _judges_declarations(rule: type[Rule]) -> bool:
    """Rules that judge declared tables (models, Drizzle sources), not a whole database."""
    return rule.family() in MODEL_FAMILIES or rule.code in SOURCE_ISO_RULES


SOURCE_ISO_RULES = ("ISO001", "ISO002", "ISO004", "ISO007", "ISO008")
"""ISO rules that judge one service's objects alone, so they run over its models and Drizzle
sources too: a raw ``pgTable(`` or a module-level ``pgEnum(`` lands in public, a schema no
service registers, another service's schema, a foreign key into another service. The other
ISO rules (a schema claimed twice or missing, one nobody claims) need the whole database."""


def _lint_drizzle_sources(
    config: Config, rules: tuple[type[Rule], ...], say: Progress, declared: dict[str, Declared]
) -> tuple[list[CatalogRun], list[str]]:
    """The rules over each service's Drizzle TypeScript sources (``sources = [...]``), located
    at the ``pgTable(``/``.table(``/``pgEnum(`` call that declares each object."""
    runs: list[CatalogRun] = []
    read: list[str] = []
    for service in config.services.values():
        found = declared_sources(service)
        if found is None:
            continue
        say(f"parsed {len(found.read)} Drizzle files of service {service.name}")
        declared[service.name] = found
        runs.append(_declared_run(config, service, found))
        read += found.read
    stray = _stray_drizzle_files(config) if any(r.code == "ISO001" for r in rules) else []
    if stray:
        # the guideline's check, `rg "pgTable\(" services/ ...`, over the files no service
        # lists: a raw pgTable( there lands in public like any other
        say(f"parsing {len(stray)} Drizzle files that no service lists")
        catalog, where = catalogs.from_drizzle(stray, config.default_database)
        ctx = CatalogContext(catalog, config, config.default_database, has_registry=False)
        runs.append(
            CatalogRun(
                ctx,
                partial(locate_in, where),
                only=lambda rule: rule.code == "ISO001",
                declared="sources",
            )
        )
        read += [str(f) for f in stray]
    return runs, read


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
            *(folder.parent for folder in s.migration_folders),
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
