"""The catalog loader reads on a second connection sharing the caller's snapshot when it can:
the catalog must be exactly the one the caller's connection alone reads, and whenever the
sibling cannot be used (inside the caller's transaction, no connection, no snapshot) the
caller's connection reads everything."""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any

import psycopg
import pytest

from schemakit.catalog import Catalog, _streams, from_database
from schemakit.testing import count_queries

# Everything the SEC rules read (roles, memberships, owners, grants on schemas, tables,
# sequences and columns, default privileges, triggers and their functions, SECURITY DEFINER
# with and without a search_path, row security), and what decides how types, defaults and
# definitions are printed (a type outside the search path, date and time constants).
DATABASE = """
DO $$ BEGIN CREATE ROLE catpar_owner NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE catpar_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE catpar_login LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE catpar_other NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT catpar_app TO catpar_login;
GRANT catpar_other TO catpar_app;
CREATE SCHEMA app AUTHORIZATION catpar_owner;
CREATE SCHEMA "Other";
CREATE TYPE app.mood AS ENUM ('ok', 'sad');
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
CREATE SEQUENCE app.counter;
CREATE TABLE app.notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text NOT NULL,
  mood app.mood NOT NULL DEFAULT 'ok',
  mail app.email,
  due date DEFAULT '2024-03-01',
  at timestamptz DEFAULT '2024-03-01 12:00:00+00',
  every interval DEFAULT '1 day 2 hours',
  n numeric(10, 2) DEFAULT 1.5,
  doubled numeric GENERATED ALWAYS AS (n * 2) STORED,
  label varchar(40) COLLATE "C",
  tags text[] DEFAULT '{}',
  seq bigint DEFAULT nextval('app.counter'),
  CONSTRAINT notes_mood_check CHECK (mood <> 'sad'::app.mood),
  CONSTRAINT notes_label_key UNIQUE (label) DEFERRABLE
);
CREATE TABLE app.folders (
  id serial PRIMARY KEY,
  note_id bigint REFERENCES app.notes (id) ON DELETE CASCADE,
  name text NOT NULL
);
COMMENT ON TABLE app.folders IS 'where notes live';
CREATE INDEX notes_user_idx ON app.notes (user_id, at DESC);
CREATE INDEX notes_lower_idx ON app.notes (lower(user_id)) WHERE mood = 'ok';
CREATE INDEX notes_mood_idx ON app.notes (mood);
CREATE TABLE "Other"."Parted" (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE "Other"."Parted_2024" PARTITION OF "Other"."Parted"
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW app.sad_notes AS SELECT id, user_id FROM app.notes WHERE mood = 'sad';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
  AS 'BEGIN NEW.at = now(); RETURN NEW; END';
CREATE FUNCTION app.count_notes(m app.mood) RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = app, pg_temp AS 'SELECT count(*) FROM app.notes WHERE mood = m';
CREATE FUNCTION app.unsafe() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  AS 'SELECT count(*) FROM app.notes';
CREATE TRIGGER notes_touch BEFORE UPDATE ON app.notes FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON app.notes USING (user_id = current_setting('app.user_id'));
ALTER TABLE app.notes OWNER TO catpar_owner;
ALTER TABLE app.folders OWNER TO catpar_owner;
ALTER FUNCTION app.touch() OWNER TO catpar_owner;
GRANT USAGE ON SCHEMA app TO catpar_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON app.notes, app.folders TO catpar_app;
GRANT SELECT (id, user_id) ON app.notes TO catpar_other;
GRANT USAGE ON SEQUENCE app.counter TO catpar_app WITH GRANT OPTION;
GRANT SELECT ON app.sad_notes TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE catpar_owner IN SCHEMA app
  GRANT SELECT ON TABLES TO catpar_app;
ALTER DEFAULT PRIVILEGES FOR ROLE catpar_owner IN SCHEMA app
  GRANT EXECUTE ON FUNCTIONS TO catpar_other;
"""

