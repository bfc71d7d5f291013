"""ISO002: an enum, domain or composite type in the public schema."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class TypeInPublic(CatalogRule):
    r"""Enum, domain or composite type in the `public` schema.

    ## What it does
    Flags user-defined types (enums, domains, composite and range types) in `public`, except
    in exempt databases.

    ## Why is this bad?
    A module-level Drizzle `pgEnum('transaction_type', ...)` lands in `public` even when every
    table of the service sits in its own schema. The guideline's `rg "pgTable\("` check never
    sees it; on the origin platform two services declaring the same enum name made
    `drizzle-kit push` fail with `42710 duplicate_object`.

    ## Example
    ```sql
    CREATE TYPE transaction_type AS ENUM ('purchase', 'usage', 'refund');
    ```

    ## Use instead
    ```sql
    CREATE TYPE credits.transaction_type AS ENUM ('purchase', 'usage', 'refund');
    ```
    In Drizzle: `creditsSchema.enum('transaction_type', [...])`.

    ## Guideline
    Schema Isolation (pgSchema), and Common Patterns 5. Enums.
    """

    code = "ISO002"
    name = "type-in-public"
    object_kind = "type"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        if ctx.exempt:
            return
        for typedef in ctx.catalog.types.values():
            if typedef.schema == "public":
                yield self.finding(
                    f"{typedef.kind.capitalize()} type {typedef.path} is in the public schema",
                    "Create the type in the owning service's schema instead.",
                    object=typedef.path,
                )
