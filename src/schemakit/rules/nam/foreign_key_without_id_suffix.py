"""NAM006: a foreign-key column whose name does not end in _id."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import FOREIGN_KEY_SUFFIX, PRIMARY_KEY, singular
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class ForeignKeyWithoutIdSuffix(CatalogRule):
    """Foreign-key column whose name does not end in `_id`.

    ## What it does
    Flags the column of a single-column foreign key that references an id (a column named
    `id` or ending in `_id`) when the column's own name is neither `id` (a one-to-one
    extension table) nor ends in `_id`. Foreign keys to natural keys (`currency_code`
    referencing `currencies.code`) and multi-column foreign keys are not checked.
    Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    `{entity}_id` says both what the column points at and that it is a reference: `owner`
    or `folder` could be a name, a JSON blob or an id, and joins written against them are
    guesses. Tools and people find the relations of a table by its `_id` columns.

    ## Example
    ```sql
    CREATE TABLE storage.files (
        folder uuid REFERENCES storage.folders (id)
    );
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (
        folder_id uuid REFERENCES storage.folders (id)
    );
    ```

    ## Guideline
    Naming Conventions, Columns: "Foreign key: {entity}_id" (`user_id`, `folder_id`).
    Severity: warning.
    """

    code = "NAM006"
    name = "foreign-key-without-id-suffix"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for fk in table.foreign_keys:
                if len(fk.columns) != 1:
                    continue
                (column,) = fk.columns
                (referenced,) = fk.ref_columns
                if referenced != PRIMARY_KEY and not referenced.endswith(FOREIGN_KEY_SUFFIX):
                    continue
                if column == PRIMARY_KEY or column.endswith(FOREIGN_KEY_SUFFIX):
                    continue
                names = dict.fromkeys(
                    (
                        f"{column}{FOREIGN_KEY_SUFFIX}",
                        f"{singular(fk.ref_table)}{FOREIGN_KEY_SUFFIX}",
                    )
                )
                yield self.finding(
                    f"Foreign-key column {table.path}.{column} (references {fk.ref_path}) "
                    f"does not end in {FOREIGN_KEY_SUFFIX}",
                    f"Rename the column to {' or '.join(names)}.",
                    object=f"{table.path}.{column}",
                )
