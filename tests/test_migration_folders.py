"""A service with several migrations folders (drizzle-kit's one per schema): configured as a
list, replayed by lint and applied by migrate in the order listed, each folder's files its
own ledger rows."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.errors import ConfigError
from schemakit.lint import lint
from schemakit.migrate import discover, migrate
from schemakit.testing import Cluster


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def drizzle_folder(folder: Path, schema: str, table: str) -> None:
    write(
        folder / "0000_init.sql",
        f"""
        CREATE SCHEMA "{schema}";
        --> statement-breakpoint
        CREATE TABLE "{schema}"."{table}" ("id" uuid PRIMARY KEY NOT NULL);
        """,
    )
    journal = {"version": "7", "dialect": "postgresql", "entries": []}
    journal["entries"] = [{"idx": 0, "version": "7", "when": 1733000000000, "tag": "0000_init"}]
    write(folder / "meta" / "_journal.json", json.dumps(journal))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.billing]
        schemas = ["billing", "payments"]
        migrations = ["drizzle/billing", "drizzle/payments"]
        """,
    )
    drizzle_folder(tmp_path / "drizzle" / "billing", "billing", "invoices")
    drizzle_folder(tmp_path / "drizzle" / "payments", "payments", "charges")
    return tmp_path


def test_folders_are_one_set_with_ids_per_folder(project: Path) -> None:
    service = load_config(project).services["billing"]
    assert service.migration_folders == (
        project / "drizzle" / "billing",
        project / "drizzle" / "payments",
    )
    found = discover(service)
    assert found is not None
    assert found.kind == "drizzle"
    # two 0000_init files, two ledger ids
    assert [f.id for f in found.files] == ["billing/0000_init", "payments/0000_init"]


def test_lint_replays_every_folder(project: Path, pg_cluster: Cluster) -> None:
    result = lint(project, cluster=pg_cluster)
    # both folders' tables were made (each lacks timestamps: COL001 on each)
    missing = sorted(f.object or "" for f in result.findings if f.code == "COL001")
    assert missing == ["billing.invoices", "payments.charges"]
    assert {f.location.path for f in result.findings if f.location} == {
        project / "drizzle" / "billing" / "0000_init.sql",
        project / "drizzle" / "payments" / "0000_init.sql",
    }
    assert result.sources == [
        str(project / "drizzle" / "billing"),
        str(project / "drizzle" / "payments"),
    ]


def test_migrate_applies_every_folder_once(project: Path, pg_dsn: str, pg_conn) -> None:  # type: ignore[no-untyped-def]
    config = load_config(project)
    migrate(pg_dsn, config)
    migrate(pg_dsn, config)  # the second run applies nothing again
    rows = pg_conn.execute(
        "SELECT id FROM schemakit.migrations WHERE service = 'billing' ORDER BY id"
    ).fetchall()
    assert [r[0] for r in rows] == ["billing/0000_init", "payments/0000_init"]
    tables = pg_conn.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        " WHERE table_schema IN ('billing', 'payments') ORDER BY 1"
    ).fetchall()
    assert [t[0] for t in tables] == ["billing.invoices", "payments.charges"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["a", "a"]', "listed twice"),
        ("[1]", "must be a non-empty string"),
    ],
)
def test_bad_folder_lists_are_refused(tmp_path: Path, value: str, message: str) -> None:
    write(tmp_path / "schemakit.toml", f'[services.x]\nschemas = ["x"]\nmigrations = {value}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_a_parent_of_per_schema_folders_says_to_list_them(project: Path) -> None:
    (project / "schemakit.toml").write_text(
        '[services.billing]\nschemas = ["billing"]\nmigrations = "drizzle"\n'
    )
    with pytest.raises(ConfigError, match="subfolders hold migrations: billing, payments") as info:
        discover(load_config(project).services["billing"])
    assert "migrations = [" in (info.value.hint or "")


def test_a_second_folder_listed_later_keeps_the_first_folders_migrations_applied(
    project: Path,
    pg_dsn: str,
    pg_conn,  # type: ignore[no-untyped-def]
) -> None:
    # drizzle-kit stamps each folder's journal when it generates it: not the same millisecond
    journal = project / "drizzle" / "payments" / "meta" / "_journal.json"
    journal.write_text(journal.read_text().replace("1733000000000", "1733000000001"))
    config_file = project / "schemakit.toml"
    both = config_file.read_text()
    config_file.write_text(
        both.replace('["drizzle/billing", "drizzle/payments"]', '"drizzle/billing"')
    )
    migrate(pg_dsn, load_config(project))  # applied while billing was the only folder
    config_file.write_text(both)
    config = load_config(project)
    result = migrate(pg_dsn, config)
    assert result[0].applied == ["payments/0000_init"]  # billing's did not run again
    migrate(pg_dsn, config)
    rows = pg_conn.execute(
        "SELECT id FROM schemakit.migrations WHERE service = 'billing' ORDER BY id"
    ).fetchall()
    assert [r[0] for r in rows] == ["0000_init", "payments/0000_init"]
