"""A small FastAPI app over the storage service: what the guideline's NestJS module does.

Run it with ``DATABASE_URL=... uvicorn storage.app:app`` (uvicorn not included).
"""

from __future__ import annotations

import datetime
import os
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from schemakit.db import apaginate, aupdate_versioned, aupsert
from schemakit.db.fastapi import DbSession, database_lifespan, install_error_handlers
from schemakit.models import asoft_delete
from storage.db.schema import File, Theme, UserSetting


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: str
    name: str
    mime_type: str
    size: int
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class FileIn(BaseModel):
    user_id: str
    name: str
    mime_type: str
    size: int
    storage_key: str


class FileRename(BaseModel):
    name: str
    version: int
    """The version the client read: a stale one answers 409 (the guideline's CONFLICT)."""


class FilePage(BaseModel):
    items: list[FileOut]
    total: int | None


class SettingsIn(BaseModel):
    theme: Theme
    preferences: dict[str, Any] = {}


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: str
    theme: Theme
    preferences: dict[str, Any]
    version: int
    updated_at: datetime.datetime


def create_app(database_url: str | None = None) -> FastAPI:
    url = database_url or os.environ["DATABASE_URL"]
    app = FastAPI(title="storage", lifespan=database_lifespan(url))
    install_error_handlers(app)

    # Async endpoints on an AsyncSession per request (DbSession); every data-layer helper has
    # an awaited a-twin. A sync service writes `def` endpoints with SyncDbSession and the
    # plain helpers (paginate, update_versioned, upsert, soft_delete) instead.

    @app.get("/files")
    async def list_files(
        session: DbSession, user_id: str, page: int = 1, limit: int = 20
    ) -> FilePage:
        stmt = (
            sa.select(File).where(File.user_id == user_id).order_by(File.created_at.desc(), File.id)
        )
        result = await apaginate(session, stmt, page, limit)
        return FilePage(items=[FileOut.model_validate(f) for f in result.items], total=result.total)

    @app.post("/files", status_code=201)
    async def create_file(session: DbSession, body: FileIn) -> FileOut:
        file = File(
            user_id=body.user_id,
            name=body.name,
            mime_type=body.mime_type,
            size=body.size,
            storage_key=body.storage_key,
            storage_path=f"/{body.user_id}/{body.storage_key}",
        )
        session.add(file)
        await session.commit()
        return FileOut.model_validate(file)

    async def _get(session: AsyncSession, file_id: uuid.UUID) -> File:
        file = await session.get(File, file_id)  # soft-deleted files are not found
        if file is None:
            raise HTTPException(404, f"file {file_id} not found")
        return file

    @app.get("/files/{file_id}")
    async def get_file(session: DbSession, file_id: uuid.UUID) -> FileOut:
        return FileOut.model_validate(await _get(session, file_id))

    @app.delete("/files/{file_id}", status_code=204)
    async def delete_file(session: DbSession, file_id: uuid.UUID) -> Response:
        await asoft_delete(session, await _get(session, file_id))
        await session.commit()
        return Response(status_code=204)

    @app.patch("/files/{file_id}")
    async def rename_file(session: DbSession, file_id: uuid.UUID, body: FileRename) -> FileOut:
        await _get(session, file_id)
        # one UPDATE ... WHERE version = :read_version; a lost race raises ConflictError (409)
        file = await aupdate_versioned(session, File, file_id, body.version, {"name": body.name})
        await session.commit()
        return FileOut.model_validate(file)

    @app.put("/users/{user_id}/settings")
    async def put_settings(session: DbSession, user_id: str, body: SettingsIn) -> SettingsOut:
        await aupsert(
            session,
            UserSetting,
            [{"user_id": user_id, "theme": body.theme, "preferences": body.preferences}],
            conflict=["user_id"],
        )
        await session.commit()
        setting = (
            await session.scalars(sa.select(UserSetting).where(UserSetting.user_id == user_id))
        ).one()
        return SettingsOut.model_validate(setting)

    return app
