"""TYP003: a primary key that is not a generated uuid."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding
from schemakit.rules._scope import checked_tables


class NonUuidPrimaryKey(CatalogRule):
    """Primary key that is not a `uuid` with a default.

    ## What it does
    Flags a single-column primary key whose column is not `uuid`, or is `uuid` without a
    default (such as `gen_random_uuid()`). Composite primary keys (junction tables) are not
    checked, nor are exempt databases (`exempt-databases`, the guideline's append-only
    `mana_sync` case, where `bigint` identity keys are the point). Partitions, views and
    tool schemas are skipped. A table keyed by a text id column (`[lint] text-id-columns`,
    default `user_id`: one row per user, where TYP001 wants `text`) passes, and tables a
    library owns (`[lint] library-tables = ["better-auth:auth"]`) are not checked.

    ## Why is this bad?
    Serial and identity integers leak row counts and creation order, collide when two
    databases' rows meet (imports, merges, splitting a service out), and make ids guessable
    in URLs. A `uuid` key without a default pushes id generation onto every writer, and the
    one that forgets fails at insert time.

    ## Example
    ```sql
    CREATE TABLE storage.files (id bigserial PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
    ```
    In Drizzle: `id: uuid('id').primaryKey().defaultRandom()`.

    ## Guideline
    Table Definition Pattern: "Primary key - always UUID with auto-generation".
    Severity: error.
    """

    code = "TYP003"
    name = "non-uuid-primary-key"
    object_kind = "column"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        if ctx.exempt:
            return
        for table in checked_tables(ctx):
            key = table.primary_key
            if len(key) != 1:
                continue
            column = table.column(key[0])
            if column is None:
                continue
            if column.type_name == "uuid" and column.default is not None:
                continue
            if column.name in ctx.text_id_columns and column.type_name == "text":
                continue  # keyed by a Better Auth id (TYP001 wants it text): one per user
            problem = (
                "has no default"
                if column.type_name == "uuid"
                else f"is {column.type}{' (identity)' if column.identity else ''}, not uuid"
            )
            yield self.finding(
                f"Primary key {table.path}.{column.name} {problem}",
                f"Declare the key as {column.name} text PRIMARY KEY: user ids are Better "
                "Auth's, and text."
                if column.name in ctx.text_id_columns
                else f"Declare the key as {column.name} uuid PRIMARY KEY DEFAULT "
                "gen_random_uuid().",
                object=f"{table.path}.{column.name}",
            )
