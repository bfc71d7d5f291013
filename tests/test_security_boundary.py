"""The service boundary against a real PostgreSQL, after ``provision`` + ``migrate`` of the
example platform with roles: a login granted one service's role reads and writes that
service's rows and nothing else, privilege by privilege; it cannot plant anything for a
migration to fire (the escalation that made a service login SUPERUSER); and every object the
migrations create (SQL files, Alembic revisions) is owned by the service's owner role."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schemakit.testing import Cluster
from tests.migrate._cli import sk

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "platform"

CONFIG = """
database = "platform"

[services.auth]
schemas = ["auth"]
migrations = "services/auth/migrations"
role = "auth_sec"

[services.storage]
schemas = ["storage"]
migrations = "services/storage/migrations"
role = "storage_sec"

[services.shop]
schemas = ["shop"]
migrations = "services/shop/alembic"
role = "shop_sec"
owner-role = "shop_sec_admin"
"""

REVISION = '''
"""orders, a sequence, a trigger function and its trigger, an enum."""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # as schemakit's scaffold and most Alembic services begin: a no-op once provisioned
    op.execute('CREATE SCHEMA IF NOT EXISTS "shop"')
    op.execute("CREATE TYPE shop.status AS ENUM ('open', 'paid')")
    op.execute(
        "CREATE TABLE shop.orders (id serial PRIMARY KEY, user_id text NOT NULL,"
        " status shop.status NOT NULL DEFAULT 'open', updated_at timestamptz)"
    )
    op.execute(
        "CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql"
        " AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$"
    )
    op.execute(
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders"
        " FOR EACH ROW EXECUTE FUNCTION shop.touch()"
    )


def downgrade() -> None:
    op.execute("DROP TABLE shop.orders; DROP FUNCTION shop.touch(); DROP TYPE shop.status")
'''

OWNERS = {"auth": "auth_sec_owner", "storage": "storage_sec_owner", "shop": "shop_sec_admin"}


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """The example's auth and storage services (without auth's deliberate view in public,
    which its owner role may not create) and an Alembic service, each with a role."""
    (tmp_path / "schemakit.toml").write_text(CONFIG)
    for service in ("auth", "storage"):
        shutil.copytree(
            EXAMPLE / "services" / service / "migrations",
            tmp_path / "services" / service / "migrations",
        )
    (tmp_path / "services" / "auth" / "migrations" / "0002_audit_view.sql").unlink()
    versions = tmp_path / "services" / "shop" / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_orders.py").write_text(textwrap.dedent(REVISION))
    return tmp_path


def _login(pg_conn: Any, name: str, role: str) -> None:
    pg_conn.execute(
        f"DO $$ BEGIN CREATE ROLE {name} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    pg_conn.execute(f"GRANT {role} TO {name}")


def _provisioned_and_migrated(platform: Path, url: str) -> None:
    provisioned = sk(platform, url, "provision")
    assert provisioned.returncode == 0, provisioned.stderr
    migrated = sk(platform, url, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "does not exist" not in migrated.stdout + migrated.stderr  # ran as the owners
    assert sk(platform, url, "provision").stdout.strip().endswith("already provisioned")


def test_every_object_the_migrations_create_is_owned_by_the_owner_role(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _provisioned_and_migrated(platform, url)
    rows = pg_conn.execute(
        "SELECT 'schema', nspname, nspname, nspowner::regrole::text FROM pg_namespace "
        "WHERE nspname = ANY(%(s)s) UNION ALL "
        "SELECT 'relation', n.nspname, c.relname, c.relowner::regrole::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%(s)s) UNION ALL "
        "SELECT 'type', n.nspname, t.typname, t.typowner::regrole::text FROM pg_type t "
        "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ANY(%(s)s) UNION ALL "
        "SELECT 'function', n.nspname, p.proname, p.proowner::regrole::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%(s)s)",
        {"s": list(OWNERS)},
    ).fetchall()
    kinds = {(kind, schema) for kind, schema, _, _ in rows}
    assert kinds == {(k, s) for k in ("schema", "relation", "type") for s in OWNERS} | {
        ("function", "shop")
    }
    names = {name for _, _, name, _ in rows}
    # the Alembic version table, the trigger function, an enum, serial's sequence, indexes
    assert {"alembic_version", "touch", "status", "orders_id_seq", "idx_files_user_id"} <= names
    wrong = [
        (kind, f"{schema}.{name}", owner)
        for kind, schema, name, owner in rows
        if owner != OWNERS[schema]
    ]
    assert wrong == []
    # and the ledger, the connecting user's, recorded every migration
    recorded = pg_conn.execute(
        "SELECT service, count(*) FROM schemakit.migrations GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert recorded == [("auth", 1), ("shop", 1), ("storage", 3)]


# What a login granted auth's role may not do, one statement each.
DENIED = {
    "read another service's table": "SELECT * FROM storage.files",
    "insert into another service's table": (
        "INSERT INTO storage.tags (user_id, name) VALUES ('u', 't')"
    ),
    "update another service's table": "UPDATE storage.folders SET name = 'x'",
    "delete from another service's table": "DELETE FROM storage.tags",
    "use another service's sequence": "SELECT nextval('shop.orders_id_seq')",
    "read another service's sequence": "SELECT last_value FROM shop.orders_id_seq",
    "call another service's function": "SELECT shop.touch()",
    "create a table in its own schema": "CREATE TABLE auth.evil (id int)",
    "create a table in another service's schema": "CREATE TABLE storage.evil (id int)",
    "create a table in public": "CREATE TABLE public.evil (id int)",
    "create a schema": "CREATE SCHEMA evil",
    "create a function in its own schema": (
        "CREATE FUNCTION auth.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    "create a function in public": (
        "CREATE FUNCTION public.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    "create a trigger on its own table": (
        "CREATE TRIGGER evil BEFORE UPDATE ON auth.users FOR EACH ROW "
        "EXECUTE FUNCTION suppress_redundant_updates_trigger()"
    ),
    "create an index on its own table": "CREATE INDEX evil ON auth.users (created_at)",
    "alter its own table": "ALTER TABLE auth.users ADD COLUMN evil int",
    "take its own table": "ALTER TABLE auth.users OWNER TO auth_login_sec",
    "enable row security on its own table": "ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY",
    "comment on its own table": "COMMENT ON TABLE auth.users IS 'evil'",
    "drop its own table": "DROP TABLE auth.sessions",
    "drop another service's table": "DROP TABLE storage.tags",
    "truncate its own table": "TRUNCATE auth.sessions",
    "alter its own schema": "ALTER SCHEMA auth RENAME TO evil",
    "become its service's owner role": "SET ROLE auth_sec_owner",
    "become another service's role": "SET ROLE storage_sec",
    "become another service's owner role": "SET ROLE shop_sec_admin",
    "become the superuser": "SET ROLE postgres",
}


def test_a_login_reads_and_writes_its_rows_and_nothing_else(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _provisioned_and_migrated(platform, url)
    pg_conn.autocommit = True
    _login(pg_conn, "auth_login_sec", "auth_sec")
    _login(pg_conn, "shop_login_sec", "shop_sec")
    pg_conn.execute("INSERT INTO storage.tags (user_id, name) VALUES ('u0', 'kept')")

    login = f"postgresql://auth_login_sec@/{pg_database}?host={pg_cluster.socket_dir}"
    with psycopg.connect(login, autocommit=True) as conn:
        conn.execute("INSERT INTO auth.users (id, email) VALUES ('u1', 'a@example.com')")
        conn.execute("UPDATE auth.users SET email_verified = true WHERE id = 'u1'")
        conn.execute(
            "INSERT INTO auth.sessions (user_id, expires_at) VALUES ('u1', now() + interval '1 d')"
        )
        assert conn.execute("SELECT count(*) FROM auth.sessions").fetchone()[0] == 1
        conn.execute("DELETE FROM auth.sessions WHERE user_id = 'u1'")

        allowed = []
        for what, statement in DENIED.items():
            try:
                with conn.transaction():
                    conn.execute(statement)
                    allowed.append(what)
            except psycopg.errors.InsufficientPrivilege:
                pass
        assert allowed == []

    # a login of the Alembic service: its sequence through the table, its function by trigger
    shop = f"postgresql://shop_login_sec@/{pg_database}?host={pg_cluster.socket_dir}"
    with psycopg.connect(shop, autocommit=True) as conn:
        conn.execute("INSERT INTO shop.orders (user_id) VALUES ('u1')")
        conn.execute("UPDATE shop.orders SET status = 'paid'")
        touched = conn.execute("SELECT updated_at IS NOT NULL FROM shop.orders").fetchone()[0]
        assert touched is True
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM auth.users")
    assert pg_conn.execute("SELECT count(*) FROM storage.tags").fetchone()[0] == 1


def test_the_escalation_fails_at_its_first_step(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """The login drops auth.sessions to recreate it with a trigger that makes it SUPERUSER
    when the next migrate (as the superuser) writes the table: it may not drop the table;
    nor put a trigger on it; and the next migrate writes nothing it could have planted."""
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    _provisioned_and_migrated(platform, url)
    pg_conn.autocommit = True
    _login(pg_conn, "auth_login_sec", "auth_sec")
    login = f"postgresql://auth_login_sec@/{pg_database}?host={pg_cluster.socket_dir}"
    with psycopg.connect(login, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
            conn.execute("DROP TABLE auth.sessions")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "CREATE FUNCTION auth.promote() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN ALTER ROLE auth_login_sec SUPERUSER; RETURN NEW; END$$"
            )
    (platform / "services" / "auth" / "migrations" / "0003_expire.sql").write_text(
        "DELETE FROM auth.sessions WHERE expires_at < now();\n"
    )
    migrated = sk(platform, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    row = pg_conn.execute(
        "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles "
        "WHERE rolname = 'auth_login_sec'"
    ).fetchone()
    assert row == (False, False, False)
    owner = pg_conn.execute(
        "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'auth.sessions'::regclass"
    ).fetchone()[0]
    assert owner == "auth_sec_owner"
    triggers = pg_conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'auth.sessions'::regclass"
        " AND NOT tgisinternal"
    ).fetchone()[0]
    assert triggers == 0


def test_a_migration_that_crosses_the_boundary_is_refused(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    """The example's credits service (DELIBERATE ISO008: a foreign key into auth.users) may
    not reach into auth once it runs as its owner: the migration fails, rolled back."""
    (tmp_path / "schemakit.toml").write_text(
        CONFIG.split("[services.storage]")[0]
        + '[services.credits]\nschemas = ["credits"]\nmigrations = "services/credits/drizzle"\n'
        'role = "credits_sec"\n'
    )
    for service, folder in (("auth", "migrations"), ("credits", "drizzle")):
        shutil.copytree(
            EXAMPLE / "services" / service / folder, tmp_path / "services" / service / folder
        )
    (tmp_path / "services" / "auth" / "migrations" / "0002_audit_view.sql").unlink()
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    assert sk(tmp_path, url, "provision").returncode == 0
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 2
    assert "permission denied for schema auth" in migrated.stderr
    assert "0000_init_balances.sql:13" in migrated.stderr
    assert pg_conn.execute("SELECT to_regclass('credits.balances')").fetchone()[0] is None
