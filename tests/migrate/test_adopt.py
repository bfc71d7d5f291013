"""Adopting a database built by hand (baseline) and repairing a ledger (repair)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from schemakit.testing import Cluster
from tests.migrate._cli import sk
from tests.migrate.test_runner import ledger, url_of, write
from tests.migrate.test_runner import platform as platform  # the fixture

EXAMPLE = Path(__file__).parents[2] / "examples" / "platform" / "services" / "auth" / "migrations"


def test_baseline_adopts_a_database_built_by_hand_from_the_example(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "auth")
    write(
        tmp_path / "schemakit.toml",
        """
        [services.auth]
        schemas = ["auth"]
        migrations = "auth"

        [lint.per-object-ignores]
        "public.auth_audit" = ["ISO001"]
        """,
    )
    url = url_of(pg_cluster, pg_database)
    # a database that predates schemakit: built from the first migration by hand
    pg_conn.execute((tmp_path / "auth" / "0001_init.sql").read_bytes())
    lacking = sk(tmp_path, url, "baseline", "auth")  # 0002's view is not there
    assert lacking.returncode == 2
    assert "lacks 1 object(s)" in lacking.stderr
    assert "public.auth_audit" in lacking.stderr
    dry = sk(tmp_path, url, "baseline", "auth", "--to", "0001_init", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would record 1 migration(s)" in dry.stdout
    assert pg_conn.execute("SELECT to_regclass('schemakit.migrations')").fetchone()[0] is not None
    assert ledger(pg_conn) == []
    done = sk(tmp_path, url, "baseline", "auth", "--to", "0001_init", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["recorded"] == ["0001_init"]
    assert json.loads(done.stdout)["objects_checked"] >= 4  # schema, 2 tables, index
    history = sk(tmp_path, url, "history", "--format", "json")
    assert json.loads(history.stdout)[0]["applied_by"].endswith("baseline")
    migrated = sk(tmp_path, url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "auth: applied 0002_audit_view" in migrated.stdout
    assert ledger(pg_conn) == [("auth", "0001_init"), ("auth", "0002_audit_view")]
    again = sk(tmp_path, url, "baseline", "auth")
    assert "nothing to record" in again.stdout


def test_baseline_of_a_drizzle_folder_writes_drizzles_table_too(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    pg_conn.execute('CREATE SCHEMA billing; CREATE TABLE billing.invoices ("id" integer)')
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "baseline", "billing").returncode == 0
    rows = pg_conn.execute("SELECT created_at FROM drizzle.__drizzle_migrations").fetchall()
    assert rows == [(1700000000000,)]
    assert sk(platform, url, "status", "billing", "--check").returncode == 0


def test_repair_after_a_failed_concurrently_step_lets_migrate_finish(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate", "app").returncode == 0
    pg_conn.execute("INSERT INTO app.users VALUES (2, 'a')")  # a duplicate name
    write(
        platform / "app" / "0003_unique.sql",
        "CREATE UNIQUE INDEX CONCURRENTLY idx_users_name_unique ON app.users (name);\n",
    )
    failed = sk(platform, url, "migrate", "app")
    assert failed.returncode == 2
    assert "INVALID indexes left behind: app.idx_users_name_unique" in failed.stderr
    pg_conn.execute("DELETE FROM app.users WHERE id = 2")
    # the INVALID index is still in the way
    assert "already exists" in sk(platform, url, "migrate", "app").stderr
    planned = sk(platform, url, "repair", "app", "--dry-run", "--format", "json")
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout) == {
        "service": "app",
        "actions": [
            {
                "action": "drop-index",
                "target": "app.idx_users_name_unique",
                "detail": "INVALID (a CONCURRENTLY step failed): DROP INDEX CONCURRENTLY",
            }
        ],
        "done": False,
    }
    refused = sk(platform, url, "repair", "app", input_="n\n")
    assert "nothing done" in refused.stdout
    repaired = sk(platform, url, "repair", "app", "--yes")
    assert repaired.returncode == 0, repaired.stderr
    assert "drop-index" in repaired.stdout
    finished = sk(platform, url, "migrate", "app")
    assert finished.returncode == 0, finished.stderr
    assert ("app", "0003_unique") in ledger(pg_conn)


def test_repair_forgets_deleted_files_and_accepts_edits(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate", "app").returncode == 0
    (platform / "app" / "0002_more.sql").unlink()
    first = platform / "app" / "0001_init.sql"
    first.write_text(first.read_text() + "-- reviewed\n")
    assert sk(platform, url, "validate").returncode == 1
    repaired = sk(platform, url, "repair", "app", "--yes")
    assert repaired.returncode == 0, repaired.stderr
    assert "forget     0002_more" in repaired.stdout
    assert "accept     0001_init" in repaired.stdout
    assert ledger(pg_conn) == [("app", "0001_init")]
    assert sk(platform, url, "validate").returncode == 0
    assert sk(platform, url, "migrate", "app").returncode == 0
