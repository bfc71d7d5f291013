"""MIG015: DROP NOT NULL on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, alter_commands, relation_path
from schemakit.sql import Statement


class DropNotNull(SqlRule):
    """`ALTER COLUMN ... DROP NOT NULL` on a table this file did not create.

    ## What it does
    Flags `ALTER TABLE t ALTER COLUMN c DROP NOT NULL` on an existing table.

    ## Why is this bad?
    The change is instant, but it breaks a contract: code already deployed reads the column
    as never NULL (drizzle's `.notNull()` types it `string`, not `string | null`). As soon
    as new code writes a NULL, the old instances still serving traffic crash on it or
    mishandle it. In expand-contract, relaxing a constraint is a contract step: deploy
    readers that handle NULL first, then drop the constraint.

    ## Example
    ```sql
    ALTER TABLE storage.files ALTER COLUMN mime_type DROP NOT NULL;
    ```

    ## Use instead
    Deploy code that accepts NULL in the column first; then drop the constraint in a later
    migration and mark it reviewed with `-- schemakit: ignore[MIG015]`.

    ## Guideline
    Key Concepts, "Migrations run BEFORE code deployment" and "Zero-downtime: Use
    expand-contract pattern for breaking schema changes".
    """

    code = "MIG015"
    name = "drop-not-null"
    object_kind = "column"
    severity = Severity.WARNING

    kinds = frozenset({"AlterTableStmt"})
    alter_subtypes = frozenset({"AT_DropNotNull"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        table = relation_path(statement.node.get("relation"))
        if not ctx.is_existing(table):
            return
        for cmd in alter_commands(statement, "AT_DropNotNull"):
            column = cmd.get("name", "")
            yield self.finding(
                f"DROP NOT NULL on {table}.{column}: deployed code that reads it as never "
                "NULL breaks on the first NULL written",
                "Deploy readers that handle NULL first, then drop the constraint in a later "
                "migration.",
                object=f"{table}.{column}",
                location=self.at(statement),
                service=ctx.service,
            )
