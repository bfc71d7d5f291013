"""MIG018: a statement PostgreSQL refuses inside a transaction block, inside one."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding
from schemakit.rules._sql import SqlContext, SqlRule, verb
from schemakit.sql import Statement, cannot_run_in_transaction, is_concurrent


class StatementOutsideTransaction(SqlRule):
    """`VACUUM`, `CREATE DATABASE`, `ALTER SYSTEM`, ... where a transaction block wraps it.

    ## What it does
    Flags, in a drizzle-kit folder (drizzle-orm's migrator runs every pending file in one
    transaction) or between an explicit `BEGIN` and its `COMMIT`, a statement PostgreSQL
    refuses inside a transaction block: `VACUUM`, `CREATE`/`DROP DATABASE`, `ALTER SYSTEM`,
    `CREATE`/`DROP TABLESPACE`, `CLUSTER` with no table, `REINDEX SCHEMA`/`DATABASE`/`SYSTEM`.
    `CONCURRENTLY` is MIG002's; `ANALYZE` alone may run in a block.

    ## Why is this bad?
    PostgreSQL refuses it: `VACUUM cannot run inside a transaction block` (25001). The
    deploy fails at that file, after the files before it ran.

    ## Example
    ```sql
    -- in a drizzle-kit folder
    VACUUM ANALYZE storage.files;
    ```

    ## Use instead
    Leave maintenance to autovacuum or run it outside the migrations; or apply the file with
    `schemakit migrate`, which runs a file holding such a statement statement by statement.

    ## Guideline
    Migrations, Best Practices: "Keep migrations small and focused", "Test migrations in
    staging before production".
    """

    code = "MIG018"
    name = "statement-outside-transaction"
    object_kind = "migration"

    kinds = frozenset(
        {
            "VacuumStmt",
            "CreatedbStmt",
            "DropdbStmt",
            "AlterSystemStmt",
            "CreateTableSpaceStmt",
            "DropTableSpaceStmt",
            "ClusterStmt",
            "ReindexStmt",
        }
    )

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if not cannot_run_in_transaction(statement) or is_concurrent(statement):
            return
        what = verb(statement).removesuffix(" FULL")
        if statement.kind == "VacuumStmt":
            what = "VACUUM"
        if ctx.block_line:
            where = f"inside the transaction block opened by BEGIN on line {ctx.block_line}"
        elif ctx.in_transaction:
            where = f"inside the transaction drizzle-orm's migrator wraps around {ctx.path.name}"
        else:
            return
        yield self.finding(
            f"{what} cannot run {where}",
            "Move the statement out of the transaction block: out of the drizzle folder, or "
            "into a file schemakit migrate applies statement by statement.",
            location=self.at(statement),
            service=ctx.service,
        )
