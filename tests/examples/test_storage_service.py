"""The example's Python storage service: models agree with its migrations; the app's HTTP
contract (paginate, soft delete -> 404, stale version -> 409, upsert) holds on PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from schemakit.catalog import Catalog, from_database
from schemakit.testing import Cluster

SERVICE = Path(__file__).resolve().parents[2] / "examples" / "platform" / "services" / "storage"
sys.path.insert(0, str(SERVICE))

from storage.db.schema import Base  # noqa: E402


def _apply_migrations(conn: Any) -> None:
    for sql in sorted((SERVICE / "migrations").glob("*.sql")):
        conn.execute(sql.read_text().encode())


def _storage(catalog: Catalog) -> dict[str, Any]:
    """What a schema comparison should see: columns, indexes, keys; not physical order."""
    out: dict[str, Any] = {}
    for table in catalog.tables_in("storage"):
        out[table.name] = {
            "columns": sorted((c.name, c.type, c.nullable, c.default) for c in table.columns),
            "indexes": sorted((i.name, i.columns, i.unique) for i in table.indexes),
            "fks": sorted(
                (f.name, f.columns, f.ref_path, f.ref_columns, f.on_delete)
                for f in table.foreign_keys
            ),
            "constraints": sorted((c.name, c.kind, c.columns) for c in table.constraints),
        }
    out["types"] = sorted((t.path, t.labels) for t in catalog.types.values())
    return out


def test_models_and_migrations_build_the_same_schema(pg_cluster: Cluster) -> None:
    pg_cluster.create_database("storage_from_sql")
    pg_cluster.create_database("storage_from_models")
    try:
        with pg_cluster.connect("storage_from_sql") as conn:
            _apply_migrations(conn)
            from_sql = _storage(from_database(conn))
        engine = sa.create_engine(pg_cluster.url("storage_from_models"))
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA storage"))
            Base.metadata.create_all(conn)
        engine.dispose()
        with pg_cluster.connect("storage_from_models") as conn:
            from_models = _storage(from_database(conn))
    finally:
        pg_cluster.drop_database("storage_from_sql")
        pg_cluster.drop_database("storage_from_models")
    assert set(from_sql) == {"folders", "files", "tags", "file_tags", "user_settings", "types"}
    assert from_models == from_sql


@pytest.fixture
def client(pg_cluster: Cluster, pg_database: str, pg_conn: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient
    from storage.app import create_app

    _apply_migrations(pg_conn)
    with TestClient(create_app(pg_cluster.url(pg_database))) as http:
        yield http


def _file(http: Any, user: str, key: str) -> dict[str, Any]:
    response = http.post(
        "/files",
        json={
            "user_id": user,
            "name": key,
            "mime_type": "text/plain",
            "size": 3,
            "storage_key": key,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_list_is_paginated_with_items_and_total(client: Any) -> None:
    for key in ("a", "b", "c"):
        _file(client, "u1", key)
    _file(client, "u2", "other")
    first = client.get("/files", params={"user_id": "u1", "page": 1, "limit": 2}).json()
    second = client.get("/files", params={"user_id": "u1", "page": 2, "limit": 2}).json()
    assert first["total"] == 3
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    names = {f["name"] for f in first["items"] + second["items"]}
    assert names == {"a", "b", "c"}


def test_soft_delete_then_404(client: Any) -> None:
    file = _file(client, "u1", "a")
    _file(client, "u1", "b")
    assert client.delete(f"/files/{file['id']}").status_code == 204
    assert client.get(f"/files/{file['id']}").status_code == 404
    assert client.delete(f"/files/{file['id']}").status_code == 404
    listing = client.get("/files", params={"user_id": "u1"}).json()
    assert listing["total"] == 1
    assert [f["name"] for f in listing["items"]] == ["b"]


def test_stale_version_is_409(client: Any) -> None:
    file = _file(client, "u1", "a")
    assert file["version"] == 1
    renamed = client.patch(f"/files/{file['id']}", json={"name": "b", "version": 1})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["version"] == 2
    stale = client.patch(f"/files/{file['id']}", json={"name": "c", "version": 1})
    assert stale.status_code == 409
    assert client.get(f"/files/{file['id']}").json()["name"] == "b"


def test_upsert_user_setting(client: Any) -> None:
    first = client.put("/users/u1/settings", json={"theme": "dark"})
    assert first.status_code == 200, first.text
    second = client.put("/users/u1/settings", json={"theme": "light", "preferences": {"a": 1}})
    body = second.json()
    assert (body["theme"], body["preferences"], body["version"]) == ("light", {"a": 1}, 2)
    assert body["updated_at"] >= first.json()["updated_at"]


def test_endpoints_over_a_real_socket(pg_cluster: Cluster, pg_database: str, pg_conn: Any) -> None:
    """The same contract through uvicorn on 127.0.0.1 and an HTTP client, not in-process."""
    import threading
    import time

    import httpx2
    import uvicorn
    from storage.app import create_app

    _apply_migrations(pg_conn)
    config = uvicorn.Config(
        create_app(pg_cluster.url(pg_database)), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            file = _file(http, "u1", "a")
            assert http.get("/files", params={"user_id": "u1"}).json()["total"] == 1
            assert (
                http.patch(f"/files/{file['id']}", json={"name": "b", "version": 1}).status_code
                == 200
            )
            assert (
                http.patch(f"/files/{file['id']}", json={"name": "c", "version": 1}).status_code
                == 409
            )
            assert http.delete(f"/files/{file['id']}").status_code == 204
            assert http.get(f"/files/{file['id']}").status_code == 404
            settings = http.put("/users/u1/settings", json={"theme": "dark"})
            assert settings.status_code == 200
            assert settings.json()["theme"] == "dark"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
