"""A folder's statements keep their parse trees as JSON until asked (schemakit.sql._stream):
what a rule reads of a tree is the same whether it was decoded at the split, on first use, or
one field at a time."""

from __future__ import annotations

import functools
import json

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st
from pglast import parser

from schemakit.sql import Statement, is_concurrent, split_statements

_STATEMENTS = [
    "CREATE TABLE app.t (id uuid PRIMARY KEY, name text NOT NULL DEFAULT 'x')",
    "ALTER TABLE app.t ADD COLUMN c integer NOT NULL DEFAULT 0, ALTER COLUMN name SET NOT NULL",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON app.t (name)",
    "CREATE OR REPLACE VIEW app.v AS SELECT id, name FROM app.t WHERE name <> ''",
    "CREATE VIEW v2 AS SELECT 1 AS one",
    "CREATE TEMPORARY VIEW tv AS SELECT 1",
    "CREATE MATERIALIZED VIEW app.m AS SELECT id FROM app.t",
    "CREATE TABLE app.copy AS SELECT * FROM app.t",
    "CREATE FUNCTION app.f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END;$$",
    "CREATE PROCEDURE p() LANGUAGE sql AS $$SELECT 1$$",
    "UPDATE app.t SET name = 'y' WHERE id IS NULL",
    "DELETE FROM app.t WHERE name = 'z'",
    "INSERT INTO app.t (id, name) VALUES (gen_random_uuid(), 'a') ON CONFLICT DO NOTHING",
    "ALTER TABLE app.t RENAME COLUMN name TO title",
    "SET lock_timeout = '3s'",
    "COMMENT ON TABLE app.t IS 'things'",
    "DROP INDEX CONCURRENTLY app.i",
    "REINDEX (CONCURRENTLY) INDEX app.i",
    "REINDEX (CONCURRENTLY false) INDEX app.i",
    "ALTER TABLE app.p DETACH PARTITION app.p1 CONCURRENTLY",
    "ALTER TABLE app.t ADD COLUMN concurrent integer",
    "CREATE INDEX i2 ON app.t (concurrent)",
]
_KEYS = ["view", "into", "funcname", "is_procedure", "relation", "query", "cmds", "nothing"]

_BIG = 400_000
"""Bytes of JSON trees decoded before the decoder leaves them as JSON (its switch is at
256,000): every split after this much holds Raw trees."""


def _split(text: str) -> list:  # type: ignore[type-arg]
    return list(split_statements(text))


def _expected(text: str) -> list[dict]:  # type: ignore[type-arg]
    """Each statement's tree as ``json.loads`` reads the parser's JSON."""
    return [
        next(iter(raw["stmt"].values())) for raw in json.loads(parser.parse_sql_json(text))["stmts"]
    ]


@functools.cache
def _warm_up() -> None:
    """Enough text split that the decoder has switched to leaving trees as JSON."""
    body = ";\n".join(_STATEMENTS) + ";\n"
    seen = 0
    while seen < _BIG:
        seen += len(parser.parse_sql_json(body))
        _split(body)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_STATEMENTS), min_size=1, max_size=20), st.sampled_from(_KEYS))
def test_node_and_part_read_what_the_parser_wrote(chosen: list[str], key: str) -> None:
    _warm_up()
    text = ";\n".join(chosen) + ";\n"
    statements = _split(text)
    expected = _expected(text)
    assert all(isinstance(s.tree, msgspec.Raw) for s in statements)
    # CONCURRENTLY as read without decoding (when the JSON lacks the word) or from the tree
    assert [is_concurrent(s) for s in statements] == [
        is_concurrent(Statement(s.text, None, 1, 1, kind=s.kind, tree=tree))
        for s, tree in zip(statements, expected, strict=True)
    ]
    # a field first (decoded alone), then the whole tree, then the field again (from it)
    for statement, tree in zip(statements, expected, strict=True):
        assert statement.part(key) == tree.get(key)
        assert statement.node == tree
        assert statement.part(key) == tree.get(key)
    # every statement read again, after the cache of the last few has moved on
    assert [s.node for s in statements] == expected
    assert [s.part(key) for s in statements] == [t.get(key) for t in expected]


def test_a_decoded_tree_reads_the_same_by_part() -> None:
    text = "CREATE VIEW app.v AS SELECT 1"
    (tree,) = _expected(text)
    statement = Statement(text, None, 1, 1, kind="ViewStmt", tree=tree)
    assert statement.part("view") == tree["view"]
    assert statement.part("nothing") is None
