"""The ORM Session: soft-deleted rows hidden by default, stale versioned writes -> ConflictError."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as _Session
from sqlalchemy.orm.exc import StaleDataError

from schemakit.errors import ConflictError
from schemakit.models._mixins import SoftDelete
from schemakit.models._rls import USER_ID_SETTING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "INCLUDE_DELETED",
    "SOFT_DELETE_CRITERIA",
    "USER_ID_KEY",
    "Session",
    "ahard_delete",
    "arestore",
    "asoft_delete",
    "hard_delete",
    "restore",
    "soft_delete",
    "user_info",
]

INCLUDE_DELETED = "include_deleted"
"""Execution option that opts a statement out of the soft-delete filter; grep for it."""


class Session(_Session):
    """A Session that turns SQLAlchemy's StaleDataError into :class:`ConflictError` and whose
    :meth:`get` does not hand back a soft-deleted object it already holds."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        """:meth:`sqlalchemy.orm.Session.get`, but ``None`` for a soft-deleted row.

        A row loaded from the database is filtered by the session hook; this also covers the
        identity map, which would otherwise return an object :func:`soft_delete` marked
        deleted without asking the database. ``execution_options={"include_deleted": True}``
        returns it.
        """
        found = super().get(entity, ident, **kwargs)
        if (
            isinstance(found, SoftDelete)
            and found.is_deleted
            and not (kwargs.get("execution_options") or {}).get(INCLUDE_DELETED, False)
        ):
            return None
        return found

    def flush(self, objects: Any = None) -> None:
        try:
            if objects is None:
                super().flush()
            else:
                super().flush(objects)
        except StaleDataError as exc:
            raise ConflictError(
                f"the row was modified by another operation: {exc}",
                hint="reload it and apply the change again",
            ) from exc


USER_ID_KEY = "schemakit_user_id"
"""``Session.info`` key of the user id each transaction of the session sets (see
:func:`user_info`); ``Database.session(user_id=...)`` puts it there."""

_SET_USER_ID = sa.text(f"SELECT set_config('{USER_ID_SETTING}', :user_id, true)")


def user_info(user_id: str | int | uuid.UUID | None) -> dict[str, str]:
    """``Session.info`` for a session whose transactions run as ``user_id`` (row-level
    security's ``app.user_id``); empty for None."""
    if user_id is None:
        return {}
    if not isinstance(user_id, str | int | uuid.UUID) or isinstance(user_id, bool):
        raise TypeError(f"user_id must be a str, int or UUID, not {type(user_id).__name__}")
    value = str(user_id)
    if not value:
        # '' is what the setting reads when unset: it would look like "no user", silently
        raise ValueError("user_id is empty; pass None for a session without a user")
    return {USER_ID_KEY: value}


@event.listens_for(Session, "after_begin")
def _set_user_id(session: _Session, transaction: Any, connection: sa.Connection) -> None:
    # At the start of every transaction (and only for its duration: set_config's is_local),
    # so a pooled connection never carries one request's user into the next; bound, never
    # formatted into the SQL.
    user_id = session.info.get(USER_ID_KEY)
    if user_id is not None:
        connection.execute(_SET_USER_ID, {"user_id": user_id})


SOFT_DELETE_CRITERIA = with_loader_criteria(
    SoftDelete, lambda cls: cls.is_deleted == sa.false(), include_aliases=True
)
"""The one soft-delete filter: every SoftDelete entity of a statement, joins and subqueries
included. The session hook below adds it to ORM selects; Core read paths add it themselves."""


@event.listens_for(_Session, "do_orm_execute")
def _hide_soft_deleted(state: ORMExecuteState) -> None:
    # SQLAlchemy's with_loader_criteria recipe: applies to selects and to lazy, eager and
    # relationship loads of every SoftDelete entity, and to ORM bulk update() and delete()
    # (session.execute(update(Model)...)), unless the statement opts out.
    if (
        (state.is_select or state.is_update or state.is_delete)
        and not state.is_column_load
        and not state.execution_options.get(INCLUDE_DELETED, False)
    ):
        state.statement = state.statement.options(SOFT_DELETE_CRITERIA)


def soft_delete(session: _Session, obj: SoftDelete) -> None:
    """Mark ``obj`` deleted (``is_deleted``, ``deleted_at``); it disappears from loads."""
    obj.is_deleted = True
    obj.deleted_at = datetime.now(UTC)
    session.flush()


def restore(session: _Session, obj: SoftDelete) -> None:
    """Undo :func:`soft_delete`."""
    obj.is_deleted = False
    obj.deleted_at = None
    session.flush()


def hard_delete(session: _Session, obj: object) -> None:
    """Delete the row for good (the guideline's "permanent" delete)."""
    session.delete(obj)
    session.flush()


async def asoft_delete(session: AsyncSession, obj: SoftDelete) -> None:
    """:func:`soft_delete` on an ``AsyncSession``."""
    await session.run_sync(soft_delete, obj)


async def arestore(session: AsyncSession, obj: SoftDelete) -> None:
    """:func:`restore` on an ``AsyncSession``."""
    await session.run_sync(restore, obj)


async def ahard_delete(session: AsyncSession, obj: object) -> None:
    """:func:`hard_delete` on an ``AsyncSession``."""
    await session.run_sync(hard_delete, obj)
