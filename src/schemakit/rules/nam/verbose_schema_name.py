"""NAM009: a schema name that is long, prefixed or suffixed."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import schema_name_problem
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity


class VerboseSchemaName(CatalogRule):
    """Schema name that is not short and unambiguous.

    ## What it does
    Flags a schema (other than `public` and the tool schemas) whose name ends in `_schema`,
    starts with the platform prefix `mana_`, is longer than 20 characters, or is not lower
    case letters, digits and underscores: the same check `schemakit new-service` applies
    before it creates one. In a database the config exempts (the guideline's `mana_sync`),
    the prefix is allowed: a service's projection there is `mana_ai`, as in the guideline.

    ## Why is this bad?
    Every query and every foreign reference spells the schema: `auth.users` is read a
    thousand times, `mana_auth_schema.users` is noise each time. And a schema cannot be
    renamed cheaply later: "renaming a schema is a breaking migration".

    ## Example
    ```sql
    CREATE SCHEMA mana_auth_schema;
    ```

    ## Use instead
    ```sql
    CREATE SCHEMA auth;
    ```

    ## Guideline
    Schema Isolation (pgSchema), "Schema naming": "pick a short, unambiguous name (auth,
    not mana_auth_schema)". Severity: warning.
    """

    code = "NAM009"
    name = "verbose-schema-name"
    object_kind = "schema"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for schema in ctx.catalog.schemas.values():
            if schema.name == "public" or ctx.is_ignored_schema(schema.name):
                continue
            # the guideline's own projection on mana_sync is mana_ai.mission_snapshots: in a
            # database exempt from the platform's isolation the prefix keeps it apart
            problem = schema_name_problem(schema.name, () if ctx.exempt else ("mana_",))
            if problem is None:
                continue
            yield self.finding(
                f"Schema name {schema.name} is not short and unambiguous",
                problem[0].upper() + problem[1:] + ".",
                object=schema.name,
            )
