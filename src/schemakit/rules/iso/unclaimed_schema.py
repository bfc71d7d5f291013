"""ISO005: a schema in the database that no service claims."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity


class UnclaimedSchema(CatalogRule):
    """Schema in the database that no service claims.

    ## What it does
    Flags each schema of the database (other than `public` and the tool schemas) that no
    service of this database lists in the config, whatever it holds.

    ## Why is this bad?
    A schema nobody claims is either a leftover of a removed service, a typo in a
    migration (`CREATE SCHEMA credit` next to `credits`), or a new service that skipped the
    registry. Each of these ends with objects that no migration and no role owns.

    ## Example
    ```sql
    CREATE SCHEMA credit;  -- the service registers "credits"
    ```

    ## Use instead
    Register the schema under its service, or drop it once it is empty.

    ## Guideline
    Schema Isolation (pgSchema), "Schema naming".
    """

    code = "ISO005"
    name = "unclaimed-schema"
    object_kind = "schema"
    severity = Severity.WARNING
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        owners = ctx.owners
        for schema in ctx.catalog.schemas.values():
            if schema.name == "public" or schema.name in owners:
                continue
            if ctx.is_ignored_schema(schema.name):
                continue
            yield self.finding(
                f"Schema {schema.name} is claimed by no service of database {ctx.database}",
                f"Add {schema.name} to its service's schemas in the config, or drop it.",
                object=schema.name,
            )
