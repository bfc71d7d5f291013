"""One violation, several sources: the same rule code on the same object path.

Each case is written three times: as a SQL migration (replayed by ``lint`` into a throwaway
PostgreSQL), as an SQLAlchemy model (linted from ``models`` with no database) and as a Drizzle
TypeScript schema (linted from ``sources``, parsed with tree-sitter), each on a mini platform of
one service.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemakit.errors import SchemakitError
from schemakit.lint import LintOptions, lint
from schemakit.testing import Cluster

TIMESTAMPS_SQL = (
    "created_at timestamptz NOT NULL DEFAULT now(),\n"
    "    updated_at timestamptz NOT NULL DEFAULT now()"
)
TIMESTAMPS_PY = """\
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
"""

# code, table, SQL columns, model columns, object path the rule must name.
CASES = [
    (
        "TYP001",
        "balances",
        f"user_id uuid NOT NULL,\n    {TIMESTAMPS_SQL}",
        f"    user_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)\n{TIMESTAMPS_PY}",
        "app.balances.user_id",
    ),
    (
        "TYP002",
        "events",
        f"seen_at timestamp NOT NULL,\n    {TIMESTAMPS_SQL}",
        f"    seen_at: Mapped[datetime] = mapped_column(sa.DateTime)\n{TIMESTAMPS_PY}",
        "app.events.seen_at",
    ),
    (
        "TYP004",
        "profiles",
        f"settings json,\n    {TIMESTAMPS_SQL}",
        f"    settings: Mapped[Any] = mapped_column(sa.JSON, nullable=True)\n{TIMESTAMPS_PY}",
        "app.profiles.settings",
    ),
    (
        "COL001",
        "notes",
        "body text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()",
        "    body: Mapped[str] = mapped_column(sa.Text)\n"
        "    created_at: Mapped[datetime] = mapped_column(\n"
        "        sa.DateTime(timezone=True), server_default=sa.func.now()\n"
        "    )\n",
        "app.notes",
    ),
    (
        "NAM004",
        "files",
        f"public boolean NOT NULL DEFAULT false,\n    {TIMESTAMPS_SQL}",
        "    public: Mapped[bool] = mapped_column(server_default=sa.false())\n" + TIMESTAMPS_PY,
        "app.files.public",
    ),
]
IDS = [case[0] for case in CASES]

TIMESTAMPS_TS = (
    "createdAt: timestamp('created_at', { withTimezone: true }).defaultNow().notNull(),\n"
    "  updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow().notNull(),"
)
DRIZZLE = {
    "TYP001": f"userId: uuid('user_id').notNull(),\n  {TIMESTAMPS_TS}",
    "TYP002": f"seenAt: timestamp('seen_at').notNull(),\n  {TIMESTAMPS_TS}",
    "TYP004": f"settings: json('settings'),\n  {TIMESTAMPS_TS}",
    "COL001": "body: text('body').notNull(),\n"
    "  createdAt: timestamp('created_at', { withTimezone: true }).defaultNow().notNull(),",
    "NAM004": f"public: boolean('public').default(false).notNull(),\n  {TIMESTAMPS_TS}",
}


def _drizzle_platform(root: Path, code: str, table: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "schema.ts").write_text(
        "import { boolean, json, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';\n"
        "export const app = pgSchema('app');\n"
        f"export const model = app.table('{table}', {{\n"
        "  id: uuid('id').primaryKey().defaultRandom(),\n"
        f"  {DRIZZLE[code]}\n"
        "});\n"
    )
    (root / "schemakit.toml").write_text(
        f'[services.app]\nschemas = ["app"]\nsources = ["src"]\n\n[lint]\nselect = ["{code}"]\n'
    )
    return root


MODEL = """\
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemakit.conventions import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = sa.MetaData(schema="app", naming_convention=dict(NAMING_CONVENTION))


