"""Database: one instance per URL, the guideline's pool settings, a close that really closes."""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import ExitStack

import pytest
import sqlalchemy as sa

from schemakit.db import Database, PoolSettings, normalize_url
from schemakit.errors import ConfigError, ConflictError, DatabaseError
from schemakit.models import soft_delete
from schemakit.testing import Cluster
from tests.db._models import Item


def backends(cluster: Cluster, dbname: str) -> list[int]:
    """Server processes connected to ``dbname``, other than the one asking."""
    with cluster.connect() as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchall()
    return [r[0] for r in rows]


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ConfigError, match="unsupported driver 'mysql'"):
        normalize_url("mysql://u@h/db")


def test_one_instance_per_url_and_passwords_redacted() -> None:
    url = "postgresql://app:s3cret-pw@db.example/platform"
    first = Database.get(url)
    try:
        assert Database.get("postgresql+psycopg://app:s3cret-pw@db.example/platform") is first
        other = Database.get("postgresql://app:s3cret-pw@db.example/other")
        assert other is not first
        other.close()
        assert "s3cret-pw" not in repr(first)
        assert "***" in repr(first)
        with pytest.raises(ConfigError, match="already open") as info:
            Database.get(url, max_connections=3)
        assert "s3cret-pw" not in str(info.value)
    finally:
        first.close()


def test_pool_settings_are_the_guidelines(database: Database) -> None:
    pool = database.engine.pool
    assert isinstance(pool, sa.QueuePool)
    assert (pool.size(), pool._max_overflow) == (10, 0)
    with database.session() as s:
        assert s.scalar(sa.text("SHOW idle_session_timeout")) == "20s"
        params = s.connection().connection.driver_connection.info.get_parameters()  # type: ignore[union-attr]
        assert params["connect_timeout"] == "10"


def test_eleventh_connection_waits_and_times_out(db_url: str) -> None:
    database = Database.get(db_url, pool_timeout=0.3)
    try:
        with ExitStack() as stack:
            for _ in range(10):
                stack.enter_context(database.engine.connect()).exec_driver_sql("SELECT 1")
            started = time.monotonic()
            with pytest.raises(sa.exc.TimeoutError):
                database.engine.connect()
            assert time.monotonic() - started >= 0.3
    finally:
        database.close()


def test_idle_connections_are_closed_and_replaced(
    pg_cluster: Cluster, pg_database: str, db_url: str
) -> None:
    database = Database.get(db_url, idle_timeout=1)
    try:
        with database.session() as s:
            first_pid = s.scalar(sa.text("SELECT pg_backend_pid()"))
        assert backends(pg_cluster, pg_database) == [first_pid]
        time.sleep(1.5)
        # The server closed the idle session: its slot is free, as with postgres.js.
        assert backends(pg_cluster, pg_database) == []
        # ...and the pool does not hand the dead connection out: no error, a new backend.
        with database.session() as s:
            second_pid = s.scalar(sa.text("SELECT pg_backend_pid()"))
        assert second_pid != first_pid
        # A connection used again within the timeout is kept.
        with database.session() as s:
            assert s.scalar(sa.text("SELECT pg_backend_pid()")) == second_pid
    finally:
        database.close()


def test_close_really_closes(pg_cluster: Cluster, pg_database: str, db_url: str) -> None:
    database = Database.get(db_url)
    with ExitStack() as stack:
        for _ in range(3):
            stack.enter_context(database.session()).execute(sa.text("SELECT 1"))
    pool = database.engine.pool
    assert pool.checkedin() == 3
    assert len(backends(pg_cluster, pg_database)) == 3
    database.close()
    assert pool.checkedin() == 0
    # a backend ends a moment after its client said goodbye: wait (bounded) for that
    deadline = time.monotonic() + 5
    while backends(pg_cluster, pg_database) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert backends(pg_cluster, pg_database) == []
    with pytest.raises(DatabaseError, match="is closed"):
        database.session().__enter__()
    reopened = Database.get(db_url)
    try:
        assert reopened is not database
        with reopened.session() as s:
            assert s.scalar(sa.text("SELECT 1")) == 1
    finally:
        reopened.close()
    database.close()  # twice is harmless


def test_transaction_commits_and_rolls_back(database: Database) -> None:
    with database.transaction() as s:
        s.add(Item(user_id="u1", sku="a", name="kept"))

    def fail_inside() -> None:
        with database.transaction() as s:
            s.add(Item(user_id="u1", sku="b", name="lost"))
            s.flush()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()
    with database.session() as s:
        assert s.scalars(sa.select(Item.sku)).all() == ["a"]


def test_async_sessions_hide_deleted_rows_and_raise_conflict(
    pg_cluster: Cluster, pg_database: str, db_url: str
) -> None:
    database = Database.get(db_url)

    async def main() -> None:
        async with database.async_transaction() as s:
            s.add_all(
                [Item(user_id="u1", sku="a", name="a"), Item(user_id="u1", sku="b", name="b")]
            )
        async with database.async_transaction() as s:
            gone = (await s.scalars(sa.select(Item).where(Item.sku == "b"))).one()
            await s.run_sync(lambda sync: soft_delete(sync, gone))
        async with database.async_session() as s:
            assert (await s.scalars(sa.select(Item.sku))).all() == ["a"]
        async with database.async_session() as first, database.async_session() as second:
            a = (await first.scalars(sa.select(Item).where(Item.sku == "a"))).one()
            b = (await second.scalars(sa.select(Item).where(Item.sku == "a"))).one()
            a.name = "from-first"
            await first.commit()
            b.name = "from-second"
            with pytest.raises(ConflictError, match="modified by another operation"):
                await second.commit()
        await database.aclose()

    asyncio.run(main())
    assert database.closed
    assert backends(pg_cluster, pg_database) == []


def test_sync_close_disposes_an_async_engine_outside_a_loop(
    pg_cluster: Cluster, pg_database: str, db_url: str
) -> None:
    database = Database.get(db_url)

    async def use() -> None:
        async with database.async_session() as s:
            assert await s.scalar(sa.text("SELECT 1")) == 1
        with pytest.raises(DatabaseError, match="called inside an event loop"):
            database.close()

    asyncio.run(use())
    database.close()
    assert backends(pg_cluster, pg_database) == []


def test_get_is_thread_safe(db_url: str) -> None:
    found: list[Database] = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        found.append(Database.get(db_url))

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len({id(d) for d in found}) == 1
    finally:
        found[0].close()


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="idle_timeout"):
        PoolSettings(idle_timeout=0.5)