# Session settings that change what the deparsing functions print, as a pool's configure
# callback might set them: the sibling must print the same.
SESSION = """
SET search_path = app, public;
SET DateStyle = 'German, DMY';
SET TimeZone = 'Asia/Kathmandu';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = 0;
"""


@pytest.fixture
def siblings(monkeypatch: Any) -> list[psycopg.Connection[Any]]:
    """The sibling connections the loader opens (and closes) while the test runs."""
    opened: list[psycopg.Connection[Any]] = []
    real = _streams.open_sibling

    def spy(*args: Any, **kwargs: Any) -> psycopg.Connection[Any]:
        sibling = real(*args, **kwargs)
        opened.append(sibling)
        return sibling

    monkeypatch.setattr(_streams, "open_sibling", spy)
    return opened


def _same(parallel: Catalog, serial: Catalog) -> None:
    assert parallel == serial
    assert pickle.dumps(parallel) == pickle.dumps(serial)


def test_the_parallel_catalog_is_the_serial_one(
    pg_conn: Any, siblings: list[psycopg.Connection[Any]]
) -> None:
    pg_conn.execute(DATABASE)
    pg_conn.execute(SESSION)
    serial = from_database(pg_conn, parallel=False)
    assert not siblings
    parallel = from_database(pg_conn)
    assert len(siblings) == 1
    assert siblings[0].closed
    _same(parallel, serial)
    # the settings made a difference the sibling had to copy: a type in the search path is
    # printed bare (in a check constraint, which the sibling reads), dates the German way (in
    # defaults, which it reads too)
    notes = parallel.tables["app.notes"]
    assert {c.name: c.default for c in notes.columns if c.name in {"due", "at"}} == {
        "due": "'01.03.2024'::date",
        "at": "'01.03.2024 17:45:00 +0545'::timestamp with time zone",
    }
    (check,) = (c for c in notes.constraints if c.name == "notes_mood_check")
    assert check.definition == "CHECK (mood <> 'sad'::mood)"
    assert "app.count_notes(m mood)" in parallel.functions
    assert parallel.triggers["app.notes.notes_touch"].function_owner == "catpar_owner"
    assert {g.grantee for g in parallel.grants if g.object_kind == "column"} == {"catpar_other"}
    assert {d.grantee for d in parallel.default_grants} == {"catpar_app", "catpar_other"}
    assert "catpar_other" in parallel.roles["catpar_login"].privileges_of
    # and the loader's own transaction left the session as it was
    assert pg_conn.execute("SHOW DateStyle").fetchone() == ("German, DMY",)
    assert pg_conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_inside_a_transaction_that_wrote_it_reads_serially(
    pg_conn: Any, siblings: list[psycopg.Connection[Any]]
) -> None:
    pg_conn.execute(DATABASE)
    with pg_conn.transaction():
        pg_conn.execute("CREATE TABLE app.uncommitted (id int PRIMARY KEY DEFAULT 7)")
        pg_conn.execute("COMMENT ON TABLE app.notes IS 'changed, not committed'")
        catalog = from_database(pg_conn)
        # another snapshot would see neither
        assert [c.default for c in catalog.tables["app.uncommitted"].columns] == ["7"]
        assert catalog.tables["app.notes"].comment == "changed, not committed"
        assert not siblings
        # the caller's transaction goes on
        pg_conn.execute("INSERT INTO app.uncommitted VALUES (1)")
    assert "app.uncommitted" in from_database(pg_conn).tables


