"""Fixtures for the data layer: a Database on a fresh schema per test, and the N+1 guard.

``n_plus_one_guard`` lives here until it moves into the schemakit pytest plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from schemakit.db import Database, StatementCounter
from schemakit.testing import Cluster
from tests.db._models import create_schema

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
    """Fail the test when one statement shape (literals and parameters normalised) repeats
    more than ``N_PLUS_ONE_THRESHOLD`` times, on any engine (sync or async)."""
    marker = request.node.get_closest_marker("n_plus_one")
    threshold = (
        marker.kwargs.get("threshold", N_PLUS_ONE_THRESHOLD) if marker else N_PLUS_ONE_THRESHOLD
    )
    guard = NPlusOneGuard(threshold)

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        guard.statements.append(statement)

    # Listening on the Engine class reaches every engine, including ones created earlier.
    event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        yield guard
    finally:
        event.remove(sa.Engine, "before_cursor_execute", record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Check after the test body, so an N+1 is a test failure, not a teardown error.
    result = yield
    guard = getattr(item, "funcargs", {}).get("n_plus_one_guard")
    if isinstance(guard, NPlusOneGuard):
        guard.check()
    return result


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
