"""``schemakit new-service``: scaffold, register, refuse bad names; the result lints clean."""

from __future__ import annotations

import py_compile
import shutil
from pathlib import Path

import pytest

from schemakit.cli import main
from schemakit.config import load_config
from schemakit.lint import lint
from schemakit.testing import Cluster

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "platform"


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    target = tmp_path / "platform"
    shutil.copytree(EXAMPLE, target)
    return target


def test_new_service_scaffolds_registers_and_lints_clean(
    platform: Path, pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["new-service", "files", "--config", str(platform)])
    out = capsys.readouterr().out
    assert code == 0, out
    folder = platform / "services" / "files"
    first = (folder / "migrations" / "versions" / "0001_create_schema.py").read_text()
    assert 'op.execute("CREATE SCHEMA IF NOT EXISTS files")' in first
    assert (folder / "migrations" / "script.py.mako").is_file()
    for source in [*(folder / "files").rglob("*.py"), *(folder / "migrations").rglob("*.py")]:
        py_compile.compile(str(source), doraise=True)
    assert (
        'metadata = service_metadata("files", service="files")'
        in (folder / "files" / "db" / "schema" / "base.py").read_text()
    )
    config = load_config(platform)
    assert config.services["files"].schemas == ("files",)
    assert config.services["files"].migrations == folder / "migrations"
    assert config.services["files"].models == "files.db.schema:Base"
    assert config.services["files"].python_path == (folder,)
    # the config's comments survive
    assert "DELIBERATE (ISO006)" in (platform / "schemakit.toml").read_text()
    result = lint(platform, cluster=pg_cluster)
    assert not [f for f in result.findings if "files" in (f.object or "")]
    assert not [f for f in result.findings if f.service == "files"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mana_auth_schema"], "drop the '_schema' suffix"),
        (["billing", "--schema", "mana_billing"], "drop the platform prefix 'mana_'"),
        (["billing", "--schema", "public"], "public is shared by everyone"),
        (["payments", "--schema", "credits"], "already claimed by service credits"),
        (["auth"], "service 'auth' already exists"),
        (["Bad Name"], "must be lower case"),
    ],
)
def test_new_service_refuses(
    platform: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = (platform / "schemakit.toml").read_text()
    code = main(["new-service", *args, "--config", str(platform)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert (platform / "schemakit.toml").read_text() == before
    assert not (platform / "services" / args[0]).exists() or args[0] == "auth"


NOTES = '''
"""Folders and notes: a model with every column type the guideline uses."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from notes.db.schema.base import Base
from schemakit.models import (
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    jsonb_column,
    relationship,
)


class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


class Folder(UUIDPrimaryKey, UserOwned, Timestamps, Base):
    __tablename__ = "folders"
    name: Mapped[str] = mapped_column(sa.Text)
    notes: Mapped[list[Note]] = relationship(back_populates="folder")


class Note(UUIDPrimaryKey, UserOwned, SoftDelete, Versioned, Timestamps, Base):
    __tablename__ = "notes"
    folder_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("notes.folders.id"), index=True)
    title: Mapped[str] = mapped_column(sa.Text)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    ref: Mapped[uuid.UUID | None]
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    words: Mapped[int] = mapped_column(server_default=sa.text("0"))
    views: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    is_pinned: Mapped[bool] = mapped_column(server_default=sa.false())
    due_at: Mapped[datetime | None]
    day: Mapped[date | None]
    tags: Mapped[list[str]] = jsonb_column(default=[], nullable=False)
    extra: Mapped[dict[str, Any] | None] = jsonb_column()
    labels: Mapped[list[str] | None] = mapped_column(ARRAY(sa.Text))
    mood: Mapped[Mood] = mapped_column(server_default="calm")
    body: Mapped[bytes | None]
    folder: Mapped[Folder] = relationship(back_populates="notes")
'''

USAGE = '''
"""Uses the generated types under mypy --strict."""

import uuid

from notes.db.types import NewNote, NoteRow


def first_tag(row: NoteRow) -> str | None:
    return row["tags"][0] if row["tags"] else None


new: NewNote = {
    "user_id": "u1",
    "folder_id": uuid.uuid4(),
    "title": "t",
    "slug": "s",
    "tags": ["a"],
    "extra": {"k": 1},
}
'''


@pytest.mark.slow
def test_new_service_without_a_config_works_with_every_command(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str
) -> None:
    """The paved way in, from an empty folder, all through the CLI: new-service, a model with
    every type, generate, migrate, lint (clean), drift (none), push (nothing to do),
    infer-types (mypy --strict clean on a file using the types), generate again (no change)."""
    import os
    import subprocess
    import sys

    schemakit = str(Path(sys.executable).parent / "schemakit")
    # The URL as Cluster.url() and Database give it: the CLI takes the driver-qualified form.
    url = pg_cluster.url(pg_database)
    assert url.startswith("postgresql+psycopg://")

    def sk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [schemakit, *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, "DATABASE_URL": url},
        )

    created = sk("new-service", "notes")
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "schemakit.toml").is_file()
    schema = tmp_path / "services" / "notes" / "notes" / "db" / "schema"
    (schema / "notes.py").write_text(NOTES)
    (schema / "__init__.py").write_text(
        "from notes.db.schema.base import Base\n"
        "from notes.db.schema.notes import Folder, Mood, Note\n\n"
        '__all__ = ["Base", "Folder", "Mood", "Note"]\n'
    )
    generated = sk("generate", "notes", "--name", "folders and notes")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    versions = tmp_path / "services" / "notes" / "migrations" / "versions"
    revision = next(p for p in versions.glob("*.py") if not p.name.startswith("0001"))
    text = revision.read_text()
    assert "down_revision: Union[str, Sequence[str], None] = '0001'" in text
    assert "from sqlalchemy.dialects import postgresql" in text
    assert "server_default=sa.text('false')" in text
    assert "schemakit.models" not in text

    for args in (["migrate"], ["lint"], ["drift"], ["push", "notes", "--dry-run"]):
        ran = sk(*args)
        assert ran.returncode == 0, (args, ran.stdout, ran.stderr)
    assert "already matches" in sk("push", "notes").stdout

    types = tmp_path / "services" / "notes" / "notes" / "db" / "types.py"
    inferred = sk(
        "infer-types", "notes.db.schema", "--python-path", "services/notes", "-o", str(types)
    )
    assert inferred.returncode == 0, inferred.stderr
    assert "tags: list[str]" in types.read_text()
    (tmp_path / "services" / "notes" / "usage.py").write_text(USAGE)
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "usage.py"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path / "services" / "notes",
    )
    assert checked.returncode == 0, checked.stdout

    again = sk("generate", "notes", "--name", "nothing")
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stdout
    assert sorted(versions.glob("*.py")) == sorted([versions / "0001_create_schema.py", revision])
