"""Models the data-layer tests share: a versioned, soft-deletable, user-owned table and a child."""

from __future__ import annotations

import enum
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schemakit.models import (
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    jsonb_column,
    service_base,
)

Base = service_base("shop")


class ItemKind(enum.Enum):
    BOOK = "book"
    TOOL = "tool"


class Item(UUIDPrimaryKey, UserOwned, SoftDelete, Versioned, Timestamps, Base):
    __tablename__ = "items"
    sku: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    qty: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"), default=0)
    kind: Mapped[ItemKind] = mapped_column(default=ItemKind.BOOK)
    attrs: Mapped[dict[str, Any]] = jsonb_column(default={})
    # The guideline's N+1 anti-pattern is one lazy load per parent: the default "select".
    tags: Mapped[list[Tag]] = relationship(back_populates="item")


class Tag(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "tags"
    item_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("shop.items.id"), index=True)
    label: Mapped[str] = mapped_column(sa.Text)
    item: Mapped[Item] = relationship(back_populates="tags", lazy="raise")


def create_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA shop"))
            Base.metadata.create_all(conn)
    finally:
        engine.dispose()
