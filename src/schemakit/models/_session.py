"""The ORM Session: soft-deleted rows hidden by default, stale versioned writes -> ConflictError."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as _Session
from sqlalchemy.orm.exc import StaleDataError

from schemakit.errors import ConflictError
from schemakit.models._mixins import SoftDelete

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "INCLUDE_DELETED",
    "SOFT_DELETE_CRITERIA",
    "Session",
    "ahard_delete",
    "arestore",
    "asoft_delete",
    "hard_delete",
    "restore",
    "soft_delete",
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
