"""Write paths: upsert (VALUES and COPY) and update_versioned, including under concurrency."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from schemakit.db import Database, update_versioned, upsert
from schemakit.errors import ConflictError
from schemakit.models import INCLUDE_DELETED, Session, soft_delete
from schemakit.testing import count_statements
from tests.db._models import Item, ItemKind

METHODS = pytest.mark.parametrize("method", ["values", "copy"])


def age_everything(s: Session) -> None:
    """Move every timestamp an hour back, so a later now() is visibly newer."""
    s.execute(
        sa.text(
            "UPDATE shop.items SET created_at = created_at - interval '1 hour', "
            "updated_at = updated_at - interval '1 hour'"
        )
    )


def state(s: Session, sku: str) -> sa.Row[Any]:
    return s.execute(
        sa.select(Item.name, Item.qty, Item.version, Item.created_at, Item.updated_at).where(
            Item.sku == sku
        )
    ).one()


@METHODS
def test_upsert_inserts_then_updates_in_one_statement(database: Database, method: str) -> None:
    rows = [
        {
            "user_id": "u1",
            "sku": f"s{i}",
            "name": f"n{i}",
            "qty": i,
            "kind": ItemKind.TOOL,
            "attrs": {"i": i},
        }
        for i in range(5)
    ]
    with database.transaction() as s:
        first = upsert(s, Item, rows, conflict=("sku",), method=method)  # type: ignore[arg-type]
        age_everything(s)
    with database.session() as s:
        before = state(s, "s1")
    changed = [{**r, "name": r["name"] + "!"} for r in rows[:3]] + [
        {"user_id": "u1", "sku": "s9", "name": "new", "qty": 9, "kind": ItemKind.BOOK, "attrs": {}}
    ]
    with database.transaction() as s, count_statements(s) as counter:
        second = upsert(s, Item, changed, conflict=("sku",), method=method)  # type: ignore[arg-type]
    with database.session() as s:
        after = state(s, "s1")
        untouched = state(s, "s4")
        fresh = s.scalars(sa.select(Item).where(Item.sku == "s9")).one()
    assert (first.inserted, first.updated, first.skipped) == (5, 0, 0)
    assert (second.inserted, second.updated, second.skipped) == (1, 3, 0)
    assert (after.name, after.version) == ("n1!", before.version + 1)
    assert after.updated_at > before.updated_at
    assert after.created_at == before.created_at
    assert (untouched.name, untouched.version) == ("n4", 1)
    assert (fresh.kind, fresh.attrs, fresh.version) == (ItemKind.BOOK, {}, 1)
    upserts = [sql for sql in counter.statements if "ON CONFLICT" in sql]
    assert len(upserts) == 1  # all rows in one INSERT ... ON CONFLICT, not one per row
    assert "version = (shop.items.version + 1)" in upserts[0]
    assert "updated_at = now()" in upserts[0]


@METHODS
def test_upsert_last_duplicate_wins_and_do_nothing(database: Database, method: str) -> None:
    rows = [{"user_id": "u1", "sku": "k", "name": name} for name in ("a", "b", "c")]
    with database.transaction() as s:
        result = upsert(s, Item, rows, conflict=("sku",), method=method)  # type: ignore[arg-type]
        ignored = upsert(
            s,
            Item,
            [{"user_id": "u1", "sku": "k", "name": "zzz"}],
            conflict=["sku"],
            update=(),
            method=method,  # type: ignore[arg-type]
        )
    with database.session() as s:
        assert (state(s, "k").name, state(s, "k").version) == ("c", 1)
    assert (result.inserted, result.updated, result.skipped) == (1, 0, 2)
    assert (ignored.inserted, ignored.updated, ignored.skipped) == (0, 0, 1)


def test_upsert_chooses_copy_for_big_batches_and_bypasses_the_orm(database: Database) -> None:
    rows = [{"user_id": "u1", "sku": f"s{i:05d}", "name": "x"} for i in range(2_500)]
    with database.transaction() as s, count_statements(s) as counter:
        s.add(Item(user_id="u1", sku="pending", name="never flushed by upsert"))
        result = upsert(s, Item, rows, conflict=("sku",))
        assert s.new  # the unit of work was not flushed
        s.expunge_all()
    assert result.inserted == 2_500
    assert any(sql.startswith("CREATE TEMPORARY TABLE") for sql in counter.statements)
    with database.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Item)) == 2_500


def test_upsert_accepts_a_connection_and_rejects_bad_rows(database: Database) -> None:
    with database.engine.begin() as conn:
        upsert(conn, Item, [{"user_id": "u1", "sku": "a", "name": "a"}], conflict=("sku",))
        with pytest.raises(ValueError, match="same keys"):
            upsert(
                conn,
                Item,
                [{"user_id": "u", "sku": "b", "name": "b"}, {"sku": "c"}],
                conflict=("sku",),
            )
        with pytest.raises(ValueError, match="conflict column"):
            upsert(conn, Item, [{"user_id": "u", "name": "b"}], conflict=("sku",))
        with pytest.raises(ValueError, match="no column 'nope'"):
            upsert(conn, Item, [{"nope": 1}], conflict=("nope",))


@METHODS
def test_concurrent_upserts_of_one_key_leave_one_row_with_the_last_value(
    database: Database, method: str
) -> None:
    with database.transaction() as s:
        upsert(s, Item, [{"user_id": "u1", "sku": "hot", "name": "initial"}], conflict=("sku",))
        age_everything(s)
    with database.session() as s:
        initial = state(s, "hot")
    writers = 8
    barrier = threading.Barrier(writers)
    seen: dict[str, tuple[int, datetime]] = {}
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            with database.transaction() as s:
                upsert(
                    s,
                    Item,
                    [{"user_id": "u1", "sku": "hot", "name": f"w{n}", "qty": n}],
                    conflict=("sku",),
                    method=method,  # type: ignore[arg-type]
                )
                # Our own write, read under the row lock it still holds until commit.
                mine = state(s, "hot")
                seen[mine.name] = (mine.version, mine.updated_at)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.session() as s:
        count = s.scalar(sa.select(sa.func.count()).select_from(Item))
        final = state(s, "hot")
    assert count == 1
    # Every writer saw the row after all earlier ones: versions 2..9, each exactly once.
    assert sorted(v for v, _ in seen.values()) == list(range(2, writers + 2))
    last = max(seen, key=lambda name: seen[name][0])
    assert (final.name, final.version) == (last, writers + 1)
    assert final.qty == int(last[1:])
    assert final.updated_at > initial.updated_at
    assert final.created_at == initial.created_at


def new_item(database: Database, **values: Any) -> Item:
    with database.transaction() as s:
        item = Item(user_id="u1", sku="v", name="v1", **values)
        s.add(item)
        s.flush()
        age_everything(s)
    return item


def test_update_versioned_bumps_version_and_updated_at(database: Database) -> None:
    item = new_item(database)
    with database.transaction() as s:
        loaded = s.get(Item, item.id)
        assert loaded is not None
        before = loaded.updated_at
        with count_statements(s) as counter:
            row = update_versioned(s, Item, item.id, 1, {"name": "v2", "qty": 5})
        assert counter.count == 1
        assert (row["name"], row["qty"], row["version"]) == ("v2", 5, 2)
        assert row["updated_at"] > before
        # The copy in the identity map is current, so flushing it later cannot conflict.
        assert (loaded.name, loaded.version, loaded.updated_at) == ("v2", 2, row["updated_at"])
        loaded.qty = 6
    with database.session() as s:
        assert state(s, "v")[:3] == ("v2", 6, 3)


def test_update_versioned_stale_missing_and_deleted_rows_conflict(database: Database) -> None:
    item = new_item(database)
    with database.transaction() as s:
        update_versioned(s, Item, item.id, 1, {"name": "v2"})
    with (
        database.transaction() as s,
        pytest.raises(ConflictError, match="is at version 2, not 1: it was modified"),
    ):
        update_versioned(s, Item, item.id, 1, {"name": "late"})
    with database.transaction() as s, pytest.raises(ConflictError, match="does not exist"):
        update_versioned(s, Item, uuid.uuid4(), 1, {"name": "x"})
    with database.transaction() as s:
        loaded = s.get(Item, item.id)
        assert loaded is not None
        soft_delete(s, loaded)
    with database.transaction() as s, pytest.raises(ConflictError, match="was deleted"):
        update_versioned(s, Item, item.id, 3, {"name": "x"})
    with database.session() as s:
        row = s.execute(
            sa.select(Item.name).execution_options(**{INCLUDE_DELETED: True})
        ).scalar_one()
        assert row == "v2"
    with database.session() as s, pytest.raises(ValueError, match="sets version itself"):
        update_versioned(s, Item, item.id, 3, {"version": 7})


def test_concurrent_versioned_updates_one_wins(database: Database) -> None:
    item = new_item(database)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def writer(name: str) -> None:
        with database.session() as s:
            loaded = s.get(Item, item.id)
            assert loaded is not None
            version = loaded.version
            barrier.wait()  # both read version 1 before either writes
            try:
                update_versioned(s, Item, item.id, version, {"name": name})
                s.commit()
                outcomes[name] = "won"
            except ConflictError:
                s.rollback()
                outcomes[name] = "conflict"

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["conflict", "won"]
    winner = next(n for n, o in outcomes.items() if o == "won")
    with database.session() as s:
        assert state(s, "v")[:3:2] == (winner, 2)
