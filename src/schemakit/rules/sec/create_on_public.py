"""SEC002: CREATE on schema public granted to a role."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident


class CreateOnPublic(CatalogRule):
    """`CREATE` on schema `public` granted to `PUBLIC` or a role.

    ## What it does
    Flags each role (or `PUBLIC`) other than the owner that may create objects in schema
    `public`. PostgreSQL 14 and older grant it to `PUBLIC` by default; 15 stopped. Databases
    the config exempts (`exempt-databases`, the guideline's `mana_sync`, whose tables live
    in `public` on purpose) are skipped.

    ## Why is this bad?
    With `CREATE` on `public`, a raw `pgTable(`, a module-level `pgEnum(` or an unqualified
    `CREATE TABLE` succeeds and lands in the schema that belongs to nobody: ISO001 finds it
    afterwards, the revoke stops it before. On a shared database any role can also plant a
    function there that another role's unqualified call resolves to.

    ## Example
    ```sql
    GRANT CREATE ON SCHEMA public TO PUBLIC;  -- PostgreSQL 14 and older: the default
    ```

    ## Use instead
    ```sql
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "Never use raw pgTable() in this monorepo." Severity:
    error.
    """

    code = "SEC002"
    name = "create-on-public"
    object_kind = "schema"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        if ctx.exempt:
            return
        for grant in ctx.catalog.grants:
            if (grant.object_kind, grant.schema, grant.privilege) != ("schema", "public", "CREATE"):
                continue
            grantee = "PUBLIC" if grant.grantee == "PUBLIC" else quote_ident(grant.grantee)
            yield self.finding(
                f"{'PUBLIC (every role)' if grant.grantee == 'PUBLIC' else grant.grantee} may "
                "create objects in schema public",
                f"Revoke it: REVOKE CREATE ON SCHEMA public FROM {grantee};",
                object="public",
                fix=Fix(
                    f"REVOKE CREATE ON SCHEMA public FROM {grantee};",
                    review="a deploy that still creates objects in public will fail",
                ),
            )
