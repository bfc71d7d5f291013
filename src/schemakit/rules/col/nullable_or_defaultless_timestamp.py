"""COL002: a created_at or updated_at column that is nullable or has no default."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import TIMESTAMP_COLUMNS
from schemakit.rules._base import CatalogContext, CatalogRule, Finding
from schemakit.rules._scope import checked_tables


class NullableOrDefaultlessTimestamp(CatalogRule):
    """`created_at` or `updated_at` that is nullable or has no default.

    ## What it does
    Flags a `created_at` or `updated_at` column without `NOT NULL`, without a default, or
    both. Generated columns are not checked. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    Without a default every insert must remember to set the column, and the one code path
    that forgets writes NULL (or fails, if the column is NOT NULL). A nullable timestamp then
    drops rows out of every `ORDER BY created_at` page and every "changed since" query.

    ## Example
    ```sql
    CREATE TABLE storage.tags (
        created_at timestamptz,
        updated_at timestamptz NOT NULL
    );
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.tags (
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    ```
    In Drizzle: `.defaultNow().notNull()`.

    ## Guideline
    Table Definition Pattern and Common Patterns 2. Timestamps:
    `timestamp('created_at', { withTimezone: true }).defaultNow().notNull()`.
    Severity: error.
    """

    code = "COL002"
    name = "nullable-or-defaultless-timestamp"
    object_kind = "column"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for name in TIMESTAMP_COLUMNS:
                column = table.column(name)
                if column is None or column.generated:
                    continue
                problems = []
                if column.nullable:
                    problems.append("is nullable")
                if column.default is None:
                    problems.append("has no default")
                if not problems:
                    continue
                yield self.finding(
                    f"Column {table.path}.{name} {' and '.join(problems)}",
                    f"Declare it {name} timestamptz NOT NULL DEFAULT now().",
                    object=f"{table.path}.{name}",
                )
