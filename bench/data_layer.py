"""Benchmark: schemakit.db's read and write paths against raw psycopg and plain SQLAlchemy.

Run with ``.venv/bin/python bench/data_layer.py`` (``--help`` for options). One throwaway
PostgreSQL cluster, one table of ``--rows`` (10,000) live rows, and on that same data:

* fetch every row via raw psycopg, SQLAlchemy Core, plain ORM entities (a DeclarativeBase
  model without mixins, mapped onto the same table), the layer's ORM entities (soft-delete
  filter applied by :class:`schemakit.models.Session`) and the layer's :func:`fetch_rows`;
* :func:`paginate` (with its count) and :func:`keyset_page` at page 1 and page 2,500
  (``--page-limit`` 4 rows a page, so page 2,500 is the last full page);
* upsert as many rows as the table holds, ``--upsert-new`` of them with new keys (the insert
  branch, default half) and the rest with existing keys (the conflict branch), via psycopg
  ``executemany`` of the same ``INSERT ... ON CONFLICT``, the layer's :func:`upsert` (VALUES)
  and its COPY path, each in a transaction rolled back afterwards so every repetition starts
  from the same table. The same statement run purely server-side (``INSERT ... SELECT``) is
  printed as the floor no client path can beat;
* ``--updates`` single-row versioned updates via :func:`update_versioned` and via the raw
  psycopg statement, per update, rolled back likewise;
* the async twins (:func:`aupsert` both paths, :func:`aupdate_versioned`, :func:`apaginate`,
  :func:`akeyset_page`) on an ``AsyncSession``, each against its sync twin, on one event loop
  that lives through the run. Next to each async/sync ratio the script prints psycopg's own:
  the same statements and round trips written for raw psycopg, run on its sync and its async
  connection in the same rounds (the unnest and COPY upserts, the UPDATE, a page, a page and
  its count). That is what asyncio costs before schemakit adds anything; the last section
  splits each path's time into psycopg's, schemakit's sync overhead and its async-only part.

Methods of one comparison run interleaved, repetition by repetition, after ``--warmup``
untimed rounds, so drift (cache, dead tuples) hits all alike; each figure is the median of
``--repeat`` (at least 5; the per-call comparisons run at least 61 short rounds, fetches and
upserts at least 15). The table goes to stdout; the exit status is 1 when a target fails.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm import Session as PlainSession

from schemakit.db import (
    Database,
    akeyset_page,
    apaginate,
    aupdate_versioned,
    aupsert,
    fetch_rows,
    keyset_page,
    paginate,
    update_versioned,
    upsert,
)
from schemakit.models import (
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    service_base,
)
from schemakit.testing import Cluster

LayerBase = service_base("bench")


class LayerItem(UUIDPrimaryKey, UserOwned, SoftDelete, Versioned, Timestamps, LayerBase):
    __tablename__ = "items"
    __table_args__ = (sa.Index("idx_items_created_at_id", "created_at", "id"),)
    sku: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    qty: Mapped[int] = mapped_column(sa.Integer)


class PlainBase(DeclarativeBase):
    pass


class PlainItem(PlainBase):
    """The same table, mapped the way a service without schemakit would."""

    __tablename__ = "items"
    __table_args__ = {"schema": "bench"}  # noqa: RUF012
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[str]
    sku: Mapped[str]
    name: Mapped[str]
    qty: Mapped[int]
    is_deleted: Mapped[bool]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


COLUMNS = "id, user_id, sku, name, qty, is_deleted, deleted_at, version, created_at, updated_at"
RAW_SELECT = f"SELECT {COLUMNS} FROM bench.items WHERE is_deleted = false"
# What upsert() sends by default (on_deleted="skip"): a key matching a soft-deleted row leaves
# it alone, so every path below carries the same WHERE on its conflict branch.
_ON_CONFLICT = (
    "ON CONFLICT (sku) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, "
    "qty = excluded.qty, updated_at = now(), version = bench.items.version + 1 "
    "WHERE bench.items.is_deleted = false"
)
RAW_UPSERT = (
    "INSERT INTO bench.items (user_id, sku, name, qty) VALUES (%s, %s, %s, %s) " + _ON_CONFLICT
)
# The floor runs the statement upsert() runs after its COPY, from a temporary table already
# filled with the same rows: the mixins' Python-side defaults as columns, and the inserted and
# updated rows counted by the server from RETURNING. Only the COPY and the temporary table's
# creation are left for the client path to add.
SERVER_UPSERT = (
    "WITH upserted AS (INSERT INTO bench.items (user_id, sku, name, qty, is_deleted, version) "
    "SELECT user_id, sku, name, qty, false, 1 FROM pg_temp.upsert_source "
    + _ON_CONFLICT
    + " RETURNING xmax = 0 AS inserted) "
    "SELECT count(*) FILTER (WHERE inserted), count(*) FROM upserted"
)
# upsert()'s two client paths written for raw psycopg, run sync and async: psycopg's own
# async/sync ratio for the same statements, the floor under aupsert() / upsert().
RAW_UNNEST_UPSERT = (
    "WITH upserted AS (INSERT INTO bench.items (user_id, sku, name, qty, is_deleted, version) "
    "SELECT user_id, sku, name, qty, false, 1 FROM unnest(%s::text[], %s::text[], %s::text[], "
    "%s::integer[]) AS source (user_id, sku, name, qty) "
    + _ON_CONFLICT
    + " RETURNING xmax = 0 AS inserted) "
    "SELECT count(*) FILTER (WHERE inserted), count(*) FROM upserted"
)
RAW_COPY_PREPARE = (
    "DROP TABLE IF EXISTS pg_temp.raw_source; CREATE TEMPORARY TABLE raw_source ON COMMIT DROP "
    "AS SELECT user_id, sku, name, qty FROM bench.items WITH NO DATA"
)
RAW_COPY = "COPY pg_temp.raw_source (user_id, sku, name, qty) FROM STDIN"
RAW_COPY_UPSERT = SERVER_UPSERT.replace("pg_temp.upsert_source", "pg_temp.raw_source")
RAW_UPDATE = (
    "UPDATE bench.items SET name = %s, version = version + 1, updated_at = now() "
    f"WHERE id = %s AND version = %s AND is_deleted = false RETURNING {COLUMNS}"
)


# Rounds of the per-call comparisons (pages, versioned updates): each round lasts a few ms, so a
# burst of load from other processes on the machine spoils a round or two of one method, not a
# ninth of its samples as nine long rounds did; the median of many short interleaved rounds
# keeps every method under the same load.
SHORT_ROUNDS = 61


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Result:
    name: str
    seconds: float


def measure(methods: dict[str, Callable[[], Any]], repeat: int, warmup: int) -> dict[str, float]:
    """Median seconds per method, the methods interleaved round by round."""
    for _ in range(warmup):
        for fn in methods.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeat):
        for name, fn in methods.items():
            gc.collect()
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


def load(cluster: Cluster, dbname: str, rows: int) -> None:
    cluster.create_database(dbname)
    engine = sa.create_engine(cluster.url(dbname))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA bench"))
        LayerBase.metadata.create_all(conn)
        # Distinct created_at values, so the keyset order is the insertion order.
        conn.execute(
            sa.text(
                "INSERT INTO bench.items (user_id, sku, name, qty, created_at, updated_at) "
                "SELECT 'user-' || (i % 50), 'sku-' || lpad(i::text, 6, '0'), 'item ' || i, i, "
                "now() - (:n - i) * interval '1 second', now() - (:n - i) * interval '1 second' "
                "FROM generate_series(1, :n) AS i"
            ),
            {"n": rows},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE bench.items"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--page-limit", type=int, default=4)
    parser.add_argument("--updates", type=int, default=50, help="updates per timed round")
    parser.add_argument(
        "--upsert-new",
        type=float,
        default=0.5,
        help="fraction of upserted rows with a new key (the rest hit the conflict branch)",
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    if args.repeat < 5:
        parser.error("--repeat must be at least 5")
    deep_page = args.rows // args.page_limit
    with Cluster() as cluster:
        _log(f"loading {args.rows:,} rows ...")
        load(cluster, "bench", args.rows)
        database = Database.get(cluster.url("bench"))
        raw = psycopg.connect(cluster.dsn("bench"))
        try:
            return run(args, database, raw, deep_page)
        finally:
            raw.close()
            database.close()


def run(
    args: argparse.Namespace, database: Database, raw: psycopg.Connection[Any], deep_page: int
) -> int:
    engine = database.engine
    table = LayerItem.__table__
    results: list[tuple[str, str, float]] = []
    # (label, ratio, target, psycopg's own async/sync ratio for the same statements or None)
    checks: list[tuple[str, float, float, float | None]] = []

    def fetch_raw() -> int:
        with raw.cursor() as cur:
            cur.execute(RAW_SELECT)
            n = len(cur.fetchall())
        raw.rollback()
        return n

    def fetch_core() -> int:
        with engine.connect() as conn:
            return len(conn.execute(sa.select(table).where(table.c.is_deleted.is_(False))).all())

    def fetch_plain_orm() -> int:
        with PlainSession(engine) as s:
            return len(s.scalars(sa.select(PlainItem)).all())

    def fetch_layer_orm() -> int:
        with database.session() as s:
            return len(s.scalars(sa.select(LayerItem)).all())

    def fetch_layer_rows() -> int:
        with database.session() as s:
            return len(fetch_rows(s, sa.select(LayerItem)))

    fetchers = {
        "raw psycopg": fetch_raw,
        "SQLAlchemy Core": fetch_core,
        "plain ORM": fetch_plain_orm,
        "layer ORM (soft-delete)": fetch_layer_orm,
        "layer fetch_rows": fetch_layer_rows,
    }
    counts = {name: fn() for name, fn in fetchers.items()}
    assert set(counts.values()) == {args.rows}, counts
    _log("timing fetches ...")
    fetch = measure(fetchers, max(args.repeat, 15), args.warmup)
    results += [("fetch all rows", name, t) for name, t in fetch.items()]
    checks.append(
        (
            "layer ORM / plain ORM",
            fetch["layer ORM (soft-delete)"] / fetch["plain ORM"],
            1.05,
            None,
        )
    )
    checks.append(
        ("fetch_rows / raw psycopg", fetch["layer fetch_rows"] / fetch["raw psycopg"], 1.2, None)
    )

    order_by = (LayerItem.created_at, LayerItem.id)
    stmt = sa.select(LayerItem)
    with database.session() as s:
        # The cursor that ends page deep_page - 1: made by walking, as a client would.
        cursor: str | None = None
        for _ in range(deep_page - 1):
            cursor = keyset_page(s, stmt, order_by, after=cursor, limit=args.page_limit).next_cursor
        deep_keyset = keyset_page(s, stmt, order_by, after=cursor, limit=args.page_limit)
        deep_offset = paginate(s, stmt.order_by(*order_by), deep_page, args.page_limit)
        assert [i.id for i in deep_keyset.items] == [i.id for i in deep_offset.items]
        assert len(deep_keyset.items) == args.page_limit

    def page_call(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with database.session() as s:
                return fn(s)

        return call

    pagers = {
        "paginate page 1": page_call(
            lambda s: paginate(s, stmt.order_by(*order_by), 1, args.page_limit)
        ),
        f"paginate page {deep_page:,}": page_call(
            lambda s: paginate(s, stmt.order_by(*order_by), deep_page, args.page_limit)
        ),
        "keyset page 1": page_call(lambda s: keyset_page(s, stmt, order_by, limit=args.page_limit)),
        f"keyset page {deep_page:,}": page_call(
            lambda s: keyset_page(s, stmt, order_by, after=cursor, limit=args.page_limit)
        ),
    }
    _log("timing pages ...")
    pages = measure(pagers, max(args.repeat, SHORT_ROUNDS), args.warmup)
    results += [(f"page of {args.page_limit}", name, t) for name, t in pages.items()]
    checks.append(
        (
            f"keyset page {deep_page:,} / page 1",
            pages[f"keyset page {deep_page:,}"] / pages["keyset page 1"],
            1.5,
            None,
        )
    )

    with raw.cursor() as cur:
        cur.execute("SELECT user_id, sku, name, qty FROM bench.items ORDER BY sku")
        existing = cur.fetchall()
    raw.rollback()
    # Half the rows update an existing key (the conflict branch), half insert a new one.
    fresh = int(len(existing) * args.upsert_new)
    tuples = [(u, f"new-{sku}", name, qty) for u, sku, name, qty in existing[:fresh]] + [
        (u, sku, f"{name} v2", qty + 1) for u, sku, name, qty in existing[fresh:]
    ]
    dicts = [{"user_id": u, "sku": sku, "name": name, "qty": qty} for u, sku, name, qty in tuples]

    def upsert_raw() -> None:
        with raw.cursor() as cur:
            cur.executemany(RAW_UPSERT, tuples)
        raw.rollback()

    def upsert_layer(method: str) -> Callable[[], None]:
        def call() -> None:
            with database.session() as s:
                result = upsert(s, LayerItem, dicts, conflict=("sku",), method=method)  # type: ignore[arg-type]
                assert result.updated == len(dicts) - fresh
                s.rollback()

        return call

    # The same rows already on the server: the floor no client-side path can go below.
    with raw.cursor() as cur:
        # Temporary, as upsert()'s own: its rows are read from local buffers, not shared ones.
        cur.execute(
            "CREATE TEMPORARY TABLE upsert_source (user_id text, sku text, name text, qty integer)"
        )
        with cur.copy("COPY pg_temp.upsert_source FROM STDIN") as copy:
            for row in tuples:
                copy.write_row(row)
    raw.commit()

    def upsert_server_only() -> None:
        with raw.cursor() as cur:
            cur.execute(SERVER_UPSERT)
            counts = cur.fetchone()
            assert counts is not None
            assert counts[1] - counts[0] == len(tuples) - fresh
        raw.rollback()

    loop = asyncio.new_event_loop()
    # psycopg's own async connection: the same statements as the raw sync ones, so each async
    # ratio is printed next to what asyncio costs psycopg itself before the layer adds anything.
    araw = loop.run_until_complete(psycopg.AsyncConnection.connect(raw.info.dsn))
    by_column = [list(c) for c in zip(*tuples, strict=True)]

    def check_counts(counts: Any) -> None:
        assert counts is not None
        assert counts[1] - counts[0] == len(tuples) - fresh

    def upsert_raw_unnest() -> None:
        with raw.cursor() as cur:
            cur.execute(RAW_UNNEST_UPSERT, by_column)
            check_counts(cur.fetchone())
        raw.rollback()

    async def upsert_raw_unnest_async() -> None:
        async with araw.cursor() as cur:
            await cur.execute(RAW_UNNEST_UPSERT, by_column)
            check_counts(await cur.fetchone())
        await araw.rollback()

    def upsert_raw_copy() -> None:
        with raw.cursor() as cur:
            cur.execute(RAW_COPY_PREPARE)
            with cur.copy(RAW_COPY) as copy:
                for row in tuples:
                    copy.write_row(row)
            cur.execute(RAW_COPY_UPSERT)
            check_counts(cur.fetchone())
        raw.rollback()

    async def upsert_raw_copy_async() -> None:
        async with araw.cursor() as cur:
            await cur.execute(RAW_COPY_PREPARE)
            async with cur.copy(RAW_COPY) as copy:
                for row in tuples:
                    await copy.write_row(row)
            await cur.execute(RAW_COPY_UPSERT)
            check_counts(await cur.fetchone())
        await araw.rollback()

    def aupsert_layer(method: str) -> Callable[[], None]:
        async def main() -> None:
            async with database.async_session() as s:
                result = await aupsert(s, LayerItem, dicts, conflict=("sku",), method=method)  # type: ignore[arg-type]
                assert result.updated == len(dicts) - fresh
                await s.rollback()

        return lambda: loop.run_until_complete(main())

    upserters = {
        "server-only (floor)": upsert_server_only,
        "psycopg executemany": upsert_raw,
        "layer upsert() VALUES": upsert_layer("values"),
        "layer upsert() COPY": upsert_layer("copy"),
        "layer aupsert() VALUES": aupsert_layer("values"),
        "layer aupsert() COPY": aupsert_layer("copy"),
        "raw psycopg unnest": upsert_raw_unnest,
        "raw psycopg async unnest": lambda: loop.run_until_complete(upsert_raw_unnest_async()),
        "raw psycopg COPY": upsert_raw_copy,
        "raw psycopg async COPY": lambda: loop.run_until_complete(upsert_raw_copy_async()),
    }
    _log("timing upserts ...")
    ups = measure(upserters, max(args.repeat, 15), args.warmup)
    results += [(f"upsert {len(dicts):,} rows", name, t) for name, t in ups.items()]
    checks.append(
        (
            "upsert() / executemany",
            ups["layer upsert() VALUES"] / ups["psycopg executemany"],
            1.0,
            None,
        )
    )
    checks.append(
        (
            "upsert() COPY / executemany",
            ups["layer upsert() COPY"] / ups["psycopg executemany"],
            0.75,
            None,
        )
    )
    checks.append(
        (
            "upsert() COPY / server-only floor",
            ups["layer upsert() COPY"] / ups["server-only (floor)"],
            1.2,
            None,
        )
    )
    for path, raw_path in (("VALUES", "unnest"), ("COPY", "COPY")):
        checks.append(
            (
                f"aupsert() / upsert() {path}",
                ups[f"layer aupsert() {path}"] / ups[f"layer upsert() {path}"],
                1.15,
                ups[f"raw psycopg async {raw_path}"] / ups[f"raw psycopg {raw_path}"],
            )
        )

    with raw.cursor() as cur:
        cur.execute("SELECT id FROM bench.items ORDER BY sku LIMIT %s", (args.updates,))
        ids = [r[0] for r in cur.fetchall()]
    raw.rollback()

    def update_raw() -> None:
        with raw.cursor() as cur:
            for id in ids:
                cur.execute(RAW_UPDATE, ("renamed", id, 1))
                assert cur.fetchone() is not None
        raw.rollback()

    def update_layer() -> None:
        with database.session() as s:
            for id in ids:
                update_versioned(s, LayerItem, id, 1, {"name": "renamed"})
            s.rollback()

    async def aupdate_main() -> None:
        async with database.async_session() as s:
            for id in ids:
                await aupdate_versioned(s, LayerItem, id, 1, {"name": "renamed"})
            await s.rollback()

    async def update_raw_async() -> None:
        async with araw.cursor() as cur:
            for id in ids:
                await cur.execute(RAW_UPDATE, ("renamed", id, 1))
                assert await cur.fetchone() is not None
        await araw.rollback()

    updaters = {
        "raw psycopg UPDATE": update_raw,
        "raw psycopg async UPDATE": lambda: loop.run_until_complete(update_raw_async()),
        "layer update_versioned": update_layer,
        "layer aupdate_versioned": lambda: loop.run_until_complete(aupdate_main()),
    }
    _log("timing versioned updates ...")
    upd = measure(updaters, max(args.repeat, SHORT_ROUNDS), args.warmup)
    results += [("versioned update (per row)", name, t / len(ids)) for name, t in upd.items()]
    checks.append(
        (
            "update_versioned / raw",
            upd["layer update_versioned"] / upd["raw psycopg UPDATE"],
            1.3,
            None,
        )
    )
    checks.append(
        (
            "aupdate_versioned / update_versioned",
            upd["layer aupdate_versioned"] / upd["layer update_versioned"],
            1.15,
            upd["raw psycopg async UPDATE"] / upd["raw psycopg UPDATE"],
        )
    )

    def apage_call(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        async def main() -> Any:
            async with database.async_session() as s:
                return await fn(s)

        return lambda: loop.run_until_complete(main())

    # A keyset page 1 in raw psycopg, sync and async, with a session's round trips (BEGIN, the
    # SELECT, ROLLBACK): what asyncio alone adds to a page, before SQLAlchemy or the layer.
    page_sql = RAW_SELECT + " ORDER BY created_at, id LIMIT %s"

    def page_raw() -> None:
        with raw.cursor() as cur:
            cur.execute(page_sql, (args.page_limit + 1,))
            cur.fetchall()
        raw.rollback()

    async def page_raw_async() -> None:
        async with araw.cursor() as cur:
            await cur.execute(page_sql, (args.page_limit + 1,))
            await cur.fetchall()
        await araw.rollback()

    # paginate() page 1 of a full page: the page and its count, in one transaction.
    offset_sql = RAW_SELECT + " ORDER BY created_at, id LIMIT %s OFFSET 0"
    count_sql = "SELECT count(*) FROM bench.items WHERE is_deleted = false"

    def paginate_raw() -> None:
        with raw.cursor() as cur:
            cur.execute(offset_sql, (args.page_limit,))
            cur.fetchall()
            cur.execute(count_sql)
            cur.fetchone()
        raw.rollback()

    async def paginate_raw_async() -> None:
        async with araw.cursor() as cur:
            await cur.execute(offset_sql, (args.page_limit,))
            await cur.fetchall()
            await cur.execute(count_sql)
            await cur.fetchone()
        await araw.rollback()

    async_pagers = {
        "raw psycopg page 1": page_raw,
        "raw psycopg async page 1": lambda: loop.run_until_complete(page_raw_async()),
        "raw psycopg page+count": paginate_raw,
        "raw psycopg async page+count": lambda: loop.run_until_complete(paginate_raw_async()),
        "paginate page 1": pagers["paginate page 1"],
        "apaginate page 1": apage_call(
            lambda s: apaginate(s, stmt.order_by(*order_by), 1, args.page_limit)
        ),
        "keyset page 1": pagers["keyset page 1"],
        "akeyset_page page 1": apage_call(
            lambda s: akeyset_page(s, stmt, order_by, limit=args.page_limit)
        ),
    }
    _log("timing async pages ...")
    apages = measure(async_pagers, max(args.repeat, SHORT_ROUNDS), args.warmup)
    results += [
        (f"page of {args.page_limit}", name, t)
        for name, t in apages.items()
        if name[0] == "a" or name.startswith("raw")
    ]
    for sync_name, async_name, raw_name in (
        ("paginate page 1", "apaginate page 1", "page+count"),
        ("keyset page 1", "akeyset_page page 1", "page 1"),
    ):
        checks.append(
            (
                f"{async_name.split()[0]} / {sync_name.split()[0]}",
                apages[async_name] / apages[sync_name],
                1.15,
                apages[f"raw psycopg async {raw_name}"] / apages[f"raw psycopg {raw_name}"],
            )
        )
    loop.run_until_complete(araw.close())
    loop.run_until_complete(database.aclose())
    loop.close()

    print(
        f"rows={args.rows:,} page_limit={args.page_limit} repeat={args.repeat} "
        f"warmup={args.warmup} (medians)"
    )
    print(f"{'operation':<28} {'method':<26} {'median':>12}")
    for op, name, seconds in results:
        shown = f"{seconds * 1e3:.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} us"
        print(f"{op:<28} {name:<26} {shown:>12}")
    print()
    print(f"{'ratio':<38} {'value':>7} {'target':>8}  verdict  psycopg's own async/sync")
    failed = 0
    for label, value, target, floor_ratio in checks:
        verdict = "PASS" if value <= target else "FAIL"
        failed += verdict == "FAIL"
        line = f"{label:<38} {value:>6.2f}x {'<= ' + format(target, '.2f'):>8}  {verdict}"
        if floor_ratio is not None:
            # The same statements on psycopg's own async connection against its sync one,
            # measured in the same rounds: what asyncio costs before schemakit adds anything.
            line += f"     {floor_ratio:.2f}x"
            if verdict == "FAIL" and floor_ratio > target:
                line += " (above the target: the floor itself fails it)"
        print(line)
    print()
    print("async twins against psycopg's own async (same statements and round trips, same run):")
    print("what schemakit adds over raw psycopg, sync and async, and the async-only part of it")
    n = len(ids)
    floors = (
        (
            "update_versioned (per row)",
            upd["raw psycopg UPDATE"] / n,
            upd["raw psycopg async UPDATE"] / n,
            upd["layer update_versioned"] / n,
            upd["layer aupdate_versioned"] / n,
        ),
        (
            "keyset_page page 1",
            apages["raw psycopg page 1"],
            apages["raw psycopg async page 1"],
            apages["keyset page 1"],
            apages["akeyset_page page 1"],
        ),
        (
            "paginate page 1 (+count)",
            apages["raw psycopg page+count"],
            apages["raw psycopg async page+count"],
            apages["paginate page 1"],
            apages["apaginate page 1"],
        ),
        (
            "upsert VALUES",
            ups["raw psycopg unnest"],
            ups["raw psycopg async unnest"],
            ups["layer upsert() VALUES"],
            ups["layer aupsert() VALUES"],
        ),
        (
            "upsert COPY",
            ups["raw psycopg COPY"],
            ups["raw psycopg async COPY"],
            ups["layer upsert() COPY"],
            ups["layer aupsert() COPY"],
        ),
    )

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:+.1f} us" if abs(seconds) < 1e-3 else f"{seconds * 1e3:+.2f} ms"

    for label, raw_sync, raw_async, layer_sync, layer_async in floors:
        added_sync, added_async = layer_sync - raw_sync, layer_async - raw_async
        print(
            f"  {label}: psycopg async/sync {raw_async / raw_sync:.2f}x; "
            f"schemakit sync/psycopg sync {layer_sync / raw_sync:.2f}x ({us(added_sync)}), "
            f"async/psycopg async {layer_async / raw_async:.2f}x ({us(added_async)}); "
            f"async-only {us(added_async - added_sync)}"
        )
    floor = ups["server-only (floor)"] / ups["psycopg executemany"]
    print(
        f"{'server-only floor / executemany':<38} {floor:>6.2f}x  (no client path can go below "
        "this: the server's own INSERT ... SELECT ... ON CONFLICT of the same rows)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
