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
    assert (
        (folder / "migrations" / "0001_create_schema.sql")
        .read_text()
        .endswith("CREATE SCHEMA IF NOT EXISTS files;\n")
    )
    for source in (folder / "files").rglob("*.py"):
        py_compile.compile(str(source), doraise=True)
    assert (
        'metadata = service_metadata("files", service="files")'
        in (folder / "files" / "db" / "schema" / "base.py").read_text()
    )
    config = load_config(platform)
    assert config.services["files"].schemas == ("files",)
    assert config.services["files"].migrations == folder / "migrations"
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
