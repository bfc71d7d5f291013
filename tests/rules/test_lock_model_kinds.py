"""Every statement kind the lock model answers for, replayed on PostgreSQL: the locks it
predicts must be the ones ``pg_locks`` shows, its rewrites the tables whose ``relfilenode``
changed, its scans the tables read in full (``explain-locks --verify``'s machinery). A kind
added to the model without a case here fails the first test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemakit.lint import explain_file
from schemakit.sql import explain, split_statements
from schemakit.sql._lock_model._alter import _ALTER as SIMPLE
from schemakit.sql._lock_model._handlers import HANDLERS

SETUP = """\
CREATE SCHEMA shop;
CREATE TABLE shop.users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(50));
CREATE TABLE shop.orders (
    id bigint PRIMARY KEY, user_id bigint REFERENCES shop.users (id), total integer NOT NULL,
    note text, kind text
);
CREATE INDEX idx_orders_user_id ON shop.orders (user_id);
CREATE TABLE shop.events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.events_2023 (id bigint, at date NOT NULL);
CREATE DOMAIN shop.positive AS integer;
CREATE TYPE shop.mood AS ENUM ('ok', 'sad');
CREATE SEQUENCE shop.counter;
CREATE MATERIALIZED VIEW shop.totals AS SELECT user_id, count(*) AS orders FROM shop.orders
    GROUP BY user_id;
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NEW; END;
$$;
CREATE VIEW shop.big_orders AS SELECT id, user_id FROM shop.orders WHERE id > 100;
CREATE TABLE shop.users_archive (id bigint NOT NULL, email text NOT NULL, name varchar(50));
INSERT INTO shop.users SELECT g, 'u' || g || '@example.com', 'u' FROM generate_series(1, 50) g;
INSERT INTO shop.orders SELECT g, 1 + g % 50, g, 'n', 'k' FROM generate_series(1, 200) g;
INSERT INTO shop.users VALUES (51, 'nobody@example.com', 'n');
"""

# (statement kind or ALTER TABLE subcommand, SQL), each statement on SETUP's objects.
CASES: list[tuple[str, str]] = [  # and TWO_STEP below
    ("CreateStmt", "CREATE TABLE shop.lines (id bigint, order_id bigint REFERENCES shop.orders);"),
    (
        "CreateStmt",
        "CREATE TABLE shop.events_2025 PARTITION OF shop.events "
        "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
    ),
    ("CreateStmt", "CREATE TABLE shop.orders_copy (LIKE shop.orders);"),
    ("CreateStmt", "CREATE TABLE shop.special () INHERITS (shop.users);"),
    ("IndexStmt", "CREATE INDEX idx_orders_total ON shop.orders (total);"),
    ("IndexStmt", "CREATE UNIQUE INDEX users_email_key ON shop.users (email);"),
    ("DropStmt", "DROP TABLE shop.events_2023;"),
    ("DropStmt", "DROP INDEX shop.idx_orders_user_id;"),
    ("DropStmt", "DROP VIEW shop.big_orders;"),
    ("DropStmt", "DROP MATERIALIZED VIEW shop.totals;"),
    ("TruncateStmt", "TRUNCATE shop.orders;"),
    ("RenameStmt", "ALTER TABLE shop.orders RENAME COLUMN note TO remark;"),
    ("RenameStmt", "ALTER INDEX shop.idx_orders_user_id RENAME TO idx_orders_user;"),
    ("AlterObjectSchemaStmt", "ALTER TABLE shop.orders SET SCHEMA public;"),
    ("LockStmt", "LOCK TABLE shop.orders IN SHARE ROW EXCLUSIVE MODE;"),
    (
        "CreateTrigStmt",
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders "
        "FOR EACH ROW EXECUTE FUNCTION shop.touch();",
    ),
    ("InsertStmt", "INSERT INTO shop.orders (id, user_id, total) VALUES (1000, 1, 5);"),
    ("InsertStmt", "INSERT INTO shop.orders SELECT id + 1000, user_id, total FROM shop.orders;"),
    ("UpdateStmt", "UPDATE shop.orders SET user_id = 2 WHERE id = 3;"),
    ("DeleteStmt", "DELETE FROM shop.users WHERE id = 51;"),
    (
        "MergeStmt",
        "MERGE INTO shop.users u USING shop.orders o ON u.id = o.id "
        "WHEN MATCHED THEN UPDATE SET name = 'm';",
    ),
    ("SelectStmt", "SELECT count(*) FROM shop.orders;"),
    ("SelectStmt", "SELECT * FROM shop.users FOR UPDATE;"),
    ("CreateTableAsStmt", "CREATE TABLE shop.snapshot AS SELECT * FROM shop.orders;"),
    ("ViewStmt", "CREATE VIEW shop.user_names AS SELECT id, name FROM shop.users;"),
    ("ClusterStmt", "CLUSTER shop.orders USING orders_pkey;"),
    ("ReindexStmt", "REINDEX TABLE shop.orders;"),
    ("ReindexStmt", "REINDEX (CONCURRENTLY false) INDEX shop.idx_orders_user_id;"),
    ("CommentStmt", "COMMENT ON COLUMN shop.orders.note IS 'free text';"),
    ("CreateSeqStmt", "CREATE SEQUENCE shop.ids OWNED BY shop.orders.id;"),
    ("AlterSeqStmt", "ALTER SEQUENCE shop.counter RESTART WITH 10;"),
    ("CreatePolicyStmt", "CREATE POLICY own ON shop.orders USING (user_id = 1);"),
    ("RuleStmt", "CREATE RULE no_delete AS ON DELETE TO shop.users DO INSTEAD NOTHING;"),
    ("CreateStatsStmt", "CREATE STATISTICS shop.order_stats ON user_id, total FROM shop.orders;"),
    ("RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW shop.totals;"),
    ("AlterEnumStmt", "ALTER TYPE shop.mood ADD VALUE 'glad';"),
    ("AlterDomainStmt", "ALTER DOMAIN shop.positive ADD CONSTRAINT p CHECK (VALUE > 0);"),
    ("VacuumStmt", "ANALYZE shop.orders;"),
    ("CopyStmt", "COPY shop.orders (id) TO '/dev/null';"),
    # ALTER TABLE: the subcommands of the model's own table and those it works out
    ("AT_ColumnDefault", "ALTER TABLE shop.orders ALTER COLUMN note SET DEFAULT 'x';"),
    ("AT_DropNotNull", "ALTER TABLE shop.users ALTER COLUMN email DROP NOT NULL;"),
    ("AT_DropColumn", "ALTER TABLE shop.orders DROP COLUMN kind;"),
    ("AT_SetStorage", "ALTER TABLE shop.orders ALTER COLUMN note SET STORAGE EXTERNAL;"),
    ("AT_SetCompression", "ALTER TABLE shop.orders ALTER COLUMN note SET COMPRESSION pglz;"),
    ("AT_AddIdentity", "ALTER TABLE shop.users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;"),
    ("AT_SetStatistics", "ALTER TABLE shop.users ALTER COLUMN email SET STATISTICS 500;"),
    ("AT_SetOptions", "ALTER TABLE shop.users ALTER COLUMN email SET (n_distinct = 100);"),
    ("AT_ClusterOn", "ALTER TABLE shop.orders CLUSTER ON orders_pkey;"),
    ("AT_ChangeOwner", "ALTER TABLE shop.orders OWNER TO CURRENT_USER;"),
    ("AT_SetUnLogged", "ALTER TABLE shop.orders SET UNLOGGED;"),
    ("AT_ReplicaIdentity", "ALTER TABLE shop.orders REPLICA IDENTITY FULL;"),
    ("AT_EnableRowSecurity", "ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;"),
    ("AT_DisableTrig", "ALTER TABLE shop.orders DISABLE TRIGGER ALL;"),
    ("AT_AddColumn", "ALTER TABLE shop.orders ADD COLUMN token uuid DEFAULT gen_random_uuid();"),
    ("AT_AddColumn", "ALTER TABLE shop.orders ADD COLUMN flag boolean NOT NULL DEFAULT false;"),
    ("AT_AddConstraint", "ALTER TABLE shop.orders ADD CONSTRAINT t CHECK (total >= 0);"),
    ("AT_AddConstraint", "ALTER TABLE shop.orders ADD CONSTRAINT t CHECK (total >= 0) NOT VALID;"),
    ("AT_DropConstraint", "ALTER TABLE shop.orders DROP CONSTRAINT orders_user_id_fkey;"),
    ("AT_AlterColumnType", "ALTER TABLE shop.orders ALTER COLUMN total TYPE bigint;"),
    ("AT_AlterColumnType", "ALTER TABLE shop.users ALTER COLUMN name TYPE varchar(100);"),
    ("AT_SetNotNull", "ALTER TABLE shop.orders ALTER COLUMN note SET NOT NULL;"),
    ("AT_SetRelOptions", "ALTER TABLE shop.orders SET (fillfactor = 70);"),
    ("AT_SetRelOptions", "ALTER TABLE shop.orders SET (autovacuum_enabled = false);"),
    (
        "AT_AttachPartition",
        "ALTER TABLE shop.events ATTACH PARTITION shop.events_2023 "
        "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');",
    ),
    ("AT_DetachPartition", "ALTER TABLE shop.events DETACH PARTITION shop.events_2024;"),
    ("AT_AddInherit", "ALTER TABLE shop.users_archive INHERIT shop.users;"),
]

# Cases that need an earlier statement (made in the setup, not compared).
TWO_STEP: list[tuple[str, str, str]] = [
    (
        "AlterPolicyStmt",
        "CREATE POLICY own ON shop.orders USING (user_id = 1);",
        "ALTER POLICY own ON shop.orders USING (user_id = 2);",
    ),
    (
        "AT_AddIndexConstraint",
        "CREATE UNIQUE INDEX CONCURRENTLY orders_note_key ON shop.orders (id, note);",
        "ALTER TABLE shop.orders ADD CONSTRAINT orders_note_key UNIQUE USING INDEX orders_note_key;",
    ),
    (
        "AT_ValidateConstraint",
        "ALTER TABLE shop.orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;",
        "ALTER TABLE shop.orders VALIDATE CONSTRAINT positive;",
    ),
]


def _kind(sql: str) -> str:
    (statement,) = split_statements(sql)
    return statement.kind


def test_every_kind_of_the_model_has_a_case() -> None:
    covered = {kind for kind, _ in CASES} | {kind for kind, _, _ in TWO_STEP}
    covered |= {"AlterTableStmt"} if any(kind.startswith("AT_") for kind in covered) else set()
    assert set(HANDLERS) <= covered, sorted(set(HANDLERS) - covered)
    for kind, sql in CASES:
        if not kind.startswith("AT_"):
            assert _kind(sql) == kind, sql
    # the ALTER TABLE subcommands the model works out (the others are its table, SIMPLE)
    worked_out = {
        "AT_AddColumn",
        "AT_AddConstraint",
        "AT_AddIndexConstraint",
        "AT_ValidateConstraint",
        "AT_DropConstraint",
        "AT_AlterColumnType",
        "AT_SetNotNull",
        "AT_SetRelOptions",
        "AT_AttachPartition",
        "AT_DetachPartition",
        "AT_AddInherit",
    }
    assert worked_out <= covered
    assert not worked_out & set(SIMPLE)


def _replayed(tmp_path: Path, dsn: str, setup: str, sql: str) -> Any:
    first = tmp_path / "0001_setup.sql"
    first.write_text(setup)
    change = tmp_path / "0002_change.sql"
    change.write_text(sql + "\n")
    report = explain_file(change, database_url=dsn, setup=[first])
    (item,) = report.statements
    return item


@pytest.mark.parametrize(("kind", "sql"), [(k, s) for k, s in CASES], ids=lambda v: v[:60])
def test_kinds_replayed_agree(tmp_path: Path, pg_dsn: str, kind: str, sql: str) -> None:
    item = _replayed(tmp_path, pg_dsn, SETUP, sql)
    assert item.status == "agrees", (kind, item.status, item.disagreements, item.note)


@pytest.mark.parametrize(("kind", "before", "sql"), TWO_STEP, ids=[k for k, _, _ in TWO_STEP])
def test_two_step_kinds_replayed_agree(
    tmp_path: Path, pg_dsn: str, kind: str, before: str, sql: str
) -> None:
    item = _replayed(tmp_path, pg_dsn, SETUP + before + "\n", sql)
    assert item.status == "agrees", (kind, item.status, item.disagreements, item.note)


@pytest.mark.parametrize(
    ("sql", "rewrites"),
    [
        ("VACUUM shop.orders", False),
        ("VACUUM (FULL false) shop.orders", False),
        ("VACUUM (FULL off, ANALYZE) shop.orders", False),
        ("VACUUM FULL shop.orders", True),
        ("VACUUM (FULL, VERBOSE false) shop.orders", True),
    ],
)
def test_vacuum_rewrites_as_its_options_say(pg_conn: Any, sql: str, rewrites: bool) -> None:
    """VACUUM cannot run in a transaction block, so pg_locks cannot be read while it holds
    them: its storage can (``relfilenode``), which only VACUUM FULL replaces."""
    pg_conn.autocommit = True
    for statement in split_statements(SETUP):
        pg_conn.execute(statement.text)

    def filenode() -> int:
        row = pg_conn.execute(
            "SELECT relfilenode FROM pg_class WHERE oid = 'shop.orders'::regclass"
        )
        return int(row.fetchone()[0])

    before = filenode()
    pg_conn.execute(sql)
    assert (filenode() != before) is rewrites
    (statement,) = split_statements(sql)
    (effect,) = explain(statement)
    assert effect.rewrites is rewrites
    assert effect.mode == ("AccessExclusiveLock" if rewrites else "ShareUpdateExclusiveLock")
