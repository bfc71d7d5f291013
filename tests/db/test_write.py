"""Write paths: upsert (VALUES and COPY) and update_versioned, including under concurrency."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from schemakit.db import Database, _write, aupdate_versioned, aupsert, update_versioned, upsert
from schemakit.errors import ConflictError
from schemakit.models import INCLUDE_DELETED, Session, soft_delete
from schemakit.testing import count_queries, count_statements
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
    assert any("CREATE TEMPORARY TABLE" in sql for sql in counter.statements)
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
        # The result is the session's own object, brought up to date: flushing it later
        # cannot conflict.
        assert row is loaded
        assert (row.name, row.qty, row.version) == ("v2", 5, 2)
        assert row.updated_at > before
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


def rows_of(prefix: str, name: str, n: int = 3) -> list[dict[str, Any]]:
    return [{"user_id": "u1", "sku": f"{prefix}{i}", "name": name} for i in range(n)]


def names_and_versions(database: Database) -> dict[str, tuple[str, int]]:
    with database.session() as s:
        found = s.execute(sa.select(Item.sku, Item.name, Item.version)).all()
    return {sku: (name, version) for sku, name, version in found}


def leftover_temp_tables(database: Database) -> int:
    with database.session() as s:
        return int(
            s.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_class WHERE relpersistence = 't' "
                    "AND relname LIKE '\\_schemakit\\_upsert\\_%'"
                )
            )
        )


def test_copy_upserts_share_a_temp_table_within_a_transaction(database: Database) -> None:
    def copy(s: Session, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
        result = upsert(s, Item, rows, conflict=("sku",), method="copy")
        return (result.inserted, result.updated, result.skipped)

    with database.transaction() as s, count_statements(s) as counter:
        first = copy(s, rows_of("a", "first"))
        # Same columns, so the same temp table: it must not still hold the first batch.
        second = copy(s, [*rows_of("a", "second", 2), rows_of("b", "second")[0]])
        other_shape = copy(s, [{"user_id": "u1", "sku": "c0", "name": "c", "qty": 7}])
        savepoint = s.begin_nested()
        copy(s, rows_of("gone", "x"))
        savepoint.rollback()  # brings back the temp table as the second upsert left it
        after_savepoint = copy(s, [{"user_id": "u1", "sku": "a0", "name": "third"}])
    assert first == (3, 0, 0)
    assert second == (1, 2, 0)
    assert other_shape == (1, 0, 0)
    assert after_savepoint == (0, 1, 0)
    assert names_and_versions(database) == {
        "a0": ("third", 3),
        "a1": ("second", 2),
        "a2": ("first", 1),
        "b0": ("second", 1),
        "c0": ("c", 1),
    }
    # One constant statement text per shape (cacheable), the same for every call.
    prepares = [sql for sql in counter.statements if "CREATE TEMPORARY TABLE" in sql]
    assert len(prepares) == 5
    assert len(set(prepares)) == 2
    upserts = [sql for sql in counter.statements if "ON CONFLICT" in sql]
    assert len(set(upserts)) == 2
    assert leftover_temp_tables(database) == 0  # ON COMMIT DROP


def test_copy_upsert_on_a_pooled_connection_after_commit_and_rollback(database: Database) -> None:
    pids = []

    def copy(s: Session, name: str) -> tuple[int, int]:
        pids.append(s.scalar(sa.text("SELECT pg_backend_pid()")))
        result = upsert(s, Item, rows_of("p", name), conflict=("sku",), method="copy")
        return (result.inserted, result.updated)

    with database.session() as s:
        assert copy(s, "committed") == (3, 0)
        s.commit()
    with database.session() as s:
        assert copy(s, "rolled back") == (0, 3)
        s.rollback()
    with database.session() as s:
        assert copy(s, "rolled back again") == (0, 3)
    # The session closed without committing: rolled back too.
    with database.session() as s:
        assert copy(s, "last") == (0, 3)
        s.commit()
    assert len(set(pids)) == 1  # one pooled connection, checked out four times
    assert names_and_versions(database) == {f"p{i}": ("last", 2) for i in range(3)}
    assert leftover_temp_tables(database) == 0


def test_copy_upsert_follows_a_column_type_changed_in_the_same_transaction(
    database: Database,
) -> None:
    big = 2**40
    with database.transaction() as s:
        upsert(
            s,
            Item,
            [{"user_id": "u1", "sku": "t", "name": "x", "qty": 1}],
            conflict=["sku"],
            method="copy",
        )
        s.execute(sa.text("ALTER TABLE shop.items ALTER COLUMN qty TYPE bigint"))
        result = upsert(
            s,
            Item,
            [{"user_id": "u1", "sku": "t", "name": "x", "qty": big}],
            conflict=["sku"],
            method="copy",
        )
    assert (result.inserted, result.updated) == (0, 1)
    with database.session() as s:
        assert state(s, "t").qty == big


@METHODS
def test_upsert_round_trips_enum_and_jsonb_values(database: Database, method: str) -> None:
    awkward = {"text": "tab\there, new\nline, back\\slash, 'quote', \"dq\", ünï", "n": [1, None]}

    def put(kind: ItemKind, attrs: dict[str, Any]) -> None:
        with database.transaction() as s:
            upsert(
                s,
                Item,
                [
                    {"user_id": "u1", "sku": f"j{i}", "name": "\\N", "kind": kind, "attrs": attrs}
                    for i in range(3)
                ],
                conflict=("sku",),
                method=method,  # type: ignore[arg-type]
            )

    put(ItemKind.BOOK, {})
    put(ItemKind.TOOL, awkward)
    with database.session() as s:
        items = s.scalars(sa.select(Item).order_by(Item.sku)).all()
    assert [(i.kind, i.attrs, i.name, i.version) for i in items] == [
        (ItemKind.TOOL, awkward, "\\N", 2)
    ] * 3


@METHODS
def test_upsert_of_a_single_column_table(database: Database, method: str) -> None:
    labels = sa.Table(
        "labels", sa.MetaData(), sa.Column("name", sa.Text, primary_key=True), schema="shop"
    )
    with database.engine.begin() as conn:
        labels.create(conn)
        rows = [{"name": "a"}, {"name": "a"}, {"name": "b"}]
        first = upsert(conn, labels, rows, conflict=("name",), method=method)  # type: ignore[arg-type]
        again = upsert(conn, labels, rows, conflict=("name",), method=method)  # type: ignore[arg-type]
        assert sorted(conn.scalars(sa.select(labels.c.name))) == ["a", "b"]
    assert (first.inserted, first.updated, first.skipped) == (2, 0, 1)
    assert (again.inserted, again.updated, again.skipped) == (0, 0, 3)


@METHODS
def test_upsert_raises_sqlalchemy_errors(database: Database, method: str) -> None:
    bad = [{"user_id": "u1", "sku": "e", "name": "x", "qty": "many"}]
    with database.session() as s, pytest.raises(sa.exc.DataError, match="integer"):
        upsert(s, Item, bad, conflict=("sku",), method=method)  # type: ignore[arg-type]
    with database.session() as s:
        rows = [{"user_id": "u1", "sku": "e", "name": None}]
        with pytest.raises(sa.exc.IntegrityError, match="not-null"):
            upsert(s, Item, rows, conflict=("sku",), method=method)  # type: ignore[arg-type]
        s.rollback()
        assert upsert(s, Item, rows_of("e", "x"), conflict=("sku",)).inserted == 3


@pytest.fixture
def driver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each update_versioned that ran straight on the psycopg cursor."""
    calls: list[str] = []
    real = _write._update_on_driver

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(_write, "_update_on_driver", spy)
    return calls


