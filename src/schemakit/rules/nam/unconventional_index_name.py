"""NAM008: an index not named idx_{table}_{columns}."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import index_name, index_name_matches, snake_case
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, Severity, quote_ident
from schemakit.rules._scope import checked_tables, index_columns


class UnconventionalIndexName(CatalogRule):
    """Index not named `idx_{table}_{columns}`.

    ## What it does
    Flags an index created with `CREATE INDEX` (not one backing a primary key, unique or
    exclusion constraint, whose name PostgreSQL or the constraint gives) whose name is not
    `idx_{table}_{col1}_{col2}`. The guideline's own abbreviations pass: after
    `idx_{table}_`, each key column in order may contribute just its first words, so
    `idx_files_parent_folder` for `(parent_folder_id)` and
    `idx_messages_conversation_created` for `(conversation_id, created_at)` are fine. For an
    expression key only the `idx_{table}_` start is checked. Partitions (whose indexes
    PostgreSQL names), views and tool schemas are skipped.

    ## Why is this bad?
    Index names share one namespace per schema. `files_user_id_idx`, `ix_user` and
    `idx_files_user_id` for the same thing make duplicates hard to see and `DROP INDEX`
    in a migration a guess; a predictable name tells you the table and columns in
    `EXPLAIN` output and in lock-wait logs.

    ## Example
    ```sql
    CREATE INDEX files_user_idx ON storage.files (user_id);
    ```

    ## Use instead
    ```sql
    CREATE INDEX idx_files_user_id ON storage.files (user_id);
    ```

    ## Guideline
    Naming Conventions, Indexes: "Pattern: idx_{table}_{column(s)}". Severity: warning.
    """

    code = "NAM008"
    name = "unconventional-index-name"
    object_kind = "index"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for index in table.indexes:
                if index.primary or index.constraint is not None:
                    continue
                columns = index_columns(index)
                if index_name_matches(index.name, table.name, columns):
                    continue
                yield self.finding(
                    f"Index {table.schema}.{index.name} on {table.path} "
                    f"({', '.join(index.columns)}) is not named idx_{{table}}_{{columns}}",
                    "Rename the index to "
                    f"{index_name(table.name, [snake_case(c) for c in columns])}.",
                    object=f"{table.schema}.{index.name}",
                    fix=Fix(
                        f"ALTER INDEX {quote_ident(table.schema)}.{quote_ident(index.name)} "
                        "RENAME TO "
                        f"{quote_ident(index_name(table.name, [snake_case(c) for c in columns]))};"
                    ),
                )
