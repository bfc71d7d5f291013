"""Models the data-layer tests share: a versioned, soft-deletable, user-owned table and a child."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
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


class Mood(enum.Enum):
    HAPPY = "happy"
    ODD = 'it\'s "odd", {really}'


class Sample(UUIDPrimaryKey, SoftDelete, Versioned, Timestamps, Base):
    """Every column type the guideline and the model layer produce, for round-trip tests."""

    __tablename__ = "samples"
    key: Mapped[str] = mapped_column(sa.Text, unique=True)
    text: Mapped[str | None] = mapped_column(sa.Text)
    short: Mapped[str | None] = mapped_column(sa.String(20))
    ref: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric)
    small: Mapped[int | None] = mapped_column(sa.Integer)
    big: Mapped[int | None] = mapped_column(sa.BigInteger)
    flag: Mapped[bool | None] = mapped_column(sa.Boolean)
    at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    day: Mapped[date | None] = mapped_column(sa.Date)
    doc: Mapped[Any] = jsonb_column()
    meta: Mapped[Any] = jsonb_column(default={}, nullable=False)
    labels: Mapped[list[str | None] | None] = mapped_column(ARRAY(sa.Text))
    counts: Mapped[list[int | None] | None] = mapped_column(ARRAY(sa.BigInteger))
    mood: Mapped[Mood | None] = mapped_column()
    blob: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
