"""The connection singleton: pooled sync and async SQLAlchemy engines on psycopg 3, one per URL.

The guideline's ``getConnection``/``getDb``/``closeConnection`` with its pool settings (max 10
connections, idle 20 s, connect timeout 10 s) as overridable defaults.

How "idle 20 s" is enforced: SQLAlchemy's ``QueuePool`` has no idle timeout (``pool_recycle``
retires connections by *age*, not idleness, and only when they are next checked out). postgres.js
closes an idle connection after 20 s so the server slot is freed; here the server does that
itself through ``idle_session_timeout`` (PostgreSQL 14+), set on every pooled connection as a
startup option, and the pool drops, at checkout and without a round trip, any connection that has
been idle for nearly that long. So an idle slot is really freed after 20 s and the pool never
hands out a connection the server has already closed. Behind a transaction-pooling proxy that
rejects startup options, pass ``idle_timeout=None`` and let the proxy do it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from schemakit.errors import ConfigError, DatabaseError, redact, register_dsn
from schemakit.models import Session
from schemakit.models._session import user_info

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

__all__ = ["Database", "PoolSettings", "UserId", "normalize_url"]

_DRIVER = "postgresql+psycopg"
_ACCEPTED_DRIVERS = frozenset({"postgresql", "postgres", _DRIVER})
_IDLE_SINCE = "schemakit_idle_since"

UserId = str | int | uuid.UUID
"""What ``Database.session(user_id=...)`` takes: sent as text (``app.user_id``)."""


@dataclass(frozen=True)
class PoolSettings:
    """Pool settings; the defaults are the guideline's ``postgres()`` options."""

    max_connections: int = 10
    """Pool size; no overflow, so this is a hard cap (postgres.js ``max``)."""
    idle_timeout: float | None = 20.0
    """Seconds after which an idle connection is closed (``idle_timeout``); None keeps them."""
    connect_timeout: int = 10
    """Seconds to wait for a new connection to be established (libpq ``connect_timeout``)."""
    pool_timeout: float = 30.0
    """Seconds to wait for a free pooled connection before raising (SQLAlchemy's default)."""

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ConfigError("max_connections must be at least 1")
        if self.idle_timeout is not None and self.idle_timeout < 1:
            raise ConfigError("idle_timeout must be at least 1 second, or None")
        if self.connect_timeout < 1:
            raise ConfigError("connect_timeout must be at least 1 second")


