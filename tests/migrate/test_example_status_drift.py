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


def test_drift_lists_differences_object_by_object(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    assert sk(platform, url, "migrate").returncode == 0
    clean = sk(platform, url, "drift")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no drift" in clean.stdout
    # hand-made changes in production, and a migration nobody deployed
    pg_conn.execute(
        "ALTER TABLE storage.files ADD COLUMN hotfix int;"
        "DROP INDEX storage.idx_files_created_at;"
        "ALTER TABLE auth.sessions ALTER COLUMN expires_at DROP NOT NULL;"
        "CREATE TABLE auth.rogue (id int)"
    )
    (platform / "services" / "storage" / "migrations" / "0004_undeployed.sql").write_text(
        "CREATE TABLE storage.shares (id uuid PRIMARY KEY);\n"
    )
    result = sk(platform, url, "drift", "--format", "json")
    assert result.returncode == 1
    found = {(d["object"], d["kind"]) for d in json.loads(result.stdout)}
    assert found == {
        ("storage.files.hotfix", "extra"),
        ("storage.files index idx_files_created_at", "missing"),
        ("auth.sessions.expires_at", "changed"),
        ("auth.rogue", "extra"),
        ("storage.shares", "missing"),
    }
    text = sk(platform, url, "drift")
    assert (
        "auth.sessions.expires_at: differs (nullable: migrations False, database True)"
        in text.stdout
    )
