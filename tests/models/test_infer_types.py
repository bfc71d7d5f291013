"""Generated $inferSelect / $inferInsert TypedDicts match the models."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from schemakit.cli import main


def test_infer_types_renders_row_and_insert_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "storage_types.py"
    assert main(["infer-types", "tests.models.test_models", "-o", str(target)]) == 0
    spec = importlib.util.spec_from_file_location("storage_types", target)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.NewFile.__required_keys__ == {"name", "kind", "user_id"}
    assert "id" in module.NewFile.__optional_keys__
    assert "version" in module.NewFile.__optional_keys__
    assert set(module.FileRow.__required_keys__) >= {"id", "user_id", "created_at", "version"}
    assert module.FileRow.__annotations__["parent_folder_id"] == (uuid.UUID | None)
    # and a type checker accepts it as it is
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout


def test_infer_types_bad_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infer-types", "no.such.module"]) == 2
    assert "cannot import no.such.module" in capsys.readouterr().err


def test_infer_types_with_a_python_path(tmp_path: Path) -> None:
    """The example's storage service, imported as its config's python-path would (in a fresh
    interpreter: the package must not come from this one's imports)."""
    service = Path(__file__).resolve().parents[2] / "examples/platform/services/storage"
    target = tmp_path / "files_types.py"
    schemakit = str(Path(sys.executable).parent / "schemakit")
    module = "storage.db.schema.files"
    ok = subprocess.run(
        [schemakit, "infer-types", module, "--python-path", str(service), "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert "class FileRow(TypedDict" in target.read_text()
    missing = subprocess.run(
        [schemakit, "infer-types", module],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert missing.returncode == 2
    assert "pass --python-path DIR" in missing.stderr
