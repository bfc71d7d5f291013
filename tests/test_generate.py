"""``schemakit generate``: lint findings are printed with exit 1; a revision that cannot run is
not kept."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from schemakit.cli import main

MODELS = """
import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemakit.models import TYPE_ANNOTATION_MAP, Timestamps, UUIDPrimaryKey, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("shop", service="shop")
    type_annotation_map = TYPE_ANNOTATION_MAP


class Order(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "orders"
    COLUMN
"""


def platform(tmp_path: Path, column: str, package: str) -> Path:
    """A one-service platform; ``package`` differs per test, as these run in one process
    (an imported models module stays in sys.modules)."""
    (tmp_path / "schemakit.toml").write_text(
        textwrap.dedent(
            """
            [services.shop]
            schemas = ["shop"]
            migrations = "shop/alembic"
            models = "PACKAGE.models:Base"
            python-path = ["shop"]
            """
        ).replace("PACKAGE", package)
    )
    (tmp_path / "shop" / "alembic" / "versions").mkdir(parents=True)
    (tmp_path / "shop" / package).mkdir()
    (tmp_path / "shop" / package / "__init__.py").write_text("")
    (tmp_path / "shop" / package / "models.py").write_text(MODELS.replace("COLUMN", column))
    return tmp_path


def test_findings_are_printed_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A naive timestamp, said explicitly (Mapped[datetime] alone is timestamptz).
    root = platform(
        tmp_path, "placed_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime())", "naive"
    )
    code = main(["generate", "shop", "--name", "orders", "--config", str(root)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "TYP002" in out
    assert "placed_at" in out
    assert len(list((root / "shop" / "alembic" / "versions").glob("*.py"))) == 1


def test_a_revision_that_does_not_run_is_not_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = platform(
        tmp_path,
        "code: Mapped[str] = mapped_column(sa.Text, server_default=sa.text('no_such_function()'))",
        "broken",
    )
    code = main(["generate", "shop", "--name", "orders", "--config", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "does not run, so it was not kept" in err
    assert "no_such_function" in err
    assert list((root / "shop" / "alembic" / "versions").glob("*.py")) == []


ENUMS = """
import enum


class Mood(enum.Enum):
    CALM = "calm"
    ODD = "it's"


class Size(enum.Enum):
    S = "s"
    L = "l"
"""


def test_enum_types_are_created_once_and_dropped_on_downgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = platform(tmp_path, "mood: Mapped[Mood]", "enums")
    models = root / "shop" / "enums" / "models.py"
    models.write_text(ENUMS + models.read_text())
    assert main(["generate", "shop", "--name", "orders", "--config", str(root)]) == 0
    assert "wrote" in capsys.readouterr().out
    versions = root / "shop" / "alembic" / "versions"
    before = set(versions.glob("*.py"))
    # A second table on the same enum (no second CREATE TYPE), and a new enum column on the
    # first table (its type created before the ALTER): the revision runs, or is not kept.
    models.write_text(
        models.read_text().replace(
            "    mood: Mapped[Mood]", "    mood: Mapped[Mood]\n    size: Mapped[Size | None]"
        )
        + "\n\nclass Ticket(UUIDPrimaryKey, Timestamps, Base):\n"
        + '    __tablename__ = "tickets"\n'
        + "    mood: Mapped[Mood]\n"
    )
    # In this process the first generate imported the models: forget them, as a new CLI run would.
    for name in [m for m in sys.modules if m == "enums" or m.startswith("enums.")]:
        del sys.modules[name]
    code = main(["generate", "shop", "--name", "tickets", "--config", str(root)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    (newest,) = set(versions.glob("*.py")) - before
    text = newest.read_text()
    assert 'CREATE TYPE "shop"."size"' in text
    assert 'CREATE TYPE "shop"."mood"' not in text
    assert 'DROP TYPE IF EXISTS "shop"."size"' in text
