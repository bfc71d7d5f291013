"""IDX001: a foreign key that no index leads with."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.catalog import ForeignKey, Table
from schemakit.conventions import index_name, quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, Severity, quote_ident
from schemakit.rules._scope import checked_tables, index_columns


class FkWithoutIndex(CatalogRule):
    """Foreign key with no index whose leading columns are its columns.

    ## What it does
    Flags a foreign key when no valid, non-partial index of its table starts with the
    foreign key's columns (in any order among themselves). The primary key and unique
    indexes count: in `file_tags (file_id, tag_id)` the primary key covers `file_id`, and
    `tag_id` needs an index of its own. Partitions (their parent's foreign keys and
    indexes are checked), views and tool schemas are skipped.

    ## Why is this bad?
    PostgreSQL indexes the referenced side of a foreign key, never the referencing side.
    Every delete or key update in the parent table then scans the child table to find
    referencing rows (under a lock; with `ON DELETE CASCADE`, once per deleted row), and
    the join the foreign key exists for, "files of this folder", is a sequential scan too.

    ## Example
    ```sql
    CREATE TABLE storage.files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        parent_folder_id uuid REFERENCES storage.folders (id) ON DELETE SET NULL
    );
    ```

    ## Use instead
    ```sql
    CREATE INDEX CONCURRENTLY idx_files_parent_folder_id ON storage.files (parent_folder_id);
    ```

    ## Guideline
    Anti-Patterns 2. Missing Indexes ("If you frequently query by a column, add an index");
    Table Definition Pattern, whose foreign key `parent_folder_id` has
    `idx_files_parent_folder`. Severity: warning: a small table may not need one yet.
    """

    code = "IDX001"
    name = "fk-without-index"
    object_kind = "constraint"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for fk in table.foreign_keys:
                if _covered(table, fk):
                    continue
                yield self.finding(
                    f"Foreign key {table.path}.{fk.name} ({', '.join(fk.columns)}) "
                    f"references {fk.ref_path} but no index of {table.path} starts with "
                    f"{'it' if len(fk.columns) == 1 else 'them'}",
                    f"Create an index: CREATE INDEX CONCURRENTLY "
                    f"{index_name(table.name, fk.columns)} ON {table.path} "
                    f"({', '.join(fk.columns)});",
                    object=f"{table.path}.{fk.name}",
                    fix=Fix(
                        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                        f"{quote_ident(index_name(table.name, fk.columns))} ON "
                        f"{quote_qualified(table.schema, table.name)} "
                        f"({', '.join(quote_ident(c) for c in fk.columns)});"
                    ),
                )


def _covered(table: Table, fk: ForeignKey) -> bool:
    wanted = set(fk.columns)
    for index in table.indexes:
        if not index.valid or index.predicate is not None:
            continue
        if set(index_columns(index)[: len(fk.columns)]) == wanted:
            return True
    return False
