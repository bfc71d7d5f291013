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
    defaults = "ran: ALTER DEFAULT PRIVILEGES FOR ROLE {}_owner IN SCHEMA {} GRANT {} ON {} TO {}"

    def usable(schema: str, role: str) -> list[str]:
        return [
            f"ran: GRANT USAGE ON SCHEMA {schema} TO {role}",
            defaults.format(role, schema, "SELECT, INSERT, UPDATE, DELETE", "TABLES", role),
            defaults.format(role, schema, "USAGE, SELECT", "SEQUENCES", role),
            defaults.format(role, schema, "EXECUTE", "FUNCTIONS", role),
        ]

    assert ran == [
        "ran: REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "ran: CREATE ROLE app_prov_owner NOLOGIN",
        "ran: CREATE ROLE app_prov NOLOGIN",
        "ran: CREATE SCHEMA app AUTHORIZATION app_prov_owner",
        *usable("app", "app_prov"),
        "ran: CREATE ROLE billing_prov_owner NOLOGIN",
        "ran: CREATE ROLE billing_prov NOLOGIN",
        "ran: ALTER SCHEMA billing OWNER TO billing_prov_owner",
        "ran: REVOKE ALL ON SCHEMA billing FROM PUBLIC",
        *usable("billing", "billing_prov"),
        "ran: CREATE SCHEMA misc",
    ]
    assert "no role configured for misc" in done.stderr
    again = provision(tmp_path, url)
    assert again.returncode == 0
    assert again.stdout.strip().endswith("already provisioned")

    # what the migrations make (as the owner) is the service's to use, and no one else's
    pg_conn.execute("SET ROLE app_prov_owner")
    pg_conn.execute("CREATE TABLE app.users (id serial PRIMARY KEY, name text)")
    pg_conn.execute("SET ROLE app_prov")
    pg_conn.execute("INSERT INTO app.users (name) VALUES ('a')")  # the sequence too
    assert pg_conn.execute("SELECT count(*) FROM app.users").fetchone()[0] == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
        pg_conn.execute("ALTER TABLE app.users ADD COLUMN x int")  # the shape is migrations'
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="schema app"):
        pg_conn.execute("CREATE TABLE app.more (id int)")
    pg_conn.execute("RESET ROLE")
    pg_conn.execute("SET ROLE billing_prov_owner")
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
    """Everything in it, whoever owns it (the migrating user, the service's role as before
    owner roles, a third role), handed to the owner role; the role granted what it needs;
    --dry-run lists the same; a second run plans nothing."""
    (tmp_path / "schemakit.toml").write_text(
        '[services.legacy]\nschemas = ["legacy"]\nrole = "legacy_prov"\n'
    )
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    pg_conn.autocommit = True
    for role in ("someone_prov", "legacy_prov"):
        pg_conn.execute(
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    pg_conn.execute(
        "CREATE SCHEMA legacy AUTHORIZATION legacy_prov;"
        "CREATE TABLE legacy.accounts (id serial PRIMARY KEY);"
        "CREATE TABLE legacy.theirs (id int); ALTER TABLE legacy.theirs OWNER TO someone_prov;"
        "CREATE VIEW legacy.recent AS SELECT id FROM legacy.accounts;"
        "CREATE SEQUENCE legacy.numbers; CREATE TYPE legacy.mood AS ENUM ('ok');"
        "CREATE DOMAIN legacy.positive AS int CHECK (VALUE > 0);"
        "CREATE FUNCTION legacy.one() RETURNS int LANGUAGE sql AS 'SELECT 1';"
        "REVOKE EXECUTE ON FUNCTION legacy.one() FROM PUBLIC;"
        "ALTER FUNCTION legacy.one() OWNER TO legacy_prov;"
        "GRANT TRIGGER, TRUNCATE ON legacy.accounts TO legacy_prov"
    )
    dry = provision(tmp_path, url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    owner = "OWNER TO legacy_prov_owner"
    handed = [
        f"ALTER SCHEMA legacy {owner}",
        f"ALTER TABLE legacy.accounts {owner}",
        f"ALTER TYPE legacy.mood {owner}",
        f"ALTER SEQUENCE legacy.numbers {owner}",
        f"ALTER ROUTINE legacy.one() {owner}",
        f"ALTER DOMAIN legacy.positive {owner}",
        f"ALTER VIEW legacy.recent {owner}",
        f"ALTER TABLE legacy.theirs {owner}",
    ]
    for line in handed:
        assert f"would run: {line};" in dry.stdout, dry.stdout
    assert "would hand 8 object(s) to their services' owner roles" in dry.stderr
    assert (
        pg_conn.execute(
            "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'legacy.theirs'::regclass"
        ).fetchone()[0]
        == "someone_prov"
    )

    done = provision(tmp_path, url)
    assert done.returncode == 0, done.stderr
    for line in (
        *handed,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE legacy.accounts, legacy.recent, "
        "legacy.theirs TO legacy_prov",
        "GRANT USAGE, SELECT ON SEQUENCE legacy.accounts_id_seq, legacy.numbers TO legacy_prov",
        "GRANT EXECUTE ON ROUTINE legacy.one() TO legacy_prov",
        "REVOKE TRIGGER ON TABLE legacy.accounts FROM legacy_prov",
        "REVOKE TRUNCATE ON TABLE legacy.accounts FROM legacy_prov",
    ):
        assert f"ran: {line};" in done.stdout, done.stdout
    owners = pg_conn.execute(
        "SELECT DISTINCT relowner::regrole::text FROM pg_class "
        "WHERE relnamespace = 'legacy'::regnamespace UNION "
        "SELECT DISTINCT proowner::regrole::text FROM pg_proc "
        "WHERE pronamespace = 'legacy'::regnamespace UNION "
        "SELECT DISTINCT typowner::regrole::text FROM pg_type "
        "WHERE typnamespace = 'legacy'::regnamespace UNION "
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'legacy'"
    ).fetchall()
    assert owners == [("legacy_prov_owner",)]
    pg_conn.execute("SET ROLE legacy_prov")
    pg_conn.execute("INSERT INTO legacy.accounts DEFAULT VALUES")
    assert pg_conn.execute("SELECT legacy.one(), count(*) FROM legacy.recent").fetchone() == (1, 1)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        pg_conn.execute("TRUNCATE legacy.accounts")
    pg_conn.execute("RESET ROLE")
    assert provision(tmp_path, url).stdout.strip().endswith("already provisioned")


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
    """Rights held through a role the service's role inherits need no GRANT; the others do,
    and so do those PUBLIC holds (provision revokes what PUBLIC holds on a service's
    tables)."""
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
        assert grants == [
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE inh.ungranted, inh.via_public "
            "TO inh_prov"
        ]
        revokes = [s.sql for s in steps if s.sql.startswith("REVOKE") and "via_public" in s.sql]
        assert revokes == [
            f"REVOKE {right} ON TABLE inh.via_public FROM PUBLIC"
            for right in ("INSERT", "SELECT", "UPDATE", "DELETE")
        ]
    finally:
        pg_conn.execute("DROP SCHEMA inh CASCADE; DROP OWNED BY inh_prov, inh_readers")
        pg_conn.execute("DROP ROLE inh_prov; DROP ROLE inh_readers")
