"""``provision`` and a drizzle-kit folder meet in either order: drizzle-kit writes
``CREATE SCHEMA "x";`` with no IF NOT EXISTS, the schema may already be provisioned, and
once the owner role exists ``migrate`` runs the migrations as it (``SET ROLE``), which may
not create schemas at all."""

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
    _migration(
        folder,
        0,
        f'CREATE SCHEMA "{name}";\n--> statement-breakpoint\n'
        f'CREATE TABLE "{name}"."balances" (\n\t"id" serial PRIMARY KEY NOT NULL,\n'
        '\t"user_id" text NOT NULL\n);\n',
    )


def _migration(folder: Path, idx: int, text: str) -> None:
    tag = f"{idx:04d}_step"
    (folder / "drizzle" / f"{tag}.sql").write_text(text)
    journal_path = folder / "drizzle" / "meta" / "_journal.json"
    journal = (
        json.loads(journal_path.read_text())
        if journal_path.exists()
        else {"version": "7", "dialect": "postgresql", "entries": []}
    )
    journal["entries"].append(
        {"idx": idx, "version": "7", "when": 1735689600000 + idx, "tag": tag, "breakpoints": True}
    )
    journal_path.write_text(json.dumps(journal))


def _owners(pg_conn: Any, name: str) -> set[str]:
    """Who owns the schema ``name`` and every relation, type and function in it."""
    rows = pg_conn.execute(
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %(s)s UNION "
        "SELECT relowner::regrole::text FROM pg_class WHERE relnamespace = %(s)s::regnamespace "
        "UNION SELECT typowner::regrole::text FROM pg_type "
        "WHERE typnamespace = %(s)s::regnamespace UNION "
        "SELECT proowner::regrole::text FROM pg_proc WHERE pronamespace = %(s)s::regnamespace",
        {"s": name},
    ).fetchall()
    return {row[0] for row in rows}


def _owned_and_usable(pg_conn: Any, name: str) -> None:
    assert _owners(pg_conn, name) == {f"{name}_dz_owner"}
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
    assert "CREATE SCHEMA credits AUTHORIZATION credits_dz_owner" in provisioned.stdout
    # the owner may not run CREATE SCHEMA, even IF NOT EXISTS: the runner leaves it out
    _migration(tmp_path, 1, 'CREATE SCHEMA IF NOT EXISTS "credits";\n')
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "does not exist" not in migrated.stderr  # no warning: the owner role exists
    assert sk(tmp_path, url, "provision").stdout.strip().endswith("already provisioned")
    _owned_and_usable(pg_conn, "credits")
    # the ledger, the connecting user's, was written: a second migrate has nothing to do
    again = sk(tmp_path, url, "migrate")
    assert again.returncode == 0, again.stderr
    applied = pg_conn.execute(
        "SELECT count(*) FROM schemakit.migrations WHERE service = 'credits'"
    ).fetchone()[0]
    assert applied == 2
    assert pg_conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0] == 2


def test_migrate_then_provision(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """Before provision the owner role does not exist: migrate runs as the connecting user
    and says so; provision hands what it made over; the next migration runs as the owner."""
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _service(tmp_path, "ledger")
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "owner role ledger_dz_owner does not exist" in migrated.stdout + migrated.stderr
    assert "run schemakit provision" in migrated.stdout + migrated.stderr
    provisioned = sk(tmp_path, url, "provision")
    assert provisioned.returncode == 0, provisioned.stderr
    for line in (
        "ran: ALTER SCHEMA ledger OWNER TO ledger_dz_owner;",
        "ran: ALTER TABLE ledger.balances OWNER TO ledger_dz_owner;",
    ):
        assert line in provisioned.stdout
    assert sk(tmp_path, url, "provision").stdout.strip().endswith("already provisioned")
    _owned_and_usable(pg_conn, "ledger")

    _migration(
        tmp_path,
        1,
        'CREATE TABLE "ledger"."entries" ("id" serial PRIMARY KEY, "note" text);\n'
        "--> statement-breakpoint\n"
        'CREATE FUNCTION "ledger"."one"() RETURNS int LANGUAGE sql AS $$SELECT 1$$;\n',
    )
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "does not exist" not in migrated.stdout + migrated.stderr
    assert _owners(pg_conn, "ledger") == {"ledger_dz_owner"}
    # default privileges for the owner: the role may use what the migration made
    pg_conn.execute("SET ROLE ledger_dz")
    pg_conn.execute("INSERT INTO ledger.entries (note) VALUES ('x')")
    assert pg_conn.execute("SELECT ledger.one()").fetchone()[0] == 1
    pg_conn.execute("RESET ROLE")
    assert sk(tmp_path, url, "provision").stdout.strip().endswith("already provisioned")


def test_a_schema_provision_did_not_create_stops_before_anything_runs(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """The owner role exists, the schema does not (dropped, or added to the config after
    provision): the owner may not create it, so nothing is applied and provision is named."""
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _service(tmp_path, "vault")
    assert sk(tmp_path, url, "provision").returncode == 0
    pg_conn.autocommit = True
    pg_conn.execute("DROP SCHEMA vault")
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 2
    assert "schema vault of service vault does not exist" in migrated.stderr
    assert "run schemakit provision" in migrated.stderr
    assert pg_conn.execute("SELECT to_regnamespace('vault')").fetchone()[0] is None
    assert sk(tmp_path, url, "provision").returncode == 0
    assert sk(tmp_path, url, "migrate").returncode == 0
    _owned_and_usable(pg_conn, "vault")


def test_another_services_schema_still_fails(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """Only the service's own schemas are taken as possibly there already."""
    _service(tmp_path, "wallet")
    pg_conn.autocommit = True
    pg_conn.execute('CREATE SCHEMA "other"')
    (tmp_path / "drizzle" / "0000_step.sql").write_text('CREATE SCHEMA "other";\n')
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 2
    assert 'schema "other" already exists' in migrated.stderr
