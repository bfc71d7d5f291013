"""from_metadata: the Catalog of SQLAlchemy models equals what create_all makes in PostgreSQL."""

from __future__ import annotations

import enum
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemakit.catalog import Catalog, from_database, from_metadata
from schemakit.conventions import NAMING_CONVENTION
from schemakit.testing import Cluster

SERVICE = Path(__file__).resolve().parents[1] / "examples" / "platform" / "services" / "storage"
if str(SERVICE) not in sys.path:
    sys.path.insert(0, str(SERVICE))

from storage.db.schema import Base as StorageBase  # noqa: E402


def _shape(catalog: Catalog, schema: str) -> dict[str, Any]:
    """The fields a schema comparison cares about (not owners, oids or physical order)."""
    out: dict[str, Any] = {}
    for table in catalog.tables_in(schema):
        out[table.name] = {
            "columns": sorted(
                (c.name, c.type, c.type_name, c.nullable, c.default, c.identity)
                for c in table.columns
            ),
            "indexes": sorted(
                (i.name, i.columns, i.unique, i.primary, i.constraint, i.method, i.predicate)
                for i in table.indexes
            ),
            "fks": sorted(
                (f.name, f.columns, f.ref_path, f.ref_columns, f.on_delete)
                for f in table.foreign_keys
            ),
            "constraints": sorted((c.name, c.kind, c.columns) for c in table.constraints),
        }
    out["types"] = sorted(
        (t.path, t.kind, t.labels) for t in catalog.types.values() if t.schema == schema
    )
    return out


def _created(cluster: Cluster, database: str, metadata: sa.MetaData, schema: str) -> Catalog:
    engine = sa.create_engine(cluster.url(database))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
            metadata.create_all(conn)
    finally:
        engine.dispose()
    with cluster.connect(database) as conn:
        return from_database(conn)


def test_storage_models_match_create_all(pg_cluster: Cluster, pg_database: str) -> None:
    live = _created(pg_cluster, pg_database, StorageBase.metadata, "storage")
    built = from_metadata(StorageBase.metadata, database=pg_database)
    assert built.database == pg_database
    assert set(built.tables) == {
        "storage.folders",
        "storage.files",
        "storage.tags",
        "storage.file_tags",
        "storage.user_settings",
    }
    assert _shape(built, "storage") == _shape(live, "storage")
    # Column order is the declaration order, as attnum is.
    for path, table in built.tables.items():
        assert [c.name for c in table.columns] == [c.name for c in live.tables[path].columns]


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class _Odd(DeclarativeBase):
    metadata = sa.MetaData(schema="odd", naming_convention=dict(NAMING_CONVENTION))


class Event(_Odd):
    """The guideline's anti-patterns, which must still round-trip exactly."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="positive"),
        sa.UniqueConstraint("user_id", "kind"),
        sa.Index("idx_events_kind_partial", "kind", postgresql_where=sa.text("active")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    seen_at: Mapped[datetime] = mapped_column(sa.DateTime)
    precise_at: Mapped[datetime | None] = mapped_column(
        postgresql.TIMESTAMP(timezone=True, precision=3)
    )
    payload: Mapped[Any] = mapped_column(sa.JSON)
    tags: Mapped[list[str] | None] = mapped_column(ARRAY(sa.Text))
    extra: Mapped[Any] = mapped_column(JSONB, server_default=sa.text("'[]'::jsonb"))
    kind: Mapped[str] = mapped_column(sa.String(20), server_default="plain")
    amount: Mapped[float] = mapped_column(sa.Numeric(10, 2), server_default="0")
    ratio: Mapped[float | None] = mapped_column(sa.Float)
    code: Mapped[str | None] = mapped_column(sa.CHAR(3))
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    mood: Mapped[Mood] = mapped_column(
        sa.Enum(Mood, name="mood", values_callable=lambda e: [m.value for m in e]),
        server_default="happy",
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class Counter(_Odd):
    __tablename__ = "counters"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    identity_no: Mapped[int] = mapped_column(sa.Integer, sa.Identity(always=True))
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("odd.events.id", ondelete="RESTRICT")
    )


def test_anti_patterns_round_trip(pg_cluster: Cluster, pg_database: str) -> None:
    live = _created(pg_cluster, pg_database, _Odd.metadata, "odd")
    built = from_metadata(_Odd.metadata)
    assert _shape(built, "odd") == _shape(live, "odd")
    events = built.tables["odd.events"]
    user_id, seen_at, payload = (events.column(n) for n in ("user_id", "seen_at", "payload"))
    assert user_id is not None
    assert (user_id.type, user_id.type_name) == ("uuid", "uuid")
    assert seen_at is not None
    assert seen_at.type == "timestamp without time zone"
    assert payload is not None
    assert payload.type_name == "json"
    counters = built.tables["odd.counters"]
    assert counters.column("id") == live.tables["odd.counters"].column("id")
    assert set(built.sequences) == {
        s for s in live.sequences if s.startswith("odd.") and "identity" not in s
    }
