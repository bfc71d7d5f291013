"""TYP004: a json column where jsonb is meant."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules._scope import checked_tables


class JsonColumn(CatalogRule):
    """Column of type `json` instead of `jsonb`.

    ## What it does
    Flags `json` columns (and `json[]`) of tables. Partitions, views and tool schemas are
    skipped.

    ## Why is this bad?
    `json` stores the text as written and reparses it on every access. It has no equality
    operator, so `SELECT DISTINCT`, `GROUP BY` and `UNION` over it fail, and it cannot be
    indexed with GIN or queried with `@>`, which the guideline's JSONB queries rely on.
    `jsonb` is what is meant nearly always; Drizzle's `json()` is the easy slip.

    ## Example
    ```sql
    CREATE TABLE auth.users (settings json DEFAULT '{}');
    ```

    ## Use instead
    ```sql
    CREATE TABLE auth.users (settings jsonb DEFAULT '{}');
    ```
    In Drizzle: `jsonb('settings')`.

    ## Guideline
    Common Patterns 4. JSONB for Flexible Data. Severity: error.
    """

    code = "TYP004"
    name = "json-column"
    object_kind = "column"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.type_name not in ("json", "_json"):
                    continue
                yield self.finding(
                    f"Column {table.path}.{column.name} is {column.type}, not jsonb",
                    f"Change the column to jsonb: ALTER TABLE {table.path} ALTER COLUMN "
                    f"{column.name} TYPE jsonb{'[]' if column.type_name == '_json' else ''};",
                    object=f"{table.path}.{column.name}",
                    fix=Fix(
                        f"ALTER TABLE {quote_qualified(table.schema, table.name)} "
                        f"ALTER COLUMN {quote_ident(column.name)} TYPE "
                        f"jsonb{'[]' if column.type_name == '_json' else ''};",
                        review="rewrites the table under an ACCESS EXCLUSIVE lock; jsonb drops "
                        "duplicate keys and key order",
                    ),
                )
