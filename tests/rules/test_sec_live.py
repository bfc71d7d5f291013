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
