"""Row-level security from the config (``row-security``) through ``schemakit provision``, and
from an Alembic revision (``enable_row_security``): only what is missing, refused for what
cannot carry a policy on ``user_id``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from schemakit.models import enable_row_security, row_security_sql
from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")


def provision(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, "provision", "--config", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": url},
    )


def rls_state(conn: Any, table: str) -> tuple[bool, bool, list[str]]:
    row = conn.execute(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
        (table,),
    ).fetchone()
    policies = conn.execute(
        "SELECT polname FROM pg_policy WHERE polrelid = %s::regclass",
        (table,),
    ).fetchall()
    return row[0], row[1], [p[0] for p in policies]


def ran(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split(";", 1)[0] for line in result.stdout.splitlines() if "row-security" in line]


@pytest.fixture
def url(pg_cluster: Cluster, pg_database: str) -> str:
    return f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"


def test_provision_enables_forces_and_adds_the_policy_once(
    tmp_path: Path, url: str, pg_conn: Any, pg_database: str
) -> None:
    role = f"{pg_database}_notes"
    (tmp_path / "schemakit.toml").write_text(
        f'[services.notes]\nschemas = ["notes", "notes_extra"]\nrole = "{role}"\n'
        'row-security = ["notes", "notes_extra.folders", "later"]\n'
    )
    pg_conn.autocommit = True
    pg_conn.execute(
        "CREATE SCHEMA notes; CREATE TABLE notes.notes (id int, user_id text);"
        "CREATE SCHEMA notes_extra; CREATE TABLE notes_extra.folders (user_id uuid)"
    )
    pg_conn.execute("ALTER TABLE notes_extra.folders ENABLE ROW LEVEL SECURITY")

    dry = provision(tmp_path, url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert rls_state(pg_conn, "notes.notes") == (False, False, [])

    done = provision(tmp_path, url)
    assert done.returncode == 0, done.stderr
    check = "user_id = NULLIF(current_setting('app.user_id', true), '')"
    assert ran(done) == [
        "ran: ALTER TABLE notes.notes ENABLE ROW LEVEL SECURITY",
        "ran: ALTER TABLE notes.notes FORCE ROW LEVEL SECURITY",
        f"ran: CREATE POLICY user_rows ON notes.notes USING ({check}) WITH CHECK ({check})",
        # already enabled: only what is missing, and the setting cast to the column's type
        "ran: ALTER TABLE notes_extra.folders FORCE ROW LEVEL SECURITY",
        f"ran: CREATE POLICY user_rows ON notes_extra.folders USING ({check}::uuid) "
        f"WITH CHECK ({check}::uuid)",
    ]
    assert ran(dry) == [line.replace("ran:", "would run:") for line in ran(done)]
    assert "row-security: table notes.later does not exist yet" in done.stderr
    assert rls_state(pg_conn, "notes.notes") == (True, True, ["user_rows"])
    assert rls_state(pg_conn, "notes_extra.folders") == (True, True, ["user_rows"])

    again = provision(tmp_path, url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("already provisioned")

    # a right taken away is put back, and the table created later gets it on the next run
    pg_conn.execute("ALTER TABLE notes.notes NO FORCE ROW LEVEL SECURITY")
    pg_conn.execute("CREATE TABLE notes.later (user_id text)")
    third = provision(tmp_path, url)
    assert ran(third) == [
        "ran: ALTER TABLE notes.notes FORCE ROW LEVEL SECURITY",
        "ran: ALTER TABLE notes.later ENABLE ROW LEVEL SECURITY",
        "ran: ALTER TABLE notes.later FORCE ROW LEVEL SECURITY",
        f"ran: CREATE POLICY user_rows ON notes.later USING ({check}) WITH CHECK ({check})",
    ]
    assert "does not exist yet" not in third.stderr
    assert provision(tmp_path, url).stdout.strip().endswith("already provisioned")


@pytest.mark.parametrize(
    ("setup", "entry", "message"),
    [
        ("CREATE TABLE notes.tags (id int)", "tags", "table notes.tags has no user_id column"),
        (
            "CREATE VIEW notes.mine AS SELECT 1 AS user_id",
            "mine",
            "notes.mine is not a table (relkind v)",
        ),
        ("", "billing.invoices", "names billing.invoices, in schema billing, which is not one"),
    ],
)
def test_what_cannot_carry_the_policy_is_refused_before_anything_runs(
    tmp_path: Path, url: str, pg_conn: Any, pg_database: str, setup: str, entry: str, message: str
) -> None:
    (tmp_path / "schemakit.toml").write_text(
        f'[services.notes]\nschemas = ["notes"]\nrole = "{pg_database}_n"\n'
        f'row-security = ["notes", "{entry}"]\n'
    )
    pg_conn.autocommit = True
    pg_conn.execute("CREATE SCHEMA notes; CREATE TABLE notes.notes (user_id text)")
    if setup:
        pg_conn.execute(setup)
    done = provision(tmp_path, url)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "row-security" in done.stderr  # the config key it came from
    assert "nothing was changed" in done.stderr
    assert rls_state(pg_conn, "notes.notes") == (False, False, [])
    assert pg_conn.execute(f"SELECT to_regrole('{pg_database}_n')").fetchone()[0] is None


def test_an_alembic_revision_enables_it_and_provision_then_has_nothing_to_do(
    tmp_path: Path, url: str, pg_conn: Any, pg_database: str
) -> None:
    pg_conn.autocommit = True
    pg_conn.execute('CREATE SCHEMA notes; CREATE TABLE notes."order" (user_id uuid)')
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            enable_row_security(Operations(MigrationContext.configure(conn)), "notes.order", "uuid")
    finally:
        engine.dispose()
    assert rls_state(pg_conn, 'notes."order"') == (True, True, ["user_rows"])
    assert (
        row_security_sql("notes.order")[0] == 'ALTER TABLE notes."order" ENABLE ROW LEVEL SECURITY'
    )

    (tmp_path / "schemakit.toml").write_text(
        '[services.notes]\nschemas = ["notes"]\nrow-security = ["order"]\n'
    )
    again = provision(tmp_path, url)
    assert again.returncode == 0, again.stderr
    assert ran(again) == []


def test_the_helper_refuses_an_unqualified_name() -> None:
    with pytest.raises(ValueError, match=r"'notes' is not 'schema\.table'"):
        row_security_sql("notes")


def test_sec003_checks_the_tables_named_in_row_security(
    tmp_path: Path, url: str, pg_conn: Any, pg_database: str
) -> None:
    from schemakit.lint import LintOptions, lint

    # owner_id, not user_id, is what this project calls its owner column: only the named
    # table is flagged for its name, the other one for its column
    (tmp_path / "schemakit.toml").write_text(
        f'[services.notes]\nschemas = ["notes"]\nrole = "{pg_database}_sec"\n'
        'row-security = ["notes"]\n\n[lint]\ntext-id-columns = ["owner_id"]\n'
    )
    pg_conn.autocommit = True
    pg_conn.execute(
        "CREATE SCHEMA notes; CREATE TABLE notes.notes (user_id text);"
        "CREATE TABLE notes.files (owner_id text); CREATE TABLE notes.tags (user_id text)"
    )
    options = LintOptions(database_url=url, select=("SEC003",))
    before = lint(tmp_path, options).findings
    assert [(f.code, f.object) for f in before] == [
        ("SEC003", "notes.files"),
        ("SEC003", "notes.notes"),
    ]
    named = next(f for f in before if f.object == "notes.notes")
    assert "is in row-security of service notes but" in named.message
    assert "schemakit provision" in (named.help or "")

    assert provision(tmp_path, url).returncode == 0
    after = lint(tmp_path, options).findings
    assert [(f.code, f.object) for f in after] == [("SEC003", "notes.files")]
