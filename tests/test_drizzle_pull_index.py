"""drizzle-kit pull's index form, ``index("x").using("btree", table.col.asc().nullsLast()
.op("text_ops"))``, is read as the index it makes (no false IDX003), and the SQL schemakit
writes for it is what PostgreSQL makes of drizzle-kit's."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schemakit.catalog import from_database, from_drizzle

PULLED = """
import { index, pgSchema, text, uuid } from 'drizzle-orm/pg-core';

export const app = pgSchema('app');

export const notes = app.table(
  'notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id').notNull(),
    title: text('title').notNull(),
  },
  (table) => [
    index('idx_notes_user_id').using('btree', table.userId.asc().nullsLast().op('text_ops')),
    index('idx_notes_title_user_id').using(
      'btree',
      table.title.desc().nullsFirst().op('text_ops'),
      table.userId.op('text_ops'),
    ),
  ],
);
"""


def test_pull_index_form(tmp_path: Path, pg_conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    source = tmp_path / "schema.ts"
    source.write_text(PULLED)
    catalog, where = from_drizzle([source], "main")
    table = catalog.tables["app.notes"]
    indexes = {i.name: i for i in table.indexes if not i.primary}
    assert indexes["idx_notes_user_id"].columns == ("user_id",)
    assert indexes["idx_notes_title_user_id"].columns == ("title", "user_id")
    assert where["app.idx_notes_user_id"] == (source, 14)  # the index() call's line
    # the definitions run, and make what the catalog of a live database reads back
    pg_conn.execute("CREATE SCHEMA app")
    pg_conn.execute("CREATE TABLE app.notes (id uuid PRIMARY KEY, user_id text, title text)")
    for index in indexes.values():
        pg_conn.execute(index.definition.encode())
    live = from_database(pg_conn).tables["app.notes"]
    assert {i.name: i.columns for i in live.indexes if not i.primary} == {
        name: index.columns for name, index in indexes.items()
    }