class Model(Base):
    __tablename__ = "{table}"

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")
    )
{columns}"""


@pytest.fixture
def modules() -> Iterator[list[str]]:
    """Names of model modules a test imports; forgotten afterwards (each case reuses names)."""
    names: list[str] = []
    yield names
    for name in names:
        sys.modules.pop(name, None)


def _sql_platform(root: Path, code: str, table: str, columns: str) -> Path:
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "0001.sql").write_text(
        f"CREATE SCHEMA app;\nCREATE TABLE app.{table} (\n"
        f"    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n    {columns}\n);\n"
    )
    (root / "schemakit.toml").write_text(
        f'[services.app]\nschemas = ["app"]\nmigrations = "migrations"\n\n'
        f'[lint]\nselect = ["{code}"]\n'
    )
    return root


def _model_file(root: Path, module: str, table: str, columns: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{module}.py"
    path.write_text(MODEL.format(table=table, columns=columns))
    return path


def _models_platform(root: Path, code: str, module: str, table: str, columns: str) -> Path:
    _model_file(root, module, table, columns)
    (root / "schemakit.toml").write_text(
        f'[services.app]\nschemas = ["app"]\nmodels = "{module}:Base"\npython-path = ["."]\n\n'
        f'[lint]\nselect = ["{code}"]\n'
    )
    return root


@pytest.mark.parametrize(("code", "table", "sql", "python", "path"), CASES, ids=IDS)
def test_sql_models_and_drizzle_agree(
    code: str,
    table: str,
    sql: str,
    python: str,
    path: str,
    tmp_path: Path,
    pg_cluster: Cluster,
    modules: list[str],
) -> None:
    module = f"three_sources_{code.lower()}"
    modules.append(module)
    from_sql = lint(_sql_platform(tmp_path / "sql", code, table, sql), cluster=pg_cluster)
    from_models = lint(
        _models_platform(tmp_path / "models", code, module, table, python), cluster=pg_cluster
    )
    from_drizzle = lint(_drizzle_platform(tmp_path / "drizzle", code, table), cluster=pg_cluster)
    assert {(f.code, f.object) for f in from_sql.findings} == {(code, path)}
    assert {(f.code, f.object) for f in from_models.findings} == {(code, path)}
    assert {(f.code, f.object) for f in from_drizzle.findings} == {(code, path)}
    (ts_finding,) = from_drizzle.findings
    assert ts_finding.location is not None
    assert ts_finding.location.path.name == "schema.ts"
    # a column's finding at the column's line, a table's at the table's
    source = ts_finding.location.path.read_text().splitlines()
    column = path.split(".")[2] if path.count(".") == 2 else None
    expected = (
        3
        if column is None
        else next(n for n, text in enumerate(source, 1) if f"'{column}'" in text)
    )
    assert ts_finding.location.line == expected
    (finding,) = from_models.findings
    assert finding.location is not None
    assert finding.location.path.resolve() == (tmp_path / "models" / f"{module}.py").resolve()
    model = finding.location.path.read_text().splitlines()
    expected = (
        model.index("class Model(Base):") + 1
        if column is None
        else next(n for n, text in enumerate(model, 1) if text.strip().startswith(f"{column}:"))
    )
    assert finding.location.line == expected
    assert f"{module}:Base" in from_models.sources


def test_models_option_lints_ad_hoc_and_prefers_the_model_location(
    tmp_path: Path, pg_cluster: Cluster, modules: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, table, sql, python, path = CASES[0]
    module = "three_sources_ad_hoc"
    modules.append(module)
    platform = _sql_platform(tmp_path, code, table, sql)
    model = _model_file(tmp_path, module, table, python)
    monkeypatch.chdir(tmp_path)
    result = lint(platform, LintOptions(models=f"{module}:Base"), cluster=pg_cluster)
    # Found in the replayed migrations and in the models: reported once, at the model.
    assert [(f.code, f.object) for f in result.findings] == [(code, path)]
    location = result.findings[0].location
    assert location is not None
    assert location.path.resolve() == model.resolve()


def test_models_option_names_the_schema_no_service_owns(
    tmp_path: Path, pg_cluster: Cluster, modules: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = "three_sources_orphan"
    modules.append(module)
    platform = _sql_platform(tmp_path, "TYP001", "balances", "user_id text NOT NULL")
    (tmp_path / "schemakit.toml").write_text(
        '[services.other]\nschemas = ["other"]\nmigrations = "migrations"\n'
    )
    _model_file(tmp_path, module, "balances", textwrap.indent("body: Mapped[str]\n", "    "))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SchemakitError, match="no configured service owns schema app"):
        lint(platform, LintOptions(models=f"{module}:Base"), cluster=pg_cluster)
