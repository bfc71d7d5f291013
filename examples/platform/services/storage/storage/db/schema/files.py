"""The guideline's Table Definition Pattern: folders, files, tags, file_tags, user_settings."""

from __future__ import annotations

import enum
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from schemakit.models import (
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    jsonb_column,
    relationship,
)
from storage.db.schema.base import Base


class Folder(UUIDPrimaryKey, UserOwned, SoftDelete, Timestamps, Base):
    __tablename__ = "folders"

    parent_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("storage.folders.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(500))

    parent: Mapped[Folder | None] = relationship(remote_side="Folder.id", back_populates="children")
    children: Mapped[list[Folder]] = relationship(back_populates="parent")
    files: Mapped[list[File]] = relationship(back_populates="folder")


class File(UUIDPrimaryKey, UserOwned, SoftDelete, Versioned, Timestamps, Base):
    __tablename__ = "files"
    __table_args__ = (sa.Index(None, "created_at"),)

    parent_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("storage.folders.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(500))
    mime_type: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    storage_path: Mapped[str] = mapped_column(sa.String(1000))
    storage_key: Mapped[str] = mapped_column(sa.String(500), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_favorite: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)
    is_public: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)

    folder: Mapped[Folder | None] = relationship(back_populates="files")
    tags: Mapped[list[Tag]] = relationship(secondary="storage.file_tags", viewonly=True)


class Tag(UUIDPrimaryKey, UserOwned, Timestamps, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(sa.String(100))


class FileTag(Timestamps, Base):
    __tablename__ = "file_tags"

    file_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("storage.files.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("storage.tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Theme(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


class UserSetting(UUIDPrimaryKey, Versioned, Timestamps, Base):
    __tablename__ = "user_settings"

    user_id: Mapped[str] = mapped_column(sa.Text, unique=True)
    theme: Mapped[Theme] = mapped_column(server_default="light", default=Theme.LIGHT)
    preferences: Mapped[dict[str, Any]] = jsonb_column(default={}, nullable=False)
