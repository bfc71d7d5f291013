"""FastAPI wiring: a lifespan that opens and closes the Database, and a session dependency.

What the guideline's NestJS ``DatabaseModule`` does (a global provider, closed on shutdown)::

    app = FastAPI(lifespan=database_lifespan(os.environ["DATABASE_URL"]))
    install_error_handlers(app)

    @app.post("/files")
    async def create(body: NewFile, session: DbSession) -> FileOut:
        session.add(File(**body.model_dump()))
        await session.commit()
        ...

Commit inside the endpoint: code after a dependency's ``yield`` can run after the response
has been sent, so a commit there could fail with the client already told "200 OK".
Needs the ``fastapi`` extra; :mod:`schemakit.db` itself never imports FastAPI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from schemakit.db._cursor import CursorError
from schemakit.db._database import Database, PoolSettings
from schemakit.errors import ConflictError, SchemakitError
from schemakit.models import Session

__all__ = [
    "DbSession",
    "SyncDbSession",
    "database_lifespan",
    "get_database",
    "get_session",
    "get_sync_session",
    "install_error_handlers",
]

_STATE_KEY = "schemakit_database"


def database_lifespan(
    url: str | sa.URL, settings: PoolSettings | None = None, **overrides: Any
) -> Callable[[FastAPI], AbstractAsyncContextManager[dict[str, Any]]]:
    """A FastAPI ``lifespan``: :meth:`Database.get` on startup, :meth:`Database.aclose` on
    shutdown. The instance is in the lifespan state (``request.state``) and ``app.state``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        database = Database.get(url, settings, **overrides)
        setattr(app.state, _STATE_KEY, database)
        try:
            yield {_STATE_KEY: database}
        finally:
            await database.aclose()

    return lifespan


def get_database(request: Request) -> Database:
    """Dependency: the app's :class:`Database` (needs :func:`database_lifespan`)."""
    database = getattr(request.state, _STATE_KEY, None) or getattr(
        request.app.state, _STATE_KEY, None
    )
    if not isinstance(database, Database):
        raise SchemakitError(
            "no schemakit Database on this app",
            hint="create the app with FastAPI(lifespan=database_lifespan(url))",
        )
    return database


async def get_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    """Dependency: an async session per request, closed (uncommitted work rolled back) after."""
    async with database.async_session() as session:
        yield session


def get_sync_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """Dependency: a sync session per request, for ``def`` endpoints (run in the threadpool)."""
    with database.session() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]
SyncDbSession = Annotated[Session, Depends(get_sync_session)]


def install_error_handlers(app: FastAPI) -> None:
    """Answer :class:`ConflictError` with 409 and :class:`CursorError` with 400."""

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SchemakitError)
        return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=409)

    async def bad_cursor(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SchemakitError)
        return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=400)

    app.add_exception_handler(ConflictError, conflict)
    app.add_exception_handler(CursorError, bad_cursor)
