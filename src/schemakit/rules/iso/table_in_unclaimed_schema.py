"""ISO004: a table in a schema that no service registers."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class TableInUnclaimedSchema(CatalogRule):
    """Table in a schema that no service registers.

    ## What it does
    Flags each table or view whose schema is neither `public`, nor a schema some service of
    this database lists in the config, nor a tool schema (`tool-schemas`, default
    `schemakit` and `drizzle`).

    ## Why is this bad?
    Nobody owns the table: no service's migrations are responsible for it, no role boundary
    is drawn around it, and the guideline's naming table (service -> schema) is out of date.

    ## Example
    ```toml
    [services.auth]
    schemas = ["auth"]
    ```
    ```sql
    CREATE TABLE billing.invoices (id uuid PRIMARY KEY);  -- billing is nobody's
    ```

    ## Use instead
    Register the schema under the service that owns it:
    ```toml
    [services.billing]
    schemas = ["billing"]
    ```

    ## Guideline
    Schema Isolation (pgSchema), "Schema naming": add a new service's schema to the table.
    """

    code = "ISO004"
    name = "table-in-unclaimed-schema"
    object_kind = "table"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        owners = ctx.owners
        for table in ctx.catalog.tables.values():
            if table.schema == "public" or table.schema in owners:
                continue
            if ctx.is_ignored_schema(table.schema):
                continue
            yield self.finding(
                f"{table.kind.capitalize()} {table.path} is in schema {table.schema}, "
                "which no service registers",
                f"Register schema {table.schema} under its service in the config, or move the table.",
                object=table.path,
                kind=table.kind,
            )
