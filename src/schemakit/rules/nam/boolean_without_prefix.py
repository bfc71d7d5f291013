"""NAM004: a boolean column whose name does not start with is_ or has_."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import BOOLEAN_PREFIXES
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class BooleanWithoutPrefix(CatalogRule):
    """Boolean column whose name does not start with `is_` or `has_`.

    ## What it does
    Flags `boolean` columns of tables whose name does not start with `is_` or `has_`, or with
    a prefix listed in `[lint] extend-boolean-prefixes` (for example `can_`, `should_`).
    Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    `deleted`, `public` or `verified` could be a timestamp, a string or a flag; `is_deleted`
    can only be a flag, and it reads as a condition: `WHERE is_public`. Half the team
    guessing `active` versus `is_active` costs a failed query each time.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD COLUMN favorite boolean NOT NULL DEFAULT false;
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.files ADD COLUMN is_favorite boolean NOT NULL DEFAULT false;
    ```

    ## Guideline
    Naming Conventions, Columns: "Boolean: is_ or has_ prefix" (`is_deleted`,
    `has_password`). Severity: warning.
    """

    code = "NAM004"
    name = "boolean-without-prefix"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        prefixes = (*BOOLEAN_PREFIXES, *ctx.config.lint.extend_boolean_prefixes)
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.type_name != "bool" or column.name.startswith(prefixes):
                    continue
                yield self.finding(
                    f"Boolean column {table.path}.{column.name} does not start with "
                    + " or ".join(prefixes),
                    f"Rename the column to is_{column.name} (or has_...).",
                    object=f"{table.path}.{column.name}",
                )
