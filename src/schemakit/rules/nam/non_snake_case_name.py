"""NAM001: a table or column name that is not snake_case."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import is_snake_case, snake_case
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class NonSnakeCaseName(CatalogRule):
    """Table or column name that is not snake_case.

    ## What it does
    Flags tables (partitions included) and their columns whose name is not lower case words
    joined by single underscores, such as `UserSessions`, `"fileVersions"` or a Drizzle
    `createdAt` column declared without its SQL name. Views and tool schemas are skipped.

    ## Why is this bad?
    A mixed-case name only works quoted: every hand-written query, psql session and other
    service must then write `"createdAt"`, and the unquoted spelling silently refers to a
    different (missing) name. One case convention keeps SQL, Drizzle and SQLAlchemy in step.

    ## Example
    ```sql
    CREATE TABLE storage."fileVersions" ("fileId" uuid NOT NULL);
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.file_versions (file_id uuid NOT NULL);
    ```
    In Drizzle, give each column its SQL name: `fileId: uuid('file_id')`.

    ## Guideline
    Naming Conventions, Tables: "Use snake_case" (`user_sessions`, `file_versions`).
    Severity: warning, like every naming rule.
    """

    code = "NAM001"
    name = "non-snake-case-name"
    object_kind = "table"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx, partitions=True):
            if not is_snake_case(table.name):
                yield self.finding(
                    f"Table {table.path} is not snake_case",
                    f"Rename the table to {snake_case(table.name)}.",
                    object=table.path,
                )
            if table.partition_of:
                continue  # its columns are its parent's
            for column in table.columns:
                if not is_snake_case(column.name):
                    yield self.finding(
                        f"Column {table.path}.{column.name} is not snake_case",
                        f"Rename the column to {snake_case(column.name)}.",
                        object=f"{table.path}.{column.name}",
                        kind="column",
                    )
