"""The runner under failure, against a real PostgreSQL: retries until --timeout, a terminated
session, one execution per failure, transaction control in a file, history integrity."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from schemakit.testing import Cluster
from tests.migrate._cli import sk
from tests.migrate.test_runner import SCHEMAKIT, ledger, url_of, write
from tests.migrate.test_runner import platform as platform  # the fixture

SLEEPY = (
    "SELECT pg_sleep(CASE WHEN current_setting('test.sleep', true) = 'on' THEN {} ELSE 0 END);\n"
)


def start(platform: Path, url: str, *args: str, sleep: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url}
    if sleep:
        env["PGOPTIONS"] = "-c test.sleep=on"
    return subprocess.Popen(
        [SCHEMAKIT, *args, "--config", str(platform)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_sleep(cluster: Cluster, database: str, runner: subprocess.Popen[str]) -> int:
    """The pid of the runner's backend once it sleeps in a migration."""
    deadline = time.monotonic() + 30
    with cluster.connect(database) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'schemakit migrate' "
                "AND wait_event = 'PgSleep'"
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.05)
    runner.kill()
    pytest.fail("the slow migration never started")


def wait_for_lock_wait(cluster: Cluster, database: str, runner: subprocess.Popen[str]) -> None:
    """Until the runner's backend waits for a table lock."""
    deadline = time.monotonic() + 60
    with cluster.connect(database) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'schemakit migrate' "
                "AND wait_event_type = 'Lock'"
            ).fetchone()
            if row:
                return
            time.sleep(0.02)
    runner.kill()
    pytest.fail("the runner never waited for the lock")


def restart(cluster: Cluster, down_for: float) -> None:
    """Stop the server (fast shutdown: sessions end with 57P01) and start it again."""
    process = cluster._process
    assert process is not None
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    time.sleep(down_for)
    cluster._launch()


def test_a_server_restart_mid_run_is_retried_until_the_run_finishes(
    platform: Path, pg_cluster: Cluster, pg_database: str
) -> None:
    url = url_of(pg_cluster, pg_database)
    write(
        platform / "app" / "0003_slow.sql", "CREATE TABLE app.slow (id int);\n" + SLEEPY.format(1)
    )
    runner = start(platform, url, "migrate", "app", "--timeout", "60", sleep=True)
    wait_for_sleep(pg_cluster, pg_database, runner)
    restart(pg_cluster, down_for=1)
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert "retry" in err
    assert "applied 0001_init, 0002_more, 0003_slow" in out or "0003_slow" in out
    with pg_cluster.connect(pg_database) as conn:
        assert ("app", "0003_slow") in ledger(conn)


