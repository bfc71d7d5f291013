"""explain-locks: the static lock model, and the same model checked against PostgreSQL."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest

from schemakit.cli import main
from schemakit.errors import MigrationError
from schemakit.lint import explain_file
from schemakit.sql import LockContext, LockEffect, explain, explain_all, split_statements
from schemakit.testing import Cluster

SETUP = """\
CREATE SCHEMA shop;
CREATE TABLE shop.users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(50));
CREATE TABLE shop.orders (id bigint PRIMARY KEY, user_id bigint, total integer NOT NULL, note text);
INSERT INTO shop.users SELECT g, 'u' || g || '@example.com', 'u' FROM generate_series(1, 50) g;
INSERT INTO shop.orders SELECT g, 1 + g % 50, g, 'n' FROM generate_series(1, 200) g;
"""

MIGRATION = """\
ALTER TABLE shop.orders ADD COLUMN shipped_at timestamptz;
CREATE INDEX idx_orders_user_id ON shop.orders (user_id);
ALTER TABLE shop.orders ADD CONSTRAINT orders_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES shop.users (id) NOT VALID;
ALTER TABLE shop.orders VALIDATE CONSTRAINT orders_user_id_fkey;
ALTER TABLE shop.orders ALTER COLUMN total TYPE bigint;
ALTER TABLE shop.users ALTER COLUMN name TYPE varchar(100);
ALTER TABLE shop.orders ALTER COLUMN note SET NOT NULL;
ALTER TABLE shop.users ALTER COLUMN email SET STATISTICS 500;
UPDATE shop.orders SET shipped_at = now() WHERE id <= 10;
INSERT INTO shop.orders (id, user_id, total, note) VALUES (1000, 1, 0, 'n');
"""

# What PostgreSQL 15 takes for each statement of MIGRATION, by line: {table: strongest mode},
# and which tables get new storage (rewrite) or are read in full (scan).
EXPECTED: dict[int, tuple[dict[str, str], set[str], set[str]]] = {
    1: ({"shop.orders": "AccessExclusiveLock"}, set(), set()),
    2: ({"shop.orders": "ShareLock"}, set(), {"shop.orders"}),
    3: (
        {"shop.orders": "ShareRowExclusiveLock", "shop.users": "ShareRowExclusiveLock"},
        set(),
        set(),
    ),
    5: (
        {"shop.orders": "ShareUpdateExclusiveLock", "shop.users": "RowShareLock"},
        set(),
        {"shop.orders"},
    ),
    6: ({"shop.orders": "AccessExclusiveLock"}, {"shop.orders"}, set()),
    7: ({"shop.users": "AccessExclusiveLock"}, set(), set()),
    8: ({"shop.orders": "AccessExclusiveLock"}, set(), {"shop.orders"}),
    9: ({"shop.users": "ShareUpdateExclusiveLock"}, set(), set()),
    10: ({"shop.orders": "RowExclusiveLock"}, set(), set()),
    11: ({"shop.orders": "RowExclusiveLock", "shop.users": "RowShareLock"}, set(), set()),
}

# The second connection's view: granted relation locks of the replaying backend on tables
# that existed before the statement (a relation the statement creates is invisible to it).
WATCH = """
SELECT n.nspname || '.' || c.relname, l.mode
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.granted AND l.pid = %s
  AND c.relkind IN ('r', 'p') AND n.nspname = 'shop'
