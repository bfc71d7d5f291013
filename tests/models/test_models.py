"""The model layer against real PostgreSQL: schema, naming, soft delete, versions, enums."""

from __future__ import annotations

import enum
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from schemakit.config import load_config
from schemakit.errors import ConfigError, ConflictError
from schemakit.models import (
    INCLUDE_DELETED,
    TYPE_ANNOTATION_MAP,
    Session,
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    exempt_database_base,
    hard_delete,
    jsonb_column,
    relationship,
    restore,
    service_base,
    service_metadata,
    soft_delete,
)
from schemakit.testing import Cluster


class Base(DeclarativeBase):
    metadata = service_metadata("storage")
    type_annotation_map = TYPE_ANNOTATION_MAP


class FileKind(enum.Enum):
    DOCUMENT = "document"
    IMAGE = "image"


class Folder(UUIDPrimaryKey, UserOwned, SoftDelete, Timestamps, Base):
    __tablename__ = "folders"
    name: Mapped[str] = mapped_column(sa.String(500))
    files: Mapped[list[File]] = relationship(back_populates="folder", lazy="selectin")


class File(UUIDPrimaryKey, UserOwned, SoftDelete, Versioned, Timestamps, Base):
    __tablename__ = "files"
    name: Mapped[str] = mapped_column(sa.String(500))
    kind: Mapped[FileKind]
    parent_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("storage.folders.id", ondelete="SET NULL"), index=True
    )
    metadata_: Mapped[dict[str, Any]] = jsonb_column(default={})
    opened_at: Mapped[datetime | None]
    folder: Mapped[Folder | None] = relationship(back_populates="files")  # lazy="raise" default


@pytest.fixture
def engine(pg_cluster: Cluster, pg_database: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(pg_cluster.url(pg_database))
    with eng.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA storage"))
        Base.metadata.create_all(conn)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


def test_tables_indexes_and_enum_land_in_the_service_schema(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('storage', 'public') AND c.relkind IN ('r', 'i') "
                "ORDER BY 2"
            )
        ).all()
        enums = conn.execute(
            sa.text(
                "SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n "
                "ON n.oid = t.typnamespace WHERE t.typtype = 'e'"
            )
        ).all()
    names = {(schema, name) for schema, name, _ in rows}
    assert all(schema == "storage" for schema, _ in names)
    assert ("storage", "idx_files_user_id") in names
    assert ("storage", "idx_files_parent_folder_id") in names
    assert ("storage", "files_pkey") in names
    assert enums == [("storage", "file_kind")]


