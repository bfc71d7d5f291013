"""Read paths: offset pages with a separate count, keyset pages, plain rows; soft delete holds."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from schemakit.db import CursorError, Database, fetch_rows, keyset_page, paginate
from schemakit.models import INCLUDE_DELETED, Session
from schemakit.testing import count_statements
from tests.db._models import Item, ItemKind, Sample

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def seed(database: Database, n: int = 25, deleted_every: int = 5) -> None:
    """``n`` items ``i00``...; every ``deleted_every``-th soft-deleted; created_at with ties."""
    with database.transaction() as s:
        s.add_all(
            Item(
                user_id="u1",
                sku=f"i{i:02d}",
                name=f"item {i}",
                kind=ItemKind.TOOL if i % 2 else ItemKind.BOOK,
                # Three items per timestamp: the keyset must break ties on id.
                created_at=EPOCH + timedelta(minutes=i // 3),
                is_deleted=(i % deleted_every == deleted_every - 1),
            )
            for i in range(n)
        )


def visible_skus(s: Session, *, deleted: bool = False) -> list[str]:
    stmt = sa.select(Item.sku).order_by(Item.sku)
    if deleted:
        stmt = stmt.execution_options(**{INCLUDE_DELETED: True})
    return list(s.scalars(stmt))


def test_paginate_pages_and_counts_without_deleted_rows(database: Database) -> None:
    seed(database)
    stmt = sa.select(Item).where(Item.user_id == "u1").order_by(Item.sku)
    with database.session() as s:
        expected = visible_skus(s)
        with count_statements(s) as counter:
            first = paginate(s, stmt, page=1, limit=8)
            last = paginate(s, stmt, page=3, limit=8)
            beyond = paginate(s, stmt, page=4, limit=8)
    assert len(expected) == 20
    assert [i.sku for i in first.items] == expected[:8]
    assert [i.sku for i in last.items] == expected[16:]
    assert beyond.items == []
    assert (first.total, last.total, beyond.total, first.pages) == (20, 20, 20, 3)
    assert all(isinstance(i, Item) for i in first.items)
    # The total is a separate count(*) over the filtered statement, never a window count.
    assert counter.count == 6
    assert not any("OVER" in sql.upper() for sql in counter.statements)
    counts = [sql for sql in counter.statements if "count(*)" in sql]
    assert len(counts) == 3
    assert all("is_deleted" in sql for sql in counts)


def test_paginate_can_include_deleted_rows_and_skip_the_total(database: Database) -> None:
    seed(database)
    stmt = sa.select(Item.sku).order_by(Item.sku)
    with database.session() as s, count_statements(s) as counter:
        everything = paginate(s, stmt.execution_options(**{INCLUDE_DELETED: True}), 2, 10)
        untotalled = paginate(s, stmt, 2, 10, with_total=False)
    assert everything.total == 25
    assert everything.items == [f"i{i:02d}" for i in range(10, 20)]
    assert untotalled.total is None
    assert counter.count == 3


def test_paginate_small_first_page_needs_no_count(database: Database) -> None:
    seed(database, n=5)
    with database.session() as s, count_statements(s) as counter:
        page = paginate(s, sa.select(Item).order_by(Item.sku), limit=20)
    assert (page.total, counter.count) == (4, 1)


def test_paginate_multi_column_select_returns_rows(database: Database) -> None:
    seed(database, n=6)
    with database.session() as s:
        page = paginate(s, sa.select(Item.sku, Item.kind).order_by(Item.sku), limit=2)
    assert [tuple(r) for r in page.items] == [("i00", ItemKind.BOOK), ("i01", ItemKind.TOOL)]
    assert page.total == 5


def test_paginate_rejects_bad_arguments(database: Database) -> None:
    with database.session() as s:
        with pytest.raises(ValueError, match="page must be at least 1"):
            paginate(s, sa.select(Item), page=0)
        with pytest.raises(ValueError, match="limit must be at least 1"):
            paginate(s, sa.select(Item), limit=0)


def walk(
    s: Session, stmt: sa.Select[tuple[Item]], order_by: tuple[object, ...], limit: int
) -> list[Item]:
    seen: list[Item] = []
    cursor: str | None = None
    while True:
        page = keyset_page(s, stmt, order_by=order_by, after=cursor, limit=limit)
        seen.extend(page.items)
        assert len(page.items) <= limit
        if page.next_cursor is None:
            return seen
        assert len(page.items) == limit
        cursor = page.next_cursor


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(lambda: (Item.created_at.desc(), Item.id.desc()), id="desc"),
        pytest.param(lambda: (Item.created_at, Item.id), id="asc"),
        pytest.param(lambda: (Item.created_at.desc(), Item.id.asc()), id="mixed"),
        pytest.param(lambda: (Item.kind, Item.sku), id="enum-key"),
    ],
)
@pytest.mark.parametrize("limit", [1, 7, 20, 100])
def test_keyset_walks_the_whole_table_in_order(database: Database, order, limit: int) -> None:  # type: ignore[no-untyped-def]
    seed(database, n=53)
    order_by = order()
    with database.session() as s:
        expected = s.scalars(sa.select(Item.id).order_by(*order_by)).all()
        seen = walk(s, sa.select(Item), order_by, limit)
    ids = [i.id for i in seen]
    assert len(ids) == len(set(ids)) == 43  # no duplicates, and every visible row: no gaps
    assert ids == list(expected)
    assert not any(i.is_deleted for i in seen)


def test_keyset_includes_deleted_rows_only_when_asked(database: Database) -> None:
    seed(database, n=30)
    order_by = (Item.sku,)
    with database.session() as s:
        hidden = walk(s, sa.select(Item), order_by, 4)
        shown = walk(s, sa.select(Item).execution_options(**{INCLUDE_DELETED: True}), order_by, 4)
    assert len(hidden) == 24
    assert [i.sku for i in shown] == [f"i{i:02d}" for i in range(30)]


def test_keyset_respects_the_statements_filter(database: Database) -> None:
    seed(database, n=30)
    stmt = sa.select(Item).where(Item.kind == ItemKind.TOOL)
    with database.session() as s:
        seen = walk(s, stmt, (Item.sku,), 4)
    assert [i.sku for i in seen] == [f"i{i:02d}" for i in range(1, 30, 2) if i % 5 != 4]


def test_tampered_cursor_is_a_clear_error(database: Database) -> None:
    seed(database, n=10)
    order_by = (Item.created_at, Item.id)
    with database.session() as s:
        cursor = keyset_page(s, sa.select(Item), order_by, limit=3).next_cursor
        assert cursor is not None
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        payload["a"][1] = ["u", "not-a-uuid"]
        forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        for bad in (cursor[:-3] + "xyz", "!!!", "e30", forged, cursor[:10]):
            with pytest.raises(CursorError, match="pagination cursor is not valid") as info:
                keyset_page(s, sa.select(Item), order_by, after=bad, limit=3)
            assert isinstance(info.value, ValueError)
            assert info.value.hint == "start again from the first page (no cursor)"
        with pytest.raises(CursorError, match="made for another ordering"):
            keyset_page(s, sa.select(Item), (Item.sku, Item.id), after=cursor, limit=3)


def test_fetch_rows_returns_plain_rows_without_deleted_ones(database: Database) -> None:
    seed(database, n=10)
    with database.session() as s:
        rows = fetch_rows(s, sa.select(Item).order_by(Item.sku))
        assert len(s.identity_map) == 0
        everything = fetch_rows(
            s, sa.select(Item).order_by(Item.sku).execution_options(**{INCLUDE_DELETED: True})
        )
        mixed = fetch_rows(s, sa.select(Item.sku, Item).where(Item.sku == "i01"))
    assert [r.sku for r in rows] == [f"i{i:02d}" for i in range(10) if i % 5 != 4]
    assert isinstance(rows[0], sa.Row)
    assert rows[1].kind is ItemKind.TOOL
    assert rows[0].attrs == {}
    assert set(rows[0]._fields) >= {"id", "user_id", "sku", "version", "is_deleted", "created_at"}
    assert len(everything) == 10
    assert mixed[0][0] == "i01"
    assert mixed[0].name == "item 1"


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(lambda: (Sample.small, Sample.key), id="asc-nulls-last"),
        pytest.param(lambda: (Sample.small.desc(), Sample.key.desc()), id="desc-nulls-first"),
        pytest.param(lambda: (Sample.small.desc(), Sample.key), id="mixed"),
        pytest.param(lambda: (Sample.small, Sample.text, Sample.key), id="two-nullable"),
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_keyset_on_nullable_keys_walks_through_the_nulls(
    database: Database, order, limit: int
) -> None:  # type: ignore[no-untyped-def]
    smalls = [3, None, 1, None, 3, None]
    texts = ["b", None, "a", "c", None, None]
    with database.transaction() as s:
        s.add_all(
            Sample(key=f"k{i}", small=small, text=text)
            for i, (small, text) in enumerate(zip(smalls, texts, strict=True))
        )
    order_by = order()
    with database.session() as s:
        expected = s.scalars(sa.select(Sample.key).order_by(*order_by)).all()
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = keyset_page(s, sa.select(Sample.key), order_by, after=cursor, limit=limit)
            seen.extend(page.items)
            if page.next_cursor is None:
                break
            assert len(page.items) == limit  # never a short page before the end
            cursor = page.next_cursor
    assert seen == list(expected)
    assert len(seen) == 6