"""
STRENGTH = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def filenodes(conn: Any) -> dict[str, int]:
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname, c.relfilenode FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shop' "
        "AND c.relkind = 'r'"
    ).fetchall()
    return dict(rows)


def test_predictions_match_the_locks_postgres_takes(pg_cluster: Cluster, pg_database: str) -> None:
    """Replay the migration statement by statement, each in a transaction held open while a
    second connection reads pg_locks: the static report must name the same lock on the same
    tables, and the same rewrites, as PostgreSQL really took."""
    setup = split_statements(SETUP)
    statements = split_statements(MIGRATION)
    context = LockContext()
    for statement in setup:
        context.learn(statement)
    predicted = explain_all(statements, context)

    with pg_cluster.connect(pg_database) as runner, pg_cluster.connect(pg_database) as watcher:
        runner.execute(SETUP.encode())
        for statement, effects in zip(statements, predicted, strict=True):
            before = filenodes(watcher)
            runner.execute("BEGIN")
            runner.execute(statement.text.encode())
            held: dict[str, str] = {}
            for name, mode in watcher.execute(WATCH, (runner.info.backend_pid,)).fetchall():
                if STRENGTH.index(mode) >= STRENGTH.index(held.get(name, mode)):
                    held[name] = mode
            runner.execute("COMMIT")
            after = filenodes(watcher)
            rewritten = {name for name, node in before.items() if after.get(name) != node}

            expected_locks, expected_rewrites, expected_scans = EXPECTED[statement.line]
            assert held == expected_locks, f"line {statement.line}: {statement.text}"
            assert rewritten == expected_rewrites, f"line {statement.line}"
            report = {e.object: e.mode for e in effects if e.kind == "table"}
            assert report == held, f"line {statement.line}: predicted {report}, took {held}"
            assert {e.object for e in effects if e.rewrites} == rewritten
            assert {e.object for e in effects if e.scans and not e.rewrites} == expected_scans


def test_verify_replays_a_file_and_agrees(tmp_path: Path, pg_dsn: str) -> None:
    setup = write(tmp_path / "0001_setup.sql", SETUP)
    migration = write(
        tmp_path / "0002_orders.sql",
        MIGRATION + "CREATE INDEX CONCURRENTLY idx_orders_total ON shop.orders (total);\n",
    )

    report = explain_file(migration, database_url=pg_dsn, setup=[setup])

    assert report.verified
    statuses = {item.statement.line: item.status for item in report.statements}
    assert statuses == {**dict.fromkeys(EXPECTED, "agrees"), 12: "not verified"}
    assert report.disagreements == 0
    by_line = {item.statement.line: item for item in report.statements}
    validate = {o.object: o for o in by_line[5].observed if not o.incidental}
    assert validate["shop.users"].mode == "RowShareLock"
    assert validate["shop.orders"].scanned
    rewritten = [o.object for o in by_line[6].observed if o.rewritten and not o.incidental]
    assert rewritten == ["shop.orders"]
    assert by_line[12].reason == "runs outside a transaction"
    # the folder form applies the migrations before the file, and only those
    folder_report = explain_file(migration, setup=[tmp_path], verify=False)
    assert [e.mode for e in folder_report.statements[5].predicted] == ["AccessExclusiveLock"]
    assert not folder_report.statements[5].predicted[0].rewrites  # varchar(50) -> (100)


def test_verify_flags_what_the_static_model_gets_wrong(tmp_path: Path, pg_dsn: str) -> None:
    # The file alone does not say name was varchar(50): the model assumes a rewrite, and an
    # INSERT into a table whose foreign key was declared elsewhere locks the other table.
    setup = write(
        tmp_path / "setup.sql",
        SETUP + "ALTER TABLE shop.orders ADD FOREIGN KEY (user_id) REFERENCES shop.users (id);\n",
    )
    migration = write(
        tmp_path / "change.sql",
        """\
        ALTER TABLE shop.users ALTER COLUMN name TYPE varchar(100);
        INSERT INTO shop.orders (id, user_id, total) VALUES (1000, 1, 0);
        """,
    )
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(setup.read_text().encode())
    report = explain_file(migration, database_url=pg_dsn)

    first, second = report.statements
    assert first.status == "disagrees"
    assert first.disagreements == ("shop.users: predicted a rewrite, the storage was kept",)
    assert second.status == "disagrees"
    assert second.disagreements == ("shop.users: took RowShareLock, not predicted",)
    assert report.disagreements == 2


def test_failing_statement_names_file_and_line(tmp_path: Path, pg_dsn: str) -> None:
    migration = write(
        tmp_path / "bad.sql",
        """\
        CREATE TABLE t (id int);

        ALTER TABLE missing ADD COLUMN x int;
        """,
    )
    with pytest.raises(MigrationError) as caught:
        explain_file(migration, database_url=pg_dsn)
    message = caught.value.render()
    assert f"{migration}:3:" in message
    assert 'relation "missing" does not exist' in message
    assert "SQLSTATE 42P01" in message


def effects_of(sql: str, setup: str = "") -> list[tuple[str, str, bool, bool]]:
    context = LockContext()
    for statement in split_statements(setup):
        context.learn(statement)
    (statement,) = split_statements(sql)
    return [(e.shown, e.mode, e.rewrites, e.scans) for e in explain(statement, context)]


AEL, SRE, SUE = "AccessExclusiveLock", "ShareRowExclusiveLock", "ShareUpdateExclusiveLock"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX i ON t (a)", [("public.t", "ShareLock", False, True)]),
        ("CREATE INDEX CONCURRENTLY i ON s.t (a)", [("s.t", SUE, False, True)]),
        (
            "ALTER TABLE s.a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES s.b (id)",
            [("s.a", SRE, False, True), ("s.b", SRE, False, False)],
        ),
        (
            "ALTER TABLE s.a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES s.b (id) NOT VALID",
            [("s.a", SRE, False, False), ("s.b", SRE, False, False)],
        ),
        ("ALTER TABLE s.a VALIDATE CONSTRAINT f", [("s.a", SUE, False, True)]),
        ("ALTER TABLE s.a ALTER COLUMN c SET STATISTICS 100", [("s.a", SUE, False, False)]),
        ("ALTER TABLE s.a ADD COLUMN c timestamptz DEFAULT now()", [("s.a", AEL, False, False)]),
        ("ALTER TABLE s.a ADD COLUMN c uuid DEFAULT gen_random_uuid()", [("s.a", AEL, True, True)]),
        ("ALTER TABLE s.a ADD COLUMN c bigserial", [("s.a", AEL, True, True)]),
        ("ALTER TABLE s.a ADD COLUMN c int NOT NULL DEFAULT 0", [("s.a", AEL, False, False)]),
        ("ALTER TABLE s.a ALTER COLUMN c TYPE bigint", [("s.a", AEL, True, True)]),
        ("ALTER TABLE s.a ALTER COLUMN c SET NOT NULL", [("s.a", AEL, False, True)]),
        (
            "ALTER TABLE s.a ALTER COLUMN c SET STATISTICS 10, ADD COLUMN d int",
            [("s.a", AEL, False, False)],
        ),
        ("ALTER TABLE s.a RENAME TO b", [("s.a", AEL, False, False)]),
        ("ALTER TABLE s.a RENAME COLUMN c TO d", [("s.a", AEL, False, False)]),
        ("ALTER INDEX s.i RENAME TO j", [("s.i", SUE, False, False)]),
        ("DROP TABLE s.a, b", [("s.a", AEL, False, False), ("public.b", AEL, False, False)]),
        ("TRUNCATE s.a", [("s.a", AEL, True, False)]),
        (
            "DROP INDEX s.i",
            [("s.i", AEL, False, False), ("table of s.i", AEL, False, False)],
        ),
        ("INSERT INTO s.a (x) VALUES (1)", [("s.a", "RowExclusiveLock", False, False)]),
        (
            "UPDATE s.a SET x = 1 FROM s.b WHERE a.id = b.id",
            [("s.a", "RowExclusiveLock", False, False), ("s.b", "AccessShareLock", False, False)],
        ),
        ("DELETE FROM s.a WHERE id = 1", [("s.a", "RowExclusiveLock", False, False)]),
        ("SELECT * FROM s.a FOR UPDATE", [("s.a", "RowShareLock", False, False)]),
        (
            "CREATE TABLE s.c (id int PRIMARY KEY, a_id int REFERENCES s.a (id))",
            [("s.a", SRE, False, False)],
        ),
        (
            "CREATE TRIGGER tr BEFORE INSERT ON s.a FOR EACH ROW EXECUTE FUNCTION f()",
            [("s.a", SRE, False, False)],
        ),
        ("LOCK TABLE s.a IN SHARE MODE", [("s.a", "ShareLock", False, False)]),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", []),
        ("CREATE SCHEMA s", []),
        ("DO $$ BEGIN END $$", [("?", "unknown", False, False)]),
    ],
)
def test_static_model(sql: str, expected: list[tuple[str, str, bool, bool]]) -> None:
    assert effects_of(sql) == expected


def test_file_context_informs_later_statements() -> None:
    setup = """\
    CREATE TABLE s.b (id int PRIMARY KEY);
    CREATE TABLE s.a (id int PRIMARY KEY, b_id int, name varchar(50), note text);
    ALTER TABLE s.a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES s.b (id) NOT VALID;
    ALTER TABLE s.a ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;
    ALTER TABLE s.a VALIDATE CONSTRAINT note_nn;
    CREATE INDEX a_name_idx ON s.a (name);
    CREATE FUNCTION s.one() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
    """
    assert effects_of("ALTER TABLE s.a VALIDATE CONSTRAINT a_b_fk", setup) == [
        ("s.a", SUE, False, True),
        ("s.b", "RowShareLock", False, False),
    ]
    # varchar widening and text are binary-coercible; narrowing is not
    assert effects_of("ALTER TABLE s.a ALTER COLUMN name TYPE varchar(100)", setup) == [
        ("s.a", AEL, False, False)
    ]
    assert effects_of("ALTER TABLE s.a ALTER COLUMN name TYPE text USING name::text", setup) == [
        ("s.a", AEL, False, False)
    ]
    assert effects_of("ALTER TABLE s.a ALTER COLUMN name TYPE varchar(10)", setup) == [
        ("s.a", AEL, True, True)
    ]
    # a valid CHECK (note IS NOT NULL) spares SET NOT NULL its scan
    assert effects_of("ALTER TABLE s.a ALTER COLUMN note SET NOT NULL", setup) == [
        ("s.a", AEL, False, False)
    ]
    assert effects_of("DROP INDEX s.a_name_idx", setup) == [
        ("s.a_name_idx", AEL, False, False),
        ("s.a", AEL, False, False),
    ]
    assert effects_of("ALTER TABLE s.a ADD COLUMN c int DEFAULT s.one()", setup) == [
        ("s.a", AEL, False, False)
    ]
    (insert,) = split_statements("INSERT INTO s.a (id, b_id) VALUES (1, 1)")
    context = LockContext()
    for statement in split_statements(textwrap.dedent(setup)):
        context.learn(statement)
    check = explain(insert, context)[1]
    assert (check.object, check.mode, check.conditional) == ("s.b", "RowShareLock", True)


def test_effect_names_pg_locks_modes() -> None:
    effect = LockEffect("s.a", "table", "ShareLock")
    assert effect.shown == "s.a"
    assert LockEffect("", "table", "ShareLock", table_of="s.i").shown == "table of s.i"


def test_cli_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    migration = write(tmp_path / "m.sql", MIGRATION)

    code, out, _ = run(capsys, "explain-locks", str(migration))
    assert code == 0
    assert f"{migration}:2" in out
    assert "CREATE INDEX idx_orders_user_id ON shop.orders" in out
    assert "ShareLock" in out
    assert "shop.orders" in out
    assert "rewrite" in out
    assert "10 statements" in out
    assert "not verified" in out

    code, out, _ = run(capsys, "explain-locks", str(migration), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["verified"] is False
    index = data["statements"][1]
    assert index["line"] == 2
    assert index["locks"] == [
        {
            "object": "shop.orders",
            "table_of": None,
            "kind": "table",
            "mode": "ShareLock",
            "rewrites": False,
            "scans": True,
            "note": "builds the index; writes wait",
        }
    ]
    assert data["summary"] == {"statements": 10, "static": 10}


def test_cli_verify_against_a_scratch_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pg_cluster: Cluster, pg_database: str
) -> None:
    setup = write(tmp_path / "setup.sql", SETUP)
    migration = write(tmp_path / "m.sql", MIGRATION)
    socket = pg_cluster.socket_dir
    # trust authentication ignores the password, which must never be printed
    url = f"postgresql://postgres:s3cr3t-Pa55@/{pg_database}?host={socket}"

    code, out, err = run(
        capsys,
        "explain-locks",
        str(migration),
        "--database-url",
        url,
        "--setup",
        str(setup),
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["verified"] is True
    assert "s3cr3t" not in out + err
    assert "***" in data["database"]
    assert data["summary"] == {"statements": 10, "agrees": 10}
    assert all(s["disagreements"] == [] for s in data["statements"])

    # the same database again: the migration's statements were committed, so ADD COLUMN fails
    code, out, err = run(capsys, "explain-locks", str(migration), "--database-url", url)
    assert code == 2
    assert f'{migration}:1: statement failed: column "shipped_at" of relation' in err
    assert "s3cr3t" not in out + err


def test_cli_disagreement_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pg_cluster: Cluster, pg_database: str
) -> None:
    with pg_cluster.connect(pg_database) as conn:
        conn.execute(SETUP.encode())
    migration = write(tmp_path / "m.sql", "ALTER TABLE shop.users ALTER COLUMN name TYPE text;\n")
    code, out, _ = run(
        capsys, "explain-locks", str(migration), "--database-url", pg_cluster.dsn(pg_database)
    )
    assert code == 1
    assert "DISAGREES" in out
    assert "shop.users: predicted a rewrite, the storage was kept" in out
    assert "1 disagree" in out


def test_cli_verify_starts_a_throwaway_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migration = write(
        tmp_path / "m.sql",
        """\
        CREATE TABLE app_users (id int PRIMARY KEY);
        CREATE INDEX CONCURRENTLY idx_app_users_id ON app_users (id);
        ALTER TABLE app_users ADD COLUMN email text;
        """,
    )
    code, out, err = run(capsys, "explain-locks", str(migration), "--verify", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [s["status"] for s in data["statements"]] == ["agrees", "not verified", "agrees"]
    assert data["database"] == "a throwaway server"
    assert data["statements"][1]["reason"] == "runs outside a transaction"


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write(tmp_path / "broken.sql", "SELECT 1;\nALTER TABLE t ADD COLUMN;\n")
    code, _, err = run(capsys, "explain-locks", str(broken))
    assert code == 2
    assert f"{broken}:2: syntax error" in err

    code, _, err = run(capsys, "explain-locks", str(tmp_path / "missing.sql"))
    assert code == 2
    assert "missing.sql" in err
    assert "cannot read" in err

    code, out, _ = run(capsys, "explain-locks", "--help")
    assert code == 0
    assert "pg_locks" in out
    assert "not verified" in out
    assert "scratch database" in out


# Regressions: option values are read as PostgreSQL reads them; no empty object names.
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "REINDEX (CONCURRENTLY false) INDEX s.i",
            [("s.i", AEL, True, False), ("table of s.i", "ShareLock", False, True)],
        ),
        (
            "REINDEX (CONCURRENTLY off) TABLE s.a",
            [("s.a", "ShareLock", False, True)],
        ),
        ("REINDEX (CONCURRENTLY 0) TABLE s.a", [("s.a", "ShareLock", False, True)]),
        ("REINDEX (CONCURRENTLY true) TABLE s.a", [("s.a", SUE, False, True)]),
        ("VACUUM (FULL false) s.a", [("s.a", SUE, False, False)]),
        ("VACUUM (FULL off, VERBOSE) s.a", [("s.a", SUE, False, False)]),
        ("VACUUM (FULL, VERBOSE false) s.a", [("s.a", AEL, True, True)]),
        ("VACUUM (FULL 1) s.a", [("s.a", AEL, True, True)]),
        ("CLUSTER", [("?", "unknown", False, False)]),
        ("CLUSTER s.a", [("s.a", AEL, True, True)]),
    ],
)
def test_options_read_as_postgres_reads_them(
    sql: str, expected: list[tuple[str, str, bool, bool]]
) -> None:
    assert effects_of(sql) == expected


def test_option_values_decide_transaction_blocks() -> None:
    from schemakit.sql import cannot_run_in_transaction, is_concurrent

    def one(sql: str) -> Any:
        return split_statements(sql)[0]

    assert not is_concurrent(one("REINDEX (CONCURRENTLY false) INDEX s.i"))
    assert is_concurrent(one("REINDEX (CONCURRENTLY) INDEX s.i"))
    assert not cannot_run_in_transaction(one("REINDEX (CONCURRENTLY off) INDEX s.i"))
    assert cannot_run_in_transaction(one("VACUUM (FULL false) s.a"))  # any VACUUM
    assert not cannot_run_in_transaction(one("ANALYZE s.a"))
    assert cannot_run_in_transaction(one("CLUSTER"))
    assert not cannot_run_in_transaction(one("CLUSTER s.a USING i"))
    assert cannot_run_in_transaction(one("REINDEX SCHEMA s"))


def test_lock_timeout_messages_name_their_object() -> None:
    from schemakit.rules._statements import MigrationStep, run_sql_rules
    from schemakit.rules.mig.missing_lock_timeout import MissingLockTimeout

    def messages(sql: str) -> list[str]:
        step = MigrationStep("app", "1", Path("m.sql"), split_statements(sql))
        return [
            f.message for f in run_sql_rules([MissingLockTimeout], [step], in_transaction=False)
        ]

    (drop,) = messages("DROP INDEX app.i;")
    assert drop.startswith("DROP INDEX app.i takes an ACCESS EXCLUSIVE lock on the table of app.i")
    assert "  " not in drop
    assert messages("CLUSTER;") == []  # every clustered table: not one to name
    (cluster,) = messages("CLUSTER app.t;")
    assert cluster.startswith("CLUSTER app.t takes")


VERIFY_SETUP = """\
CREATE SCHEMA shop;
CREATE TABLE shop.users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(50));
CREATE TABLE shop.orders (id bigint PRIMARY KEY, user_id bigint, total integer NOT NULL, note text);
CREATE INDEX idx_orders_user_id ON shop.orders (user_id);
CREATE TABLE shop.events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.events_2023 (id bigint, at date NOT NULL);
CREATE DOMAIN shop.positive AS integer;
CREATE TABLE shop.scores (id bigint, points shop.positive);
INSERT INTO shop.scores VALUES (1, 5);
INSERT INTO shop.users SELECT g, 'u' || g || '@example.com', 'u' FROM generate_series(1, 50) g;
INSERT INTO shop.orders SELECT g, 1 + g % 50, g, 'n' FROM generate_series(1, 200) g;
"""


# The statements the MIG rules reason about, each replayed on PostgreSQL: the model's locks,
# rewrites and scans must agree with pg_locks, relfilenode and the scan counters.
@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE shop.orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE shop.orders ADD COLUMN seen timestamptz DEFAULT clock_timestamp();",
        "ALTER TABLE shop.orders ADD COLUMN made timestamptz DEFAULT now();",
        "ALTER TABLE shop.orders ADD COLUMN double integer GENERATED ALWAYS AS (total * 2) STORED;",
        "DROP INDEX shop.idx_orders_user_id;",
        "REINDEX INDEX shop.idx_orders_user_id;",
        "REINDEX (CONCURRENTLY false) INDEX shop.idx_orders_user_id;",
        "REINDEX TABLE shop.orders;",
        "ALTER TABLE shop.users ALTER COLUMN email DROP NOT NULL;",
        "TRUNCATE shop.orders;",
        "TRUNCATE shop.orders, shop.users CASCADE;",
        "ALTER TABLE shop.events DETACH PARTITION shop.events_2024;",
        "ALTER DOMAIN shop.positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);",
        "ALTER DOMAIN shop.positive ADD CONSTRAINT p CHECK (VALUE > 0) NOT VALID;",
        "CREATE DOMAIN shop.small AS integer CHECK (VALUE < 10);",
        "COMMENT ON TABLE shop.orders IS 'orders';",
        "ALTER TABLE shop.orders ALTER COLUMN note SET NOT NULL;",
        "ALTER TABLE shop.orders ALTER COLUMN total TYPE bigint;",
        "CLUSTER shop.orders USING orders_pkey;",
        # and the statements the earlier MIG rules reason about
        "CREATE INDEX idx_orders_total ON shop.orders (total);",
        "ALTER TABLE shop.orders ADD CONSTRAINT orders_user_key UNIQUE (user_id, id);",
        "ALTER TABLE shop.orders ADD COLUMN flag boolean NOT NULL DEFAULT false;",
        "ALTER TABLE shop.orders DROP COLUMN note;",
        "DROP TABLE shop.scores;",
        "ALTER TABLE shop.users ALTER COLUMN name TYPE varchar(100);",
        "ALTER TABLE shop.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES shop.users (id) NOT VALID;",
        "ALTER TABLE shop.orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);",
        "ALTER TABLE shop.orders RENAME COLUMN note TO remark;",
        "ALTER TABLE shop.orders RENAME TO purchases;",
        "ALTER TABLE shop.orders SET SCHEMA public;",
        "UPDATE shop.orders SET total = total + 1 WHERE id < 10;",
        "DELETE FROM shop.orders WHERE id > 190;",
        "LOCK TABLE shop.orders IN SHARE MODE;",
        "ALTER TABLE shop.events ATTACH PARTITION shop.events_2023 "
        "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');",
    ],
)
def test_new_rules_statements_agree_with_postgres(tmp_path: Path, pg_dsn: str, sql: str) -> None:
    setup = write(tmp_path / "0001_setup.sql", VERIFY_SETUP)
    migration = write(tmp_path / "0002_change.sql", sql + "\n")
    report = explain_file(migration, database_url=pg_dsn, setup=[setup])
    (item,) = report.statements
    assert item.status in ("agrees", "static"), (item.status, item.disagreements)
    assert report.disagreements == 0
