"""pytest plugin: a session PostgreSQL cluster, a template database, a fresh clone per test.

Fixtures:

- ``pg_cluster`` (session): a started :class:`~schemakit.testing.Cluster`.
- ``pg_template_sql`` (session): SQL run once into the template; override it to preload a schema.
- ``pg_template`` (session): the template database's name.
- ``pg_database`` (function): name of a fresh database cloned from the template, dropped after.
- ``pg_dsn`` (function): libpq connection string of that database.
- ``pg_conn`` (function): an autocommit psycopg connection to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from schemakit.testing._cluster import Cluster

_TEMPLATE = "schemakit_template"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL for the whole test session."""
    with Cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_template_sql() -> str:
    """SQL applied once to the template database; override to preload extensions or schemas."""
    return ""


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster, pg_template_sql: str) -> str:
    pg_cluster.create_database(_TEMPLATE)
    if pg_template_sql.strip():
        with pg_cluster.connect(_TEMPLATE) as conn:
            conn.execute(pg_template_sql.encode())
    return _TEMPLATE


@pytest.fixture
def pg_database(pg_cluster: Cluster, pg_template: str) -> Iterator[str]:
    """A database of its own for this test, cloned from the template in milliseconds."""
    name = f"test_{next(_counter)}"
    pg_cluster.create_database(name, template=pg_template)
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def pg_dsn(pg_cluster: Cluster, pg_database: str) -> str:
    return pg_cluster.dsn(pg_database)


@pytest.fixture
def pg_conn(pg_cluster: Cluster, pg_database: str) -> Iterator[Any]:
    with pg_cluster.connect(pg_database) as conn:
        yield conn
