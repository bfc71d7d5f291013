"""Alembic for Python services, with the environment built in code (no env.py to copy around).

Per service: the version table lives in the service's schema (never a shared
``public.alembic_version``), the schema is created if missing, and autogenerate sees only the
service's schemas. Alembic's ``context`` is a module-global proxy, so every use here is
serialised by one lock: two runners in one process cannot trip on each other.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from schemakit.config import Service
from schemakit.conventions import quote_ident
from schemakit.errors import ConfigError, DatabaseError, MigrationError, first_line, redact

__all__ = [
    "VERSION_TABLE",
    "alembic_revisions",
    "alembic_upgrade",
    "current_revisions",
    "generate_revision",
    "load_metadata",
]

VERSION_TABLE = "alembic_version"
_ALEMBIC_GLOBALS = threading.Lock()


@contextlib.contextmanager
def _on_path(paths: tuple[Path, ...]) -> Iterator[None]:
    added = [str(p) for p in paths if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for item in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(item)


def _forget_foreign(module_name: str, paths: tuple[Path, ...]) -> None:
    """Drop a package of the same name that another service imported from elsewhere: three
    services whose models are all ``database.models`` must each read their own, not the
    first one's (Python caches modules by name)."""
    top = module_name.split(".", 1)[0]
    loaded = sys.modules.get(top)
    if loaded is None or not paths:
        return
    files = [getattr(loaded, "__file__", None), *(getattr(loaded, "__path__", None) or ())]
    roots = [p.resolve() for p in paths]
    if any(f and any(Path(f).resolve().is_relative_to(r) for r in roots) for f in files):
        return  # this service's own
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]


def load_metadata(service: Service) -> Any:
    """The MetaData of ``service.models`` (``package.module:Base``)."""
    if service.models is None:
        raise ConfigError(
            f"service {service.name} names no models",
            key=f"services.{service.name}.models",
            hint='add models = "package.module:Base" (and python-path if needed)',
        )
    module_name, _, attr = service.models.partition(":")
    with _on_path(service.python_path):
        _forget_foreign(module_name, service.python_path)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or ""
            ours = module_name == missing or module_name.startswith(missing + ".")
            raise ConfigError(
                f"cannot import {module_name} for service {service.name}: {exc}",
                key=f"services.{service.name}.models",
                hint="set python-path to the folder that holds the package"
                if ours or not missing
                else f"the models import {missing}, which is not installed in this "
                "environment: install the service's dependencies",
            ) from exc
        except Exception as exc:
            import traceback

            roots = [p.resolve() for p in service.python_path]
            frames = traceback.extract_tb(exc.__traceback__)
            # the service's own line that raised, not the library's that it called
            own = [f for f in frames if any(Path(f.filename).is_relative_to(r) for r in roots)]
            frame = (own or frames)[-1] if frames else None
            where = f" ({frame.filename}:{frame.lineno})" if frame else ""
            raise ConfigError(
                f"importing {module_name} for service {service.name} raised "
                f"{type(exc).__name__}: {exc}{where}",
                key=f"services.{service.name}.models",
                hint="the module itself fails on import: fix it, or run schemakit where "
                "its settings (environment variables) are set",
            ) from exc
    base = getattr(module, attr, None)
    metadata = getattr(base, "metadata", None)
    if metadata is None:
        raise ConfigError(
            f"{service.models} is not a declarative base with a metadata",
            key=f"services.{service.name}.models",
        )
    return metadata