@pytest.fixture
def listened(database: Database) -> Iterator[list[str]]:
    """A before_cursor_execute listener on the engine, as tracing would add."""
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)


def versioned_update_of_kind_and_attrs(database: Database) -> tuple[Item, list[str]]:
    item = new_item(database, kind=ItemKind.BOOK, attrs={"a": 1})
    with database.transaction() as s:
        loaded = s.get(Item, item.id)
        assert loaded is not None
        driver = s.connection().connection.driver_connection
        with count_queries(driver) as sent:  # type: ignore[arg-type]
            row = update_versioned(
                s, Item, item.id, 1, {"kind": ItemKind.TOOL, "attrs": {"b": [1, "x"]}}
            )
        assert (loaded.kind, loaded.attrs, loaded.version) == (ItemKind.TOOL, {"b": [1, "x"]}, 2)
        assert row is loaded
    assert (row.kind, row.attrs, row.version) == (ItemKind.TOOL, {"b": [1, "x"]}, 2)
    assert isinstance(row.id, uuid.UUID)
    assert isinstance(row.updated_at, datetime)
    with database.session() as s:
        fresh = s.scalars(sa.select(Item)).one()
        assert (fresh.kind, fresh.attrs, fresh.version) == (ItemKind.TOOL, {"b": [1, "x"]}, 2)
    return row, sent.statements


