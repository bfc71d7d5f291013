"""ISO001: a table or view in the public schema."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class TableInPublic(CatalogRule):
    """Table or view in the `public` schema.

    ## What it does
    Flags every table, view, materialized view and foreign table in `public`, except in
    databases the config exempts (`exempt-databases`, the guideline's `mana_sync` case).
    There, a table that a service with schemas of its own created (a projection on top of
    the sync engine, which the guideline has "DO use pgSchema()") is still flagged, when
    the migrations say who created it.

    ## Why is this bad?
    On a database shared by many services, `public` belongs to nobody: two services that both
    create `public.users` collide, and no schema boundary protects either table. This is what
    a raw Drizzle `pgTable(...)` or an unqualified `CREATE TABLE` produces.

    ## Example
    ```sql
    CREATE TABLE users (id uuid PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    CREATE TABLE auth.users (id uuid PRIMARY KEY);
    ```
    In Drizzle: `pgSchema('auth').table('users', ...)`.

    ## Guideline
    Schema Isolation (pgSchema): "Never use raw pgTable() in this monorepo."
    """

    code = "ISO001"
    name = "table-in-public"
    object_kind = "table"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in ctx.catalog.tables_in("public"):
            if ctx.exempt and not _by_a_projection(ctx, table.path):
                continue
            yield self.finding(
                f"{table.kind.capitalize()} {table.path} is in the public schema",
                "Create it in the owning service's schema instead.",
                object=table.path,
                kind=table.kind,
            )


def _by_a_projection(ctx: CatalogContext, path: str) -> bool:
    """``path`` was made by a service with schemas of its own in an exempt database: a
    projection, which belongs in its schemas (known when migrations were replayed)."""
    creator = ctx.creator(path)
    service = ctx.config.services.get(creator) if creator else None
    return service is not None and bool(service.schemas)