def _script(folder: Path) -> Any:
    # Reading the revisions imports every revision module: do it once per run, and again only
    # when the versions folder changed (generate adds a file, which changes the folder's
    # mtime; a stat of every revision would cost more than the run's own bookkeeping).
    versions = folder / "versions"
    return _cached_script(str(folder.resolve()), versions.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _cached_script(folder: str, folder_mtime: int) -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(folder)


def alembic_revisions(folder: Path) -> list[tuple[str, Path]]:
    """(revision id, file) from base to head; branches are refused (one line of history)."""
    script = _script(folder)
    heads = script.get_heads()
    if len(heads) > 1:
        raise MigrationError(
            f"Alembic revisions have {len(heads)} heads: {', '.join(heads)}",
            path=folder,
            hint="merge them (alembic merge) so the service has one line of history",
        )
    ordered = [(rev.revision, Path(rev.path)) for rev in script.walk_revisions()]
    return list(reversed(ordered))


class _Marked(io.StringIO):
    """The offline SQL, noting where each write starts and the revision file's line that
    made it (the ``op.`` call's), so findings point at that line."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__()
        self.files = {str(p) for p in files} | {str(p.resolve()) for p in files}
        self.marks: list[tuple[int, int]] = []

    def write(self, text: str) -> int:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename not in self.files:
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            self.marks.append((self.tell(), frame.f_lineno))
        return super().write(text)


def alembic_offline_sql(
    service: Service,
) -> list[tuple[str, Path, str, tuple[tuple[int, int], ...]]]:
    """(revision, file, SQL, marks) base to head, as ``alembic upgrade --sql`` writes each
    revision's upgrade (offline mode: the revisions' Python runs, no database is touched);
    marks: (offset in the SQL, line of the revision file whose call wrote from there).

    Alembic's own statements (BEGIN/COMMIT, its version table) are left in the text; the
    linter drops them.
    """

    from alembic.config import Config as AlembicConfig
    from alembic.runtime.environment import EnvironmentContext

    assert service.migrations is not None
    script = _script(service.migrations)
    paths = dict(alembic_revisions(service.migrations))
    buffer = _Marked(list(paths.values()))
    marks: list[tuple[str, int]] = []

    def upgrade(rev: Any, context: Any) -> Any:
        return script._upgrade_revs("head", rev)

    def applied(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        if step.is_upgrade:
            marks.append((step.up_revision_id, buffer.tell()))

    try:
        with (
            _ALEMBIC_GLOBALS,
            _on_path(service.python_path),
            EnvironmentContext(
                AlembicConfig(), script, fn=upgrade, as_sql=True, destination_rev="head"
            ) as env,
        ):
            env.configure(
                url="postgresql://",
                dialect_name="postgresql",
                output_buffer=buffer,
                version_table=VERSION_TABLE,
                version_table_schema=_version_schema(service),
                transaction_per_migration=True,
                on_version_apply=applied,
                literal_binds=True,
            )
            with env.begin_transaction():
                env.run_migrations()
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(
            f"Alembic could not write the offline SQL of service {service.name}: {first_line(exc)}",
            path=service.migrations,
            hint="the revisions must run in offline mode (alembic upgrade --sql): no reads "
            "from the database inside upgrade()",
        ) from exc
    text = buffer.getvalue()
    out = []
    start = 0
    for revision, end in marks:
        lines = tuple((at - start, line) for at, line in buffer.marks if start <= at < end)
        out.append((revision, paths[revision], text[start:end], lines))
        start = end
    return out


_CREATE_SCHEMA_IF_NOT_EXISTS = re.compile(
    r'^\s*CREATE\s+SCHEMA\s+IF\s+NOT\s+EXISTS\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*;?\s*$',
    re.IGNORECASE,
)


def _skip_own_create_schema(conn: Any, service: Service) -> None:
    """A revision's ``CREATE SCHEMA IF NOT EXISTS`` of the service's own schema (the usual
    first revision, schemakit's scaffold included) becomes a no-op when the schema exists:
    run as the owner role PostgreSQL refuses it even then (CREATE on the database is checked
    first), and the owner must not hold CREATE on the database. The SQL runner leaves such a
    statement out the same way."""
    from sqlalchemy import event

    rows = conn.exec_driver_sql(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%(names)s)",
        {"names": list(service.schemas)},
    )
    existing = {name for (name,) in rows}

    def rewrite(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        match = _CREATE_SCHEMA_IF_NOT_EXISTS.match(statement)
        if match is not None:
            name = match.group(1)
            name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
            if name in existing:
                return "SELECT 1", parameters
        return statement, parameters

    event.listen(conn, "before_cursor_execute", rewrite, retval=True)


def _version_schema(service: Service) -> str:
    if not service.schemas:
        raise ConfigError(f"service {service.name} has no schema for its Alembic version table")
    return service.schemas[0]


def current_revisions(conn: Any, service: Service) -> set[str]:
    """Revisions applied per the service's version table (ancestors of its head included)."""
    schema = _version_schema(service)
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.{VERSION_TABLE}",)
    ).fetchone()
    if not row or not row[0]:
        return set()
    heads = [r[0] for r in conn.execute(f'SELECT version_num FROM "{schema}".{VERSION_TABLE}')]
    if not heads or service.migrations is None:
        return set()
    script = _script(service.migrations)
    applied: set[str] = set()
    for head in heads:
        for rev in script.iterate_revisions(head, "base"):
            applied.add(rev.revision)
    return applied


