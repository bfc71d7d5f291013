"""``schemakit init``: a project's services, found in what its tools already say.

Each ``drizzle.config.ts``/``.js``/``.json`` (drizzle-kit's) names the service's Drizzle
sources (``schema``, paths or globs), its migrations folder (``out``) and the schemas it
manages (``schemaFilter``); an ``alembic.ini`` names a Python service's migrations
(``script_location``) and its ``env.py`` the models' base (``target_metadata``); any other
folder of ``.sql`` files named like a migrations folder is a plain SQL service. A service is
named after its package (``package.json``'s or ``pyproject.toml``'s name, without an npm
scope), else its folder.

drizzle-kit's one folder per schema below ``out`` becomes a list of ``migrations``; a folder
whose first migration builds on what ``drizzle-kit push`` made (it starts at ``0001``, or its
first statement alters) gets ``baseline = "sources"``; the tables its sources declare outside
``schemaFilter``/``tablesFilter`` are ``read-only`` (another service's, to join against).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemakit.errors import SchemakitError

__all__ = ["FoundService", "Project", "discover_project", "render_config"]

DRIZZLE_CONFIGS = (
    "drizzle.config.ts",
    "drizzle.config.js",
    "drizzle.config.mjs",
    "drizzle.config.json",
)
_SQL_FOLDERS = ("migrations", "migration", "migrate", "sql")
_SKIP = frozenset({"node_modules", "__pycache__", "dist", "build", ".venv", "venv"})
_PG_SCHEMA = re.compile(r"""pgSchema\(\s*['"`]([^'"`]+)['"`]\s*\)""")


@dataclass
class FoundService:
    name: str
    schemas: list[str]
    why: list[str] = field(default_factory=list)
    """What was read, for the printout and the config's comments."""
    migrations: list[Path] = field(default_factory=list)
    """Its migrations folders: one, or drizzle-kit's one per schema (``drizzle/<schema>/``)."""
    sources: list[Path] = field(default_factory=list)
    models: str | None = None
    python_path: list[Path] = field(default_factory=list)
    database: str | None = None
    library: str | None = None
    """A library whose tables live in the service's schemas (``better-auth``)."""
    runner: str | None = None
    """What applies its migrations today, when not ``schemakit migrate``."""
    baseline: str | None = None
    """``sources`` when its first migration builds on what ``drizzle-kit push`` made."""
    read_only: list[str] = field(default_factory=list)
    """Tables its sources declare outside its ``schemaFilter``/``tablesFilter``."""


@dataclass
class Project:
    root: Path
    services: list[FoundService]
    exempt_databases: list[str]
    notes: list[str] = field(default_factory=list)
    """What was found and could not be used (a config it could not read, ...)."""


def discover_project(root: Path, exempt: Sequence[tuple[str, str]] = ()) -> Project:
    """The services below ``root``; ``exempt`` is (service, database) pairs: that service
    lives in that database, which keeps tables in public (the guideline's ``mana_sync``)."""
    root = root.resolve()
    if not root.is_dir():
        raise SchemakitError(f"{root} is not a folder", hint="pass the project's root folder")
    project = Project(root, [], sorted({database for _, database in exempt}))
    claimed: set[Path] = set()
    tree = _tree(root)  # one walk of the project, read by the three passes
    for config in _files(tree, DRIZZLE_CONFIGS):
        _drizzle_service(project, config, claimed)
    for ini in _files(tree, ("alembic.ini",)):
        _alembic_service(project, ini, claimed)
    for folder in _sql_folders(tree, claimed):
        name = _package_name(folder.parent, root)
        kind = (
            "a drizzle-kit folder"
            if (folder / "meta" / "_journal.json").is_file()
            else ("a folder of .sql migrations")
        )
        found = FoundService(name, [], [f"{_rel(folder, root)}: {kind}"], migrations=[folder])
        created = _created_schemas(folder)
        if created:
            found.schemas = created
            found.why.append(f"schemas its migrations create: {', '.join(created)}")
        else:
            found.schemas = [_schema_name(name)]
            found.why.append("no CREATE SCHEMA in its migrations: schema named after the service")
        project.services.append(found)
    _unique_names(project.services)
    by_name = {s.name: s for s in project.services}
    for service, database in exempt:
        if service not in by_name:
            raise SchemakitError(
                f"--exempt {service}={database}: no service {service!r} was found",
                hint="found: " + (", ".join(sorted(by_name)) or "none"),
            )
        exempted = by_name[service]
        exempted.database = database
        exempted.schemas = [
            s for folder in exempted.migrations for s in _created_schemas(folder) if s != "public"
        ]
        exempted.why = [w for w in exempted.why if not w.startswith("no CREATE SCHEMA")]
        exempted.why.append(f"in database {database}, which keeps raw tables in public (--exempt)")
    return project


def _tree(root: Path) -> list[tuple[Path, list[str]]]:
    """Every folder below ``root`` with its file names, in order, skipping vendored, built
    and hidden folders."""
    tree = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        tree.append((Path(folder), sorted(files)))
    return tree


def _files(tree: list[tuple[Path, list[str]]], names: Sequence[str]) -> Iterator[Path]:
    for folder, files in tree:
        for name in files:
            if name in names:
                yield folder / name


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return path.as_posix()


def _package_name(folder: Path, root: Path) -> str:
    """The nearest package's name at or above ``folder`` (up to ``root``), else the folder's."""
    for candidate in (folder, *folder.parents):
        name = None
        if (candidate / "package.json").is_file():
            try:
                name = json.loads((candidate / "package.json").read_text()).get("name")
            except (OSError, ValueError):
                name = None
        elif (candidate / "pyproject.toml").is_file():
            try:
                data = tomllib.loads((candidate / "pyproject.toml").read_text())
                name = data.get("project", {}).get("name")
            except (OSError, ValueError):
                name = None
        if isinstance(name, str) and name and candidate != root:
            return _service_name(name.rsplit("/", 1)[-1])
        if candidate == root:
            break
    return _service_name(folder.name if folder != root else root.name)


def _service_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    if not name or not name[0].isalpha():
        name = "service-" + name
    return name


def _schema_name(service: str) -> str:
    return service.replace("-", "_")


def _unique_names(services: list[FoundService]) -> None:
    seen: dict[str, int] = {}
    for service in services:
        count = seen.get(service.name, 0) + 1
        seen[service.name] = count
        if count > 1:
            service.why.append(f"named {service.name}-{count}: another service is {service.name}")
            service.name = f"{service.name}-{count}"


def _drizzle_service(project: Project, config: Path, claimed: set[Path]) -> None:
    root = project.root
    try:
        settings = _read_drizzle_config(config)
    except (OSError, ValueError) as exc:
        project.notes.append(f"{_rel(config, root)}: could not read it ({exc})")
        return
    if settings.get("dialect", "postgresql") != "postgresql":
        project.notes.append(f"{_rel(config, root)}: dialect {settings['dialect']}, skipped")
        return
    folder = config.parent
    name = _package_name(folder, root)
    why = [f"{_rel(config, root)}: drizzle-kit's config"]
    sources = [_source_path(folder, s) for s in _strings(settings.get("schema"))]
    sources = [s for s in sources if s.exists()]
    schemas = _strings(settings.get("schemaFilter"))
    if schemas:
        why.append(f"schemas from its schemaFilter: {', '.join(schemas)}")
    else:
        schemas = sorted({m for s in sources for m in _pg_schemas(s)})
        if schemas:
            why.append(f"schemas from the pgSchema(...) calls in its sources: {', '.join(schemas)}")
        else:
            schemas = [_schema_name(name)]
            why.append("no schemaFilter and no pgSchema(...): schema named after the service")
    found = FoundService(name, schemas, why, sources=sources)
    if settings.get("schemaFilter") or settings.get("tablesFilter"):
        found.read_only = _outside_filters(sources, schemas, _strings(settings.get("tablesFilter")))
        if found.read_only:
            why.append(
                "read-only: tables its sources declare outside its schemaFilter/tablesFilter "
                "(push never creates them: declared to join against another service's)"
            )
    if _depends_on(folder, root, "better-auth"):
        found.library = "better-auth"
        why.append("depends on better-auth: its tables are listed in [lint] library-tables")
    out = settings.get("out")
    migrations = (folder / out).resolve() if isinstance(out, str) else folder / "drizzle"
    found.migrations = _drizzle_folders(migrations)
    if len(found.migrations) > 1:
        why.append(
            f"one migrations folder per schema below {_rel(migrations, root)} (drizzle-kit "
            "--out per schema): each replayed and applied in turn, each its own ledger ids"
        )
    if found.migrations:
        found.runner = "drizzle"
        why.append(
            "drizzle-kit migrate applies its migrations (runner; remove it when "
            "schemakit migrate does)"
        )
        claimed.add(migrations)
        pushed = [f for f in found.migrations if _builds_on_push(f)]
        if pushed and found.sources:
            found.baseline = "sources"
            why.append(
                f"{', '.join(_rel(f, root) for f in pushed)}: the first migration "
                "does not start from an empty schema (it starts after 0000, or alters what no "
                "earlier file creates: drizzle-kit push made it), so the replay first creates "
                "what the sources declare (baseline)"
            )
    project.services.append(found)


def _drizzle_folders(out: Path) -> list[Path]:
    """``out`` when it holds migrations, else its subfolders that do (one per schema)."""
    if not out.is_dir():
        return []
    if any(out.glob("*.sql")):
        return [out]
    return sorted(p for p in out.iterdir() if p.is_dir() and any(p.glob("*.sql")))


_FIRST_STATEMENT = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(\w+(?:\s+\w+)?)", re.DOTALL | re.IGNORECASE
)


def _builds_on_push(folder: Path) -> bool:
    """The folder's first migration starts at 0001 (0000 was never written: push made it) or
    its first statement alters, comments on or grants on something."""
    files = _ordered_sql(folder)
    if not files:
        return False
    if re.match(r"0*1(?!\d)", files[0].name):
        return True
    text = files[0].read_text(encoding="utf-8", errors="replace")
    first = _FIRST_STATEMENT.match(text)
    return first is not None and first.group(1).split()[0].upper() in ("ALTER", "COMMENT", "GRANT")


def _ordered_sql(folder: Path) -> list[Path]:
    """The folder's .sql files in drizzle-kit's journal order, else by name."""
    journal = folder / "meta" / "_journal.json"
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))["entries"]
        tags = [folder / f"{entry['tag']}.sql" for entry in entries]
        return [p for p in tags if p.is_file()]
    except (OSError, ValueError, KeyError, TypeError):
        return sorted(folder.glob("*.sql"))


def _outside_filters(sources: list[Path], schemas: list[str], tables: list[str]) -> list[str]:
    """``schema.table`` of each table the sources declare that drizzle-kit's filters leave
    out (never public: a raw ``pgTable(`` there is a finding, not a reference)."""
    import fnmatch

    from schemakit.catalog import from_drizzle

    files = [
        f
        for s in sources
        for f in ([s] if s.is_file() else sorted(s.rglob("*.ts")) if s.is_dir() else [])
        if "node_modules" not in f.parts and not f.name.endswith(".d.ts")
    ]
    if not files:
        return []
    catalog, _ = from_drizzle(files, "")
    return sorted(
        path
        for path, table in catalog.tables.items()
        if table.schema != "public"
        and (
            table.schema not in schemas
            or (tables and not any(fnmatch.fnmatchcase(table.name, g) for g in tables))
        )
    )


def _depends_on(folder: Path, root: Path, package: str) -> bool:
    """The nearest package.json at or above ``folder`` (below ``root``) depends on it."""
    for candidate in (folder, *folder.parents):
        manifest = candidate / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return False
            return any(package in (data.get(k) or {}) for k in ("dependencies", "devDependencies"))
        if candidate == root:
            break
    return False


def _source_path(folder: Path, pattern: str) -> Path:
    """A schema path or glob as a file or folder schemakit reads (a glob: its folder)."""
    parts = Path(pattern).parts
    fixed = [p for p in parts if not any(c in p for c in "*?[{")]
    if len(fixed) < len(parts):
        fixed = list(parts[: parts.index(next(p for p in parts if any(c in p for c in "*?[{")))])
    return (folder / Path(*fixed)).resolve() if fixed else folder.resolve()


def _pg_schemas(path: Path) -> Iterator[str]:
    files = [path] if path.is_file() else sorted(path.rglob("*.ts")) if path.is_dir() else []
    for file in files:
        try:
            yield from _PG_SCHEMA.findall(file.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _read_drizzle_config(path: Path) -> dict[str, Any]:
    """The literal settings of a drizzle config (what is not a literal is left out)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    from schemakit.catalog._typescript import descendants, object_literal, parser

    tree = parser().parse(text.encode())
    best: dict[str, Any] = {}
    for node in descendants(tree.root_node, "object"):
        settings = {key: _literal(value) for key, value in object_literal(node).items()}
        settings = {key: value for key, value in settings.items() if value is not None}
        if ("schema" in settings or "out" in settings) and len(settings) > len(best):
            best = settings
    if not best:
        raise ValueError("no object with schema or out in it")
    return best


def _literal(node: Any) -> Any:
    """A string, a list of strings or a boolean, as the config wrote it; else None."""
    from schemakit.catalog._typescript import string, strings

    if node.type == "array":
        return list(strings(node))
    if node.type in ("true", "false"):
        return node.type == "true"
    return string(node)


def _alembic_service(project: Project, ini: Path, claimed: set[Path]) -> None:
    root = project.root
    parser = configparser.ConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
        location = parser.get("alembic", "script_location")
    except (configparser.Error, OSError) as exc:
        project.notes.append(f"{_rel(ini, root)}: no script_location ({exc})")
        return
    location = location.replace("%(here)s", str(ini.parent))
    folder = (ini.parent / location).resolve()
    if not (folder / "versions").is_dir():
        project.notes.append(f"{_rel(ini, root)}: {location} has no versions/ folder")
        return
    name = _package_name(ini.parent, root)
    found = FoundService(
        name,
        [_schema_name(name)],
        [f"{_rel(ini, root)}: Alembic, revisions in {_rel(folder, root)}"],
        migrations=[folder],
    )
    env = folder / "env.py"
    text = env.read_text(encoding="utf-8", errors="replace") if env.is_file() else ""
    schema = re.search(r"""version_table_schema\s*=\s*['"]([^'"]+)['"]""", text)
    if schema:
        found.schemas = [schema.group(1)]
        found.why.append(f"schema from env.py's version_table_schema: {schema.group(1)}")
    else:
        found.why.append("schema named after the service (env.py names none)")
    base = re.search(r"target_metadata\s*=\s*([A-Za-z_]\w*)\.metadata", text)
    if base:
        module = re.search(rf"from\s+([\w.]+)\s+import\s+[^\n]*\b{base.group(1)}\b", text)
        if module:
            found.models = f"{module.group(1)}:{base.group(1)}"
            found.python_path = [ini.parent.resolve()]
            found.why.append(f"models from env.py's target_metadata: {found.models}")
    claimed.add(folder)
    project.services.append(found)


_CREATE_SCHEMA = re.compile(
    r"""create\s+schema\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][\w$]*)""",
    re.IGNORECASE,
)


def _created_schemas(folder: Path | None) -> list[str]:
    """The schemas a migrations folder's SQL creates, in the order it creates them."""
    if folder is None or not folder.is_dir():
        return []
    names: list[str] = []
    for file in sorted(folder.glob("*.sql")):
        text = file.read_text(encoding="utf-8", errors="replace")
        for raw in _CREATE_SCHEMA.findall(text):
            name = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()
            if name not in names:
                names.append(name)
    return names


def _sql_folders(tree: list[tuple[Path, list[str]]], claimed: set[Path]) -> Iterator[Path]:
    """Folders of SQL migrations no drizzle config or alembic.ini claimed: named like one
    (migrations/, sql/, ...), or a drizzle-kit folder (meta/_journal.json)."""
    for path, files in tree:
        journal = (path / "meta" / "_journal.json").is_file()
        if (path.name not in _SQL_FOLDERS and not journal) or path.resolve() in claimed:
            continue
        if any(path.resolve().is_relative_to(c) for c in claimed):
            continue
        if any(name.endswith(".sql") for name in files):
            yield path.resolve()


def render_config(project: Project) -> str:
    """The commented schemakit.toml for ``project`` (the same text for the same project)."""
    root = project.root
    lines = [
        "# Written by `schemakit init` from what this project's tools already say; edit freely,",
        "# and run `schemakit lint` to check the platform (`schemakit init --force` rewrites it).",
        "",
    ]
    if project.exempt_databases:
        quoted = ", ".join(json.dumps(d) for d in project.exempt_databases)
        lines += [
            "# databases that keep raw tables in public (the guideline's mana_sync exception)",
            f"exempt-databases = [{quoted}]",
            "",
        ]
    for service in project.services:
        lines.append(f"[services.{service.name}]")
        lines += [f"# {why}" for why in service.why]
        lines.append(f"schemas = [{', '.join(json.dumps(s) for s in service.schemas)}]")
        if service.database:
            lines.append(f"database = {json.dumps(service.database)}")
        if len(service.migrations) == 1:
            lines.append(f"migrations = {json.dumps(_rel(service.migrations[0], root))}")
        elif service.migrations:
            listed = ", ".join(json.dumps(_rel(f, root)) for f in service.migrations)
            lines.append(f"migrations = [{listed}]")
        if service.baseline:
            lines.append(f"baseline = {json.dumps(service.baseline)}")
        if service.runner:
            lines.append(f"runner = {json.dumps(service.runner)}")
        if service.sources:
            listed = ", ".join(json.dumps(_rel(s, root)) for s in service.sources)
            lines.append(f"sources = [{listed}]")
        if service.read_only:
            lines.append(f"read-only = [{', '.join(json.dumps(t) for t in service.read_only)}]")
        if service.models:
            lines.append(f"models = {json.dumps(service.models)}")
            paths = ", ".join(json.dumps(_rel(p, root)) for p in service.python_path)
            lines.append(f"python-path = [{paths}]")
        lines.append("")
    libraries = [
        f"{service.library}:{schema}"
        for service in project.services
        if service.library
        for schema in service.schemas
    ]
    if libraries:
        lines += [
            "[lint]",
            "# tables whose names and types a library decides: no naming, type or column rules",
            f"library-tables = [{', '.join(json.dumps(item) for item in libraries)}]",
            "",
        ]
    if not project.services:
        lines.append("# no drizzle.config.*, alembic.ini or migrations folder was found")
    return "\n".join(lines).rstrip() + "\n"
