"""FastAPI: the lifespan opens and closes the Database, the dependency yields sessions."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemakit.db import Database, keyset_page, paginate, update_versioned
from schemakit.db.fastapi import (
    DbSession,
    SyncDbSession,
    database_lifespan,
    install_error_handlers,
)
from schemakit.testing import Cluster
from tests.db._models import Item
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