def alembic_upgrade(
    url: str,
    service: Service,
    *,
    on_applied: Callable[[Any, str], None] | None = None,
    timeouts: str = "",
    as_role: str | None = None,
) -> list[str]:
    """Upgrade ``service`` to head, one transaction per revision; returns the revisions run.

    ``on_applied(connection, revision)`` runs inside each revision's transaction, after
    Alembic recorded it in its version table. ``as_role``: the revisions (and Alembic's
    version table) run as this role (``SET ROLE``, the service's owner role), so what they
    create is owned by it.
    """
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.environment import EnvironmentContext

    assert service.migrations is not None
    schema = _version_schema(service)
    script = _script(service.migrations)
    ran: list[str] = []
    engine = _engine(url)

    def upgrade(rev: Any, context: Any) -> Any:
        return script._upgrade_revs("head", rev)

    def applied(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        if step.is_upgrade:
            revision = step.up_revision_id
            ran.append(revision)
            if on_applied is not None:
                on_applied(ctx.connection, revision)

    try:
        with _ALEMBIC_GLOBALS, engine.connect() as conn:
            if as_role is None:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            else:
                # the owner may not create schemas (provision made its own), even IF NOT EXISTS
                conn.exec_driver_sql(f"SET ROLE {quote_ident(as_role)}")
                _skip_own_create_schema(conn, service)
            if timeouts:
                conn.exec_driver_sql(timeouts)
            conn.commit()
            with (
                _on_path(service.python_path),
                EnvironmentContext(
                    AlembicConfig(), script, fn=upgrade, destination_rev="head"
                ) as env,
            ):
                env.configure(
                    connection=conn,
                    version_table=VERSION_TABLE,
                    version_table_schema=schema,
                    transaction_per_migration=True,
                    on_version_apply=applied,
                )
                with env.begin_transaction():
                    env.run_migrations()
            conn.commit()
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(
            f"Alembic upgrade of service {service.name} failed"
            + (f" after {ran[-1]}" if ran else "")
            + f": {first_line(exc)}",
            path=service.migrations,
            hint="the failing revision was rolled back; revisions before it stay applied",
        ) from exc
    finally:
        engine.dispose()
    return ran


def _engine(url: str) -> Any:
    """An SQLAlchemy engine on ``url`` (a URL or a libpq key/value DSN), one connection at a time."""
    import psycopg
    import sqlalchemy as sa

    return sa.create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(url),
        poolclass=sa.NullPool,
    )


_TEMPLATE = Path("script.py.mako")


def _only_schemas_of(service: Service) -> Callable[[str | None, str, Any], bool]:
    """Autogenerate's ``include_name``: the service's schemas, never Alembic's own table."""
    schemas = set(service.schemas)

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name in schemas
        return not (type_ == "table" and name == VERSION_TABLE)

    return include_name


