"""IDX003: a user_id column that no index leads with."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import index_name, quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, Severity, quote_ident
from schemakit.rules._scope import checked_tables, index_columns


class UserIdWithoutIndex(CatalogRule):
    """`user_id` column with no index that starts with it.

    ## What it does
    Flags a `user_id` column (or another configured `text-id-columns` name) when no valid,
    non-partial index of its table has it as its first column. The primary key and unique
    indexes count (`user_settings` keyed by `user_id` is covered). Partitions (their
    parent is checked), views and tool schemas are skipped.

    ## Why is this bad?
    Almost every query of a user-owned table filters by its owner ("this user's files"),
    and `user_id` is never a foreign key here (the users live in another service's schema,
    and ISO008 forbids a key across services), so IDX001 never asks for this index. Without
    it each such query reads the whole table.

    ## Example
    ```sql
    CREATE TABLE storage.files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL
    );
    ```

    ## Use instead
    ```sql
    CREATE INDEX CONCURRENTLY idx_files_user_id ON storage.files (user_id);
    ```

    ## Guideline
    Table Definition Pattern: `userIdx: index('idx_files_user_id').on(table.userId)`;
    Anti-Patterns 2. Missing Indexes. Severity: warning: a small table may not need one yet.
    """

    code = "IDX003"
    name = "user-id-without-index"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        names = ctx.text_id_columns
        for table in checked_tables(ctx):
            leading = {
                index_columns(index)[0]
                for index in table.indexes
                if index.valid and index.predicate is None and index.columns
            }
            for column in table.columns:
                if column.name not in names or column.name in leading:
                    continue
                name = index_name(table.name, [column.name])
                yield self.finding(
                    f"No index of {table.path} starts with {column.name}: every query for one "
                    "user's rows reads the whole table",
                    f"Create one: CREATE INDEX CONCURRENTLY {name} ON {table.path} "
                    f"({column.name});",
                    object=f"{table.path}.{column.name}",
                    fix=Fix(
                        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote_ident(name)} ON "
                        f"{quote_qualified(table.schema, table.name)} "
                        f"({quote_ident(column.name)});"
                    ),
                )
