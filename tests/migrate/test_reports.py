"""What a failed or stopped run reports: what was applied before, what failed, the state."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from schemakit.testing import Cluster
from tests.migrate._cli import sk
from tests.migrate.test_failures import SLEEPY, start, wait_for_sleep
from tests.migrate.test_runner import ledger, url_of, write
from tests.migrate.test_runner import platform as platform  # the fixture


def break_billing(platform: Path) -> None:
    path = platform / "billing" / "0000_init.sql"
    path.write_text(path.read_text() + "\n--> statement-breakpoint\nSELECT 1/0\n")


def test_a_failed_run_lists_what_was_applied_before_it_in_text(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    break_billing(platform)
    proc = sk(platform, url_of(pg_cluster, pg_database), "migrate")
    assert proc.returncode == 2
    assert "app: applied 0001_init, 0002_more" in proc.stdout
    assert "billing: failed" in proc.stdout
    assert "migration 0000_init of service billing failed" in proc.stderr
    assert "applied before the failure (committed, they stay):" in proc.stderr
    assert "app: 0001_init, 0002_more" in proc.stderr
    assert "the migration was rolled back" in proc.stderr
    assert ledger(pg_conn) == [("app", "0001_init"), ("app", "0002_more")]


def test_a_failed_run_writes_its_json(
    platform: Path, pg_cluster: Cluster, pg_database: str
) -> None:
    break_billing(platform)
    proc = sk(platform, url_of(pg_cluster, pg_database), "migrate", "--format", "json")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert [(r["service"], r["applied"]) for r in report] == [
        ("app", ["0001_init", "0002_more"]),
        ("billing", []),
    ]
    assert "error" not in report[0]
    assert "division by zero" in report[1]["error"]
    assert "app: 0001_init, 0002_more" in report[1]["error"]


def test_sigterm_reports_releases_the_lock_and_exits_143(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    write(
        platform / "app" / "0003_slow.sql", "CREATE TABLE app.slow (id int);\n" + SLEEPY.format(30)
    )
    runner = start(platform, url_of(pg_cluster, pg_database), "migrate", "app", sleep=True)
    wait_for_sleep(pg_cluster, pg_database, runner)
    runner.send_signal(signal.SIGTERM)
    out, err = runner.communicate(timeout=30)
    assert runner.returncode == 143, err
    assert "stopped by SIGTERM while migrating service app" in err
    assert "applied before the failure (committed, they stay):" in err
    assert "app: 0001_init, 0002_more" in err
    assert "app: applied 0001_init, 0002_more, then failed" in out
    locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    assert pg_conn.execute(locks).fetchone()[0] == 0
    assert ledger(pg_conn) == [("app", "0001_init"), ("app", "0002_more")]
    assert pg_conn.execute("SELECT to_regclass('app.slow')").fetchone()[0] is None


def test_all_databases_dry_run_prints_every_plan_and_marks_the_failed_one(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.a]
        schemas = ["a"]
        database = "plan_one"
        migrations = "a"

        [services.b]
        schemas = ["b"]
        database = "plan_two"
        migrations = "b"
        """,
    )
    for name in ("a", "b"):
        write(tmp_path / name / "0001.sql", f"CREATE SCHEMA {name};\n")
    pg_cluster.create_database("plan_one")  # plan_two does not exist
    try:
        proc = sk(
            tmp_path, url_of(pg_cluster, "postgres"), "migrate", "--all-databases", "--dry-run"
        )
        assert proc.returncode == 2
        assert "-- a: 1 statements would run\nCREATE SCHEMA a;" in proc.stdout
        assert "-- database plan_two: failed (below)" in proc.stdout
        assert "1 of 2 databases failed" in proc.stderr
        assert "plan_two" in proc.stderr
        assert "nothing was changed (--dry-run)" in proc.stderr
        assert "were migrated" not in proc.stderr
        with pg_cluster.connect("plan_one") as conn:
            assert conn.execute("SELECT to_regnamespace('a')").fetchone()[0] is None
    finally:
        pg_cluster.drop_database("plan_one")
