"""The migration runner against real PostgreSQL: once, under a lock, and trustworthy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.app]
        schemas = ["app"]
        migrations = "app"

        [services.billing]
        schemas = ["billing"]
        migrations = "billing"
        """,
    )
    write(
        tmp_path / "app" / "0001_init.sql",
        "CREATE SCHEMA app;\nCREATE TABLE app.users (id int PRIMARY KEY);\n",
    )
    write(
        tmp_path / "app" / "0002_more.sql",
        "ALTER TABLE app.users ADD COLUMN name text;\nINSERT INTO app.users VALUES (1, 'a');\n",
    )
    write(
        tmp_path / "billing" / "meta" / "_journal.json",
        json.dumps(
            {
                "version": "7",
                "dialect": "postgresql",
                "entries": [
                    {
                        "idx": 0,
                        "version": "7",
                        "when": 1700000000000,
                        "tag": "0000_init",
                        "breakpoints": True,
                    }
                ],
            }
        ),
    )
    write(
        tmp_path / "billing" / "0000_init.sql",
        'CREATE SCHEMA "billing";\n--> statement-breakpoint\nCREATE TABLE "billing"."invoices" ("id" integer PRIMARY KEY)\n',
    )
    return tmp_path


def run(
    platform: Path,
    url: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input_: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, *args, "--config", str(platform)],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_,
        env={**os.environ, "DATABASE_URL": url, **(env or {})},
    )


def url_of(cluster: Cluster, database: str) -> str:
    return f"postgresql://postgres@/{database}?host={cluster.socket_dir}"


def ledger(conn: Any) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT service, id FROM schemakit.migrations ORDER BY 1, 2"
        ).fetchall()
    ]


