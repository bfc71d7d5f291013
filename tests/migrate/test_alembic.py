"""The Alembic adapter: environment built in code, version table in the service's schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")

MODELS = '''
"""Models of the shop service."""

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemakit.models import TYPE_ANNOTATION_MAP, Timestamps, UserOwned, UUIDPrimaryKey, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("shop", service="shop")
    type_annotation_map = TYPE_ANNOTATION_MAP


class Order(UUIDPrimaryKey, UserOwned, Timestamps, Base):
    __tablename__ = "orders"

    total_cents: Mapped[int]
'''


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    (tmp_path / "schemakit.toml").write_text(
        textwrap.dedent(
            """
            [services.shop]
            schemas = ["shop"]
            migrations = "shop/alembic"
            models = "shopsvc.models:Base"
            python-path = ["shop"]
            """
        )
    )
    (tmp_path / "shop" / "alembic" / "versions").mkdir(parents=True)
    (tmp_path / "shop" / "shopsvc").mkdir()
    (tmp_path / "shop" / "shopsvc" / "__init__.py").write_text("")
    (tmp_path / "shop" / "shopsvc" / "models.py").write_text(MODELS)
    return tmp_path


def sk(platform: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [SCHEMAKIT, *args, "--config", str(platform)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=platform,
    )


def test_generate_migrate_status_history(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    first = sk(platform, "generate", "shop", "--name", "create orders")
    assert first.returncode == 0, first.stdout + first.stderr
    revisions = sorted((platform / "shop" / "alembic" / "versions").glob("*.py"))
    assert len(revisions) == 1
    text = revisions[0].read_text()
    assert "op.create_table('orders'" in text or 'op.create_table("orders"' in text
    assert "schema='shop'" in text or 'schema="shop"' in text

    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    # drift replays the applied Alembic revisions: the new one is pending, not drift
    undeployed = sk(platform, "drift", "--format", "json", url=url)
    assert undeployed.returncode == 0, undeployed.stderr
    assert [(d["object"], d["kind"]) for d in json.loads(undeployed.stdout)] == [
        (f"shop migration {revisions[0].name.split('_')[0]}", "pending")
    ]
    applied = sk(platform, "migrate", url=url)
    assert applied.returncode == 0, applied.stderr
    assert pg_conn.execute("SELECT to_regclass('shop.alembic_version')").fetchone()[0] is not None
    assert pg_conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()[0] is None
    assert pg_conn.execute("SELECT to_regclass('shop.orders')").fetchone()[0] is not None
    assert sk(platform, "drift", url=url).returncode == 0

    # the model grows; the next revision holds only the difference
    models = platform / "shop" / "shopsvc" / "models.py"
    models.write_text(models.read_text() + "    note: Mapped[str | None]\n")
    second = sk(platform, "generate", "shop", "--name", "add note")
    assert second.returncode == 0, second.stdout + second.stderr
    newest = max(
        (platform / "shop" / "alembic" / "versions").glob("*.py"), key=lambda p: p.stat().st_mtime
    )
    assert (
        "add_column('orders'" in newest.read_text() or 'add_column("orders"' in newest.read_text()
    )
    assert "create_table" not in newest.read_text()

    status = sk(platform, "status", "--format", "json", url=url)
    assert [r["state"] for r in json.loads(status.stdout)] == ["applied", "pending"]
    assert sk(platform, "migrate", url=url).returncode == 0
    columns = [
        r[0]
        for r in pg_conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'shop' "
            "AND table_name = 'orders' ORDER BY ordinal_position"
        )
    ]
    assert columns[-1] == "note"
    history = json.loads(sk(platform, "history", "--format", "json", url=url).stdout)
    assert len(history) == 2
    assert set(history[0]) == {"service", "id", "applied_at", "duration_ms", "applied_by"}
    assert datetime.fromisoformat(history[0]["applied_at"]) <= datetime.fromisoformat(
        history[1]["applied_at"]
    )
    # editing an applied revision is refused like any other migration
    revisions[0].write_text(revisions[0].read_text() + "\n# edited\n")
    refused = sk(platform, "migrate", url=url)
    assert refused.returncode == 2
    assert "was edited" in refused.stderr


def test_push_for_development(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    dry = sk(platform, "push", "shop", "--dry-run", url=url)
    assert dry.returncode == 0, dry.stderr
    assert "would apply CreateTableOp" in dry.stdout
    assert pg_conn.execute("SELECT to_regclass('shop.orders')").fetchone()[0] is None
    pushed = sk(platform, "push", "shop", url=url)
    assert pushed.returncode == 0, pushed.stderr
    assert pg_conn.execute("SELECT to_regclass('shop.orders')").fetchone()[0] is not None
    assert "already matches" in sk(platform, "push", "shop", url=url).stdout
    # a model that loses a column: refused, then allowed
    models = platform / "shop" / "shopsvc" / "models.py"
    models.write_text(models.read_text().replace("    total_cents: Mapped[int]\n", ""))
    refused = sk(platform, "push", "shop", url=url)
    assert refused.returncode == 2
    assert "drops column shop.orders.total_cents" in refused.stderr
    assert sk(platform, "push", "shop", "--allow-destructive", url=url).returncode == 0
    production = subprocess.run(
        [SCHEMAKIT, "push", "shop", "--config", str(platform)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": url, "SCHEMAKIT_ENV": "production"},
    )
    assert production.returncode == 2
    assert "SCHEMAKIT_ENV=production" in production.stderr


REVISION = '''
"""{message}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


