"""TYP002: a timestamp column without time zone."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules._scope import checked_tables


class TimestampWithoutTimeZone(CatalogRule):
    """Column of type `timestamp without time zone`.

    ## What it does
    Flags `timestamp` (that is, `timestamp without time zone`) columns of tables, arrays of
    them included. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    A `timestamp` stores a wall-clock reading with no zone: the same instant written by a
    server in UTC and a laptop in Berlin lands an hour apart, `now()` is silently converted
    to the session's zone, and comparisons across a daylight-saving change are wrong.
    `timestamptz` stores the instant and converts on the way out. Drizzle's
    `timestamp('x')` without `{ withTimezone: true }` produces the wrong type.

    ## Example
    ```sql
    CREATE TABLE storage.files (created_at timestamp NOT NULL DEFAULT now());
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (created_at timestamptz NOT NULL DEFAULT now());
    ```
    In Drizzle: `timestamp('created_at', { withTimezone: true })`.

    ## Guideline
    Table Definition Pattern and Common Patterns 2. Timestamps: every timestamp is
    declared `{ withTimezone: true }`. Severity: error.
    """

    code = "TYP002"
    name = "timestamp-without-time-zone"
    object_kind = "column"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.type_name not in ("timestamp", "_timestamp"):
                    continue
                yield self.finding(
                    f"Column {table.path}.{column.name} is {column.type}",
                    f"Change the column to timestamptz: ALTER TABLE {table.path} ALTER "
                    f"COLUMN {column.name} TYPE "
                    f"{column.type.replace('without time zone', 'with time zone')};",
                    object=f"{table.path}.{column.name}",
                    fix=Fix(
                        f"ALTER TABLE {quote_qualified(table.schema, table.name)} "
                        f"ALTER COLUMN {quote_ident(column.name)} TYPE "
                        f"{column.type.replace('without time zone', 'with time zone')} "
                        f"USING {quote_ident(column.name)} AT TIME ZONE 'UTC';",
                        review="rewrites the table under an ACCESS EXCLUSIVE lock, and reads "
                        "the stored values as UTC: check that they are",
                    ),
                )
