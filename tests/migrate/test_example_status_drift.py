"""status and drift on the example platform: the states a team needs to see."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    target = tmp_path / "platform"
    shutil.copytree(EXAMPLE, target)
    return target


def sk(platform: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, *args, "--config", str(platform), "--database", "platform"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": url},
    )


def states(platform: Path, url: str) -> dict[tuple[str, str], str]:
    out = sk(platform, url, "status", "--format", "json")
    assert out.returncode == 0, out.stderr
    return {(r["service"], r["id"]): r["state"] for r in json.loads(out.stdout)}


def test_status_shows_pending_applied_edited_missing(
    platform: Path, pg_cluster: Cluster, pg_database: str
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    before = states(platform, url)
    assert set(before.values()) == {"pending"}
    assert ("credits", "0001_transactions") in before
    assert sk(platform, url, "migrate").returncode == 0
    assert set(states(platform, url).values()) == {"applied"}
    storage = platform / "services" / "storage" / "migrations"
    (storage / "0002_tags.sql").write_text(
        (storage / "0002_tags.sql").read_text() + "\n-- edited\n"
    )
    (platform / "services" / "research" / "migrations" / "0002_scratch.sql").unlink()
    (storage / "0004_new.sql").write_text("ALTER TABLE storage.tags ADD COLUMN color text;\n")
    after = states(platform, url)
    assert after[("storage", "0002_tags")] == "edited"
    assert after[("research", "0002_scratch")] == "missing"
    assert after[("storage", "0004_new")] == "pending"
    assert after[("auth", "0001_init")] == "applied"
    assert sk(platform, url, "status", "--check").returncode == 1


def statements(sql: str) -> list[str]:
    """The fix SQL one statement at a time (CONCURRENTLY cannot share a message), comments out."""
    out, current = [], []
    for line in sql.splitlines():
        if line.startswith("--"):
            continue
        current.append(line)
        if line.endswith(";"):
            out.append("\n".join(current))
            current = []
    assert not current, sql
    return out


def test_drift_lists_differences_with_their_sql_and_pending_files_as_pending(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    storage = platform / "services" / "storage" / "migrations"
    undeployed = storage / "0004_undeployed.sql"
    undeployed.write_text("CREATE TABLE storage.shares (id uuid PRIMARY KEY);\n")
    assert sk(platform, url, "migrate").returncode == 0
    clean = sk(platform, url, "drift")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no drift" in clean.stdout
    # the ledger forgets 0004 as if it had never run, and a new migration nobody deployed:
    # both are pending, neither is drift (storage.shares is there: an extra table)
    pg_conn.execute("DELETE FROM schemakit.migrations WHERE id = '0004_undeployed'")
    pg_conn.execute("DROP TABLE storage.shares")
    (storage / "0005_later.sql").write_text("CREATE TABLE storage.later (id int);\n")
    pending = sk(platform, url, "drift")
    assert pending.returncode == 0, pending.stdout + pending.stderr
    assert "storage migration 0004_undeployed: pending" in pending.stdout
    assert "storage.shares" not in pending.stdout
    assert "storage.later" not in pending.stdout
    assert "2 migration(s) pending" in pending.stdout
    # hand-made changes in production
    pg_conn.execute(
        "ALTER TABLE storage.files ADD COLUMN hotfix int;"
        "DROP INDEX storage.idx_files_created_at;"
        "ALTER TABLE auth.sessions ALTER COLUMN expires_at DROP NOT NULL;"
        "ALTER TABLE storage.tags ALTER COLUMN name TYPE text, ALTER COLUMN user_id SET DEFAULT 'x';"
        "ALTER TABLE storage.file_tags DROP CONSTRAINT file_tags_tag_id_fkey;"
        "ALTER TYPE storage.theme ADD VALUE 'sepia';"
        "DROP TABLE storage.user_settings;"
        "CREATE TABLE auth.rogue (id int)"
    )
    result = sk(platform, url, "drift", "--format", "json")
    assert result.returncode == 1
    found = {d["object"]: d for d in json.loads(result.stdout)}
    assert {(o, d["kind"]) for o, d in found.items()} == {
        ("storage.files.hotfix", "extra"),
        ("storage.files index idx_files_created_at", "missing"),
        ("auth.sessions.expires_at", "changed"),
        ("storage.tags.name", "changed"),
        ("storage.tags.user_id", "changed"),
        ("storage.file_tags foreign key file_tags_tag_id_fkey", "missing"),
        ("type storage.theme", "changed"),
        ("storage.user_settings", "missing"),
        ("auth.rogue", "extra"),
        ("storage migration 0004_undeployed", "pending"),
        ("storage migration 0005_later", "pending"),
    }
    assert found["storage.files.hotfix"]["sql"] == "ALTER TABLE storage.files DROP COLUMN hotfix;"
    assert found["storage.files index idx_files_created_at"]["sql"] == (
        "CREATE INDEX CONCURRENTLY idx_files_created_at ON storage.files USING btree (created_at);"
    )
    assert found["auth.sessions.expires_at"]["sql"] == (
        "ALTER TABLE auth.sessions ALTER COLUMN expires_at SET NOT NULL;"
    )
    assert found["auth.rogue"]["sql"] == "DROP TABLE auth.rogue;"
    assert "PostgreSQL cannot remove enum values (sepia)" in found["type storage.theme"]["sql"]
    text = sk(platform, url, "drift")
    assert (
        "auth.sessions.expires_at: differs (nullable: migrations False, database True)\n"
        "    ALTER TABLE auth.sessions ALTER COLUMN expires_at SET NOT NULL;" in text.stdout
    )
    assert "9 difference(s) in database platform; 2 migration(s) pending" in text.stdout
    # the SQL drift proposes makes the database what the migrations produce (the enum value
    # aside, which PostgreSQL cannot drop: the type is recreated by hand, while the table
    # using it is gone)
    pg_conn.execute("DROP TYPE storage.theme; CREATE TYPE storage.theme AS ENUM ('light', 'dark')")
    for difference in found.values():
        for statement in statements(difference["sql"]):
            pg_conn.execute(statement)
    fixed = sk(platform, url, "drift", "--format", "json")
    remaining = [d for d in json.loads(fixed.stdout) if d["kind"] != "pending"]
    assert remaining == [], remaining
    assert fixed.returncode == 0
