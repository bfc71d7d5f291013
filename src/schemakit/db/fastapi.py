"""FastAPI wiring: a lifespan that opens and closes the Database, and a session dependency.

What the guideline's NestJS ``DatabaseModule`` does (a global provider, closed on shutdown)::

    app = FastAPI(lifespan=database_lifespan(os.environ["DATABASE_URL"]))
    install_error_handlers(app)

    @app.post("/files")
    async def create(body: NewFile, session: DbSession) -> FileOut:
        session.add(File(**body.model_dump()))
        await session.commit()
        ...

Row-level security (``row-security`` in the config): the session is opened for the user your
own dependency names, and every transaction sets ``app.user_id`` to it::

    async def current_user_id(request: Request) -> str:  # your authentication
        ...

    UserDb = Annotated[AsyncSession, Depends(user_session(current_user_id))]

    @app.get("/notes")
    async def notes(session: UserDb) -> list[NoteOut]:
        ...  # only this user's notes: the policy filters, not the query

Commit inside the endpoint: code after a dependency's ``yield`` can run after the response
has been sent, so a commit there could fail with the client already told "200 OK".
Needs the ``fastapi`` extra; :mod:`schemakit.db` itself never imports FastAPI.
"""

from __future__ import annotations

import inspect
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
    "sync_user_session",
    "user_session",
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


def _user_signature(current_user_id: Callable[..., Any]) -> inspect.Signature:
    # Built, not written: the annotations name a callable only known at run time, which
    # FastAPI could not resolve from this module's (postponed, string) annotations.
    def parameter(name: str, annotation: Any) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)

    return inspect.Signature(
        [
            parameter("database", Annotated[Database, Depends(get_database)]),
            parameter("user_id", Annotated[Any, Depends(current_user_id)]),
        ]
    )


def user_session(
    current_user_id: Callable[..., Any],
) -> Callable[..., AsyncIterator[AsyncSession]]:
    """A dependency: an async session per request for the user ``current_user_id`` returns
    (itself a dependency, sync or async: your authentication), as
    ``Database.async_session(user_id=...)``. A None user id opens a session without one:
    tables under forced row-level security then show it no rows. Make it once, at module
    level: ``UserDb = Annotated[AsyncSession, Depends(user_session(current_user_id))]``."""

    async def user_session_dependency(
        *, database: Database, user_id: Any
    ) -> AsyncIterator[AsyncSession]:
        async with database.async_session(user_id=user_id) as session:
            yield session

    user_session_dependency.__signature__ = _user_signature(current_user_id)  # type: ignore[attr-defined]
    return user_session_dependency


def sync_user_session(current_user_id: Callable[..., Any]) -> Callable[..., Iterator[Session]]:
    """:func:`user_session` for ``def`` endpoints: a sync session for that user."""

    def sync_user_session_dependency(*, database: Database, user_id: Any) -> Iterator[Session]:
        with database.session(user_id=user_id) as session:
            yield session

    sync_user_session_dependency.__signature__ = _user_signature(current_user_id)  # type: ignore[attr-defined]
    return sync_user_session_dependency


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
