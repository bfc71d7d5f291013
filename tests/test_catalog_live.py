"""The loader writes index and constraint text itself where it can: it must be exactly what
PostgreSQL prints (pg_get_indexdef, pg_get_constraintdef), whatever the shape."""

from __future__ import annotations

from typing import Any

import pytest

from schemakit.catalog import QUERIES, from_database
from schemakit.testing import count_queries

SHAPES = """
CREATE SCHEMA "Shapes";
CREATE TYPE "Shapes".mood AS ENUM ('ok', 'sad');
CREATE DOMAIN "Shapes".email AS text;
CREATE TYPE "Shapes".pair AS (a int, b text);
CREATE TABLE "Shapes"."Things" (
  id bigint GENERATED ALWAYS AS IDENTITY,
  "select" text NOT NULL,
  "Label" varchar(40),
  code char(3),
  mood "Shapes".mood,
  tags text[],
  mail "Shapes".email,
  ci text COLLATE "C",
  n numeric,
  doubled numeric GENERATED ALWAYS AS (n * 2) STORED,
  at timestamptz DEFAULT now(),
  net cidr,
  CONSTRAINT things_pk PRIMARY KEY (id, "select"),
  CONSTRAINT things_label_key UNIQUE ("Label"),
  CONSTRAINT things_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT things_mail_key UNIQUE (mail) INCLUDE (n),
  CONSTRAINT things_n_check CHECK (n > 0),
  CONSTRAINT things_tableoid_check CHECK (tableoid <> 0),
  CONSTRAINT things_true_check CHECK (true)
);
CREATE TABLE "Shapes".kids (
  id int PRIMARY KEY WITH (fillfactor = 70),
  thing_id bigint,
  thing_select text,
  FOREIGN KEY (thing_id, thing_select) REFERENCES "Shapes"."Things" (id, "select"),
  CONSTRAINT kids_nnd UNIQUE NULLS NOT DISTINCT (thing_id)
);
CREATE INDEX plain_idx ON "Shapes"."Things" ("select", at);
CREATE INDEX varchar_idx ON "Shapes"."Things" ("Label");
CREATE INDEX varchar_hash_idx ON "Shapes"."Things" USING hash ("Label");
CREATE INDEX varchar_bpchar_idx ON "Shapes"."Things" ("Label" bpchar_ops);
CREATE INDEX varchar_brin_idx ON "Shapes"."Things" USING brin ("Label");
CREATE INDEX cidr_idx ON "Shapes"."Things" (net);
CREATE INDEX cidr_spgist_idx ON "Shapes"."Things" USING spgist (net);
CREATE INDEX cidr_gist_idx ON "Shapes"."Things" USING gist (net inet_ops);
CREATE INDEX char_idx ON "Shapes"."Things" (code);
CREATE INDEX enum_idx ON "Shapes"."Things" (mood);
CREATE INDEX array_idx ON "Shapes"."Things" USING gin (tags);
CREATE INDEX domain_idx ON "Shapes"."Things" (mail);
CREATE INDEX own_collation_idx ON "Shapes"."Things" (ci);
CREATE INDEX other_collation_idx ON "Shapes"."Things" ("select" COLLATE "C");
CREATE INDEX opclass_idx ON "Shapes"."Things" ("select" text_pattern_ops);
CREATE INDEX desc_idx ON "Shapes"."Things" (at DESC);
CREATE INDEX partial_idx ON "Shapes"."Things" (n) WHERE n > 10;
CREATE INDEX expr_idx ON "Shapes"."Things" (lower("select"), n);
CREATE INDEX include_idx ON "Shapes"."Things" (n) INCLUDE (at);
CREATE INDEX hash_idx ON "Shapes"."Things" USING hash (n);
CREATE INDEX storage_idx ON "Shapes"."Things" (n) WITH (fillfactor = 50);
CREATE UNIQUE INDEX unique_idx ON "Shapes"."Things" (n, at);
CREATE INDEX generated_idx ON "Shapes"."Things" (doubled);
CREATE TABLE "Shapes".parted (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE "Shapes".parted_2024 PARTITION OF "Shapes".parted
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX parted_at_idx ON "Shapes".parted (at);
"""


def test_index_and_constraint_text_is_postgresqls(pg_conn: Any) -> None:
    pg_conn.execute(SHAPES)
    catalog = from_database(pg_conn)
    expected_indexes = {
        (schema, table, name): (definition, columns)
        for schema, table, name, definition, columns in pg_conn.execute(
            """
            SELECT n.nspname, c.relname, ic.relname, pg_get_indexdef(i.indexrelid),
                   ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                         FROM generate_series(1, i.indnkeyatts) AS k)
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'Shapes'
            """
        ).fetchall()
    }
    seen = {
        (table.schema, table.name, index.name): (index.definition, list(index.columns))
        for table in catalog.tables.values()
        for index in table.indexes
    }
    assert seen == expected_indexes
    expected_constraints = {
        (table, name): (definition, columns)
        for table, name, definition, columns in pg_conn.execute(
            """
            SELECT c.relname, con.conname, pg_get_constraintdef(con.oid, true),
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                         ORDER BY k.o)
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            WHERE c.relnamespace = '"Shapes"'::regnamespace AND con.contype <> 'f'
            """
        ).fetchall()
    }
    seen_constraints = {
        (table.name, constraint.name): (constraint.definition, list(constraint.columns))
        for table in catalog.tables.values()
        for constraint in table.constraints
    }
    assert seen_constraints == expected_constraints
    (fk,) = catalog.tables["Shapes.kids"].foreign_keys
    assert (fk.columns, fk.ref_path, fk.ref_columns) == (
        ("thing_id", "thing_select"),
        "Shapes.Things",
        ("id", "select"),
    )
    # defaults are deparsed without their table (they cannot name a column), generated
    # columns' expressions with it: both as pg_get_expr prints them with the table
    defaults = dict(
        pg_conn.execute(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d"
            " JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            ' WHERE d.adrelid = \'"Shapes"."Things"\'::regclass'
        ).fetchall()
    )
    things = catalog.tables["Shapes.Things"]
    assert {c.name: c.default for c in things.columns if c.default} == defaults
    assert set(defaults) == {"at", "doubled"}
    # types of its own, not the tables' row types nor arrays
    assert {p: t.kind for p, t in catalog.types.items() if t.schema == "Shapes"} == {
        "Shapes.mood": "enum",
        "Shapes.email": "domain",
        "Shapes.pair": "composite",
    }


