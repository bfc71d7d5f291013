"""Soft delete without surprises: bulk statements, get(), and upserts onto deleted keys."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from schemakit.db import Database, aupsert, upsert
from schemakit.models import INCLUDE_DELETED, asoft_delete, soft_delete
from tests.db._models import Item

METHODS = pytest.mark.parametrize("method", ["values", "copy"])


def seed(database: Database) -> None:
    """Items a (live), b (soft-deleted), c (live)."""
    with database.transaction() as s:
        s.add_all(Item(user_id="u1", sku=sku, name=sku) for sku in "abc")
    with database.transaction() as s:
        b = s.scalars(sa.select(Item).where(Item.sku == "b")).one()
        soft_delete(s, b)


def names(database: Database) -> dict[str, tuple[str, bool, int]]:
    """Every row, deleted ones included: sku -> (name, is_deleted, version). Its own engine, so
    it also reads after an async test closed the Database."""
    engine = sa.create_engine(database.url)
    table = Item.__table__
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(table.c.sku, table.c.name, table.c.is_deleted, table.c.version)
            )
            return {sku: (name, deleted, version) for sku, name, deleted, version in rows}
    finally:
        engine.dispose()


def test_bulk_update_and_delete_skip_deleted_rows(database: Database) -> None:
    seed(database)
    with database.transaction() as s:
        changed = s.execute(sa.update(Item).values(name="renamed"))
        assert changed.rowcount == 2  # type: ignore[attr-defined]
    assert names(database)["b"][:2] == ("b", True)
    with database.transaction() as s:
        s.execute(sa.update(Item).values(name="all").execution_options(**{INCLUDE_DELETED: True}))
    assert {n for n, _, _ in names(database).values()} == {"all"}
    with database.transaction() as s:
        gone = s.execute(sa.delete(Item))
        assert gone.rowcount == 2  # type: ignore[attr-defined]
    assert list(names(database)) == ["b"]  # the deleted row was not hard-deleted


def test_get_after_soft_delete_returns_none(database: Database) -> None:
    seed(database)
    with database.session() as s:
        a = s.scalars(sa.select(Item).where(Item.sku == "a")).one()
        soft_delete(s, a)
        # The object is still in the identity map; get() must not hand it back.
        assert s.get(Item, a.id) is None
        with pytest.raises(sa.exc.NoResultFound):
            s.get_one(Item, a.id)
        assert s.get(Item, a.id, execution_options={INCLUDE_DELETED: True}) is a
        s.commit()
    with database.session() as s:
        assert s.get(Item, a.id) is None  # from the database, filtered by the session hook


def test_async_get_after_soft_delete_returns_none(database: Database) -> None:
    seed(database)

    async def main() -> None:
        try:
            async with database.async_transaction() as s:
                a = (await s.scalars(sa.select(Item).where(Item.sku == "a"))).one()
                await asoft_delete(s, a)
                assert await s.get(Item, a.id) is None
        finally:
            await database.aclose()

    asyncio.run(main())
    assert names(database)["a"][1] is True


def row(sku: str, name: str) -> dict[str, str]:
    return {"user_id": "u1", "sku": sku, "name": name}


@METHODS
def test_upsert_onto_a_deleted_key_skips_it_by_default(database: Database, method: str) -> None:
    seed(database)
    with database.transaction() as s:
        result = upsert(
            s,
            Item,
            [row("a", "A"), row("b", "B"), row("d", "D")],
            conflict=["sku"],
            method=method,  # type: ignore[arg-type]
        )
    assert (result.inserted, result.updated, result.skipped) == (1, 1, 1)
    assert (result.restored, result.skipped_deleted) == (0, 1)
    after = names(database)
    assert after["b"] == ("b", True, 2)  # untouched: still deleted, old name, old version
    assert after["a"] == ("A", False, 2)


@METHODS
def test_upsert_onto_a_deleted_key_can_restore_it(database: Database, method: str) -> None:
    seed(database)
    with database.transaction() as s:
        result = upsert(
            s,
            Item,
            [row("a", "A"), row("b", "B")],
            conflict=["sku"],
            method=method,  # type: ignore[arg-type]
            on_deleted="restore",
        )
    assert (result.inserted, result.updated, result.skipped) == (0, 2, 0)
    assert (result.restored, result.skipped_deleted) == (1, 0)
    assert names(database)["b"] == ("B", False, 3)
    with database.session() as s:
        b = s.scalars(sa.select(Item).where(Item.sku == "b")).one()
        assert b.deleted_at is None


@METHODS
def test_do_nothing_upsert_restores_only_deleted_rows(database: Database, method: str) -> None:
    seed(database)
    with database.transaction() as s:
        result = upsert(
            s,
            Item,
            [row("a", "A"), row("b", "B")],
            conflict=["sku"],
            update=(),
            method=method,  # type: ignore[arg-type]
            on_deleted="restore",
        )
    assert (result.updated, result.skipped, result.restored) == (1, 1, 1)
    after = names(database)
    assert after["a"] == ("a", False, 1)  # DO NOTHING for the live row
    assert after["b"] == ("b", False, 3)  # back, with its old values


def test_async_upsert_reports_deleted_keys(database: Database) -> None:
    seed(database)

    async def main() -> tuple[int, int]:
        try:
            async with database.async_transaction() as s:
                skipped = await aupsert(s, Item, [row("b", "B")], conflict=["sku"])
                restored = await aupsert(
                    s, Item, [row("b", "B")], conflict=["sku"], method="copy", on_deleted="restore"
                )
                return skipped.skipped_deleted, restored.restored
        finally:
            await database.aclose()

    assert asyncio.run(main()) == (1, 1)
    assert names(database)["b"] == ("B", False, 3)


def test_core_on_the_table_and_text_are_not_filtered(database: Database) -> None:
    # The documented line: the filter reaches ORM statements on mapped classes, not Core
    # statements on Model.__table__ or text().
    seed(database)
    with database.session() as s:
        assert len(s.scalars(sa.select(Item.sku)).all()) == 2
        assert len(s.execute(sa.select(Item.__table__.c.sku)).all()) == 3
        assert len(s.execute(sa.text("SELECT sku FROM shop.items")).all()) == 3
        live = s.execute(
            sa.select(Item.__table__.c.sku).where(Item.__table__.c.is_deleted == sa.false())
        )
        assert sorted(live.scalars()) == ["a", "c"]


def test_upsert_rejects_an_unknown_on_deleted(database: Database) -> None:
    with database.session() as s, pytest.raises(ValueError, match="on_deleted"):
        upsert(s, Item, [row("a", "A")], conflict=["sku"], on_deleted="revive")  # type: ignore[arg-type]
