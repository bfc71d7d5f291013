"""Statement counting and the N+1 guard."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from schemakit.db import Database
from schemakit.testing import count_statements, statement_shape
from tests.db._models import Item, Tag


def seed_with_tags(database: Database, items: int = 6) -> None:
    """``items`` items with two tags each, in two executemany statements."""
    ids = [uuid.uuid4() for _ in range(items)]
    with database.transaction() as s:
        conn = s.connection()
        conn.execute(
            sa.insert(Item.__table__),
            [
                {"id": id, "user_id": "u1", "sku": f"s{i}", "name": f"n{i}"}
                for i, id in enumerate(ids)
            ],
        )
        conn.execute(
            sa.insert(Tag.__table__),
            [{"item_id": id, "label": f"t{i}-{j}"} for i, id in enumerate(ids) for j in range(2)],
        )


def test_statement_shape_normalises_literals_parameters_and_in_lists() -> None:
    a = statement_shape("SELECT * FROM t WHERE id = %(id_1)s AND name = 'x''y' LIMIT 10")
    b = statement_shape("SELECT *  FROM t\nWHERE id = %(id_1)s AND name = 'other' LIMIT 20")
    assert a == b == "SELECT * FROM t WHERE id = ? AND name = ? LIMIT ?"
    assert statement_shape("SELECT 1 FROM t WHERE id IN (1, 2, 3)") == statement_shape(
        "SELECT 1 FROM t WHERE id IN (%(p_1)s)"
    )
    assert statement_shape("SELECT t2.c FROM t2") == "SELECT t2.c FROM t2"
    assert statement_shape("SELECT %(p)s::VARCHAR, :name") == "SELECT ?::VARCHAR, ?"


def test_count_statements_sees_lazy_loads_on_sync_and_async(database: Database) -> None:
    seed_with_tags(database)
    with database.session() as s, count_statements(s) as counter:
        items = s.scalars(sa.select(Item)).all()
        labels = [t.label for i in items for t in i.tags]
    assert len(labels) == 12
    assert counter.count == 7
    (shape, n), *_ = counter.shapes().most_common(1)
    assert n == 6
    assert "FROM shop.tags" in shape
    assert counter.repeated(3) == {shape: 6}
    with count_statements(database.engine) as counter, database.session() as s:
        s.scalars(sa.select(Item).options(selectinload(Item.tags))).all()
    assert counter.count == 2


def test_guard_allows_eager_loading(database: Database, n_plus_one_guard: object) -> None:
    seed_with_tags(database, items=10)
    with database.session() as s:
        items = s.scalars(sa.select(Item).options(selectinload(Item.tags))).all()
        assert sum(len(i.tags) for i in items) == 20


@pytest.mark.n_plus_one(threshold=10)
def test_guard_threshold_can_be_raised(database: Database, n_plus_one_guard: object) -> None:
    seed_with_tags(database, items=6)
    with database.session() as s:
        for item in s.scalars(sa.select(Item)).all():
            _ = item.tags


GUARDED_TEST = """
import os
import sqlalchemy as sa
from schemakit.db import Database
from tests.db._models import Item


def test_lazy_loads_in_a_loop(n_plus_one_guard):
    database = Database.get(os.environ["N_PLUS_ONE_URL"])
    try:
        with database.session() as s:
            for item in s.scalars(sa.select(Item)).all():
                _ = item.tags
    finally:
        database.close()
"""


def test_guard_fails_a_test_with_n_plus_one_queries(database: Database, tmp_path: Path) -> None:
    seed_with_tags(database)
    here = Path(__file__).parent
    (tmp_path / "conftest.py").write_text((here / "conftest.py").read_text())
    (tmp_path / "test_guarded.py").write_text(GUARDED_TEST)
    env = {
        **os.environ,
        "N_PLUS_ONE_URL": database.url.render_as_string(hide_password=False),
        "PYTHONPATH": str(here.parent.parent),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed" in out.stdout
    assert "N+1 queries: statement shapes run more than 3 times" in out.stdout
    assert "6x SELECT shop.tags" in out.stdout
    assert "ERROR" not in out.stdout  # a failure of the test itself, not of its teardown
