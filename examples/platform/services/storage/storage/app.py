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

from schemakit.db import paginate, update_versioned, upsert
from schemakit.db.fastapi import SyncDbSession, database_lifespan, install_error_handlers
from schemakit.models import soft_delete
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

    @app.get("/files")
    def list_files(
        session: SyncDbSession, user_id: str, page: int = 1, limit: int = 20
    ) -> FilePage:
        stmt = (
            sa.select(File).where(File.user_id == user_id).order_by(File.created_at.desc(), File.id)
        )
        result = paginate(session, stmt, page, limit)
        return FilePage(items=[FileOut.model_validate(f) for f in result.items], total=result.total)

    @app.post("/files", status_code=201)
    def create_file(session: SyncDbSession, body: FileIn) -> FileOut:
        file = File(
            user_id=body.user_id,
            name=body.name,
            mime_type=body.mime_type,
            size=body.size,
            storage_key=body.storage_key,
            storage_path=f"/{body.user_id}/{body.storage_key}",
        )
        session.add(file)
        session.commit()
        return FileOut.model_validate(file)

    def _get(session: SyncDbSession, file_id: uuid.UUID) -> File:
        file = session.get(File, file_id)  # soft-deleted files are not found
        if file is None:
            raise HTTPException(404, f"file {file_id} not found")
        return file

    @app.get("/files/{file_id}")
    def get_file(session: SyncDbSession, file_id: uuid.UUID) -> FileOut:
        return FileOut.model_validate(_get(session, file_id))

    @app.delete("/files/{file_id}", status_code=204)
    def delete_file(session: SyncDbSession, file_id: uuid.UUID) -> Response:
        soft_delete(session, _get(session, file_id))
        session.commit()
        return Response(status_code=204)

    @app.patch("/files/{file_id}")
    def rename_file(session: SyncDbSession, file_id: uuid.UUID, body: FileRename) -> FileOut:
        _get(session, file_id)
        # one UPDATE ... WHERE version = :read_version; a lost race raises ConflictError (409)
        file = update_versioned(session, File, file_id, body.version, {"name": body.name})
        session.commit()
        return FileOut.model_validate(file)

    @app.put("/users/{user_id}/settings")
    def put_settings(session: SyncDbSession, user_id: str, body: SettingsIn) -> SettingsOut:
        upsert(
            session,
            UserSetting,
            [{"user_id": user_id, "theme": body.theme, "preferences": body.preferences}],
            conflict=["user_id"],
        )
        session.commit()
        setting = session.scalars(
            sa.select(UserSetting).where(UserSetting.user_id == user_id)
        ).one()
        return SettingsOut.model_validate(setting)

    return app
