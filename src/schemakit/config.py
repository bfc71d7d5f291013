"""Load and validate ``[tool.schemakit]`` (pyproject.toml) or ``schemakit.toml``."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemakit.errors import ConfigError, not_utf8

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_DROP_WAIT_DAYS",
    "RUNNERS",
    "Config",
    "LintSettings",
    "Service",
    "find_config",
    "load_config",
]

CONFIG_FILES = ("schemakit.toml", "pyproject.toml")
DEFAULT_DATABASE = "main"
DEFAULT_TOOL_SCHEMAS = ("schemakit", "drizzle")
DEFAULT_DROP_WAIT_DAYS = 7
"""MIG004: days from marking a column or table deprecated to dropping it, by default."""
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_CODE_SELECTOR = re.compile(r"^(ALL|[A-Z]{3}[0-9]{0,3})$")


_RESERVED_ROLES = frozenset({"public", "none", "current_user", "session_user", "postgres"})
# postgres: the superuser's "$user" schema, first on its default search_path
_RESERVED_SCHEMAS = frozenset({"public", "information_schema"}) | _RESERVED_ROLES

RUNNERS = ("schemakit", "drizzle", "other")
"""What may apply a service's migrations (``[services.x] runner``)."""


@dataclass(frozen=True)
class Service:
    """One service: the schemas it owns, the database they live in, where its migrations are."""

    name: str
    schemas: tuple[str, ...]
    database: str
    migrations: Path | None = None
    """The first (usually only) migrations folder; see :attr:`migration_folders`."""
    sources: tuple[Path, ...] = ()
    role: str | None = None
    line: int | None = None
    models: str | None = None
    """``package.module:Base`` of a Python service: its declarative base (Alembic autogenerate)."""
    python_path: tuple[Path, ...] = ()
    """Folders put on ``sys.path`` to import ``models`` and Alembic revisions."""
    owner_role: str | None = None
    """The NOLOGIN role that owns the service's schemas and everything in them
    (``[services.x] owner-role``; by default ``<role>_owner``). ``role`` is only the role
    services log in through: it reads and writes rows, it never owns or creates."""
    row_security: tuple[str, ...] = ()
    """Tables (in the service's first schema unless ``schema.table``) that get row-level
    security on ``user_id`` (``[services.x] row-security``)."""
    runner: str = "schemakit"
    """What applies its migrations (:data:`RUNNERS`): ``schemakit`` (``schemakit migrate``,
    which sets lock_timeout and statement_timeout itself), ``drizzle`` (drizzle-orm's
    migrator) or ``other`` (psql, a deploy script: neither timeout is set for it)."""
    more_migrations: tuple[Path, ...] = ()
    """Folders after the first (``migrations = ["drizzle/auth", "drizzle/billing"]``,
    drizzle-kit's one folder per schema): applied and replayed in the order listed."""
    baseline: str | Path | None = None
    """What the first migration builds on when it is not an empty schema (a history on top
    of ``drizzle-kit push``): ``"sources"`` (what the service's Drizzle sources or models
    declare) or a ``pg_dump --schema-only`` file (absolute)."""

    read_only: tuple[str, ...] = ()
    """``schema.table`` globs of tables its sources declare only to read or join against
    (another service's, outside its drizzle-kit ``schemaFilter``/``tablesFilter``): never
    counted as the service's own, never created by its baseline."""

    @property
    def migration_folders(self) -> tuple[Path, ...]:
        """Every migrations folder of the service, in the order the config lists them."""
        return (*((self.migrations,) if self.migrations is not None else ()), *self.more_migrations)

    @property
    def row_security_paths(self) -> tuple[tuple[str, str], ...]:
        """(schema, table) of each ``row-security`` entry: in the first schema unless
        qualified (whether that schema is the service's is for the caller to judge)."""
        return tuple(
            (schema or self.schemas[0], name)
            for schema, _, name in (entry.rpartition(".") for entry in self.row_security)
        )


