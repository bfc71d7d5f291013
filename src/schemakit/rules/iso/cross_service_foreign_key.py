"""ISO008: a foreign key from one service's schema into another's."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class CrossServiceForeignKey(CatalogRule):
    """Foreign key from one service's schema into another service's schema.

    ## What it does
    Flags a foreign key whose table and referenced table sit in schemas owned by different
    services. A side in `public` or an unregistered schema is left to ISO001 and ISO004.

    ## Why is this bad?
    The two services can no longer be deployed, migrated, restored or moved on their own:
    dropping or rewriting `auth.users` now needs `credits`' cooperation. It also blocks
    splitting the platform later (Citus schema-based sharding places each schema on one
    node; a cross-schema foreign key cannot be enforced across nodes). The guideline's
    auth model makes this unnecessary: `user_id` is plain text.

    ## Example
    ```sql
    CREATE TABLE credits.balances (
        user_id text REFERENCES auth.users (id)
    );
    ```

    ## Use instead
    ```sql
    CREATE TABLE credits.balances (
        user_id text NOT NULL  -- Better Auth id; validated by the auth service, not by a FK
    );
    ```

    ## Guideline
    Schema Isolation (pgSchema); User ID Column Type.
    """

    code = "ISO008"
    name = "cross-service-foreign-key"
    object_kind = "constraint"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        owners = ctx.owners
        for table in ctx.catalog.tables.values():
            for fk in table.foreign_keys:
                if fk.ref_schema == table.schema:
                    continue
                source = owners.get(table.schema, ())
                target = owners.get(fk.ref_schema, ())
                if not source or not target or set(source) & set(target):
                    continue
                yield self.finding(
                    f"Foreign key {table.path}.{fk.name} ({', '.join(fk.columns)}) references "
                    f"{fk.ref_path}: from service {source[0]} into service {target[0]}",
                    "Keep the reference as a plain column; let the owning service validate it.",
                    object=f"{table.path}.{fk.name}",
                )