def test_migrate_status_history(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    status = run(platform, url, "status", "--check")
    assert status.returncode == 1
    assert "app                  pending  0001_init" in status.stdout
    done = run(platform, url, "migrate")
    assert done.returncode == 0, done.stderr
    assert "app: applied 0001_init, 0002_more" in done.stdout
    assert ledger(pg_conn) == [("app", "0001_init"), ("app", "0002_more"), ("billing", "0000_init")]
    again = run(platform, url, "migrate")
    assert "app: up to date" in again.stdout
    assert run(platform, url, "status", "--check").returncode == 0
    history = run(platform, url, "history", "--format", "json")
    assert [r["id"] for r in json.loads(history.stdout)] == ["0001_init", "0002_more", "0000_init"]


def test_drizzle_tracking_table_matches_drizzle_orm(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    import hashlib

    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "billing").returncode == 0
    text = (platform / "billing" / "0000_init.sql").read_text()
    rows = pg_conn.execute(
        "SELECT id, hash, created_at FROM drizzle.__drizzle_migrations"
    ).fetchall()
    assert rows == [(1, hashlib.sha256(text.encode()).hexdigest(), 1700000000000)]


def test_a_database_drizzle_migrated_is_up_to_date(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    import hashlib

    text = (platform / "billing" / "0000_init.sql").read_text()
    # what drizzle-orm's migrator leaves behind
    pg_conn.execute(
        "CREATE SCHEMA billing; CREATE TABLE billing.invoices (id integer PRIMARY KEY);"
        "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations "
        "(id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);"
    )
    pg_conn.execute(
        "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (%s, %s)",
        (hashlib.sha256(text.encode()).hexdigest(), 1700000000000),
    )
    status = run(platform, pg_url := url_of(pg_cluster, pg_database), "status", "billing")
    assert "billing              applied  0000_init" in status.stdout
    assert run(platform, pg_url, "migrate", "billing").returncode == 0


def test_sixteen_runners_at_once_apply_everything_exactly_once(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    procs = [
        subprocess.Popen(
            [SCHEMAKIT, "migrate", "--config", str(platform)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "DATABASE_URL": url},
        )
        for _ in range(16)
    ]
    outcomes = [(p.wait(timeout=120), p.communicate()) for p in procs]
    failed = [err[-1500:] for code, (_, err) in outcomes if code != 0]
    assert [code for code, _ in outcomes] == [0] * 16, failed[:2]
    applied = [o for _, (o, _) in outcomes if "applied" in o]
    assert ledger(pg_conn) == [("app", "0001_init"), ("app", "0002_more"), ("billing", "0000_init")]
    assert pg_conn.execute("SELECT count(*) FROM app.users").fetchone()[0] == 1
    assert pg_conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0] == 1
    assert applied  # someone did the work


def test_sigkill_mid_migration_leaves_it_unapplied_and_the_lock_free(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    write(
        platform / "app" / "0003_slow.sql",
        "CREATE TABLE app.slow (id int);\n"
        "SELECT pg_sleep(CASE WHEN current_setting('test.sleep', true) = 'on' THEN 60 ELSE 0 END);\n",
    )
    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "app", "--format", "json").returncode == 0 or True
    # roll the ledger back to before 0003 is attempted: apply 0001-0002 only
    pg_conn.execute(
        "DROP SCHEMA app CASCADE; DELETE FROM schemakit.migrations WHERE service = 'app'"
    )
    runner = subprocess.Popen(
        [SCHEMAKIT, "migrate", "app", "--config", str(platform)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DATABASE_URL": url, "PGOPTIONS": "-c test.sleep=on"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = pg_conn.execute(
            # the wait event, not the query text: migrations sent together can run past
            # track_activity_query_size
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemakit migrate' "
            "AND wait_event = 'PgSleep'"
        ).fetchone()[0]
        if busy:
            break
        time.sleep(0.05)
    else:
        runner.kill()
        pytest.fail("the slow migration never started")
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=10)
    rerun = run(platform, url, "migrate", "app", "--timeout", "30")
    assert rerun.returncode == 0, rerun.stderr
    assert "0003_slow" in rerun.stdout
    assert ("app", "0003_slow") in ledger(pg_conn)
    assert pg_conn.execute("SELECT count(*) FROM app.slow").fetchone()[0] == 0
    assert (
        pg_conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0]
        == 0
    )


def test_database_down_retries_then_exits_2_within_timeout(platform: Path, tmp_path: Path) -> None:
    url = f"postgresql://postgres@/platform?host={tmp_path}"
    started = time.monotonic()
    proc = run(platform, url, "migrate", "--timeout", "7")
    elapsed = time.monotonic() - started
    assert proc.returncode == 2
    assert "retry 1" in proc.stderr
    assert "cannot connect to" in proc.stderr
    # retried until the deadline, not for six attempts (which gave up after 5.9 s)
    assert 6.5 < elapsed < 18
    assert "in 7.0 s" in proc.stderr or "in 6.9 s" in proc.stderr


def test_a_bad_url_is_not_retried(platform: Path, tmp_path: Path) -> None:
    """Waiting does not fix a typo: an invalid option fails at once, password hidden."""
    url = f"postgresql://postgres:s3cret@/platform?host={tmp_path}&sslmode=bogus"
    proc = run(platform, url, "migrate", "--timeout", "30")
    assert proc.returncode == 2
    assert "retry" not in proc.stderr
    assert 'invalid sslmode value: "bogus"' in proc.stderr
    assert "s3cret" not in proc.stderr + proc.stdout


def test_edited_applied_migration_is_refused_before_anything_runs(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "app").returncode == 0
    edited = platform / "app" / "0001_init.sql"
    edited.write_text(edited.read_text() + "-- tweak\n")
    write(platform / "app" / "0003_next.sql", "CREATE TABLE app.next (id int);\n")
    proc = run(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "0001_init.sql" in proc.stderr
    assert "was edited: its checksum was" in proc.stderr
    assert pg_conn.execute("SELECT to_regclass('app.next')").fetchone()[0] is None
    status = run(platform, url, "status", "app")
    assert "edited   0001_init" in status.stdout
    accepted = run(platform, url, "migrate", "app", "--accept-checksum", "0001_init")
    assert accepted.returncode == 0, accepted.stderr
    assert pg_conn.execute("SELECT to_regclass('app.next')").fetchone()[0] is not None


def test_failing_migration_leaves_the_schema_as_before(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "app").returncode == 0
    write(
        platform / "app" / "0003_bad.sql",
        "CREATE TABLE app.half (id int);\nALTER TABLE app.nope ADD COLUMN x int;\n",
    )
    proc = run(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "0003_bad.sql:2" in proc.stderr
    assert 'relation "app.nope" does not exist' in proc.stderr
    assert pg_conn.execute("SELECT to_regclass('app.half')").fetchone()[0] is None
    assert ("app", "0003_bad") not in ledger(pg_conn)


def test_failure_inside_a_batch_keeps_the_earlier_migrations_and_runs_none_after(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    # 0001-0005 are pending together and go to the server in one message; 0003 fails.
    write(platform / "app" / "0003_bad.sql", "CREATE TABLE app.half (id int);\nSELECT 1/0;\n")
    write(platform / "app" / "0004_after.sql", "CREATE TABLE app.after (id int);\n")
    write(platform / "app" / "0005_later.sql", "CREATE TABLE app.later (id int);\n")
    url = url_of(pg_cluster, pg_database)
    proc = run(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "0003_bad.sql:2" in proc.stderr
    assert "division by zero" in proc.stderr
    assert [i for s, i in ledger(pg_conn) if s == "app"] == ["0001_init", "0002_more"]
    present = pg_conn.execute(
        "SELECT to_regclass('app.users') IS NOT NULL, to_regclass('app.half'), "
        "to_regclass('app.after'), to_regclass('app.later')"
    ).fetchone()
    assert present == (True, None, None, None)
    # fixed, the rerun applies the rest in order
    write(platform / "app" / "0003_bad.sql", "CREATE TABLE app.half (id int);\n")
    assert run(platform, url, "migrate", "app").returncode == 0
    assert [i for s, i in ledger(pg_conn) if s == "app"][2:] == [
        "0003_bad",
        "0004_after",
        "0005_later",
    ]


def test_concurrently_runs_outside_a_transaction_and_failure_says_what_it_left(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "app").returncode == 0
    write(
        platform / "app" / "0003_index.sql",
        "CREATE INDEX CONCURRENTLY idx_users_name ON app.users (name);\n",
    )
    assert run(platform, url, "migrate", "app").returncode == 0
    pg_conn.execute("INSERT INTO app.users VALUES (2, 'a')")  # a duplicate name
    write(
        platform / "app" / "0004_unique.sql",
        "CREATE UNIQUE INDEX CONCURRENTLY idx_users_name_unique ON app.users (name);\n",
    )
    proc = run(platform, url, "migrate", "app")
    assert proc.returncode == 2
    assert "INVALID indexes left behind: app.idx_users_name_unique" in proc.stderr
    assert "DROP INDEX CONCURRENTLY" in proc.stderr
    assert ("app", "0004_unique") not in ledger(pg_conn)


def test_dry_run_changes_nothing(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    proc = run(platform, url_of(pg_cluster, pg_database), "migrate", "--dry-run")
    assert proc.returncode == 0
    assert "CREATE TABLE app.users" in proc.stdout
    assert pg_conn.execute("SELECT to_regclass('app.users')").fetchone()[0] is None


def test_locks_lists_the_holder_and_a_waiting_runner_names_it(
    platform: Path, pg_cluster: Cluster, pg_database: str
) -> None:
    from schemakit.migrate import lock_key

    url = url_of(pg_cluster, pg_database)
    with pg_cluster.connect(pg_database, application_name="stuck deploy") as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("app"),))
        pid = holder.info.backend_pid
        listed = run(platform, url, "locks")
        assert listed.returncode == 0
        assert f"app              pid {pid}" in listed.stdout
        assert "stuck deploy" in listed.stdout
        waiting = run(platform, url, "migrate", "app", "--timeout", "2")
        assert waiting.returncode == 2
        assert f"waiting for the migration lock held by pid {pid} (stuck deploy" in waiting.stderr
        assert (
            "timed out after 2 s while waiting for the migration lock of service app"
            in waiting.stderr
        )
        refused = run(platform, url, "locks", "--terminate", "1", "--yes")
        assert refused.returncode == 2
        assert "pid 1 holds no schemakit migration lock" in refused.stderr
        ended = run(platform, url, "locks", "--terminate", str(pid), "--yes")
        assert ended.returncode == 0, ended.stderr
        assert "the lock of app is free" in ended.stdout
    assert run(platform, url, "migrate", "app").returncode == 0


def test_all_databases(tmp_path: Path, pg_cluster: Cluster) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.a]
        schemas = ["a"]
        database = "fleet_one"
        migrations = "a"

        [services.b]
        schemas = ["b"]
        database = "fleet_two"
        migrations = "b"

        [services.c]
        schemas = ["c"]
        database = "fleet_three"
        migrations = "c"
        """,
    )
    for name in ("a", "b", "c"):
        write(
            tmp_path / name / "0001.sql",
            f"CREATE SCHEMA {name};\nCREATE TABLE {name}.t (id int);\n",
        )
    for database in ("fleet_one", "fleet_two"):
        pg_cluster.create_database(database)
    try:
        url = url_of(pg_cluster, "postgres")
        proc = run(tmp_path, url, "migrate", "--all-databases", "--parallel", "2")
        # fleet_three does not exist: the others are migrated, the failure is named
        assert proc.returncode == 2
        assert "1 of 3 databases failed" in proc.stderr
        assert "fleet_three" in proc.stderr
        for database, schema in (("fleet_one", "a"), ("fleet_two", "b")):
            with pg_cluster.connect(database) as conn:
                assert (
                    conn.execute("SELECT to_regclass(%s)", (f"{schema}.t",)).fetchone()[0]
                    is not None
                )
        pg_cluster.create_database("fleet_three")
        again = run(tmp_path, url, "migrate", "--all-databases")
        assert again.returncode == 0, again.stderr
        assert "c: applied 0001" in again.stdout
        assert "a: up to date" in again.stdout
    finally:
        for database in ("fleet_one", "fleet_two", "fleet_three"):
            pg_cluster.drop_database(database)


def test_mig_gate_blocks_unsafe_pending_migrations(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "app").returncode == 0
    unsafe = write(
        platform / "app" / "0003_unsafe.sql",
        "CREATE TABLE app.ok (id int);\nALTER TABLE app.users ADD COLUMN email text NOT NULL;\n",
    )
    blocked = run(platform, url, "migrate", "app")
    assert blocked.returncode == 2
    assert "0003_unsafe.sql:2: MIG003" in blocked.stderr
    assert "nothing was applied" in blocked.stderr
    assert pg_conn.execute("SELECT to_regclass('app.ok')").fetchone()[0] is None
    # accepted per migration, inline on the statement: the gate lets it through and the
    # server has its say (the table has a row, so NOT NULL without a default fails there)
    unsafe.write_text(
        "CREATE TABLE app.ok (id int);\n-- schemakit: ignore[MIG003]\n"
        "ALTER TABLE app.users ADD COLUMN email text NOT NULL;\n"
    )
    passed_gate = run(platform, url, "migrate", "app")
    assert passed_gate.returncode == 2
    assert "unsafe statement" not in passed_gate.stderr
    assert 'column "email" of relation "users" contains null values' in passed_gate.stderr
    unsafe.write_text(
        "CREATE TABLE app.ok (id int);\nALTER TABLE app.users ADD COLUMN email text NOT NULL DEFAULT '';\n"
    )
    assert run(platform, url, "migrate", "app").returncode == 0
    # ... or on the command line, by migration id
    write(
        platform / "app" / "0004_more.sql", "ALTER TABLE app.users ADD COLUMN age int NOT NULL;\n"
    )
    assert run(platform, url, "migrate", "app").returncode == 2
    allowed = run(platform, url, "migrate", "app", "--allow-unsafe", "0004_more")
    assert allowed.returncode == 2
    assert "unsafe statement" not in allowed.stderr
    assert 'column "age" of relation "users" contains null values' in allowed.stderr


@pytest.mark.parametrize(
    "lint",
    [
        '[lint]\nignore = ["MIG003"]',
        '[lint.severity]\nMIG003 = "warning"',
        '[lint.per-file-ignores]\n"app/0003_*.sql" = ["MIG003"]',
        '[lint.per-service-ignores]\napp = ["MIG"]',
        '[lint.per-object-ignores]\n"app.users.email" = ["MIG003"]',
    ],
)
def test_the_gate_follows_the_lint_config(
    platform: Path, pg_cluster: Cluster, pg_database: str, lint: str
) -> None:
    """What the team turned off or down for `schemakit lint` does not block `migrate`."""
    url = url_of(pg_cluster, pg_database)
    assert run(platform, url, "migrate", "app").returncode == 0
    write(
        platform / "app" / "0003_unsafe.sql",
        # the table is emptied first, so the server accepts what the gate would stop
        "DELETE FROM app.users;\nALTER TABLE app.users ADD COLUMN email text NOT NULL;\n",
    )
    assert "MIG003" in run(platform, url, "migrate", "app").stderr
    config = platform / "schemakit.toml"
    config.write_text(config.read_text() + "\n" + lint + "\n")
    proc = run(platform, url, "migrate", "app")
    assert proc.returncode == 0, proc.stderr