def test_lint_reads_revisions_through_their_offline_sql(
    platform: Path, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schemakit.lint import LintOptions, lint

    versions = platform / "shop" / "alembic" / "versions"
    first = "    op.execute('CREATE SCHEMA IF NOT EXISTS shop')\n" + (
        "    op.create_table('orders', sa.Column('id', sa.Uuid(), primary_key=True), schema='shop')"
    )
    second = (
        "    op.execute('SET lock_timeout = 1000')\n"
        "    op.add_column('orders', sa.Column('note', sa.Text(), nullable=False), schema='shop')"
    )
    (versions / "a1_orders.py").write_text(
        REVISION.format(message="orders", revision="a1", down=None, body=first)
    )
    (versions / "b2_note.py").write_text(
        REVISION.format(message="note", revision="b2", down="a1", body=second)
    )
    monkeypatch.chdir(platform)
    result = lint(platform, LintOptions(select=("MIG003",)), cluster=pg_cluster)
    [finding] = result.findings
    assert finding.code == "MIG003"
    assert finding.object == "shop.orders.note"
    assert finding.location is not None
    assert finding.location.path.name == "b2_note.py"
    lines = (versions / "b2_note.py").read_text().splitlines()
    # at the op. call that wrote the statement, not the revision's first line
    assert lines[finding.location.line - 1].startswith("    op.add_column(")


def test_replayed_objects_are_located_at_their_op_call(
    platform: Path, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not at the migrations folder's line 1: the replay runs a revision as a whole, so what
    it made is found at the op. call whose offline SQL creates it."""
    from schemakit.lint import LintOptions, lint

    versions = platform / "shop" / "alembic" / "versions"
    body = (
        "    op.execute('CREATE SCHEMA IF NOT EXISTS shop')\n"
        "    op.create_table('orders', sa.Column('id', sa.Uuid(), primary_key=True), schema='shop')\n"
        "    op.create_table('legacy_rows', sa.Column('id', sa.Uuid(), primary_key=True), "
        "schema='shop')"
    )
    (versions / "a1_orders.py").write_text(
        REVISION.format(message="orders", revision="a1", down=None, body=body)
    )
    monkeypatch.chdir(platform)
    result = lint(platform, LintOptions(select=("COL001", "APL002")), cluster=pg_cluster)
    # no timestamps (COL001), and not in the models (APL002: the migrations are ahead)
    found = [f for f in result.findings if f.object == "shop.legacy_rows"]
    assert sorted(f.code for f in found) == ["APL002", "COL001"]
    lines = (versions / "a1_orders.py").read_text().splitlines()
    for finding in found:
        assert finding.location is not None
        assert finding.location.path.name == "a1_orders.py"
        assert lines[finding.location.line - 1].startswith("    op.create_table('legacy_rows'")


def test_push_to_a_server_that_is_not_there(platform: Path, tmp_path: Path) -> None:
    url = f"postgresql://postgres:s3cret@/shop?host={tmp_path}"
    proc = sk(platform, "push", "shop", url=url)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: cannot connect to postgresql://postgres:***@/shop")
    assert "internal error" not in proc.stderr
    assert "s3cret" not in proc.stderr + proc.stdout
