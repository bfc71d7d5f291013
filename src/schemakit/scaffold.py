"""``schemakit new-service``: a Python service laid out the guideline way, registered in the config."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from schemakit.config import Config, load_config
from schemakit.conventions import schema_name_problem
from schemakit.errors import ConfigError, SchemakitError

__all__ = ["NewService", "new_service"]

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class NewService:
    name: str
    schema: str
    folder: Path
    config_path: Path
    files: tuple[Path, ...]


def new_service(
    name: str,
    *,
    start: Path,
    schema: str | None = None,
    database: str | None = None,
    folder: Path | None = None,
) -> NewService:
    """Create ``services/NAME`` (models, connection, Alembic migrations) and register it in the
    config, with ``models`` and ``python-path``, so ``generate``, ``migrate``, ``push``,
    ``lint`` and ``infer-types`` work on it at once.

    Without a config at or above ``start``, creates ``schemakit.toml`` there. Refuses, before
    writing anything: a service that exists, a schema name the guideline's naming section
    rejects (``mana_auth_schema``), a schema another service claims, a folder that exists.
    """
    schema = schema or name.replace("-", "_")
    if not _SERVICE_NAME.match(name):
        raise SchemakitError(
            f"service name {name!r} must be lower case letters, digits, - or _",
            hint="for example: mana-files or files",
        )
    problem = schema_name_problem(schema)
    if problem:
        raise SchemakitError(
            f"schema name {schema!r} is not a good service schema: {problem}",
            hint="pass --schema with a short, unambiguous name (auth, not mana_auth_schema)",
        )
    config = _config_or_new(start)
    assert config.path is not None
    if name in config.services:
        raise ConfigError(f"service {name!r} already exists", path=config.path)
    database = database or config.default_database
    owners = config.schema_owners(database).get(schema)
    if owners:
        raise ConfigError(
            f"schema {schema!r} is already claimed by service {', '.join(owners)}",
            path=config.path,
            hint="one schema, one owner: pick another name with --schema",
        )
    folder = (folder or config.root / "services" / name).resolve()
    if folder.exists():
        raise SchemakitError(f"{folder} already exists", hint="choose another folder with --path")

    package = schema
    if not package.isidentifier():
        raise SchemakitError(
            f"schema name {schema!r} cannot name the service's Python package",
            hint="pass --schema with letters, digits and _ only",
        )
    files = _files(name, schema, package)
    written = []
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    _register(config, name, schema, database, folder, package)
    return NewService(name, schema, folder, config.path, tuple(written))


_NEW_CONFIG = """\
# schemakit's registry: one [services.NAME] table per service, each owning its schemas.
# See the README ("Configuration") for every key.
"""


def _config_or_new(start: Path) -> Config:
    """The config at or above ``start``; without one, a new ``schemakit.toml`` in ``start``."""
    found = load_config(start, required=False)
    if found.path is not None:
        return found
    root = start.resolve()
    if not root.is_dir():
        root = root.parent
    path = root / "schemakit.toml"
    path.write_text(_NEW_CONFIG, encoding="utf-8")
    return load_config(root)


def _register(
    config: Config, name: str, schema: str, database: str, folder: Path, package: str
) -> None:
    assert config.path is not None
    prefix = "tool.schemakit." if config.path.name == "pyproject.toml" else ""
    migrations = Path(os.path.relpath(folder / "migrations", config.root)).as_posix()
    python_path = Path(os.path.relpath(folder, config.root)).as_posix()
    lines = [
        "",
        f"[{prefix}services.{name}]",
        f'schemas = ["{schema}"]',
        f'migrations = "{migrations}"',
        f'models = "{package}.db.schema:Base"',
        f'python-path = ["{python_path}"]',
    ]
    if database != config.default_database:
        lines.append(f'database = "{database}"')
    text = config.path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    # Appending a table is valid TOML after any content, so comments and layout stay as written.
    config.path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")


def _files(name: str, schema: str, package: str) -> dict[str, str]:
    import alembic

    template = Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako"
    return {
        # An Alembic folder: `schemakit generate` writes the next revisions next to 0001.
        "migrations/script.py.mako": template.read_text(encoding="utf-8"),
        "migrations/versions/0001_create_schema.py": _FIRST_REVISION.format(
            name=name, schema=schema
        ),
        f"{package}/__init__.py": f'"""The {name} service."""\n',
        f"{package}/db/__init__.py": f'"""Data layer of the {name} service."""\n',
        f"{package}/db/schema/__init__.py": (
            f'"""Every table of the {name} service: import each model module here, so\n'
            f"`schemakit generate` and `infer-types {package}.db.schema` see it.\n\n"
            f"    from {package}.db.schema.notes import Note\n"
            '"""\n\n'
            f"from {package}.db.schema.base import Base\n\n"
            '__all__ = ["Base"]\n'
        ),
        f"{package}/db/schema/base.py": (
            f'"""The declarative base of the {name} service: every table lands in schema {schema}."""\n\n'
            "from sqlalchemy.orm import DeclarativeBase\n\n"
            "from schemakit.models import TYPE_ANNOTATION_MAP, service_metadata\n\n\n"
            "class Base(DeclarativeBase):\n"
            f'    metadata = service_metadata("{schema}", service="{name}")\n'
            "    type_annotation_map = TYPE_ANNOTATION_MAP\n"
        ),
        f"{package}/db/connection.py": (
            '"""The connection singleton (the guideline\'s getDb): one pool per DATABASE_URL."""\n\n'
            "import os\n\n"
            "from schemakit.db import Database\n\n\n"
            "def get_db() -> Database:\n"
            '    return Database.get(os.environ["DATABASE_URL"])\n'
        ),
    }


_FIRST_REVISION = '''"""Create the {name} service's schema.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first migration creates the schema, so a fresh database works (the guideline's
    # Schema Isolation section); later revisions come from `schemakit generate`.
    op.execute("CREATE SCHEMA IF NOT EXISTS {schema}")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS {schema}")
'''
