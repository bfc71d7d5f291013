"""``schemakit provision`` on a real server: the plan, its one transaction, a second run with
nothing to do, and a boundary that holds (another service's role is refused)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schemakit.lint import LintOptions, lint
from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")

CONFIG = """
[services.app]
schemas = ["app"]
role = "app_prov"

[services.billing]
schemas = ["billing"]
role = "billing_prov"

[services.misc]
schemas = ["misc"]
"""


def provision(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, "provision", "--config", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": url},
    )


def test_provision_makes_each_schema_a_boundary(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    (tmp_path / "schemakit.toml").write_text(CONFIG)
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    pg_conn.autocommit = True
    # PostgreSQL 14's default, and a schema that exists already, owned by someone else
    pg_conn.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
    pg_conn.execute("CREATE SCHEMA billing; GRANT USAGE ON SCHEMA billing TO PUBLIC")

    dry = provision(tmp_path, url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would run: REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in dry.stdout
    assert pg_conn.execute("SELECT to_regnamespace('app')").fetchone()[0] is None

    done = provision(tmp_path, url)
    assert done.returncode == 0, done.stderr
    ran = [line.split(";", 1)[0] for line in done.stdout.splitlines()]
    defaults = "ran: ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON {} TO {}"
    assert ran == [
        "ran: REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "ran: CREATE ROLE app_prov NOLOGIN",
        "ran: CREATE SCHEMA app AUTHORIZATION app_prov",
        defaults.format("app", "SELECT, INSERT, UPDATE, DELETE", "TABLES", "app_prov"),
        defaults.format("app", "USAGE, SELECT", "SEQUENCES", "app_prov"),
        "ran: CREATE ROLE billing_prov NOLOGIN",
        "ran: ALTER SCHEMA billing OWNER TO billing_prov",
        "ran: REVOKE ALL ON SCHEMA billing FROM PUBLIC",
        defaults.format("billing", "SELECT, INSERT, UPDATE, DELETE", "TABLES", "billing_prov"),
        defaults.format("billing", "USAGE, SELECT", "SEQUENCES", "billing_prov"),
        "ran: CREATE SCHEMA misc",
    ]
    assert "no role configured for misc" in done.stderr
    again = provision(tmp_path, url)
    assert again.returncode == 0
    assert again.stdout.strip().endswith("already provisioned")

    # what the migrations make (as this user) is the service's to use, and no one else's
    pg_conn.execute("CREATE TABLE app.users (id serial PRIMARY KEY, name text)")
    pg_conn.execute("SET ROLE app_prov")
    pg_conn.execute("INSERT INTO app.users (name) VALUES ('a')")  # the sequence too
    assert pg_conn.execute("SELECT count(*) FROM app.users").fetchone()[0] == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
        pg_conn.execute("ALTER TABLE app.users ADD COLUMN x int")  # the shape is migrations'
    pg_conn.execute("RESET ROLE")
    pg_conn.execute("SET ROLE billing_prov")
    pg_conn.execute("CREATE TABLE billing.invoices (id int)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="schema app"):
        pg_conn.execute("SELECT * FROM app.users")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="schema public"):
        pg_conn.execute("CREATE TABLE public.stray (id int)")
    pg_conn.execute("RESET ROLE")
    # a right taken away (even one of four) is granted again on the next run
    pg_conn.execute("REVOKE DELETE ON app.users FROM app_prov")
    regrant = provision(tmp_path, url)
    assert "ran: GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE app.users TO app_prov;" in (
        regrant.stdout
    )
    assert provision(tmp_path, url).stdout.strip().endswith("already provisioned")


def test_an_existing_schema_is_handed_over_in_one_run(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """Its tables granted to a role created in the same run; a third owner's table listed,
    not fatal."""
    (tmp_path / "schemakit.toml").write_text(
        '[services.legacy]\nschemas = ["legacy"]\nrole = "legacy_prov"\n'
    )
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    pg_conn.autocommit = True
    pg_conn.execute(
        "DO $$ BEGIN CREATE ROLE someone_prov NOLOGIN; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    pg_conn.execute(
        "CREATE SCHEMA legacy; CREATE TABLE legacy.accounts (id serial PRIMARY KEY);"
        "CREATE TABLE legacy.theirs (id int); ALTER TABLE legacy.theirs OWNER TO someone_prov"
    )
    done = provision(tmp_path, url)
    assert done.returncode == 0, done.stderr
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE legacy.accounts, legacy.theirs" in (
        done.stdout
    )  # a superuser may grant on any table
    assert "GRANT USAGE, SELECT ON SEQUENCE legacy.accounts_id_seq TO legacy_prov" in done.stdout
    assert "owned by another role than its service's: legacy.theirs (someone_prov)" in (done.stderr)
    pg_conn.execute("SET ROLE legacy_prov")
    pg_conn.execute("INSERT INTO legacy.accounts DEFAULT VALUES")
    pg_conn.execute("RESET ROLE")
    assert provision(tmp_path, url).stdout.strip().endswith("already provisioned")

    # and the lint agrees: what provision listed, and nothing else
    options = LintOptions(database_url=url, select=("SEC", "ISO007"))
    found = lint(tmp_path, options).findings
    assert [(f.code, f.object) for f in found] == [("SEC008", "legacy.theirs")]


def test_provision_errors_change_nothing_and_hide_the_password(tmp_path: Path) -> None:
    (tmp_path / "schemakit.toml").write_text(CONFIG)
    url = f"postgresql://postgres:s3cret@/platform?host={tmp_path}"
    proc = provision(tmp_path, url)
    assert proc.returncode == 2
    assert "cannot connect to postgresql://postgres:***@/platform" in proc.stderr
    assert "s3cret" not in proc.stdout + proc.stderr
    missing = subprocess.run(
        [SCHEMAKIT, "provision", "--config", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    assert missing.returncode == 2
    assert "no database to provision" in missing.stderr


def test_a_failing_step_rolls_back_the_whole_plan(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """A user who may revoke on public but not create roles: the revoke is undone too."""
    (tmp_path / "schemakit.toml").write_text(CONFIG)
    pg_conn.autocommit = True
    pg_conn.execute(
        "DO $$ BEGIN CREATE ROLE weak_prov LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    pg_conn.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
    pg_conn.execute("ALTER SCHEMA public OWNER TO weak_prov")
    url = f"postgresql://weak_prov@/{pg_database}?host={pg_cluster.socket_dir}"
    proc = provision(tmp_path, url)
    assert proc.returncode == 2
    assert "provisioning needs more rights than this user has" in proc.stderr
    assert "nothing was changed" in proc.stderr
    still = pg_conn.execute("SELECT has_schema_privilege('public', 'public', 'CREATE')").fetchone()[
        0
    ]
    assert still is True


def test_the_catalog_knows_roles_and_default_privileges(pg_conn: Any) -> None:
    """What provisioning plans from: the roles (with inherited memberships), who reads the
    catalog, and schema-wide default privileges."""
    from schemakit.catalog import from_database

    pg_conn.autocommit = True
    pg_conn.execute("CREATE ROLE cat_parent NOLOGIN; CREATE ROLE cat_child NOLOGIN")
    pg_conn.execute("GRANT cat_parent TO cat_child; CREATE SCHEMA cat_s")
    pg_conn.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA cat_s GRANT SELECT ON TABLES TO cat_child")
    try:
        catalog = from_database(pg_conn)
        assert catalog.user == pg_conn.execute("SELECT current_user").fetchone()[0]
        assert catalog.roles[catalog.user].superuser
        assert catalog.roles["cat_child"].privileges_of == {"cat_child", "cat_parent"}
        assert not catalog.roles["cat_parent"].superuser
        defaults = [d for d in catalog.default_grants if d.schema == "cat_s"]
        assert [(d.owner, d.object_kind, d.grantee, d.privilege) for d in defaults] == [
            (catalog.user, "table", "cat_child", "SELECT")
        ]
    finally:
        pg_conn.execute("DROP SCHEMA cat_s; DROP OWNED BY cat_child; DROP ROLE cat_child")
        pg_conn.execute("DROP ROLE cat_parent")


def test_a_role_inheriting_the_rights_needs_no_grant(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """has_table_privilege's answer, from the catalog: rights held through a role the
    service's role inherits, or granted to PUBLIC, need no GRANT; the others do."""
    from schemakit.catalog import from_database
    from schemakit.config import parse_config
    from schemakit.provision import plan_catalog

    (tmp_path / "schemakit.toml").write_text(
        '[services.inh]\nschemas = ["inh"]\nrole = "inh_prov"\n'
    )
    config = parse_config(tmp_path / "schemakit.toml")
    pg_conn.autocommit = True
    pg_conn.execute("CREATE ROLE inh_prov NOLOGIN; CREATE ROLE inh_readers NOLOGIN")
    pg_conn.execute("GRANT inh_readers TO inh_prov; CREATE SCHEMA inh AUTHORIZATION inh_prov")
    pg_conn.execute("CREATE TABLE inh.via_parent (id int); CREATE TABLE inh.via_public (id int)")
    pg_conn.execute("CREATE TABLE inh.ungranted (id int)")
    pg_conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON inh.via_parent TO inh_readers")
    pg_conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON inh.via_public TO PUBLIC")
    pg_conn.execute("GRANT SELECT ON inh.ungranted TO inh_prov")
    try:
        steps = plan_catalog(from_database(pg_conn), config, config.default_database)
        grants = [s.sql for s in steps if s.sql.startswith("GRANT") and "ON TABLE" in s.sql]
        assert grants == ["GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE inh.ungranted TO inh_prov"]
    finally:
        pg_conn.execute("DROP SCHEMA inh CASCADE; DROP OWNED BY inh_prov, inh_readers")
        pg_conn.execute("DROP ROLE inh_prov; DROP ROLE inh_readers")
