"""The SEC rules on a live database, where PostgreSQL 14's default (CREATE on public for
every role) and hand-made grants show up, and their fixes take them away."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schemakit.lint import LintOptions, lint

CONFIG = """
[services.app]
schemas = ["app"]
migrations = "migrations"
role = "app_svc_live"

[services.billing]
schemas = ["billing"]
migrations = "migrations"
role = "billing_svc_live"
"""


def test_grants_on_a_live_database_and_their_fixes(
    tmp_path: Path, pg_conn: Any, pg_dsn: str
) -> None:
    (tmp_path / "schemakit.toml").write_text(CONFIG)
    (tmp_path / "migrations").mkdir()
    pg_conn.autocommit = True
    for role in ("app_svc_live", "billing_svc_live"):
        pg_conn.execute(
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    pg_conn.execute(
        "CREATE SCHEMA app; CREATE SCHEMA billing; CREATE TABLE app.users (id int PRIMARY KEY);"
        "GRANT CREATE ON SCHEMA public TO PUBLIC;"  # PostgreSQL 14 and older did this
        "GRANT USAGE ON SCHEMA app TO billing_svc_live;"
        "GRANT SELECT ON app.users TO billing_svc_live;"
        "GRANT SELECT ON app.users TO app_svc_live;"  # its own service: fine
        "CREATE SEQUENCE app.numbers; GRANT USAGE ON SEQUENCE app.numbers TO billing_svc_live;"
        "CREATE TABLE app.plans (id int, price int);"
        "GRANT SELECT (price) ON app.plans TO billing_svc_live;"
    )
    options = LintOptions(database_url=pg_dsn, database="main", select=("SEC",))
    found = lint(tmp_path, options).findings
    assert sorted((f.code, f.object) for f in found) == [
        ("SEC001", "app"),
        ("SEC001", "app.numbers"),
        ("SEC001", "app.plans.price"),
        ("SEC001", "app.users"),
        ("SEC002", "public"),
    ]
    for finding in found:
        assert finding.fix is not None
        assert finding.fix.review
        pg_conn.execute(finding.fix.sql)
    assert lint(tmp_path, options).findings == []


MISTAKES_CONFIG = """
[services.app]
schemas = ["app"]
migrations = "migrations"
role = "live4_app"

[services.billing]
schemas = ["billing"]
migrations = "migrations"
role = "live4_billing"

# one role for two services
[services.archive]
schemas = ["archive"]
migrations = "migrations"
role = "live4_shared"

[services.ledger]
schemas = ["ledger"]
migrations = "migrations"
role = "live4_shared"
owner-role = "live4_ledger_owner"
"""

# Laid out as provision does (each service's owner role owns its schema and what is in it,
# created as it), then the classic mistakes, one each.
MISTAKES = """
CREATE SCHEMA app AUTHORIZATION live4_app_owner;
CREATE SCHEMA billing AUTHORIZATION live4_billing_owner;
SET ROLE live4_app_owner;
CREATE TABLE app.notes (id int PRIMARY KEY, seen_at timestamptz);
-- a SECURITY DEFINER function without a fixed search_path
CREATE FUNCTION app.note_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  AS 'SELECT count(*) FROM app.notes';
-- a default privilege that hands app's future tables to billing's role
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO live4_billing;
-- a trigger function owned by another service's owner role
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
  AS 'BEGIN NEW.seen_at = now(); RETURN NEW; END';
CREATE TRIGGER touch BEFORE UPDATE ON app.notes FOR EACH ROW EXECUTE FUNCTION app.touch();
RESET ROLE;
ALTER FUNCTION app.touch() OWNER TO live4_billing_owner;
-- a membership between service roles
GRANT live4_app TO live4_billing;
-- a superuser service role
ALTER ROLE live4_app_owner SUPERUSER;
"""


def test_each_classic_mistake_fires_its_rule_once_and_its_fix_undoes_it(
    tmp_path: Path, pg_conn: Any, pg_dsn: str
) -> None:
    (tmp_path / "schemakit.toml").write_text(MISTAKES_CONFIG)
    (tmp_path / "migrations").mkdir()
    pg_conn.autocommit = True
    roles = [f"live4_{name}" for name in ("app", "billing", "shared", "ledger_owner")]
    roles += ["live4_app_owner", "live4_billing_owner", "live4_shared_owner"]
    for role in roles:
        pg_conn.execute(
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    try:
        pg_conn.execute(MISTAKES)
        options = LintOptions(database_url=pg_dsn, database="main", select=("SEC",))
        found = lint(tmp_path, options).findings
        assert sorted((f.code, f.object) for f in found) == [
            ("SEC004", "live4_billing"),  # a member of app's role
            ("SEC004", "live4_shared"),  # the role of archive and ledger
            ("SEC005", "live4_app_owner"),
            ("SEC006", "app.note_count()"),
            ("SEC007", "app"),
            ("SEC009", "app.touch()"),
        ]
        fixes = [f.fix.sql for f in found if f.fix is not None]
        assert len(fixes) == 5  # all but the shared role, which is the config's to change
        for sql in fixes:
            pg_conn.execute(sql)
        left = lint(tmp_path, options).findings
        assert [(f.code, f.object) for f in left] == [("SEC004", "live4_shared")]
        assert not pg_conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = 'live4_app_owner'"
        ).fetchone()[0]
    finally:
        pg_conn.execute("ALTER ROLE live4_app_owner NOSUPERUSER")
        pg_conn.execute("DROP SCHEMA IF EXISTS app, billing CASCADE")
        for role in roles:
            pg_conn.execute(f"DROP OWNED BY {role}")
            pg_conn.execute(f"DROP ROLE IF EXISTS {role}")