def test_indexes_it_cannot_write_cost_one_statement_more(pg_conn: Any) -> None:
    pg_conn.execute(
        "CREATE TYPE mood AS ENUM ('ok');"
        "CREATE TABLE one (a varchar(10), b text, m mood);"
        "CREATE INDEX one_a ON one (a); CREATE INDEX one_b ON one (b);"
        "CREATE INDEX one_m ON one (m);"
    )
    with count_queries(pg_conn) as counter:
        catalog = from_database(pg_conn)
    indexes = {i.name: i.definition for i in catalog.tables["public.one"].indexes}
    assert indexes == {
        "one_a": "CREATE INDEX one_a ON public.one USING btree (a)",
        "one_b": "CREATE INDEX one_b ON public.one USING btree (b)",
        "one_m": "CREATE INDEX one_m ON public.one USING btree (m)",
    }
    # the transaction setup and one for one_m's text (the queries of QUERIES go out in one
    # libpq pipeline, past what count_queries sees) (an enum's default
    # operator class is the polymorphic anyenum's: not followed; varchar's text_ops is)
    assert counter.count == 2
    assert "index_definitions" not in QUERIES


def test_binary_coercible_default_operator_classes_cost_no_statement(pg_conn: Any) -> None:
    # varchar has no operator class of its own: text_ops is its default, as for pg_get_indexdef
    pg_conn.execute(
        "CREATE TABLE two (a varchar(10), n cidr);"
        "CREATE INDEX two_a ON two (a); CREATE INDEX two_a_hash ON two USING hash (a);"
        "CREATE INDEX two_n ON two (n);"
    )
    with count_queries(pg_conn) as counter:
        catalog = from_database(pg_conn)
    indexes = {i.name: i.definition for i in catalog.tables["public.two"].indexes}
    assert indexes == {
        "two_a": "CREATE INDEX two_a ON public.two USING btree (a)",
        "two_a_hash": "CREATE INDEX two_a_hash ON public.two USING hash (a)",
        "two_n": "CREATE INDEX two_n ON public.two USING btree (n)",
    }
    assert counter.count == 1


def test_triggers_name_their_function_and_its_owner(pg_conn: Any) -> None:
    pg_conn.execute(
        """
        DO $$ BEGIN CREATE ROLE trig_owner NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
        CREATE SCHEMA trig;
        CREATE TABLE trig.t (id int, "Seen" timestamptz);
        CREATE TABLE trig.parent (id int PRIMARY KEY);
        CREATE TABLE trig.child (parent_id int REFERENCES trig.parent);
        CREATE FUNCTION trig.touch() RETURNS trigger LANGUAGE plpgsql
          AS 'BEGIN NEW."Seen" = now(); RETURN NEW; END';
        ALTER FUNCTION trig.touch() OWNER TO trig_owner;
        CREATE TRIGGER "Touch" BEFORE UPDATE ON trig.t FOR EACH ROW EXECUTE FUNCTION trig.touch();
        CREATE TRIGGER off BEFORE INSERT ON trig.t FOR EACH ROW EXECUTE FUNCTION trig.touch();
        ALTER TABLE trig.t DISABLE TRIGGER off;
        """
    )
    catalog = from_database(pg_conn)
    # the foreign key's internal triggers are not listed
    assert {
        path: (t.function, t.function_owner, t.enabled) for path, t in catalog.triggers.items()
    } == {
        "trig.t.Touch": ("trig.touch", "trig_owner", True),
        "trig.t.off": ("trig.touch", "trig_owner", False),
    }


def test_a_failing_query_leaves_the_connection_usable(pg_conn: Any, monkeypatch: Any) -> None:
    from schemakit.catalog import _live
    from schemakit.errors import CatalogError

    real = _live._query

    def broken(name: str, version: int = 0) -> str:
        return "SELECT no_such_column FROM pg_class" if name == "columns" else real(name, version)

    monkeypatch.setattr(_live, "_query", broken)
    with pytest.raises(CatalogError, match=r"columns\.sql: .*no_such_column"):
        from_database(pg_conn)
    monkeypatch.setattr(_live, "_query", real)
    assert pg_conn.execute("SELECT 1").fetchone() == (1,)
    assert "public" in from_database(pg_conn).schemas
