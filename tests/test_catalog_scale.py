"""The catalog loader sends a fixed number of queries, however many tables there are."""

from __future__ import annotations

from typing import Any

from schemakit.catalog import from_database
from schemakit.testing import count_queries


def _create(conn: Any, schemas: int, per_schema: int) -> None:
    script = []
    for s in range(schemas):
        script.append(f"CREATE SCHEMA s{s};")
        script.append(f"CREATE TABLE s{s}.parents (id uuid PRIMARY KEY, user_id text NOT NULL);")
        for t in range(per_schema - 1):
            script.append(
                f"CREATE TABLE s{s}.t{t} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
                f"user_id text NOT NULL, parent_id uuid REFERENCES s{s}.parents (id), "
                f"is_active boolean NOT NULL DEFAULT true, "
                f"created_at timestamptz NOT NULL DEFAULT now());"
                f"CREATE INDEX idx_t{t}_user_id ON s{s}.t{t} (user_id);"
            )
    with conn.transaction():
        conn.execute("\n".join(script).encode())


def _load_counting(conn: Any) -> tuple[Any, int]:
    with count_queries(conn) as counter:
        catalog = from_database(conn)
    # The queries of QUERIES go out together in one libpq pipeline (past the cursors
    # count_queries sees); all else it sends is the transaction setup.
    assert all(s.lstrip().upper().startswith("SET ") for s in counter.statements)
    return catalog, counter.count


def test_query_count_does_not_depend_on_table_count(pg_cluster: Any) -> None:
    pg_cluster.create_database("scale_small")
    pg_cluster.create_database("scale_large")
    try:
        with pg_cluster.connect("scale_small") as small, pg_cluster.connect("scale_large") as large:
            _create(small, schemas=2, per_schema=5)
            _create(large, schemas=10, per_schema=200)
            small_catalog, small_count = _load_counting(small)
            large_catalog, large_count = _load_counting(large)
    finally:
        pg_cluster.drop_database("scale_small")
        pg_cluster.drop_database("scale_large")

    assert len(small_catalog.tables) == 10
    assert len(large_catalog.tables) == 2_000
    assert len({t.schema for t in large_catalog.tables.values()}) == 10
    table = large_catalog.tables["s7.t123"]
    assert [fk.ref_path for fk in table.foreign_keys] == ["s7.parents"]
    assert {i.name for i in table.indexes} == {"t123_pkey", "idx_t123_user_id"}
    assert [c.name for c in table.columns] == [
        "id",
        "user_id",
        "parent_id",
        "is_active",
        "created_at",
    ]
    assert table.primary_key == ("id",)
    index = next(i for i in table.indexes if i.name == "idx_t123_user_id")
    assert index.columns == ("user_id",)
    assert index.definition == "CREATE INDEX idx_t123_user_id ON s7.t123 USING btree (user_id)"
    children = [t for t in large_catalog.tables.values() if t.name != "parents"]
    assert len(children) == 1_990
    assert all(len(t.foreign_keys) == 1 and len(t.indexes) == 2 for t in children)
    assert small_count == large_count
    # besides the pipeline of QUERIES, the statement that makes the snapshot read-only
    assert large_count == 1
