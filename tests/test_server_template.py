"""The embedded server copies a data folder initdb made once for its binaries: made whole by
one of several runs starting at once, never half, and made again when the key changes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from schemakit import server


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # in the system's temporary folder: the server may run as the postgres OS user
    folder = Path(tempfile.mkdtemp(prefix="template-test-"))
    folder.chmod(0o755)
    monkeypatch.setenv("SCHEMAKIT_PG_TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _answers(cluster: server.Cluster) -> int:
    with cluster.connect() as conn:
        return int(conn.execute("SELECT 41 + 1").fetchone()[0])


def test_concurrent_starts_share_one_whole_template(storage: Path) -> None:
    def start_and_query(_: int) -> int:
        with server.Cluster() as cluster:
            return _answers(cluster)

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(start_and_query, range(3))) == [42, 42, 42]
    made = sorted(p.name for p in storage.iterdir())
    assert len(made) == 1
    assert made[0].startswith(server._TEMPLATE_PREFIX)
    assert not made[0].startswith(server._TEMPLATE_PREFIX + "building-")
    assert (storage / made[0] / "data" / "PG_VERSION").is_file()
    assert not (storage / made[0] / "data" / "postmaster.pid").exists()
    with server.Cluster() as cluster:  # and the next run copies it
        assert _answers(cluster) == 42
    assert sorted(p.name for p in storage.iterdir()) == made


def test_a_new_key_makes_a_new_template(storage: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with server.Cluster() as cluster:
        assert _answers(cluster) == 42
    monkeypatch.setattr(server, "_TEMPLATE_FORMAT", "test")
    with server.Cluster() as cluster:
        assert _answers(cluster) == 42
    assert len([p for p in storage.iterdir() if p.name.startswith(server._TEMPLATE_PREFIX)]) == 2


def test_an_unusable_template_falls_back_to_initdb(
    storage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.Cluster, "_template", lambda self, root: root / "missing")
    with server.Cluster() as cluster:
        assert _answers(cluster) == 42
    assert os.listdir(storage) == []
