"""``provision`` and a drizzle-kit folder meet in either order: drizzle-kit writes
``CREATE SCHEMA "x";`` with no IF NOT EXISTS, and the schema may already be provisioned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemakit.testing import Cluster
from tests.migrate._cli import sk


def _service(folder: Path, name: str) -> None:
    """A service ``name`` whose drizzle-kit folder starts with ``CREATE SCHEMA "name";``."""
    (folder / "schemakit.toml").write_text(
        f'[services.{name}]\nschemas = ["{name}"]\nmigrations = "drizzle"\nrole = "{name}_dz"\n'
    )
    (folder / "drizzle" / "meta").mkdir(parents=True)
    (folder / "drizzle" / "0000_init.sql").write_text(
        f'CREATE SCHEMA "{name}";\n--> statement-breakpoint\n'
        f'CREATE TABLE "{name}"."balances" (\n\t"id" serial PRIMARY KEY NOT NULL,\n'
        '\t"user_id" text NOT NULL\n);\n'
    )
    entry = {"idx": 0, "version": "7", "when": 1735689600000, "tag": "0000_init"}
    journal = {"version": "7", "dialect": "postgresql", "entries": [{**entry, "breakpoints": True}]}
    (folder / "drizzle" / "meta" / "_journal.json").write_text(json.dumps(journal))


def _owned_and_usable(pg_conn: Any, name: str) -> None:
    owner = pg_conn.execute(
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", (name,)
    ).fetchone()[0]
    assert owner == f"{name}_dz"
    pg_conn.execute(f"SET ROLE {name}_dz")
    pg_conn.execute(f"INSERT INTO {name}.balances (user_id) VALUES ('u1')")
    pg_conn.execute("RESET ROLE")


def test_provision_then_migrate(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _service(tmp_path, "credits")
    provisioned = sk(tmp_path, url, "provision")
    assert provisioned.returncode == 0, provisioned.stderr
    assert "CREATE SCHEMA credits AUTHORIZATION credits_dz" in provisioned.stdout
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert sk(tmp_path, url, "provision").stdout.strip().endswith("already provisioned")
    _owned_and_usable(pg_conn, "credits")


def test_migrate_then_provision(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _service(tmp_path, "ledger")
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    provisioned = sk(tmp_path, url, "provision")
    assert provisioned.returncode == 0, provisioned.stderr
    assert "ALTER SCHEMA ledger OWNER TO ledger_dz" in provisioned.stdout
    assert sk(tmp_path, url, "provision").stdout.strip().endswith("already provisioned")
    _owned_and_usable(pg_conn, "ledger")


def test_another_services_schema_still_fails(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """Only the service's own schemas are taken as possibly there already."""
    _service(tmp_path, "wallet")
    pg_conn.autocommit = True
    pg_conn.execute('CREATE SCHEMA "other"')
    (tmp_path / "drizzle" / "0000_init.sql").write_text('CREATE SCHEMA "other";\n')
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 2
    assert 'schema "other" already exists' in migrated.stderr
