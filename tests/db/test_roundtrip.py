"""Every write path reads back exactly what it was given, for every column type, sync and async.

Paths: upsert (VALUES and COPY, insert and update branches), update_versioned, an ORM insert
followed by soft delete and restore. Columns: text, varchar, uuid, numeric, integer, bigint,
boolean, timestamptz, date, JSONB (nullable: None is SQL NULL; NOT NULL: None is JSON null;
``sa.null()`` and ``JSON.NULL`` as SQLAlchemy defines them), text[] and bigint[] with NULL
elements, a PostgreSQL enum, bytea. Each path runs 200 generated batches (the ``roundtrip``
profile below); the JSONB shapes that once broke the VALUES path are explicit examples.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemakit.db import Database, aupdate_versioned, aupsert, update_versioned, upsert
from schemakit.models import arestore, asoft_delete, restore, soft_delete
from tests.db._models import Mood, Sample

settings.register_profile(
    "roundtrip",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROUNDTRIP = settings.get_profile("roundtrip")

_keys = itertools.count()

_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30)
_json_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    # Within 1e15 a float survives jsonb's numeric exactly (as 1.5, or 3.0 read back as 3).
    | st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_subnormal=False)
    | _text
)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
# A JSONB column's value: any JSON document, or SQL NULL / JSON null said explicitly.
_doc = _json | st.just(sa.null()) | st.just(sa.JSON.NULL)
_not_null_doc = _json | st.just(sa.JSON.NULL)
_zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)

COLUMNS = (
    "text", "short", "ref", "amount", "small", "big", "flag", "at", "day",
    "doc", "meta", "labels", "counts", "mood", "blob",
)  # fmt: skip

values = st.fixed_dictionaries(
    {
        "text": st.none() | _text,
        "short": st.none()
        | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20),
        "ref": st.none() | st.uuids(),
        "amount": st.none()
        | st.integers(0, 12).flatmap(
            lambda places: st.decimals(
                min_value=-(10**18), max_value=10**18, places=places, allow_nan=False
            )
        ),
        "small": st.none() | st.integers(-(2**31), 2**31 - 1),
        "big": st.none() | st.integers(-(2**63), 2**63 - 1),
        "flag": st.none() | st.booleans(),
        "at": st.none() | st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31), timezones=_zones),
        "day": st.none() | st.dates(),
        "doc": _doc,
        "meta": _not_null_doc,
        "labels": st.none() | st.lists(st.none() | _text, max_size=4),
        "counts": st.none() | st.lists(st.none() | st.integers(-(2**63), 2**63 - 1), max_size=4),
        "mood": st.none() | st.sampled_from(Mood),
        "blob": st.none() | st.binary(max_size=40),
    }
)
# Batches of (first write, second write) for fresh keys.
batches = st.lists(st.tuples(values, values), min_size=1, max_size=4)


def plain(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["meta"] = {}
    row.update(overrides)
    return row


# The JSONB values the VALUES path once mangled (a list stored as its element, a NOT NULL
# violation, a malformed array literal, "'int' object is not iterable"), and the rest.
JSONB_CASES: list[Any] = [
    ["x"],
    ["a", "b"],
    [],
    {},
    3,
    1.5,
    "s",
    True,
    None,
    sa.null(),
    sa.JSON.NULL,
    {"a": {"b": [1, None, {"c": []}]}, "": "'\"\\"},
    [[1, 2], [3]],
    [None],
]
JSONB_BATCH = [
    (plain(doc=case), plain(doc=JSONB_CASES[-1 - i])) for i, case in enumerate(JSONB_CASES)
]
META_BATCH = [
    (plain(meta=case), plain(meta=case))
    for case in JSONB_CASES
    if not isinstance(case, sa.sql.elements.Null)
]


def jsonb_examples(test: Callable[..., Any]) -> Callable[..., Any]:
    test = example(batch=JSONB_BATCH)(test)
    test = example(batch=META_BATCH)(test)
    for case in (["x"], ["a", "b"], [], 3):
        test = example(batch=[(plain(doc=case), plain(doc=case)), (plain(doc=3), plain(doc=[]))])(
            test
        )
    return test


def expected(column: str, value: Any) -> tuple[Any, bool]:
    """(what reading the column gives, whether it is SQL NULL) for a written value."""
    if isinstance(value, sa.sql.elements.Null):
        return None, True
    if value is sa.JSON.NULL:
        return None, False
    if value is None:
        # doc is nullable (None is SQL NULL); meta is NOT NULL (None is JSON null).
        return None, column != "meta"
    return value, False


def read_back(database: Database, keys: list[str]) -> dict[str, dict[str, Any]]:
    table = Sample.__table__
    nulls = [table.c[c].is_(None).label(f"{c}_is_null") for c in COLUMNS]
    with database.engine.connect() as conn:
        rows = conn.execute(sa.select(table, *nulls).where(table.c.key.in_(keys))).mappings()
        return {row["key"]: dict(row) for row in rows}


def check(database: Database, written: dict[str, dict[str, Any]]) -> None:
    found = read_back(database, list(written))
    assert set(found) == set(written)
    for key, row in written.items():
        got = found[key]
        for column in COLUMNS:
            value, is_null = expected(column, row[column])
            assert (got[column], got[f"{column}_is_null"]) == (value, is_null), (key, column)


def keyed(
    batch: list[tuple[dict[str, Any], ...]], keys: list[str], which: int
) -> list[dict[str, Any]]:
    return [{"key": key, **pair[which]} for key, pair in zip(keys, batch, strict=True)]


def fresh_keys(batch: list[Any]) -> list[str]:
    return [f"k{next(_keys)}" for _ in batch]


@pytest.fixture
def loop(database: Database) -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for all examples of a test: the async pool belongs to it."""
    running = asyncio.new_event_loop()
    try:
        yield running
    finally:
        running.run_until_complete(database.aclose())
        running.close()


