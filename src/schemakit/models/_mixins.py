"""Mixins, one concern each: the guideline's table pattern as declarative columns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm import relationship as _relationship

# Column order in CREATE TABLE, whatever order the mixins are listed in: the guideline's
# table pattern puts id and user_id first and the bookkeeping columns after the model's own.
_FIRST, _OWNER, _TAIL, _LAST = -20, -10, 10, 20

__all__ = [
    "SoftDelete",
    "Timestamps",
    "UUIDPrimaryKey",
    "UserOwned",
    "Versioned",
    "jsonb_column",
    "relationship",
]


class UUIDPrimaryKey:
    """``id uuid PRIMARY KEY DEFAULT gen_random_uuid()``: the guideline's primary key."""

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid,
        primary_key=True,
        server_default=sa.text("gen_random_uuid()"),
        sort_order=_FIRST,
    )


class UserOwned:
    """``user_id text NOT NULL`` with an index: Better Auth ids are not UUIDs."""

    user_id: Mapped[str] = mapped_column(sa.Text, nullable=False, index=True, sort_order=_OWNER)


class Timestamps:
    """``created_at``/``updated_at timestamptz NOT NULL DEFAULT now()``.

    ``updated_at`` moves on ORM flushes and on Core ``update()`` statements through
    ``onupdate``; :func:`schemakit.db.upsert` sets it in its conflict branch.
    """

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
        sort_order=_LAST,
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
        onupdate=sa.func.now(),
        sort_order=_LAST,
    )


class SoftDelete:
    """``is_deleted boolean NOT NULL DEFAULT false`` and ``deleted_at timestamptz``.

    Rows with ``is_deleted`` are left out of ORM selects and relationship loads by every
    session (see :mod:`schemakit.models._soft_delete`); opt out per statement with
    ``.execution_options(include_deleted=True)``.
    """

    is_deleted: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, server_default=sa.false(), default=False, sort_order=_TAIL
    )
    deleted_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), sort_order=_TAIL
    )


class Versioned:
    """``version integer NOT NULL DEFAULT 1``, checked on every ORM flush.

    A flush whose row changed underneath raises :class:`schemakit.errors.ConflictError`
    (with :class:`schemakit.models.Session`).
    """

    version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default=sa.text("1"), default=1, sort_order=_TAIL
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def jsonb_column(*, default: Any = None, nullable: bool = True) -> Any:
    """A ``jsonb`` column (never ``json``); type it with ``Mapped[dict[str, Any]]`` and so on.

    In a nullable column Python ``None`` is SQL NULL (``WHERE col IS NULL`` finds it); write
    JSON ``null`` with ``sqlalchemy.JSON.NULL``. In a NOT NULL column ``None`` is JSON
    ``null``, as in SQLAlchemy's plain ``JSONB``.
    """
    kwargs: dict[str, Any] = {"nullable": nullable}
    if default is not None:
        kwargs["server_default"] = sa.text(f"'{_json_literal(default)}'::jsonb")
        kwargs["default"] = default
    return mapped_column(JSONB(none_as_null=nullable), **kwargs)


def _json_literal(value: Any) -> str:
    import json

    return json.dumps(value).replace("'", "''")


def relationship(*args: Any, lazy: Any = "raise", **kwargs: Any) -> Any:
    """SQLAlchemy's ``relationship`` with ``lazy="raise"`` as the default.

    An attribute access that would issue one query per parent (the guideline's N+1
    anti-pattern) raises instead; load what you need with ``selectinload``/``joinedload`` or
    pass ``lazy="selectin"`` where a relation is always wanted.
    """
    return _relationship(*args, lazy=lazy, **kwargs)