def test_update_versioned_runs_on_the_driver_when_nothing_listens(
    database: Database, driver_calls: list[str]
) -> None:
    _, sent = versioned_update_of_kind_and_attrs(database)
    assert len(driver_calls) == 1
    assert sent == driver_calls  # one statement, one round trip
    assert sent[0].startswith("UPDATE shop.items SET")


def test_update_versioned_goes_through_sqlalchemy_when_listened_to(
    database: Database, driver_calls: list[str], listened: list[str]
) -> None:
    _, sent = versioned_update_of_kind_and_attrs(database)
    assert driver_calls == []
    assert len(sent) == 1
    assert sent[0] in listened
    # The direct path sends this very text: compiled from the same statement and dialect.
    versioned = _write._versioned(Item, ("kind", "attrs"))
    assert _write._driver_update(versioned, database.engine.dialect).sql == sent[0]


@pytest.mark.parametrize("path", ["driver", "sqlalchemy"])
def test_update_versioned_raises_sqlalchemy_errors(
    database: Database, driver_calls: list[str], path: str, request: pytest.FixtureRequest
) -> None:
    if path == "sqlalchemy":
        request.getfixturevalue("listened")
    item = new_item(database)
    with database.transaction() as s:
        s.add(Item(user_id="u1", sku="taken", name="other"))
    with database.session() as s:
        with pytest.raises(sa.exc.IntegrityError, match="items_sku_key"):
            update_versioned(s, Item, item.id, 1, {"sku": "taken"})
        s.rollback()
        assert update_versioned(s, Item, item.id, 1, {"sku": "free"}).version == 2
        s.commit()
    assert len(driver_calls) == (2 if path == "driver" else 0)


def test_update_versioned_returns_a_new_persistent_object_or_a_table_row(
    database: Database,
) -> None:
    item = new_item(database)
    with database.transaction() as s, count_statements(s) as counter:
        obj = update_versioned(s, Item, item.id, 1, {"name": "fresh"})
        # Not loaded before: built from the returned row, persistent, no second query.
        assert isinstance(obj, Item)
        assert sa.inspect(obj).persistent
        assert s.get(Item, item.id) is obj
        assert (obj.name, obj.version, obj.sku) == ("fresh", 2, "v")
        obj.qty = 42  # a later flush is an ordinary versioned UPDATE
    assert counter.count == 1  # the UPDATE; get() found the object in the identity map
    with database.transaction() as s:
        row = update_versioned(s, Item.__table__, item.id, 3, {"name": "core"})
    assert row[Item.__table__.c.kind] is ItemKind.BOOK  # Column objects work as keys too
    assert (row["name"], row["qty"], row["version"]) == ("core", 42, 4)
    assert list(row) == [c.key for c in Item.__table__.c]