@dataclass(frozen=True)
class LintSettings:
    """Rule selection ruff-style: codes or prefixes; ``ignore`` wins over ``select``."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_object_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    text_id_columns: tuple[str, ...] | None = None
    """Columns that hold Better Auth ids (TYP001); None means the conventions' default."""
    uncountable_nouns: tuple[str, ...] = ()
    """Words a plural table name may end in, besides the conventions' list (NAM002)."""
    extend_boolean_prefixes: tuple[str, ...] = ()
    """Boolean column prefixes accepted besides ``is_`` and ``has_`` (NAM004)."""
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Glob (relative to the config file) -> codes ignored for findings located in it."""
    per_service_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Service name -> codes ignored for its findings (its migrations, schemas, sources)."""
    severity: Mapping[str, str] = field(default_factory=dict)
    """Code or prefix -> ``error`` or ``warning``, overriding the rule's own."""
    drop_wait_days: int = DEFAULT_DROP_WAIT_DAYS
    """MIG004: days between marking a column or table deprecated and dropping it."""
    library_tables: tuple[str, ...] = ()
    """``schema.table`` globs of tables a library owns (Better Auth's): the naming, type and
    column rules skip them; isolation, security and index rules still apply."""


@dataclass(frozen=True)
class Config:
    """The validated configuration; paths in it are absolute."""

    path: Path | None
    root: Path
    default_database: str = DEFAULT_DATABASE
    exempt_databases: tuple[str, ...] = ()
    tool_schemas: tuple[str, ...] = DEFAULT_TOOL_SCHEMAS
    services: Mapping[str, Service] = field(default_factory=dict)
    lint: LintSettings = field(default_factory=LintSettings)

    @property
    def databases(self) -> tuple[str, ...]:
        """Every database a service lives in, in the order services name them."""
        names = [s.database for s in self.services.values()]
        return tuple(dict.fromkeys(names or [self.default_database]))

    @property
    def known_databases(self) -> tuple[str, ...]:
        """Services' databases, the default one and the exempt ones."""
        return tuple(
            dict.fromkeys([*self.databases, self.default_database, *self.exempt_databases])
        )

    def service_at(self, path: Path) -> Service | None:
        """The service whose migrations or sources folder holds ``path`` (absolute, as the
        config's own paths are)."""
        for service in self.services.values():
            for folder in (*service.migration_folders, *service.sources):
                if path.is_relative_to(folder):
                    return service
        return None

    def services_in(self, database: str) -> tuple[Service, ...]:
        return tuple(s for s in self.services.values() if s.database == database)

    def schema_owners(self, database: str) -> dict[str, tuple[str, ...]]:
        """schema -> the services that claim it in ``database`` (two or more is a finding)."""
        owners: dict[str, list[str]] = {}
        for service in self.services_in(database):
            for schema in service.schemas:
                owners.setdefault(schema, []).append(service.name)
        return {schema: tuple(names) for schema, names in owners.items()}

    def is_exempt(self, database: str) -> bool:
        return database in self.exempt_databases

    def line_of(self, text: str) -> int | None:
        """First line of the config file containing ``text``, for findings about the config."""
        if self.path is None:
            return None
        try:
            for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
                if text in line:
                    return number
        except (OSError, UnicodeDecodeError):
            return None
        return None


def find_config(start: Path) -> Path | None:
    """The nearest schemakit.toml, or pyproject.toml with ``[tool.schemakit]``, at or above ``start``."""
    start = start.resolve()
    if start.is_file():
        if start.name in CONFIG_FILES:
            return start
        start = start.parent  # a migration or source file: search from its folder
    for folder in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name == "schemakit.toml":
                return candidate
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "schemakit" in data.get("tool", {}):
                return candidate
    return None


