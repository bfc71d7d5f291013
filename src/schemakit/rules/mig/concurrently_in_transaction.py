"""MIG002: CONCURRENTLY in a migration that runs inside a transaction."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding
from schemakit.rules._statements import SqlContext, SqlRule
from schemakit.sql import Statement, is_concurrent


class ConcurrentlyInTransaction(SqlRule):
    """`CONCURRENTLY` in a migration that runs inside a transaction block.

    ## What it does
    Flags `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY` and `REINDEX ...
    CONCURRENTLY` in a drizzle-kit folder, whose migrator (drizzle-orm) runs every pending file
    in one transaction, and in any file between an explicit `BEGIN` and its `COMMIT`.

    ## Why is this bad?
    PostgreSQL refuses it: `CREATE INDEX CONCURRENTLY cannot run inside a transaction block`
    (25001). The deploy fails at that file, after the ones before it ran. The guideline asks
    for CONCURRENTLY and, with drizzle's migrator, makes it impossible.

    ## Example
    ```sql
    -- in a drizzle-kit folder
    CREATE INDEX CONCURRENTLY idx_files_user_id ON storage.files (user_id);
    ```

    ## Use instead
    Run that migration with `schemakit migrate`, which applies a file containing
    CONCURRENTLY statement by statement outside a transaction, or build the index outside the
    drizzle folder.

    ## Guideline
    Migrations, Best Practices: "Use CONCURRENTLY for index creation"; Key Concepts.
    """

    code = "MIG002"
    name = "concurrently-in-transaction"
    object_kind = "index"

    kinds = frozenset({"IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt"})
    alter_subtypes = frozenset({"AT_DetachPartition"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if not is_concurrent(statement):
            return
        if ctx.block_line:
            yield self.finding(
                "CONCURRENTLY cannot run inside the transaction block opened by BEGIN on "
                f"line {ctx.block_line}",
                "Move the statement out of the BEGIN ... COMMIT block, into a migration of "
                "its own.",
                location=self.at(statement),
                service=ctx.service,
            )
        elif ctx.in_transaction:
            yield self.finding(
                "CONCURRENTLY cannot run inside the transaction drizzle-orm's migrator wraps "
                f"around {ctx.path.name}",
                "Apply this migration with schemakit migrate, or run the index build outside "
                "the drizzle folder.",
                location=self.at(statement),
                service=ctx.service,
            )
