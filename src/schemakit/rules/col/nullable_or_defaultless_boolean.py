"""COL004: a boolean column that is nullable or has no default."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class NullableOrDefaultlessBoolean(CatalogRule):
    """Boolean flag without `NOT NULL` or without a default.

    ## What it does
    Flags `boolean` columns of tables that are nullable, have no default, or both.
    Generated columns are not checked. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    A nullable flag has three values. `WHERE NOT is_public` skips the NULL rows, and
    `WHERE is_deleted = false` (the guideline's soft-delete filter) hides rows whose flag
    was never set. Without a default, every insert must name the flag or the row gets
    NULL (or fails, if NOT NULL).

    ## Example
    ```sql
    CREATE TABLE storage.files (is_public boolean);
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (is_public boolean NOT NULL DEFAULT false);
    ```
    In Drizzle: `boolean('is_public').default(false).notNull()`.

    ## Guideline
    Table Definition Pattern, "Boolean flags with defaults":
    `boolean('is_favorite').default(false).notNull()`. Severity: warning.
    """

    code = "COL004"
    name = "nullable-or-defaultless-boolean"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.type_name != "bool" or column.generated:
                    continue
                problems = []
                if column.nullable:
                    problems.append("is nullable")
                if column.default is None:
                    problems.append("has no default")
                if not problems:
                    continue
                yield self.finding(
                    f"Boolean column {table.path}.{column.name} {' and '.join(problems)}",
                    f"Declare it {column.name} boolean NOT NULL DEFAULT false (or true).",
                    object=f"{table.path}.{column.name}",
                )