METHODS = pytest.mark.parametrize("method", ["values", "copy"])


@METHODS
@ROUNDTRIP
@given(batch=batches)
@jsonb_examples
def test_upsert_round_trips(database: Database, method: Any, batch: Any) -> None:
    keys = fresh_keys(batch)
    for which in (0, 1):  # the insert branch, then the ON CONFLICT DO UPDATE branch
        rows = keyed(batch, keys, which)
        with database.transaction() as s:
            result = upsert(s, Sample, rows, conflict=["key"], method=method)
        assert (result.inserted, result.updated) == (
            (len(rows), 0) if which == 0 else (0, len(rows))
        )
        check(database, {r["key"]: r for r in rows})


@METHODS
@ROUNDTRIP
@given(batch=batches)
@jsonb_examples
def test_async_upsert_round_trips(
    database: Database, loop: asyncio.AbstractEventLoop, method: Any, batch: Any
) -> None:
    async def write(rows: list[dict[str, Any]]) -> None:
        async with database.async_transaction() as s:
            await aupsert(s, Sample, rows, conflict=["key"], method=method)

    keys = fresh_keys(batch)
    for which in (0, 1):
        rows = keyed(batch, keys, which)
        loop.run_until_complete(write(rows))
        check(database, {r["key"]: r for r in rows})


def insert_with_the_orm(database: Database, rows: list[dict[str, Any]]) -> list[Sample]:
    with database.transaction() as s:
        objects = [Sample(**row) for row in rows]
        s.add_all(objects)
    return objects


@ROUNDTRIP
@given(batch=batches)
@jsonb_examples
def test_orm_insert_and_update_versioned_round_trip(database: Database, batch: Any) -> None:
    keys = fresh_keys(batch)
    first, second = keyed(batch, keys, 0), keyed(batch, keys, 1)
    objects = insert_with_the_orm(database, first)
    check(database, {r["key"]: r for r in first})
    with database.transaction() as s:
        for obj, row in zip(objects, second, strict=True):
            changes = {c: row[c] for c in COLUMNS}
            updated = update_versioned(s, Sample, obj.id, 1, changes)
            assert updated.version == 2
            for column in COLUMNS:
                assert getattr(updated, column) == expected(column, row[column])[0]
    check(database, {r["key"]: r for r in second})


@ROUNDTRIP
@given(batch=batches)
@jsonb_examples
def test_async_update_versioned_round_trips(
    database: Database, loop: asyncio.AbstractEventLoop, batch: Any
) -> None:
    keys = fresh_keys(batch)
    first, second = keyed(batch, keys, 0), keyed(batch, keys, 1)
    objects = insert_with_the_orm(database, first)

    async def write() -> None:
        async with database.async_transaction() as s:
            for obj, row in zip(objects, second, strict=True):
                await aupdate_versioned(s, Sample, obj.id, 1, {c: row[c] for c in COLUMNS})

    loop.run_until_complete(write())
    check(database, {r["key"]: r for r in second})


@ROUNDTRIP
@given(batch=batches)
@jsonb_examples
def test_soft_delete_and_restore_keep_every_value(database: Database, batch: Any) -> None:
    rows = keyed(batch, fresh_keys(batch), 0)
    objects = insert_with_the_orm(database, rows)
    ids = [o.id for o in objects]
    with database.transaction() as s:
        for obj in s.scalars(sa.select(Sample).where(Sample.id.in_(ids))):
            soft_delete(s, obj)
    check(database, {r["key"]: r for r in rows})
    with database.transaction() as s:
        hidden = s.scalars(
            sa.select(Sample).where(Sample.id.in_(ids)).execution_options(include_deleted=True)
        ).all()
        for obj in hidden:
            restore(s, obj)
    check(database, {r["key"]: r for r in rows})


@ROUNDTRIP
@given(batch=batches)
@jsonb_examples
def test_async_soft_delete_and_restore_keep_every_value(
    database: Database, loop: asyncio.AbstractEventLoop, batch: Any
) -> None:
    rows = keyed(batch, fresh_keys(batch), 0)
    ids = [o.id for o in insert_with_the_orm(database, rows)]

    async def flip() -> None:
        async with database.async_transaction() as s:
            found = (await s.scalars(sa.select(Sample).where(Sample.id.in_(ids)))).all()
            for obj in found:
                await asoft_delete(s, obj)
        async with database.async_transaction() as s:
            stmt = sa.select(Sample).where(Sample.id.in_(ids))
            hidden = (await s.scalars(stmt.execution_options(include_deleted=True))).all()
            assert (await s.scalars(stmt)).all() == []
            for obj in hidden:
                await arestore(s, obj)

    loop.run_until_complete(flip())
    check(database, {r["key"]: r for r in rows})
