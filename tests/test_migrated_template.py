"""The pytest plugin's migrated template: a project's tests get its real schema, built by
``schemakit migrate``, cloned per test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONFTEST = """
import pytest
from schemakit.db import Database

@pytest.fixture
def database(pg_cluster, pg_migrated_database):
    db = Database.get(pg_cluster.url(pg_migrated_database))
    yield db
    db.close()
"""

TESTS = """
import sqlalchemy as sa

def test_one(database):
    with database.transaction() as s:
        s.execute(sa.text("INSERT INTO shop.orders (total) VALUES (1)"))
        assert s.scalar(sa.text("SELECT count(*) FROM shop.orders")) == 1

def test_two_starts_from_the_template_again(database):
    with database.session() as s:
        assert s.scalar(sa.text("SELECT count(*) FROM shop.orders")) == 0
        assert s.scalar(sa.text("SELECT count(*) FROM shop.orders_seen")) == 2
"""


def test_migrated_template_fixture(tmp_path: Path) -> None:
    (tmp_path / "schemakit.toml").write_text(
        textwrap.dedent(
            """
            [services.shop]
            schemas = ["shop"]
            migrations = "migrations"
            """
        )
    )
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_orders.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS shop;\n"
        "CREATE TABLE shop.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "total integer NOT NULL);\n"
    )
    (tmp_path / "migrations" / "0002_seen.sql").write_text(
        "CREATE TABLE shop.orders_seen (n integer);\nINSERT INTO shop.orders_seen VALUES (1), (2);\n"
    )
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_orders.py").write_text(TESTS)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout


def test_a_failing_migration_fails_the_tests_with_its_error(tmp_path: Path) -> None:
    (tmp_path / "schemakit.toml").write_text(
        '[services.shop]\nschemas = ["shop"]\nmigrations = "m"\n'
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001.sql").write_text(
        "CREATE SCHEMA shop;\nCREATE TABLE shop.t (x nosuchtype);\n"
    )
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_orders.py").write_text(TESTS)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert ran.returncode != 0
    assert "schemakit migrate" in ran.stdout
    assert "nosuchtype" in ran.stdout