def normalize_url(url: str | sa.URL) -> sa.URL:
    """``postgresql://`` (or ``postgres://``) becomes ``postgresql+psycopg://``; others refused."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"not a database URL: {redact(str(url))}") from exc
    if parsed.drivername not in _ACCEPTED_DRIVERS:
        raise ConfigError(
            f"unsupported driver {parsed.drivername!r} in {redact(str(url))}",
            hint="use a postgresql:// or postgresql+psycopg:// URL (psycopg 3)",
        )
    return parsed.set(drivername=_DRIVER)


def _connect_args(url: sa.URL, settings: PoolSettings) -> dict[str, Any]:
    args: dict[str, Any] = {"connect_timeout": settings.connect_timeout}
    if settings.idle_timeout is not None:
        option = f"-c idle_session_timeout={int(settings.idle_timeout * 1000)}"
        existing = url.query.get("options")
        if isinstance(existing, tuple):
            existing = " ".join(existing)
        args["options"] = f"{existing} {option}" if existing else option
    return args


def _engine_url(url: sa.URL, settings: PoolSettings) -> sa.URL:
    # "options" moves into connect_args (merged with ours), so drop it from the query.
    return url.difference_update_query(["options"]) if settings.idle_timeout else url


def _install_idle_check(engine: sa.Engine, idle_timeout: float) -> None:
    """Drop connections idle for (almost) ``idle_timeout`` at checkout, before the server does."""
    # The server's timer starts when the connection goes idle, which is before our checkin
    # stamp; the margin covers that gap, so a connection handed out is never one being closed.
    limit = idle_timeout - min(1.0, idle_timeout / 10)

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_IDLE_SINCE, None)

    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is not None and time.monotonic() - since >= limit:
            # The pool invalidates (closes) this connection and connects a fresh one.
            raise sa.exc.DisconnectionError("connection idle longer than idle_timeout")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "checkin", on_checkin)
    event.listen(engine, "checkout", on_checkout)


async def _close(session: AsyncSession) -> None:
    """``session.close()`` awaited in the caller's task, finished even if a cancellation lands.

    SQLAlchemy's own ``async with AsyncSession`` runs the close in a task of its own behind
    ``asyncio.shield``, so that a cancellation cannot cut it off: three more turns of the event
    loop per session (a one-page request took 11 instead of psycopg's own 8). Here the close
    waits on the server once, for the ROLLBACK, which psycopg completes even when cancelled;
    if the cancellation lands there, a second close finishes the first one's work, shielded,
    and the cancellation is raised after it.
    """
    try:
        await session.close()
    except asyncio.CancelledError:
        # The first close stopped before returning the connection to the pool; the second one
        # does that (and is a no-op for whatever the first had finished).
        await asyncio.shield(session.close())
        raise


class Database:
    """Pooled sync and async engines for one database URL, and sessions on them.

    Get the process-wide instance with :meth:`Database.get`; :meth:`close` (or :meth:`aclose`
    from async code) disposes both pools and forgets the instance, so the next ``get`` opens a
    new one. Sessions are :class:`schemakit.models.Session` (soft-deleted rows hidden, stale
    versioned writes raise :class:`~schemakit.errors.ConflictError`), sync and async alike,
    with ``expire_on_commit=False`` so objects stay readable after commit without a new query
    (an async session cannot lazy-load them).

    The async engine is created on first use and belongs to the event loop that first uses it,
    as every asyncio connection pool does.
    """

    _registry: ClassVar[dict[str, Database]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str | sa.URL, settings: PoolSettings | None = None) -> None:
        self.url = normalize_url(url)
        self.settings = settings or PoolSettings()
        register_dsn(self.url.render_as_string(hide_password=False))
        self._lock = threading.Lock()
        self._closed = False
        self._engine: sa.Engine | None = self._create_engine()
        self._sessions: sessionmaker[Session] = sessionmaker(
            self._engine, class_=Session, expire_on_commit=False
        )
        self._async_engine: AsyncEngine | None = None
        self._async_sessions: async_sessionmaker[AsyncSession] | None = None

    @classmethod
    def get(
        cls,
        url: str | sa.URL,
        settings: PoolSettings | None = None,
        **overrides: Any,
    ) -> Database:
        """The one open :class:`Database` for ``url``, created on first call.

        ``settings`` or keyword ``overrides`` of :class:`PoolSettings` fields apply when the
        instance is created; asking again with different settings raises :class:`ConfigError`
        rather than silently handing back a pool configured otherwise.
        """
        wanted = replace(settings or PoolSettings(), **overrides) if overrides else settings
        key = normalize_url(url).render_as_string(hide_password=False)
        with cls._registry_lock:
            found = cls._registry.get(key)
            if found is None:
                found = cls(url, wanted)
                cls._registry[key] = found
            elif wanted is not None and wanted != found.settings:
                raise ConfigError(
                    f"{found!r} is already open with {found.settings}, not {wanted}",
                    hint="close it first, or ask with the same settings",
                )
            return found

    def __repr__(self) -> str:
        return f"Database({redact(self.url.render_as_string(hide_password=False))!r})"

    @property
    def closed(self) -> bool:
        return self._closed

    def _engine_kwargs(self) -> dict[str, Any]:
        s = self.settings
        return {
            "pool_size": s.max_connections,
            "max_overflow": 0,
            "pool_timeout": s.pool_timeout,
            "connect_args": _connect_args(self.url, s),
        }

    def _create_engine(self) -> sa.Engine:
        engine = sa.create_engine(_engine_url(self.url, self.settings), **self._engine_kwargs())
        if self.settings.idle_timeout is not None:
            _install_idle_check(engine, self.settings.idle_timeout)
        return engine

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(f"{self!r} is closed", hint="call Database.get(url) again")

    @property
    def engine(self) -> sa.Engine:
        """The synchronous engine."""
        self._check_open()
        assert self._engine is not None
        return self._engine

    @property
    def async_engine(self) -> AsyncEngine:
        """The asyncio engine (psycopg's async connection), created on first use."""
        self._check_open()
        with self._lock:
            if self._async_engine is None:
                from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

                engine = create_async_engine(
                    _engine_url(self.url, self.settings), **self._engine_kwargs()
                )
                if self.settings.idle_timeout is not None:
                    _install_idle_check(engine.sync_engine, self.settings.idle_timeout)
                self._async_engine = engine
                self._async_sessions = async_sessionmaker(
                    engine, sync_session_class=Session, expire_on_commit=False
                )
            return self._async_engine

    @contextmanager
    def session(self, *, user_id: UserId | None = None) -> Iterator[Session]:
        """A session, closed (and its transaction rolled back) on exit; commit yourself.

        With ``user_id``, every transaction of the session starts with
        ``set_config('app.user_id', user_id, true)``: row-level security policies
        (``row-security`` in the config) then show and accept that user's rows only. The
        setting is transaction-local, so it never outlives the transaction on the pooled
        connection. Without it nothing is set, and a table under forced row-level security
        shows no rows at all.
        """
        with self._sessions_or_raise()(info=user_info(user_id)) as session:
            yield session

    @contextmanager
    def transaction(self, *, user_id: UserId | None = None) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on an exception.
        ``user_id`` as for :meth:`session`."""
        with self._sessions_or_raise()(info=user_info(user_id)) as session, session.begin():
            yield session

    def _sessions_or_raise(self) -> sessionmaker[Session]:
        self._check_open()
        return self._sessions

    def _async_sessions_or_raise(self) -> async_sessionmaker[AsyncSession]:
        _ = self.async_engine
        assert self._async_sessions is not None
        return self._async_sessions

    @asynccontextmanager
    async def async_session(self, *, user_id: UserId | None = None) -> AsyncIterator[AsyncSession]:
        """An :class:`AsyncSession` (over :class:`schemakit.models.Session`), closed on exit;
        ``user_id`` as for :meth:`session`."""
        session = self._async_sessions_or_raise()(info=user_info(user_id))
        try:
            yield session
        finally:
            await _close(session)

    @asynccontextmanager
    async def async_transaction(
        self, *, user_id: UserId | None = None
    ) -> AsyncIterator[AsyncSession]:
        """An async session in a transaction: committed on success, rolled back on error;
        ``user_id`` as for :meth:`session`."""
        session = self._async_sessions_or_raise()(info=user_info(user_id))
        try:
            async with session.begin():
                yield session
        finally:
            await _close(session)

    def _forget(self) -> None:
        self._closed = True
        key = self.url.render_as_string(hide_password=False)
        with self._registry_lock:
            if self._registry.get(key) is self:
                del self._registry[key]

    def close(self) -> None:
        """Close every pooled connection of both engines and forget this instance.

        From a running event loop use :meth:`aclose`: async connections must be closed on the
        loop that owns them. Safe to call twice.
        """
        if self._closed:
            return
        if self._async_engine is not None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                asyncio.run(self._async_engine.dispose())
            else:
                raise DatabaseError(
                    f"{self!r}.close() called inside an event loop",
                    hint="use 'await database.aclose()' there",
                )
        self._dispose_sync()

    async def aclose(self) -> None:
        """:meth:`close` for async code (the FastAPI lifespan): awaits the async pool's close."""
        if self._closed:
            return
        if self._async_engine is not None:
            await self._async_engine.dispose()
        self._dispose_sync()

    def _dispose_sync(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._async_engine = None
        self._async_sessions = None
        self._forget()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def close_all(cls) -> None:
        """Close every open instance (sync code only); for test teardown and process exit."""
        with cls._registry_lock:
            open_now = list(cls._registry.values())
        for database in open_now:
            database.close()
