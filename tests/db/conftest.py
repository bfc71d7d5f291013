"""Fixtures for the data layer: a Database on a fresh schema per test.

``n_plus_one_guard`` comes from the schemakit pytest plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from schemakit.db import Database
from schemakit.testing import Cluster
from tests.db._models import create_schema


@pytest.fixture
def db_url(pg_cluster: Cluster, pg_database: str) -> str:
    """URL of a fresh database holding the ``shop`` schema."""
    url = pg_cluster.url(pg_database)
    create_schema(url)
    return url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database.get(db_url)
    try:
        yield db
    finally:
        db.close()