def test_a_table_locked_longer_than_lock_timeout_is_waited_for_until_timeout(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate", "app").returncode == 0
    write(platform / "app" / "0003_col.sql", "ALTER TABLE app.users ADD COLUMN age int;\n")
    with pg_cluster.connect(pg_database, autocommit=False) as holder:
        holder.execute("LOCK TABLE app.users IN ACCESS EXCLUSIVE MODE")
        gives_up = sk(platform, url, "migrate", "app", "--lock-timeout", "100ms", "--timeout", "1")
        assert gives_up.returncode == 2
        assert "lock timeout" in gives_up.stderr
        assert "gave up after" in gives_up.stderr
        assert "--timeout" in gives_up.stderr
        runner = start(
            platform, url, "migrate", "app", "--lock-timeout", "100ms", "--timeout", "60"
        )
        # once it waits for the lock (its start-up is slow on a busy machine), hold on far
        # past the six attempts retries used to stop at
        wait_for_lock_wait(pg_cluster, pg_database, runner)
        time.sleep(4)
        holder.rollback()
    _out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert err.count("retry") >= 2
    assert ("app", "0003_col") in ledger(pg_conn)


def test_terminating_the_runner_stops_it_and_is_not_retried(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate", "app").returncode == 0
    write(
        platform / "app" / "0003_slow.sql", "CREATE TABLE app.slow (id int);\n" + SLEEPY.format(30)
    )
    runner = start(platform, url, "migrate", "app", "--timeout", "60", sleep=True)
    pid = wait_for_sleep(pg_cluster, pg_database, runner)
    ended = sk(platform, url, "locks", "--terminate", str(pid), "--yes")
    assert ended.returncode == 0, ended.stderr
    assert "the lock of app is free" in ended.stdout
    _out, err = runner.communicate(timeout=30)
    assert runner.returncode == 2
    assert f"session (pid {pid}) was terminated by another session" in err
    # it reconnects only to tell a termination from a restart: it never runs the file again
    assert err.count("applying 0003_slow.sql") == 1
    locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    assert pg_conn.execute(locks).fetchone()[0] == 0
    assert ("app", "0003_slow") not in ledger(pg_conn)
    assert pg_conn.execute("SELECT to_regclass('app.slow')").fetchone()[0] is None


@pytest.mark.parametrize("alone", [True, False])
def test_a_failing_migration_runs_once(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any, alone: bool
) -> None:
    """nextval() is not rolled back: the sequence counts how often the file ran."""
    url = url_of(pg_cluster, pg_database)
    write(platform / "app" / "0003_seq.sql", "CREATE SEQUENCE app.runs;\n")
    if alone:
        assert sk(platform, url, "migrate", "app").returncode == 0
    write(
        platform / "app" / "0004_bad.sql",
        "SELECT nextval('app.runs');\nCREATE TABLE app.half (id int);\nSELECT 1/0;\n",
    )
    write(platform / "app" / "0005_after.sql", "CREATE TABLE app.after (id int);\n")
    proc = sk(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "0004_bad.sql:3" in proc.stderr
    assert "division by zero (SQLSTATE 22012)" in proc.stderr
    assert pg_conn.execute("SELECT last_value, is_called FROM app.runs").fetchone() == (1, True)
    assert [i for s, i in ledger(pg_conn) if s == "app"][-1] == "0003_seq"
    assert pg_conn.execute(
        "SELECT to_regclass('app.half'), to_regclass('app.after')"
    ).fetchone() == (
        None,
        None,
    )


def test_commit_inside_a_file_is_refused_unless_marked_non_transactional(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    body = "CREATE TABLE app.a (id int);\nCOMMIT;\nCREATE TABLE app.b (id int);\n"
    commit = write(platform / "app" / "0003_commit.sql", body)
    proc = sk(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "0003_commit.sql:2: COMMIT inside migration 0003_commit" in proc.stderr
    assert "-- schemakit: no-transaction" in proc.stderr
    # refused before anything ran, the files before it included
    assert pg_conn.execute("SELECT to_regnamespace('app')").fetchone()[0] is None
    vacuum = write(platform / "app" / "0004_vacuum.sql", "VACUUM app.users;\n")
    commit.write_text("-- schemakit: no-transaction\nBEGIN;\n" + body)
    proc = sk(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "0004_vacuum.sql:1: VACUUM inside migration" in proc.stderr
    vacuum.write_text("-- schemakit: no-transaction\nVACUUM app.users;\n")
    proc = sk(platform, url, "migrate", "app")
    assert proc.returncode == 0, proc.stderr
    assert pg_conn.execute("SELECT to_regclass('app.a'), to_regclass('app.b')").fetchone() == (
        "app.a",
        "app.b",
    )
    assert [i for s, i in ledger(pg_conn) if s == "app"][-2:] == ["0003_commit", "0004_vacuum"]


def test_a_deleted_applied_file_stops_migrate_and_validate_names_it(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate").returncode == 0
    assert sk(platform, url, "validate").returncode == 0
    (platform / "app" / "0002_more.sql").unlink()
    write(platform / "app" / "0003_next.sql", "CREATE TABLE app.next (id int);\n")
    proc = sk(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "have no file" in proc.stderr
    assert "0002_more" in proc.stderr
    assert "--allow-missing" in proc.stderr
    assert "schemakit repair app" in proc.stderr
    assert pg_conn.execute("SELECT to_regclass('app.next')").fetchone()[0] is None
    validate = sk(platform, url, "validate", "--format", "json")
    assert validate.returncode == 1
    assert '"id": "0002_more"' in validate.stdout
    allowed = sk(platform, url, "migrate", "app", "--allow-missing")
    assert allowed.returncode == 0, allowed.stderr
    assert "without a file: 0002_more" in allowed.stderr


def test_an_out_of_order_file_stops_migrate_unless_allowed(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate", "app").returncode == 0
    write(platform / "app" / "0001a_late.sql", "CREATE TABLE app.late (id int);\n")
    proc = sk(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "sort before the applied 0002_more: 0001a_late" in proc.stderr
    assert "--allow-out-of-order" in proc.stderr
    assert sk(platform, url, "validate", "app").returncode == 1
    allowed = sk(platform, url, "migrate", "app", "--allow-out-of-order")
    assert allowed.returncode == 0, allowed.stderr
    assert "0001a_late.sql sorts before an applied migration" in allowed.stderr
    assert ("app", "0001a_late") in ledger(pg_conn)


def test_a_file_renamed_to_nfd_is_the_same_migration(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    name = unicodedata.normalize("NFC", "0003_café")
    nfc = write(platform / "app" / f"{name}.sql", "CREATE TABLE app.cafe (id int);\n")
    assert sk(platform, url, "migrate", "app").returncode == 0
    nfd = platform / "app" / (unicodedata.normalize("NFD", name) + ".sql")
    nfc.rename(nfd)
    assert nfd.exists()
    assert not nfc.exists()
    status = sk(platform, url, "status", "app", "--check")
    assert status.returncode == 0, status.stdout
    again = sk(platform, url, "migrate", "app")
    assert again.returncode == 0, again.stderr
    assert "app: up to date" in again.stdout
    assert [i for s, i in ledger(pg_conn) if s == "app"].count(name) == 1


@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_symlink_loop_in_a_migrations_path_is_a_clear_error(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, where: str
) -> None:
    write(tmp_path / "schemakit.toml", '[services.app]\nschemas = ["app"]\nmigrations = "m"\n')
    if where == "folder":
        (tmp_path / "m").symlink_to(tmp_path / "n")
        (tmp_path / "n").symlink_to(tmp_path / "m")
        expected = "services.app.migrations: " + str(tmp_path / "m") + " is a symlink loop"
    else:
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "0001.sql").symlink_to(tmp_path / "m" / "0001.sql")
        expected = "0001.sql: cannot read: Too many levels of symbolic links"
    for command in ("migrate", "status", "validate"):
        proc = sk(tmp_path, url_of(pg_cluster, pg_database), command)
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr
        assert "internal error" not in proc.stderr
