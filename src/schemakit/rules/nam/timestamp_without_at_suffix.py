"""NAM005: a timestamp column whose name does not end in _at."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import TIMESTAMP_SUFFIX
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables

TIMESTAMP_TYPES = ("timestamptz", "timestamp")


class TimestampWithoutAtSuffix(CatalogRule):
    """Timestamp column whose name does not end in `_at`.

    ## What it does
    Flags `timestamp with time zone` and `timestamp` columns of tables whose name does not end
    in `_at`. Dates (`date`) are not checked. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    `_at` marks a point in time in every service (`created_at`, `deleted_at`, `expires_at`):
    a reader knows the type without looking, and `last_login` versus `last_login_at` is one
    less thing to remember. A name like `deleted` reads as a boolean and invites the bug of
    testing it with `IS TRUE`.

    ## Example
    ```sql
    ALTER TABLE auth.sessions ADD COLUMN expires timestamptz NOT NULL;
    ```

    ## Use instead
    ```sql
    ALTER TABLE auth.sessions ADD COLUMN expires_at timestamptz NOT NULL;
    ```

    ## Guideline
    Naming Conventions, Columns: "Timestamp: _at suffix" (`created_at`, `deleted_at`).
    Severity: warning.
    """

    code = "NAM005"
    name = "timestamp-without-at-suffix"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.type_name not in TIMESTAMP_TYPES:
                    continue
                if column.name.endswith(TIMESTAMP_SUFFIX):
                    continue
                yield self.finding(
                    f"Timestamp column {table.path}.{column.name} does not end in "
                    f"{TIMESTAMP_SUFFIX}",
                    f"Rename the column to {column.name}{TIMESTAMP_SUFFIX}.",
                    object=f"{table.path}.{column.name}",
                )