def test_update_versioned_from_async_code(database: Database) -> None:
    item = new_item(database)

    async def main() -> Item:
        try:
            async with database.async_transaction() as s:
                obj = await aupdate_versioned(s, Item, item.id, 1, {"name": "async"})
                assert await s.get(Item, item.id) is obj
                with pytest.raises(ConflictError, match="is at version 2"):
                    await aupdate_versioned(s, Item, item.id, 1, {"name": "late"})
                return obj
        finally:
            await database.aclose()

    obj = asyncio.run(main())
    assert (obj.name, obj.version) == ("async", 2)


@METHODS
def test_aupsert_on_an_async_connection(database: Database, method: str) -> None:
    rows = [{"user_id": "u1", "sku": f"a{i}", "name": "n", "attrs": ["x", i]} for i in range(3)]

    async def main() -> tuple[int, int]:
        try:
            async with database.async_engine.begin() as conn:
                first = await aupsert(conn, Item, rows, conflict=["sku"], method=method)  # type: ignore[arg-type]
                again = await aupsert(conn, Item, rows, conflict=["sku"], method=method)  # type: ignore[arg-type]
                return first.inserted, again.updated
        finally:
            await database.aclose()

    assert asyncio.run(main()) == (3, 3)
    engine = sa.create_engine(database.url)
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.select(Item.sku, Item.attrs).order_by(Item.sku)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in got] == [(f"a{i}", ["x", i]) for i in range(3)]


def test_aupdate_versioned_awaits_the_driver_once_the_session_holds_a_connection(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = new_item(database)
    with database.transaction() as s:
        s.add(Item(user_id="u1", sku="taken", name="other"))
    direct: list[str] = []
    real = _write._aupdate_on_driver

    async def spy(*args: Any, **kwargs: Any) -> Any:
        direct.append(args[4])
        return await real(*args, **kwargs)

    monkeypatch.setattr(_write, "_aupdate_on_driver", spy)

    async def main() -> Item:
        try:
            async with database.async_session() as s:
                # The first call may check a connection out of the pool: through run_sync.
                first = await aupdate_versioned(s, Item, item.id, 1, {"name": "a"})
                assert direct == []
                second = await aupdate_versioned(s, Item, item.id, 2, {"qty": 7})
                assert second is first
                assert len(direct) == 1
                assert direct[0].startswith("UPDATE shop.items SET")
                with pytest.raises(ConflictError, match="is at version 3, not 1"):
                    await aupdate_versioned(s, Item, item.id, 1, {"name": "late"})
                with pytest.raises(sa.exc.IntegrityError, match="items_sku_key"):
                    await aupdate_versioned(s, Item, item.id, 3, {"sku": "taken"})
                assert len(direct) == 3
                await s.rollback()
                # After the rollback the session holds no connection: run_sync again.
                third = await aupdate_versioned(s, Item, item.id, 1, {"name": "b"})
                assert len(direct) == 3
                await s.commit()
                return third
        finally:
            await database.aclose()

    obj = asyncio.run(main())
    assert (obj.name, obj.qty, obj.version) == ("b", 0, 2)


def test_update_versioned_statements_are_counted_on_a_connection_used_before(
    database: Database,
) -> None:
    # The cursor update_versioned keeps with the connection is replaced when a counter swaps
    # the connection's cursor factory, so the count sees every statement.
    item = new_item(database)
    with database.transaction() as s:
        update_versioned(s, Item, item.id, 1, {"name": "before"})
        driver = s.connection().connection.driver_connection
        with count_queries(driver) as sent:  # type: ignore[arg-type]
            update_versioned(s, Item, item.id, 2, {"name": "counted"})
        update_versioned(s, Item, item.id, 3, {"name": "after"})
    assert len(sent.statements) == 1
    assert sent.statements[0].startswith("UPDATE shop.items SET")
