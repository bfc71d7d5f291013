"""Python services whose models share a module name each read their own, and a model module
that fails on import says which service, which module, and why."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemakit.cli import main

MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = sa.MetaData(schema="{schema}")


class Thing(Base):
    __tablename__ = "{table}"
    id: Mapped[int] = mapped_column(primary_key=True)
"""


@pytest.fixture(autouse=True)
def forget_database_modules() -> Iterator[None]:
    yield
    for name in [n for n in sys.modules if n == "database" or n.startswith("database.")]:
        del sys.modules[name]


def service(root: Path, name: str, text: str) -> None:
    package = root / name / "database"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(textwrap.dedent(text))


def config(root: Path, names: list[str]) -> None:
    (root / "schemakit.toml").write_text(
        "".join(
            f'[services.{n}]\nschemas = ["{n}"]\nmodels = "database.models:Base"\n'
            f'python-path = ["{n}"]\n\n'
            for n in names
        )
        + '[lint]\nselect = ["TYP003", "ISO007"]\n'
    )


def test_three_services_with_the_same_module_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["billing", "notes", "search"]
    for n in names:
        service(tmp_path, n, MODELS.format(schema=n, table=f"{n}_things"))
    config(tmp_path, names)
    assert main(["lint", str(tmp_path), "--format", "json"]) == 1
    import json

    found = json.loads(capsys.readouterr().out)["findings"]
    # one TYP003 (integer key) per service, on its own table, in its own file; no ISO007
    assert sorted((f["code"], f["object"], f["service"]) for f in found) == [
        ("TYP003", f"{n}.{n}_things.id", n) for n in names
    ]
    assert {f["location"]["path"] for f in found} == {f"{n}/database/models.py" for n in names}


def test_a_model_module_that_raises_names_service_and_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service(tmp_path, "notes", "import os\nTOKEN = os.environ['NOTES_SECRET_TOKEN_UNSET']\n")
    config(tmp_path, ["notes"])
    assert main(["lint", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "importing database.models for service notes raised KeyError" in err
    assert "models.py:2" in err
    assert "the module itself fails on import" in err


def test_a_missing_dependency_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service(tmp_path, "notes", "import some_package_nobody_installed\n")
    config(tmp_path, ["notes"])
    assert main(["lint", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot import database.models for service notes" in err
    assert "some_package_nobody_installed, which is not installed" in err
