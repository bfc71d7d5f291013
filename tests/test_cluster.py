"""The throwaway cluster: private socket, no TCP, fast settings, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from schemakit.errors import ClusterError
from schemakit.testing import Cluster, find_bindir


def test_server_settings(pg_conn) -> None:  # type: ignore[no-untyped-def]
    settings = dict(
        pg_conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('listen_addresses', 'fsync', 'synchronous_commit')"
        ).fetchall()
    )
    assert settings == {"listen_addresses": "", "fsync": "off", "synchronous_commit": "off"}


def test_runs_as_postgres_when_root(pg_cluster: Cluster) -> None:
    data_dir = pg_cluster.data_dir
    owner = data_dir.stat().st_uid
    if os.geteuid() == 0:
        import pwd

        assert owner == pwd.getpwnam("postgres").pw_uid
    else:
        assert owner == os.geteuid()


def test_each_test_gets_a_fresh_database(pg_conn, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    pg_conn.execute("CREATE TABLE leftover (id int)")
    assert pg_conn.execute("SELECT current_database()").fetchone()[0] == pg_database


def test_fresh_database_does_not_see_previous_test(pg_conn) -> None:  # type: ignore[no-untyped-def]
    found = pg_conn.execute("SELECT to_regclass('public.leftover')").fetchone()[0]
    assert found is None


def test_stop_removes_directory() -> None:
    cluster = Cluster().start()
    base = cluster.base_dir
    assert base is not None
    assert base.is_dir()
    cluster.stop()
    assert not base.exists()
    cluster.stop()  # twice is fine


def test_missing_binaries_give_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCHEMAKIT_PG_BINDIR", str(tmp_path))
    with pytest.raises(ClusterError) as info:
        find_bindir()
    assert "apt-get install postgresql" in info.value.render()
    assert str(tmp_path) in info.value.render()


_CHILD = textwrap.dedent(
    """
    import sys, time
    from schemakit.testing import Cluster
    c = Cluster().start()
    with open(c.data_dir / "postmaster.pid") as f:
        server_pid = f.readline().strip()
    print(c.base_dir, server_pid, flush=True)
    time.sleep(60)
    """
)


def _spawn_child() -> tuple[subprocess.Popen[str], Path, int]:
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    base, server_pid = child.stdout.readline().split()
    return child, Path(base), int(server_pid)


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie still answers kill(0); look at its state
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
            if state == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_stops_server_and_removes_directory() -> None:
    child, base, server_pid = _spawn_child()
    child.send_signal(signal.SIGTERM)
    child.wait(timeout=20)
    child.stdout.close()  # type: ignore[union-attr]
    assert _gone(server_pid)
    assert not base.exists()


def test_sigkill_leaves_no_server_and_next_start_reaps_directory() -> None:
    child, base, server_pid = _spawn_child()
    child.kill()
    child.wait(timeout=10)
    child.stdout.close()  # type: ignore[union-attr]
    assert _gone(server_pid), "the server outlived its SIGKILLed owner"
    with Cluster():
        assert not base.exists(), "the stale cluster directory was not reaped"
