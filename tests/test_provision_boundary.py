"""``schemakit provision`` and the service boundary on a real server: what it refuses
before anything runs, what it revokes (each REVOKE listed in ``--dry-run``), and the SEC
rules that see roles firing on the classic mistakes and silent once it has run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from schemakit.lint import LintOptions, lint
from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")

CONFIG = """
[services.app]
schemas = ["app"]
role = "app_bnd"

[services.billing]
schemas = ["billing"]
role = "billing_bnd"
"""

# The classic mistakes: another service's role granted in, PUBLIC granted in, a membership
# between service roles, a superuser service role, a SECURITY DEFINER function without a
# search_path, a default privilege for another service's role.
MISTAKES = """
CREATE SCHEMA app; CREATE SCHEMA billing;
CREATE TABLE app.users (id int PRIMARY KEY, email text);
CREATE SEQUENCE app.numbers;
GRANT USAGE ON SCHEMA app TO billing_bnd;
GRANT SELECT, UPDATE ON app.users TO billing_bnd;
GRANT SELECT (email) ON app.users TO billing_bnd;
GRANT SELECT ON app.users TO PUBLIC;
GRANT USAGE ON SEQUENCE app.numbers TO billing_bnd;
GRANT app_bnd TO billing_bnd;
ALTER ROLE app_bnd SUPERUSER;
CREATE FUNCTION app.touch() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO billing_bnd;
"""


def provision(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, "provision", "--config", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": url},
    )


def test_two_services_claiming_one_schema_is_a_config_error(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    (tmp_path / "schemakit.toml").write_text(
        '[services.research]\nschemas = ["research"]\nrole = "research_bnd"\n'
        '[services.research-worker]\nschemas = ["research"]\n'
    )
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    done = provision(tmp_path, url)
    assert done.returncode == 2, done.stdout
    assert "schema research is claimed by two services, research and research-worker" in (
        done.stderr
    )
    assert "schemakit.toml" in done.stderr
    assert pg_conn.execute("SELECT to_regnamespace('research')").fetchone()[0] is None
    assert pg_conn.execute("SELECT to_regrole('research_bnd')").fetchone()[0] is None


def test_provision_refuses_a_privileged_role_then_revokes_what_crosses(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    (tmp_path / "schemakit.toml").write_text(CONFIG)
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    pg_conn.autocommit = True
    for role in ("app_bnd", "billing_bnd", "app_bnd_owner", "billing_bnd_owner"):
        pg_conn.execute(
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    try:
        pg_conn.execute(MISTAKES)
        options = LintOptions(database_url=url, select=("SEC",))
        found = {(f.code, f.object) for f in lint(tmp_path, options).findings}
        assert {
            ("SEC001", "app"),
            ("SEC001", "app.users"),
            ("SEC001", "app.users.email"),
            ("SEC001", "app.numbers"),
            ("SEC004", "billing_bnd"),
            ("SEC005", "app_bnd"),
            ("SEC006", "app.touch()"),
            ("SEC007", "app"),
        } <= found

        refused = provision(tmp_path, url)
        assert refused.returncode == 2
        assert "app_bnd, the role of service app, has SUPERUSER" in refused.stderr
        assert "nothing was changed" in refused.stderr
        assert pg_conn.execute(
            "SELECT has_schema_privilege('billing_bnd', 'app', 'USAGE')"
        ).fetchone()[0]
        pg_conn.execute("ALTER ROLE app_bnd NOSUPERUSER")
        # an owner role counts as a service role: the same refusal
        pg_conn.execute("ALTER ROLE billing_bnd_owner CREATEROLE BYPASSRLS")
        refused = provision(tmp_path, url)
        assert refused.returncode == 2
        assert (
            "billing_bnd_owner, the owner role of service billing, has CREATEROLE, BYPASSRLS"
            in refused.stderr
        )
        assert "ALTER ROLE billing_bnd_owner NOCREATEROLE NOBYPASSRLS" in refused.stderr
        pg_conn.execute("ALTER ROLE billing_bnd_owner NOCREATEROLE NOBYPASSRLS")
        # the role services log in through may not act as an owner, its own or another's
        pg_conn.execute("GRANT app_bnd_owner TO app_bnd; GRANT app_bnd_owner TO billing_bnd_owner")

        dry = provision(tmp_path, url, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        for revoke in (
            "REVOKE USAGE ON SCHEMA app FROM billing_bnd;",
            "REVOKE SELECT ON TABLE app.users FROM billing_bnd;",
            "REVOKE UPDATE ON TABLE app.users FROM billing_bnd;",
            "REVOKE SELECT (email) ON app.users FROM billing_bnd;",
            "REVOKE SELECT ON TABLE app.users FROM PUBLIC;",
            "REVOKE USAGE ON SEQUENCE app.numbers FROM billing_bnd;",
            "REVOKE app_bnd FROM billing_bnd;",
            "REVOKE app_bnd_owner FROM billing_bnd_owner;",
            "REVOKE app_bnd_owner FROM app_bnd;",
            "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA app REVOKE SELECT ON TABLES "
            "FROM billing_bnd;",
        ):
            assert f"would run: {revoke}" in dry.stdout, dry.stdout
        assert pg_conn.execute(
            "SELECT has_table_privilege('billing_bnd', 'app.users', 'SELECT')"
        ).fetchone()[0]

        done = provision(tmp_path, url)
        assert done.returncode == 0, done.stderr
        assert provision(tmp_path, url).stdout.strip().endswith("already provisioned")
        for check in (
            "has_table_privilege('billing_bnd', 'app.users', 'SELECT')",
            "has_column_privilege('billing_bnd', 'app.users', 'email', 'SELECT')",
            "has_sequence_privilege('billing_bnd', 'app.numbers', 'USAGE')",
            "pg_has_role('billing_bnd', 'app_bnd', 'USAGE')",
            "pg_has_role('app_bnd', 'app_bnd_owner', 'MEMBER')",
            "pg_has_role('billing_bnd_owner', 'app_bnd_owner', 'MEMBER')",
        ):
            assert pg_conn.execute(f"SELECT {check}").fetchone()[0] is False, check

        # what provision does not decide (a function's search_path) is left to the lint; the
        # rules that see roles, memberships and owners are silent after it
        options = LintOptions(database_url=url, select=("SEC",))
        left = lint(tmp_path, options).findings
        assert [(f.code, f.object) for f in left] == [("SEC006", "app.touch()")]
        assert left[0].fix is not None
        pg_conn.execute(left[0].fix.sql)
        assert lint(tmp_path, options).findings == []
    finally:
        pg_conn.execute("ALTER ROLE app_bnd NOSUPERUSER")
        pg_conn.execute("ALTER ROLE billing_bnd_owner NOCREATEROLE NOBYPASSRLS")