def generate_revision(
    service: Service, message: str, compare_url: str, *, rev_id: str | None = None
) -> Path | None:
    """Autogenerate a revision of ``service``'s models against ``compare_url`` (a database with
    the service's current migrations applied); only the service's schemas are compared.

    Returns the written file, or None when the models add nothing (no file is written). The
    revision is rendered for PostgreSQL (server defaults compiled by its dialect, not
    Alembic's stand-in), imports every module it names, and is checked for names it uses
    without defining before it is kept: a file that could not run is removed, not left behind.
    """
    import uuid

    from alembic.autogenerate import produce_migrations
    from alembic.autogenerate.api import AutogenContext
    from alembic.autogenerate.render import _indent, _render_cmd_body
    from alembic.runtime.migration import MigrationContext

    assert service.migrations is not None
    metadata = load_metadata(service)
    folder = service.migrations
    engine = _engine(compare_url)
    try:
        with _ALEMBIC_GLOBALS, engine.connect() as conn:
            context = MigrationContext.configure(
                connection=conn,
                opts={
                    "target_metadata": metadata,
                    "include_schemas": True,
                    "include_name": _only_schemas_of(service),
                    "version_table_schema": _version_schema(service),
                    "compare_type": True,
                },
            )
            script = produce_migrations(context, metadata)
            assert script.upgrade_ops is not None
            assert script.downgrade_ops is not None
            if script.upgrade_ops.is_empty():
                return None
            _enum_types(conn, script.upgrade_ops, script.downgrade_ops)
            # Rendered with the live PostgreSQL migration context: render_python_code() would
            # use a SQLite one (sa.false() rendered as '0', JSONB's Text() unprefixed).
            autogen = AutogenContext(
                context,
                metadata,
                opts={
                    "sqlalchemy_module_prefix": "sa.",
                    "alembic_module_prefix": "op.",
                    "render_item": _render_item,
                    "render_as_batch": False,
                    "user_module_prefix": None,
                },
            )
            autogen.imports = set()
            upgrades = _indent(_render_cmd_body(script.upgrade_ops, autogen))
            downgrades = _indent(_render_cmd_body(script.downgrade_ops, autogen))
            imports = "\n".join(sorted(autogen.imports))
    finally:
        engine.dispose()
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    if not (folder / _TEMPLATE).exists():
        import alembic

        shutil.copy(Path(alembic.__file__).parent / "templates" / "generic" / _TEMPLATE, folder)
    directory = _script(folder)
    heads = directory.get_heads()
    created = directory.generate_revision(
        rev_id or uuid.uuid4().hex[:12],
        message,
        head=heads[0] if heads else "base",
        upgrades=upgrades,
        downgrades=downgrades,
        imports=imports,
    )
    assert created is not None
    path = Path(created.path)
    undefined = _undefined_names(path.read_text())
    if undefined:
        path.unlink()
        raise MigrationError(
            f"the revision rendered for service {service.name} uses "
            f"{', '.join(sorted(undefined))} without defining or importing it; nothing was "
            "written",
            path=folder,
            hint="a model uses a column type schemakit cannot render: use a SQLAlchemy type, "
            "or write this revision by hand",
        )
    return path


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Enums as ``postgresql.ENUM(..., create_type=False)``: the revision creates (and drops)
    its new types itself (see _enum_types), so a type another table already uses is not
    created twice, and an added column's type exists. ``ServiceEnum``'s own class is not
    importable from a revision (and need not be)."""
    import sqlalchemy as sa

    if type_ == "type" and isinstance(obj, sa.Enum) and obj.name:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        labels = ", ".join(repr(label) for label in obj.enums)
        schema = f", schema={obj.schema!r}" if obj.schema else ""
        return f"postgresql.ENUM({labels}, name={obj.name!r}{schema}, create_type=False)"
    return False


def _enum_types(conn: Any, upgrade_ops: Any, downgrade_ops: Any) -> None:
    """``CREATE TYPE`` first for each enum the new tables and columns use that the database
    lacks; the downgrade drops them last."""
    import sqlalchemy as sa
    from alembic.operations import ops as alembic_ops

    from schemakit.catalog import query

    existing = {(schema, name) for schema, name in conn.exec_driver_sql(query("enum_types"))}
    wanted: dict[tuple[str, str], sa.Enum] = {}
    for op in _flatten(upgrade_ops.ops):
        if isinstance(op, alembic_ops.CreateTableOp):
            columns = [c for c in op.columns if isinstance(c, sa.Column)]
        elif isinstance(op, alembic_ops.AddColumnOp):
            columns = [op.column]
        else:
            continue
        for column in columns:
            type_ = column.type
            if isinstance(type_, sa.Enum) and type_.name:
                schema = type_.schema or op.schema or "public"
                if (schema, type_.name) not in existing:
                    wanted.setdefault((schema, type_.name), type_)
    creates, drops = [], []
    for (schema, name), type_ in wanted.items():
        qualified = f'"{schema}"."{name}"'
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in type_.enums)
        creates.append(alembic_ops.ExecuteSQLOp(f"CREATE TYPE {qualified} AS ENUM ({labels})"))
        drops.append(alembic_ops.ExecuteSQLOp(f"DROP TYPE IF EXISTS {qualified}"))
    upgrade_ops.ops[:0] = creates
    downgrade_ops.ops.extend(drops)


def _undefined_names(source: str) -> set[str]:
    """Names a revision's functions read that neither the module nor Python defines."""
    import ast
    import builtins

    tree = ast.parse(source)
    defined = set(dir(builtins))
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(t.id for t in targets if isinstance(t, ast.Name))
    used = set()
    for inner in ast.walk(tree):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
            used.add(inner.id)
        elif isinstance(inner, ast.Name | ast.arg):
            defined.add(inner.id if isinstance(inner, ast.Name) else inner.arg)
    return used - defined


