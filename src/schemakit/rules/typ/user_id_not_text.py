"""TYP001: a user_id column that is not text."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding
from schemakit.rules._scope import checked_tables


class UserIdNotText(CatalogRule):
    """`user_id` column that is not `text`.

    ## What it does
    Flags a `user_id` column of any type but `text`: `uuid` above all, but also `varchar`
    or `integer`. Other columns that hold Better Auth ids are checked too when listed in
    `[lint] text-id-columns` (default `["user_id"]`; the list replaces the default, so
    include `user_id`). Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    The auth service (Better Auth) generates ids like `otUe1YrfENPdHnrF3g1vSBfpkQfambCZ`,
    which are not UUIDs. A `uuid` column accepts no such id: the first real user's insert
    fails with `invalid input syntax for type uuid`. On the origin platform this shipped
    and was fixed by hand-written SQL afterwards.

    ## Example
    ```sql
    CREATE TABLE credits.balances (user_id uuid NOT NULL);
    ```

    ## Use instead
    ```sql
    CREATE TABLE credits.balances (user_id text NOT NULL);
    ```
    In Drizzle: `userId: text('user_id').notNull()`.

    ## Guideline
    Schema Design, User ID Column Type: "CRITICAL: Always use text for user_id columns,
    NOT uuid." Severity: error; it breaks inserts.
    """

    code = "TYP001"
    name = "user-id-not-text"
    object_kind = "column"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        names = ctx.text_id_columns
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.name not in names or column.type_name == "text":
                    continue
                yield self.finding(
                    f"Column {table.path}.{column.name} is {column.type}, not text: Better "
                    "Auth user ids are not UUIDs",
                    f"Change the column to text: ALTER TABLE {table.path} ALTER COLUMN "
                    f"{column.name} TYPE text;",
                    object=f"{table.path}.{column.name}",
                )
