"""FastAPI: the lifespan opens and closes the Database, the dependency yields sessions."""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession

from schemakit.db import (
    COPY_THRESHOLD,
    Database,
    afetch_rows,
    akeyset_page,
    apaginate,
    aupdate_versioned,
    aupsert,
    keyset_page,
    paginate,
    update_versioned,
)
from schemakit.db.fastapi import (
    DbSession,
    SyncDbSession,
    database_lifespan,
    install_error_handlers,
)
from schemakit.models import ahard_delete, arestore, asoft_delete
from schemakit.testing import Cluster
from tests.db._models import Item, ItemKind
from tests.db.test_database import backends


def make_app(url: str) -> FastAPI:
    app = FastAPI(lifespan=database_lifespan(url))
    install_error_handlers(app)

    @app.post("/items/{sku}")
    async def create(sku: str, session: DbSession) -> dict[str, Any]:
        item = Item(user_id="u1", sku=sku, name=sku)
        session.add(item)
        await session.commit()
        return {"id": str(item.id), "version": item.version}

    @app.get("/items")
    async def listing(session: DbSession, page: int = 1) -> dict[str, Any]:
        stmt = sa.select(Item).order_by(Item.sku)
        result = await session.run_sync(lambda s: paginate(s, stmt, page, 2))
        return {"items": [i.sku for i in result.items], "total": result.total}

    @app.get("/feed")
    def feed(session: SyncDbSession, after: str | None = None) -> dict[str, Any]:
        result = keyset_page(session, sa.select(Item), (Item.sku,), after=after, limit=2)
        return {"items": [i.sku for i in result.items], "next": result.next_cursor}

    @app.put("/items/{item_id}")
    def rename(item_id: uuid.UUID, version: int, name: str, session: SyncDbSession) -> int:
        row = update_versioned(session, Item, item_id, version, {"name": name})
        session.commit()
        return row.version

    return app


def test_lifespan_and_session_dependencies(
    pg_cluster: Cluster, pg_database: str, db_url: str
) -> None:
    with TestClient(make_app(db_url)) as client:
        database = Database.get(db_url)
        created = [client.post(f"/items/{sku}").json() for sku in ("a", "b", "c")]
        assert created[0]["version"] == 1
        assert client.get("/items").json() == {"items": ["a", "b"], "total": 3}
        assert client.get("/items", params={"page": 2}).json() == {"items": ["c"], "total": 3}
        first = client.get("/feed").json()
        assert first["items"] == ["a", "b"]
        assert client.get("/feed", params={"after": first["next"]}).json()["items"] == ["c"]
        bad = client.get("/feed", params={"after": "tampered"})
        assert bad.status_code == 400
        assert "cursor is not valid" in bad.json()["detail"]
        item_id = created[0]["id"]
        ok = client.put(f"/items/{item_id}", params={"version": 1, "name": "A"})
        assert ok.json() == 2
        stale = client.put(f"/items/{item_id}", params={"version": 1, "name": "late"})
        assert stale.status_code == 409
        assert "modified by another operation" in stale.json()["detail"]
        assert backends(pg_cluster, pg_database)  # the pools hold connections while serving
    # Shutdown closed both pools and forgot the instance.
    assert database.closed
    assert Database.get(db_url) is not database
    Database.get(db_url).close()
    assert backends(pg_cluster, pg_database) == []


