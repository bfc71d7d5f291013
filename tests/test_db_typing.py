"""What a type checker makes of schemakit.db's read paths, on SQLAlchemy 2.1's variadic
``Select``: one entity or column gives its type, several give typed rows, and any select is
accepted (a bare ``Select[Any]`` parameter refuses ``select(File.id, File.name)``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session

from schemakit.db import fetch_rows, keyset_page, paginate
from schemakit.models import UUIDPrimaryKey, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("typing")


class File(UUIDPrimaryKey, Base):
    __tablename__ = "files"
    name: Mapped[str]


def use(session: Session) -> None:
    reveal_type(paginate(session, sa.select(File)))
    reveal_type(paginate(session, sa.select(File.name)))
    reveal_type(paginate(session, sa.select(File.id, File.name)))
    reveal_type(keyset_page(session, sa.select(File), order_by=[File.id]))
    reveal_type(keyset_page(session, sa.select(File.name, File.id), order_by=[File.id]))
    reveal_type(fetch_rows(session, sa.select(File.id, File.name)))
"""


def test_read_paths_type_check_with_variadic_selects(tmp_path: Path) -> None:
    target = tmp_path / "use_db.py"
    target.write_text(SNIPPET)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    revealed = [
        line.split("Revealed type is ", 1)[1].strip('"')
        for line in proc.stdout.splitlines()
        if "Revealed type is" in line
    ]
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert errors == []
    assert revealed[0] == "schemakit.db._queries.Page[use_db.File]"
    assert revealed[1] == "schemakit.db._queries.Page[str]"
    assert revealed[2].startswith("schemakit.db._queries.Page[tuple[uuid.UUID, str")
    assert revealed[3] == "schemakit.db._queries.KeysetPage[use_db.File]"
    assert revealed[4] == "schemakit.db._queries.KeysetPage[tuple[str, uuid.UUID]]"
    assert revealed[5].startswith("typing.Sequence[sqlalchemy.engine.row.Row[")
    assert len(revealed) == 6