def _flatten(ops: Any) -> list[Any]:
    from alembic.operations import ops as alembic_ops

    flat: list[Any] = []
    for op in ops:
        if isinstance(op, alembic_ops.ModifyTableOps):
            flat.extend(_flatten(op.ops))
        else:
            flat.append(op)
    return flat


def _destructive(op: Any) -> str | None:
    """Why ``op`` can lose data, or None."""
    from alembic.operations import ops as alembic_ops

    if isinstance(op, alembic_ops.DropTableOp):
        return f"drops table {op.schema}.{op.table_name}"
    if isinstance(op, alembic_ops.DropColumnOp):
        return f"drops column {op.schema}.{op.table_name}.{op.column_name}"
    if isinstance(op, alembic_ops.AlterColumnOp) and op.modify_type is not None:
        return f"changes the type of {op.schema}.{op.table_name}.{op.column_name}"
    return None


def push_models(
    url: str, service: Service, *, allow_destructive: bool = False, dry_run: bool = False
) -> list[str]:
    """Make the live database match ``service``'s models directly (development only).

    Returns a description of each change. Changes that can lose data (drop table or column,
    change a column's type) are refused unless ``allow_destructive``; nothing is applied when
    any is refused. Everything runs in one transaction.
    """
    import os

    from alembic.autogenerate import produce_migrations
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    if os.environ.get("SCHEMAKIT_ENV", "").lower() in ("production", "prod"):
        raise MigrationError(
            "push refused: SCHEMAKIT_ENV=production",
            hint="production changes go through tracked migrations: schemakit generate + migrate",
        )
    metadata = load_metadata(service)

    import sqlalchemy as sa

    engine = _engine(url)
    try:
        connection = engine.connect()
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise DatabaseError(
            f"cannot connect to {redact(url)}: {first_line(exc.orig or exc)}",
            hint="check the URL and that the server runs",
        ) from exc
    try:
        with _ALEMBIC_GLOBALS, connection as conn, conn.begin():
            for schema in service.schemas:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            context = MigrationContext.configure(
                connection=conn,
                opts={
                    "target_metadata": metadata,
                    "include_schemas": True,
                    "include_name": _only_schemas_of(service),
                    "compare_type": True,
                },
            )
            script = produce_migrations(context, metadata)
            assert script.upgrade_ops is not None
            changes = _flatten(script.upgrade_ops.ops)
            described = [
                type(op).__name__ + ": " + (_destructive(op) or _describe(op)) for op in changes
            ]
            risky = [d for d in (_destructive(op) for op in changes) if d]
            if risky and not allow_destructive:
                raise MigrationError(
                    "push refused: " + "; ".join(risky),
                    hint="these lose data; pass --allow-destructive if that is what you want",
                )
            if dry_run:
                conn.rollback()
                return described
            operations = Operations(context)
            for op in changes:
                operations.invoke(op)
    except sa.exc.DBAPIError as exc:
        # one transaction: the server rolled all of it back
        raise DatabaseError(
            f"push of {service.name} failed, nothing was applied: {first_line(exc.orig or exc)}"
        ) from exc
    finally:
        engine.dispose()
    return described


def _describe(op: Any) -> str:
    for attribute in ("table_name", "index_name", "constraint_name", "column_name"):
        value = getattr(op, attribute, None)
        if value:
            return f"{attribute.removesuffix('_name')} {value}"
    return ""