def test_importing_schemakit_db_does_not_import_fastapi() -> None:
    code = (
        "import sys, schemakit.db\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'sqlalchemy.ext.asyncio') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def make_async_app(url: str) -> FastAPI:
    """Every helper's async twin behind an async endpoint."""
    app = FastAPI(lifespan=database_lifespan(url))
    install_error_handlers(app)

    @app.post("/bulk")
    async def bulk(rows: list[dict[str, Any]], session: DbSession, method: str = "auto") -> Any:
        for row in rows:
            row["kind"] = ItemKind(row["kind"])
        result = await aupsert(session, Item, rows, conflict=["sku"], method=method)  # type: ignore[arg-type]
        await session.commit()
        return dataclasses.asdict(result)

    @app.get("/items")
    async def listing(session: DbSession, page: int = 1) -> dict[str, Any]:
        result = await apaginate(session, sa.select(Item).order_by(Item.sku), page, 1000)
        return {"skus": [i.sku for i in result.items], "total": result.total}

    @app.get("/feed")
    async def feed(session: DbSession, after: str | None = None) -> dict[str, Any]:
        page = await akeyset_page(session, sa.select(Item.sku), (Item.sku,), after, 2)
        return {"skus": page.items, "next": page.next_cursor}

    @app.get("/export")
    async def export(session: DbSession) -> list[list[Any]]:
        rows = await afetch_rows(session, sa.select(Item.sku, Item.attrs).order_by(Item.sku))
        return [[r.sku, r.attrs] for r in rows]

    @app.put("/items/{sku}")
    async def rename(sku: str, version: int, name: str, session: DbSession) -> int:
        item_id = (await session.scalars(sa.select(Item.id).where(Item.sku == sku))).one()
        item = await aupdate_versioned(session, Item, item_id, version, {"name": name})
        await session.commit()
        return item.version

    async def one(session: AsyncSession, sku: str, deleted: bool = False) -> Item:
        stmt = sa.select(Item).where(Item.sku == sku)
        stmt = stmt.execution_options(include_deleted=deleted)
        found = (await session.scalars(stmt)).one_or_none()
        if found is None:
            raise HTTPException(404)
        return found

    @app.delete("/items/{sku}", status_code=204)
    async def remove(sku: str, session: DbSession, hard: bool = False) -> None:
        item = await one(session, sku, deleted=hard)
        await (ahard_delete(session, item) if hard else asoft_delete(session, item))
        assert await session.get(Item, item.id) is None
        await session.commit()

    @app.post("/items/{sku}/restore")
    async def undelete(sku: str, session: DbSession) -> dict[str, Any]:
        item = await one(session, sku, deleted=True)
        await arestore(session, item)
        await session.commit()
        return {"deleted": item.is_deleted}

    return app


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[httpx2.Client]:
    """``app`` under uvicorn on 127.0.0.1, and an HTTP client to it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_async_helpers_behind_async_endpoints_over_http(db_url: str) -> None:
    rows = [
        {"user_id": "u1", "sku": f"s{i:04d}", "name": "n", "kind": "tool", "attrs": ["x"]}
        for i in range(COPY_THRESHOLD + 10)
    ]
    with serving(make_async_app(db_url)) as http:
        # Big enough for the COPY path (psycopg's async COPY) from an async endpoint.
        copied = http.post("/bulk", json=rows)
        assert copied.status_code == 200, copied.text
        assert copied.json()["inserted"] == COPY_THRESHOLD + 10
        small = [{**r, "attrs": []} for r in rows[:3]]
        for method in ("values", "copy"):
            again = http.post("/bulk", params={"method": method}, json=small).json()
            assert (again["inserted"], again["updated"]) == (0, 3)
        assert http.get("/export").json()[:4] == [
            ["s0000", []],
            ["s0001", []],
            ["s0002", []],
            ["s0003", ["x"]],
        ]
        assert http.get("/items").json()["total"] == COPY_THRESHOLD + 10
        first = http.get("/feed").json()
        assert first["skus"] == ["s0000", "s0001"]
        assert http.get("/feed", params={"after": first["next"]}).json()["skus"] == [
            "s0002",
            "s0003",
        ]
        assert http.put("/items/s0000", params={"version": 3, "name": "A"}).json() == 4
        stale = http.put("/items/s0000", params={"version": 3, "name": "late"})
        assert stale.status_code == 409
        assert http.delete("/items/s0001").status_code == 204
        assert http.delete("/items/s0001").status_code == 404
        assert http.get("/items").json()["total"] == COPY_THRESHOLD + 9
        assert http.post("/items/s0001/restore").json() == {"deleted": False}
        assert http.delete("/items/s0002", params={"hard": True}).status_code == 204
        assert http.post("/items/s0002/restore").status_code == 404
        assert http.get("/items").json()["total"] == COPY_THRESHOLD + 9
