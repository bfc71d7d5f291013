"""Where the embedded server keeps its files: memory when there is room, else the temporary
folder; the findings do not depend on it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from schemakit import server
from schemakit.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "platform"


def test_storage_root_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCHEMAKIT_PG_TMPDIR", str(tmp_path))
    assert server.storage_root() == tmp_path
    monkeypatch.delenv("SCHEMAKIT_PG_TMPDIR")
    monkeypatch.setattr(server, "_TMPFS", tmp_path)
    assert server.storage_root() == tmp_path  # writable, with room
    monkeypatch.setattr(server, "_TMPFS_ROOM", 1 << 60)
    assert server.storage_root() == Path(tempfile.gettempdir())  # no room: the fallback
    monkeypatch.setattr(server, "_TMPFS", tmp_path / "missing")
    assert server.storage_root() == Path(tempfile.gettempdir())


def test_same_findings_in_memory_and_on_disk(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    # the system's temporary folder: the server may run as the postgres OS user, who cannot
    # enter pytest's private tmp_path
    for folder in (Path(tempfile.gettempdir()), Path("/dev/shm")):
        if not folder.is_dir():
            pytest.skip("no /dev/shm on this machine")
        monkeypatch.setenv("SCHEMAKIT_PG_TMPDIR", str(folder))
        assert main(["lint", str(EXAMPLE), "--format", "json", "--no-cache"]) == 1
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
