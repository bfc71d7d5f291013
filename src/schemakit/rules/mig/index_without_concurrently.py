"""MIG001: an index built without CONCURRENTLY on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement


class IndexWithoutConcurrently(SqlRule):
    """Index built without `CONCURRENTLY` on a table this file did not create.

    ## What it does
    Flags `CREATE INDEX` without `CONCURRENTLY` on a table that existed before this
    migration (any table the file did not create itself). Indexes on tables created in the same file are fine.

    ## Why is this bad?
    A plain `CREATE INDEX` takes a SHARE lock: every INSERT, UPDATE and DELETE on the table
    waits until the whole index is built, which on a large table is minutes of write outage.

    ## Example
    ```sql
    CREATE INDEX idx_files_user_id ON storage.files (user_id);
    ```

    ## Use instead
    ```sql
    CREATE INDEX CONCURRENTLY idx_files_user_id ON storage.files (user_id);
    ```
    in a migration of its own (it cannot run inside a transaction block).

    ## Guideline
    Migrations, Best Practices: "Use CONCURRENTLY for index creation".
    """

    code = "MIG001"
    name = "index-without-concurrently"
    severity = Severity.WARNING

    kinds = frozenset({"IndexStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if node.get("concurrent"):
            return
        table = relation_path(node.get("relation"))
        if not ctx.is_existing(table):
            return
        yield self.finding(
            f"CREATE INDEX {node.get('idxname', '')} on existing table {table} without CONCURRENTLY "
            "blocks writes (SHARE lock) while it builds",
            "Add CONCURRENTLY and move the statement into a migration of its own.",
            object=table,
            location=self.at(statement),
            service=ctx.service,
        )
