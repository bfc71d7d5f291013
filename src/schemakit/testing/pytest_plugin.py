"""pytest plugin: a session PostgreSQL cluster, a template database, a fresh clone per test.

Fixtures:

- ``pg_cluster`` (session): a started :class:`~schemakit.testing.Cluster`.
- ``pg_template_sql`` (session): SQL run once into the template; override it to preload a schema.
- ``pg_template`` (session): the template database's name.
- ``pg_database`` (function): name of a fresh database cloned from the template, dropped after.
- ``pg_dsn`` (function): libpq connection string of that database.
- ``pg_conn`` (function): an autocommit psycopg connection to it.
- ``schemakit_project`` (session): the folder (or file) of the project's schemakit config;
  default: pytest's rootdir. Override it to point elsewhere.
- ``schemakit_database`` (session): which configured database to migrate; default: the
  config's. Override it for a service in another database.
- ``pg_migrated_template`` (session): a template database built by running
  ``schemakit migrate`` for the project: every migration of every service of that database,
  SQL, Drizzle and Alembic alike, exactly as a deploy runs them.
- ``pg_migrated_database`` (function): a fresh clone of it per test, dropped after.

Testing a service against its real schema (conftest.py)::

    import pytest
    from schemakit.db import Database

    @pytest.fixture
    def database(pg_cluster, pg_migrated_database):
        db = Database.get(pg_cluster.url(pg_migrated_database))
        yield db
        db.close()

- ``n_plus_one_guard`` (function): fails the test when one statement shape (literals and
  parameters normalised) runs more than 3 times on any SQLAlchemy engine; raise the limit
  with ``@pytest.mark.n_plus_one(threshold=N)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemakit.server import Cluster
from schemakit.testing._statements import StatementCounter, recording

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


_MIGRATED_TEMPLATE = "schemakit_migrated_template"


@pytest.fixture(scope="session")
def schemakit_project(request: pytest.FixtureRequest) -> Path:
    """Where the project's schemakit config is (at or above this path)."""
    return Path(request.config.rootpath)


@pytest.fixture(scope="session")
def schemakit_database() -> str | None:
    """The configured database whose migrations build the template (None: the config's)."""
    return None


@pytest.fixture(scope="session")
def pg_migrated_template(
    pg_cluster: Cluster, schemakit_project: Path, schemakit_database: str | None
) -> str:
    """A template database with the project's migrations applied by ``schemakit migrate``."""
    import os
    import subprocess
    import sys

    pg_cluster.create_database(_MIGRATED_TEMPLATE)
    command = [sys.executable, "-m", "schemakit", "migrate", "--config", str(schemakit_project)]
    if schemakit_database:
        command += ["--database", schemakit_database]
    # The CLI, as a deploy runs it: the test process's imports and config cache stay out.
    ran = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": pg_cluster.dsn(_MIGRATED_TEMPLATE)},
        timeout=900,
    )
    if ran.returncode != 0:
        pg_cluster.drop_database(_MIGRATED_TEMPLATE)
        pytest.fail(
            f"schemakit migrate for {schemakit_project} failed (exit {ran.returncode}):\n"
            f"{ran.stderr or ran.stdout}",
            pytrace=False,
        )
    return _MIGRATED_TEMPLATE


@pytest.fixture
def pg_migrated_database(pg_cluster: Cluster, pg_migrated_template: str) -> Iterator[str]:
    """A database of its own for this test, cloned from the migrated template."""
    name = f"test_migrated_{next(_counter)}"
    pg_cluster.create_database(name, template=pg_migrated_template)
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


N_PLUS_ONE_THRESHOLD = 3
"""A statement shape may run this many times in one test; more fails it."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "n_plus_one(threshold): statements of one shape allowed by n_plus_one_guard"
    )


class NPlusOneGuard(StatementCounter):
    """Every statement any engine sends during the test, checked by shape after it."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def check(self) -> None:
        repeated = self.repeated(self.threshold)
        if repeated:
            lines = "\n".join(f"  {n}x {shape}" for shape, n in sorted(repeated.items()))
            pytest.fail(
                f"N+1 queries: statement shapes run more than {self.threshold} times:\n{lines}\n"
                "load the relationship with selectinload()/joinedload(), or raise the limit "
                "with @pytest.mark.n_plus_one(threshold=N)",
                pytrace=False,
            )


@pytest.fixture
def n_plus_one_guard(request: pytest.FixtureRequest) -> Iterator[NPlusOneGuard]:
    """Fail the test when one statement shape repeats more than the threshold, on any
    SQLAlchemy engine (sync or async)."""
    import sqlalchemy as sa

    marker = request.node.get_closest_marker("n_plus_one")
    threshold = (
        marker.kwargs.get("threshold", N_PLUS_ONE_THRESHOLD) if marker else N_PLUS_ONE_THRESHOLD
    )
    guard = NPlusOneGuard(threshold)
    # Listening on the Engine class reaches every engine, including ones created earlier.
    with recording(sa.Engine, guard.statements):
        yield guard


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Check after the test body, so an N+1 is a test failure, not a teardown error.
    result = yield
    guard = getattr(item, "funcargs", {}).get("n_plus_one_guard")
    if isinstance(guard, NPlusOneGuard):
        guard.check()
    return result