def test_a_transaction_the_connection_opened_itself_is_the_callers(
    pg_cluster: Any, pg_database: str, siblings: list[psycopg.Connection[Any]]
) -> None:
    with pg_cluster.connect(pg_database, autocommit=False) as conn:
        conn.execute("CREATE TABLE written (id int)")  # psycopg began a transaction for it
        assert "public.written" in from_database(conn).tables
        assert not siblings
        conn.rollback()
        # idle again: the loader's own transaction, which the sibling shares
        assert "public.written" not in from_database(conn).tables
        assert len(siblings) == 1
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_without_a_sibling_the_callers_connection_reads_it_all(
    pg_conn: Any, monkeypatch: Any
) -> None:
    pg_conn.execute(DATABASE)
    serial = from_database(pg_conn, parallel=False)

    monkeypatch.setattr(
        _streams, "sibling_conninfo", lambda conn: f"{conn.info.dsn} dbname=no_such_database"
    )
    _same(from_database(pg_conn), serial)
    monkeypatch.undo()

    # connected, but the snapshot is not the caller's (gone, or another server's)
    monkeypatch.setattr(_streams, "exported", lambda result: ("00000003-0000FFFF-1", ""))
    _same(from_database(pg_conn), serial)
    monkeypatch.undo()

    # the sibling fails half way through its queries
    real = _streams.run_pipeline

    def cut(conn: Any, steps: Any, slots: _streams.Slots) -> None:
        if conn is not pg_conn:
            conn.close()
        real(conn, steps, slots)

    monkeypatch.setattr(_streams, "run_pipeline", cut)
    _same(from_database(pg_conn), serial)
    assert pg_conn.execute("SELECT 1").fetchone() == (1,)


def test_a_sibling_slower_than_the_callers_connection_is_let_go(
    pg_conn: Any, pg_database: str, monkeypatch: Any
) -> None:
    pg_conn.execute(DATABASE)
    serial = from_database(pg_conn, parallel=False)
    release, connecting = threading.Event(), threading.Event()
    real = _streams.open_sibling

    def slow(*args: Any, **kwargs: Any) -> psycopg.Connection[Any]:
        release.wait(20)  # a connect that takes longer than conn's own share of the queries
        connecting.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(_streams, "open_sibling", slow)
    catalog = from_database(pg_conn)
    assert not connecting.is_set()  # conn read it all, without waiting for the sibling
    release.set()
    _same(catalog, serial)
    assert _backends(pg_conn, pg_database) == 1  # what the sibling got at last, it closed


def test_no_connection_is_left_behind(pg_conn: Any, pg_database: str) -> None:
    pg_conn.execute(DATABASE)
    for _ in range(3):
        from_database(pg_conn)
    assert _backends(pg_conn, pg_database) == 1


def _backends(conn: Any, database: str) -> int:
    """The backends connected to ``database``, once those of closed connections are gone (a
    backend ends a moment after its client said goodbye)."""
    deadline = time.monotonic() + 10
    while True:
        (backends,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
        if backends == 1 or time.monotonic() > deadline:
            return int(backends)
        time.sleep(0.05)


def test_the_sibling_connects_as_the_caller_did(pg_cluster: Any, pg_database: str) -> None:
    # The server trusts local connections, so the password is not checked, but libpq keeps
    # it: the sibling must be given it (conn.info.dsn leaves it out).
    dsn = f"{pg_cluster.dsn(pg_database)} password=s3cret application_name=studio"
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert "s3cret" not in conn.info.dsn
        params = psycopg.conninfo.conninfo_to_dict(_streams.sibling_conninfo(conn))
        assert params["password"] == "s3cret"
        assert params["dbname"] == pg_database
        assert params["host"] == conn.info.host
        assert params["application_name"] == "studio"


def test_the_statement_count_is_the_serial_ones(pg_conn: Any) -> None:
    pg_conn.execute(DATABASE)
    counts = []
    for parallel in (False, True):
        with count_queries(pg_conn) as counter:
            from_database(pg_conn, parallel=parallel)
        counts.append(counter.statements)
    # the transaction setup, then pg_get_indexdef for the two indexes the loader cannot write;
    # the queries of QUERIES go out in pipelines (the sibling's on its own connection)
    assert [len(c) for c in counts] == [2, 2]
    assert counts[0][0] == counts[1][0]
    assert counts[0][0].startswith("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
