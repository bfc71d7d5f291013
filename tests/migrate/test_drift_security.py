"""drift sees security (issue 16): owners, grants and how functions run, against what the
migrations produce, each difference with the SQL that puts it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemakit.testing import Cluster
from tests.migrate._cli import sk
from tests.migrate.test_example_status_drift import statements
from tests.migrate.test_runner import url_of, write


def test_drift_lists_owners_grants_and_function_settings_that_differ(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.app]
        schemas = ["app"]
        migrations = "app"
        role = "app_service"
        """,
    )
    write(
        tmp_path / "app" / "0001_init.sql",
        """
        CREATE SCHEMA app;
        CREATE TABLE app.users (id int PRIMARY KEY, name text);
        CREATE VIEW app.names AS SELECT name FROM app.users;
        GRANT SELECT ON app.names TO reporting;
        CREATE FUNCTION app.user_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
            SET search_path = app, pg_temp AS 'SELECT count(*) FROM users';
        """,
    )
    url = url_of(pg_cluster, pg_database)
    for role in ("app_service_owner", "app_service", "reporting"):
        pg_conn.execute(f"CREATE ROLE {role}")
    # the schema as provision leaves it: migrate then runs as the owner role, which owns
    # everything the migration creates
    pg_conn.execute("CREATE SCHEMA app AUTHORIZATION app_service_owner")
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    pg_conn.execute("GRANT USAGE ON SCHEMA app TO app_service")  # provision's, not drift
    pg_conn.execute("GRANT SELECT, INSERT ON app.users TO app_service")
    clean = sk(tmp_path, url, "drift")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # a hand-over, a grant nobody migrated, a revoked one, a definer without its search_path
    pg_conn.execute(
        "ALTER TABLE app.users OWNER TO reporting;"
        "GRANT UPDATE (name) ON app.users TO PUBLIC;"
        "GRANT USAGE ON SCHEMA app TO reporting;"
        "REVOKE SELECT ON app.names FROM reporting;"
        "ALTER FUNCTION app.user_count() RESET ALL"
    )
    result = sk(tmp_path, url, "drift", "--format", "json")
    assert result.returncode == 1, result.stderr
    found = {d["object"]: d for d in json.loads(result.stdout)}
    assert {(o, d["kind"]) for o, d in found.items()} == {
        ("app.users owner", "changed"),
        ("grant UPDATE on column app.users.name to PUBLIC", "extra"),
        ("grant USAGE on schema app to reporting", "extra"),
        ("grant SELECT on table app.names to reporting", "missing"),
        ("function app.user_count() security", "changed"),
    }
    assert found["app.users owner"]["sql"] == "ALTER TABLE app.users OWNER TO app_service_owner;"
    assert found["grant UPDATE on column app.users.name to PUBLIC"]["sql"] == (
        "REVOKE UPDATE (name) ON app.users FROM PUBLIC;"
    )
    assert found["function app.user_count() security"]["sql"] == (
        "ALTER FUNCTION app.user_count() RESET ALL;\n"
        "ALTER FUNCTION app.user_count() SET search_path = app, pg_temp;"
    )
    for difference in found.values():
        for statement in statements(difference["sql"]):
            pg_conn.execute(statement)
    fixed = sk(tmp_path, url, "drift", "--format", "json")
    assert json.loads(fixed.stdout) == []
    assert fixed.returncode == 0
    # a SECURITY DEFINER switched off is one too
    pg_conn.execute("ALTER FUNCTION app.user_count() SECURITY INVOKER")
    invoker = sk(tmp_path, url, "drift")
    assert "ALTER FUNCTION app.user_count() SECURITY DEFINER;" in invoker.stdout