def load_config(start: Path | None = None, *, required: bool = True) -> Config:
    """Find and validate the configuration at or above ``start`` (default: the current folder)."""
    start = (start or Path.cwd()).resolve()
    if not start.exists():
        raise ConfigError(f"{start} does not exist", hint="pass a folder or a config file")
    path = find_config(start)
    if path is None:
        if required:
            raise ConfigError(
                f"no schemakit.toml, or pyproject.toml with [tool.schemakit], at or above {start}",
                hint="create schemakit.toml with a [services.NAME] table per service",
            )
        return Config(path=None, root=start if start.is_dir() else start.parent)
    return parse_config(path)


def parse_config(path: Path) -> Config:
    """Read and validate one config file."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(not_utf8(raw, exc), path=path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from exc
    prefix = ""
    if path.name != "schemakit.toml":
        tool = data.get("tool", {})
        if "schemakit" not in tool:
            raise ConfigError("has no [tool.schemakit] table", path=path)
        data = tool["schemakit"]
        prefix = "tool.schemakit."
    return _Validator(path, prefix, text).config(data)


class _Validator:
    def __init__(self, path: Path, prefix: str, text: str) -> None:
        self.path = path
        self.prefix = prefix
        self.lines = text.splitlines()

    def fail(self, key: str, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, path=self.path, key=self.prefix + key, hint=hint)

    def check_keys(self, where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                raise self.fail(f"{where}{key}", "unknown key", hint)

    def table(self, key: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {_type(value)}")
        return value

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"must be a non-empty string, not {_type(value)}")
        return value

    def identifier(self, key: str, value: Any) -> str:
        name = self.string(key, value)
        if not _IDENTIFIER.fullmatch(name):
            raise self.fail(
                key,
                f"'{name}' is not a plain PostgreSQL identifier",
                "use lower case letters, digits and underscores (at most 63)",
            )
        return name

    def strings(
        self, key: str, value: Any, *, identifiers: bool = False, qualified: bool = False
    ) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of strings, not {_type(value)}")
        check = self.identifier if identifiers else self.string
        if qualified:
            check = self.qualified
        return tuple(check(f"{key}[{i}]", item) for i, item in enumerate(value))

    def folder(self, key: str, path: Path) -> Path:
        try:
            return path.resolve()
        except RuntimeError:  # resolve() raises it for a symlink loop
            raise self.fail(key, f"{path} is a symlink loop", "point it at a folder") from None

    def qualified(self, key: str, value: Any) -> str:
        """``name`` or ``schema.name``, each part a plain identifier."""
        parts = self.string(key, value).split(".")
        if len(parts) > 2:
            raise self.fail(key, f"'{value}' is not 'table' or 'schema.table'")
        return ".".join(self.identifier(key, part) for part in parts)

    def role(self, key: str, table: Mapping[str, Any], field: str, service: str) -> str | None:
        if field not in table:
            return None
        role = self.identifier(key, table[field])
        if role in _RESERVED_ROLES or role.startswith("pg_"):
            # GRANT ... TO public means every role; pg_ names belong to the server, and a
            # service must never be the bootstrap superuser
            raise self.fail(
                key,
                f"'{role}' is a name PostgreSQL reserves or gives the superuser",
                f"name the service's own role, e.g. '{service.replace('-', '_')}_service'",
            )
        return role

    def selectors(self, key: str, value: Any) -> tuple[str, ...]:
        codes = self.strings(key, value)
        for i, code in enumerate(codes):
            if not _CODE_SELECTOR.fullmatch(code):
                raise self.fail(
                    f"{key}[{i}]",
                    f"'{code}' is not a rule code or prefix",
                    "use a code like ISO001, a family like ISO, or ALL",
                )
        return codes

    def line(self, header: str) -> int | None:
        for number, line in enumerate(self.lines, 1):
            if line.strip().startswith(header):
                return number
        return None

    def config(self, data: Mapping[str, Any]) -> Config:
        self.check_keys(
            "",
            data,
            ("database", "exempt-databases", "tool-schemas", "services", "lint"),
        )
        root = self.path.parent
        default_db = self.identifier("database", data.get("database", DEFAULT_DATABASE))
        exempt = self.strings(
            "exempt-databases", data.get("exempt-databases", []), identifiers=True
        )
        tool_schemas = self.strings(
            "tool-schemas", data.get("tool-schemas", list(DEFAULT_TOOL_SCHEMAS)), identifiers=True
        )
        services: dict[str, Service] = {}
        for name, raw in self.table("services", data.get("services", {})).items():
            services[name] = self.service(name, raw, default_db, root)
        lint = self.lint(self.table("lint", data.get("lint", {})))
        return Config(
            path=self.path,
            root=root,
            default_database=default_db,
            exempt_databases=exempt,
            tool_schemas=tool_schemas,
            services=services,
            lint=lint,
        )

    def service(self, name: str, raw: Any, default_db: str, root: Path) -> Service:
        key = f"services.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
            raise self.fail(
                key, f"service name '{name}' must be lower case letters, digits, - or _"
            )
        table = self.table(key, raw)
        self.check_keys(
            f"{key}.",
            table,
            (
                "schemas",
                "database",
                "migrations",
                "sources",
                "role",
                "models",
                "python-path",
                "runner",
                "owner-role",
                "row-security",
                "baseline",
                "read-only",
            ),
        )
        if "schemas" not in table:
            raise self.fail(key, "missing key 'schemas'", f'add schemas = ["{name}"]')
        schemas = self.strings(f"{key}.schemas", table["schemas"], identifiers=True)
        for i, schema in enumerate(schemas):
            if schema in _RESERVED_SCHEMAS or schema.startswith("pg_"):
                # a service owns its schema outright: never one every role shares
                raise self.fail(
                    f"{key}.schemas[{i}]",
                    f"'{schema}' is a schema PostgreSQL reserves or every role shares",
                    f"name the service's own schema, e.g. '{name.replace('-', '_')}'",
                )
            if schema in schemas[:i]:
                raise self.fail(f"{key}.schemas[{i}]", f"schema '{schema}' is listed twice")
        folders = [
            self.folder(f"{key}.migrations", root / item)
            for item in self.strings(f"{key}.migrations", table.get("migrations", []))
        ]
        for i, folder in enumerate(folders):
            if folder in folders[:i]:
                raise self.fail(f"{key}.migrations[{i}]", "this folder is listed twice")
        baseline = self.baseline(f"{key}.baseline", table, root, bool(folders))
        sources = tuple(
            (root / item).resolve()
            for item in self.strings(f"{key}.sources", table.get("sources", []))
        )
        role = self.role(f"{key}.role", table, "role", name)
        owner_role = self.role(f"{key}.owner-role", table, "owner-role", name)
        if owner_role is not None and role is None:
            raise self.fail(
                f"{key}.owner-role",
                "an owner role needs the login role beside it",
                f'add role = "{name.replace("-", "_")}_service"',
            )
        if role is not None and owner_role is None:
            owner_role = f"{role}_owner"
            if len(owner_role) > 63:
                raise self.fail(
                    f"{key}.role",
                    f"'{owner_role}' (the default owner role) is longer than 63 bytes",
                    "use a shorter role or set owner-role",
                )
        if role is not None and role == owner_role:
            raise self.fail(
                f"{key}.owner-role",
                "the owner role must differ from the role services log in through",
                f"drop owner-role to use '{role}_owner'",
            )
        row_security = self.strings(
            f"{key}.row-security", table.get("row-security", []), qualified=True
        )
        models = self.string(f"{key}.models", table["models"]) if "models" in table else None
        if models is not None and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", models):
            raise self.fail(
                f"{key}.models",
                f"'{models}' is not 'package.module:Base'",
                'for example models = "storage.db.schema:Base"',
            )
        python_path = tuple(
            (root / item).resolve()
            for item in self.strings(f"{key}.python-path", table.get("python-path", []))
        )
        runner = self.string(f"{key}.runner", table.get("runner", "schemakit"))
        if runner not in RUNNERS:
            raise self.fail(
                f"{key}.runner",
                f"'{runner}' is not a migration runner schemakit knows",
                "use one of " + ", ".join(RUNNERS),
            )
        return Service(
            name=name,
            schemas=schemas,
            database=self.identifier(f"{key}.database", table.get("database", default_db)),
            migrations=folders[0] if folders else None,
            more_migrations=tuple(folders[1:]),
            baseline=baseline,
            read_only=self.table_globs(f"{key}.read-only", table.get("read-only", [])),
            sources=sources,
            role=role,
            owner_role=owner_role,
            row_security=row_security,
            line=self.line(f"[{self.prefix}services.{name}]"),
            models=models,
            python_path=python_path,
            runner=runner,
        )

    def baseline(
        self, key: str, table: Mapping[str, Any], root: Path, has_migrations: bool
    ) -> str | Path | None:
        """``"sources"`` or a schema dump's path (relative to the config), for a service
        with migrations."""
        if "baseline" not in table:
            return None
        value = self.string(key, table["baseline"])
        if not has_migrations:
            raise self.fail(key, "a baseline is what migrations build on: this service has none")
        if value == "sources":
            return value
        dump = (root / value).resolve()
        if not dump.is_file():
            raise self.fail(
                key,
                f"'{value}' is neither \"sources\" nor a file",
                'write "sources" (what its sources declare) or the path of a '
                "pg_dump --schema-only file, relative to the config",
            )
        return dump

    def lint(self, table: Mapping[str, Any]) -> LintSettings:
        self.check_keys(
            "lint.",
            table,
            (
                "select",
                "ignore",
                "extend-select",
                "per-object-ignores",
                "text-id-columns",
                "uncountable-nouns",
                "extend-boolean-prefixes",
                "per-file-ignores",
                "per-service-ignores",
                "severity",
                "drop-wait-days",
                "library-tables",
            ),
        )
        per_file = {
            pattern: self.selectors(f"lint.per-file-ignores.{pattern}", codes)
            for pattern, codes in self.table(
                "lint.per-file-ignores", table.get("per-file-ignores", {})
            ).items()
        }
        per_service = {
            name: self.selectors(f"lint.per-service-ignores.{name}", codes)
            for name, codes in self.table(
                "lint.per-service-ignores", table.get("per-service-ignores", {})
            ).items()
        }
        severity: dict[str, str] = {}
        for code, level in self.table("lint.severity", table.get("severity", {})).items():
            self.selectors(f"lint.severity.{code}", [code])
            if level not in ("error", "warning"):
                raise self.fail(f"lint.severity.{code}", f"'{level}' is not error or warning")
            severity[code] = level
        per_object: dict[str, tuple[str, ...]] = {}
        raw = self.table("lint.per-object-ignores", table.get("per-object-ignores", {}))
        for pattern, codes in raw.items():
            per_object[pattern] = self.selectors(f"lint.per-object-ignores.{pattern}", codes)
        return LintSettings(
            select=self.selectors("lint.select", table.get("select", ["ALL"])),
            ignore=self.selectors("lint.ignore", table.get("ignore", [])),
            extend_select=self.selectors("lint.extend-select", table.get("extend-select", [])),
            per_object_ignores=per_object,
            text_id_columns=(
                self.strings("lint.text-id-columns", table["text-id-columns"], identifiers=True)
                if "text-id-columns" in table
                else None
            ),
            uncountable_nouns=self.words(
                "lint.uncountable-nouns", table.get("uncountable-nouns", [])
            ),
            extend_boolean_prefixes=self.prefixes(
                "lint.extend-boolean-prefixes", table.get("extend-boolean-prefixes", [])
            ),
            per_file_ignores=per_file,
            per_service_ignores=per_service,
            severity=severity,
            drop_wait_days=self.days(
                "lint.drop-wait-days", table.get("drop-wait-days", DEFAULT_DROP_WAIT_DAYS)
            ),
            library_tables=self.library_tables(table.get("library-tables", [])),
        )

    def table_globs(self, key: str, value: Any) -> tuple[str, ...]:
        globs = self.strings(key, value)
        for i, item in enumerate(globs):
            if item.count(".") != 1 or not all(item.split(".")):
                raise self.fail(
                    f"{key}[{i}]",
                    f"'{item}' is not schema.table (globs allowed)",
                    "e.g. 'auth.users' or 'auth.*'",
                )
        return globs

    def library_tables(self, value: Any) -> tuple[str, ...]:
        """``schema.table`` globs, with each ``PRESET:SCHEMA`` expanded to its tables."""
        key = "lint.library-tables"
        globs: list[str] = []
        for i, item in enumerate(self.strings(key, value)):
            preset, colon, schema = item.partition(":")
            if colon:
                if preset not in LIBRARY_PRESETS:
                    known = ", ".join(sorted(LIBRARY_PRESETS))
                    raise self.fail(f"{key}[{i}]", f"no preset {preset!r}", f"presets: {known}")
                if not re.fullmatch(r"[^.*?\[\]]+", schema):
                    raise self.fail(f"{key}[{i}]", f"'{schema}' is not a schema name")
                globs += (f"{schema}.{table}" for table in LIBRARY_PRESETS[preset])
            elif item.count(".") != 1 or not all(item.split(".")):
                raise self.fail(
                    f"{key}[{i}]",
                    f"'{item}' is neither schema.table (globs allowed) nor PRESET:SCHEMA",
                    "e.g. 'auth.users', 'billing.stripe_*' or 'better-auth:auth'",
                )
            else:
                globs.append(item)
        return tuple(globs)

    def days(self, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, f"must be a whole number of days (0 or more), not {value!r}")
        return value

    def words(self, key: str, value: Any) -> tuple[str, ...]:
        return self.matching(
            key,
            value,
            r"[a-z][a-z0-9]*",
            "is not one lower case word",
            "list the last word of the table name, e.g. 'feedback'",
        )

    def prefixes(self, key: str, value: Any) -> tuple[str, ...]:
        return self.matching(
            key,
            value,
            r"[a-z][a-z0-9]*_",
            "is not a column name prefix",
            "write a lower case word ending in an underscore, e.g. 'can_'",
        )

    def matching(
        self, key: str, value: Any, pattern: str, problem: str, hint: str
    ) -> tuple[str, ...]:
        """A list of strings, each matching ``pattern`` whole (else: which one, and why)."""
        items = self.strings(key, value)
        for i, item in enumerate(items):
            if not re.fullmatch(pattern, item):
                raise self.fail(f"{key}[{i}]", f"'{item}' {problem}", hint)
        return items


_BETTER_AUTH = (
    # core (better-auth's getAuthTables), then the plugins most platforms use; snake_case as
    # the Drizzle adapter writes them, singular by default and plural with usePlural
    "user",
    "session",
    "account",
    "verification",
    "two_factor",
    "passkey",
    "organization",
    "member",
    "invitation",
    "team",
    "team_member",
    "jwks",
    "apikey",
    "sso_provider",
    "oauth_application",
    "oauth_access_token",
    "oauth_consent",
    "device_code",
)
LIBRARY_PRESETS: dict[str, tuple[str, ...]] = {
    # each table singular and plural ("jwks" is both already)
    "better-auth": tuple(
        name
        for table in _BETTER_AUTH
        for name in ((table,) if table == "jwks" else (table, table + "s"))
    ),
}
"""Table sets a library owns, by name, for ``[lint] library-tables = ["PRESET:SCHEMA"]``: the
naming, type and column rules leave them alone (their names and types are the library's)."""


def _type(value: Any) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