def test_column_types_follow_the_guideline(engine: sa.Engine) -> None:
    from schemakit.catalog import from_database

    raw = engine.raw_connection()
    try:
        catalog = from_database(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()
    files = catalog.tables["storage.files"]
    cols = {c.name: c for c in files.columns}
    assert cols["id"].type == "uuid"
    assert cols["id"].default == "gen_random_uuid()"
    assert cols["user_id"].type == "text"
    assert not cols["user_id"].nullable
    assert cols["created_at"].type == "timestamp with time zone"
    assert cols["updated_at"].default == "now()"
    assert cols["is_deleted"].default == "false"
    assert cols["version"].default == "1"
    assert cols["metadata_"].type == "jsonb"
    assert cols["opened_at"].type == "timestamp with time zone"  # a plain Mapped[datetime]
    assert files.foreign_keys[0].name == "files_parent_folder_id_fkey"
    # The mixins' columns where the guideline puts them, whatever order the mixins come in:
    # id and user_id first, the model's own, then the bookkeeping.
    assert [c.name for c in files.columns] == [
        "id",
        "user_id",
        "name",
        "kind",
        "parent_folder_id",
        "metadata_",
        "opened_at",
        "is_deleted",
        "deleted_at",
        "version",
        "created_at",
        "updated_at",
    ]


def test_soft_deleted_rows_are_hidden_from_selects_and_relationships(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        folder = Folder(user_id="u1", name="docs")
        s.add(folder)
        s.flush()
        keep = File(user_id="u1", name="a", kind=FileKind.DOCUMENT, parent_folder_id=folder.id)
        gone = File(user_id="u1", name="b", kind=FileKind.IMAGE, parent_folder_id=folder.id)
        s.add_all([keep, gone])
        s.flush()
        soft_delete(s, gone)
        folder_id, gone_id = folder.id, gone.id
    with sessions() as s:
        assert [f.name for f in s.scalars(sa.select(File))] == ["a"]
        assert s.get(File, gone_id) is None
        loaded = s.scalars(sa.select(Folder).where(Folder.id == folder_id)).one()
        assert [f.name for f in loaded.files] == ["a"]
        everything = s.scalars(
            sa.select(File).order_by(File.name).execution_options(**{INCLUDE_DELETED: True})
        ).all()
        assert [f.name for f in everything] == ["a", "b"]
        restore(s, everything[1])
        s.commit()
    with sessions() as s:
        assert sorted(f.name for f in s.scalars(sa.select(File))) == ["a", "b"]
        hard_delete(s, s.scalars(sa.select(File).where(File.name == "b")).one())
        s.commit()
        assert (
            s.scalar(
                sa.select(sa.func.count()).select_from(File).execution_options(include_deleted=True)
            )
            == 1
        )


def test_lazy_raise_relationship_raises(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        s.add(File(user_id="u1", name="a", kind=FileKind.DOCUMENT))
    with sessions() as s:
        file = s.scalars(sa.select(File)).one()
        with pytest.raises(sa.exc.InvalidRequestError, match="lazy='raise'"):
            _ = file.folder


def test_stale_versioned_write_raises_conflict(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        file = File(user_id="u1", name="v1", kind=FileKind.DOCUMENT)
        s.add(file)
    first, second = sessions(), sessions()
    a = first.get(File, file.id)
    b = second.get(File, file.id)
    assert a is not None
    assert b is not None
    a.name = "from-a"
    first.commit()
    b.name = "from-b"
    with pytest.raises(ConflictError, match="modified by another operation"):
        second.commit()
    second.rollback()
    first.close()
    second.close()
    with sessions() as s:
        row = s.get(File, file.id)
        assert row is not None
        assert (row.name, row.version) == ("from-a", 2)


def test_concurrent_versioned_updates_one_wins(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        file = File(user_id="u1", name="v1", kind=FileKind.DOCUMENT)
        s.add(file)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(name: str) -> None:
        with sessions() as s:
            row = s.get(File, file.id)
            assert row is not None
            barrier.wait()
            row.name = name
            try:
                s.commit()
                outcomes.append("won")
            except ConflictError:
                outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]


def test_updated_at_moves_on_orm_and_core_updates(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        file = File(user_id="u1", name="a", kind=FileKind.DOCUMENT)
        s.add(file)
    with sessions.begin() as s:
        s.execute(sa.text("UPDATE storage.files SET updated_at = now() - interval '1 hour'"))
    with sessions.begin() as s:
        before = s.scalar(sa.select(File.updated_at))
        row = s.get(File, file.id)
        assert row is not None
        row.name = "b"
    with sessions.begin() as s:
        after_orm = s.scalar(sa.select(File.updated_at))
        s.execute(sa.text("UPDATE storage.files SET updated_at = now() - interval '1 hour'"))
    with sessions.begin() as s:
        s.execute(sa.update(File).values(name="c"))
    with sessions.begin() as s:
        after_core = s.scalar(sa.select(File.updated_at))
    assert before is not None
    assert after_orm is not None
    assert after_core is not None
    assert after_orm > before
    assert after_core > before


def write_config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "schemakit.toml").write_text(text)
    return tmp_path


def test_unregistered_schema_is_refused(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, '[services.auth]\nschemas = ["auth"]\n'))
    with pytest.raises(ConfigError, match="'billing' is not registered to any service"):
        service_base("billing", config=config)


def test_schema_of_another_service_is_refused(tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            '[services.auth]\nschemas = ["auth"]\n[services.credits]\nschemas = ["credits"]\n',
        )
    )
    with pytest.raises(ConfigError, match="registered to service auth, not credits"):
        service_base("auth", service="credits", config=config)
    assert service_base("auth", service="auth", config=config).metadata.schema == "auth"


def test_public_schema_is_refused() -> None:
    with pytest.raises(ConfigError, match="cannot use the public schema"):
        service_base("public")


def test_exempt_base_only_for_exempt_databases(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, 'exempt-databases = ["sync"]\n[services.a]\nschemas = ["a"]\n')
    )
    assert exempt_database_base("sync", config=config).metadata.schema is None
    with pytest.raises(ConfigError, match="'platform' is not exempt"):
        exempt_database_base("platform", config=config)
