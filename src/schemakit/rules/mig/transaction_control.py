"""MIG017: BEGIN/COMMIT in a migration file that nest or leave a transaction open."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Location
from schemakit.rules._sql import SqlContext, SqlRule
from schemakit.sql import Statement

_OPEN = frozenset({"TRANS_STMT_BEGIN", "TRANS_STMT_START"})
_CLOSE = frozenset({"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"})


class TransactionControl(SqlRule):
    """Transaction control in a migration file: nested, left open, or inside the runner's.

    ## What it does
    Flags, in a drizzle-kit folder (drizzle-orm's migrator runs every pending file in one
    transaction of its own), any `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK` or
    `ABORT`. In any other file: a `BEGIN` while the file's own block is open, a `COMMIT` or
    `ROLLBACK` with none open, and a block still open at the end of the file. `SAVEPOINT`
    and a `BEGIN ... COMMIT` pair that closes are fine there.

    ## Why is this bad?
    A `BEGIN` inside a transaction is only a warning to PostgreSQL; the `COMMIT` that follows
    then commits the outer transaction, the runner's, early: the rest of the file, and the
    files after it, run outside it, and a failure no longer rolls the batch back. A block
    left open holds every lock it took until the session ends, and the runner's own
    bookkeeping then runs inside it. A stray `COMMIT` ends a transaction the file did not
    open.

    ## Example
    ```sql
    -- drizzle/0004_backfill.sql
    BEGIN;
    UPDATE storage.files SET size = 0 WHERE size IS NULL;
    COMMIT;
    ```

    ## Use instead
    Leave transaction control to the runner: drop the `BEGIN`/`COMMIT` (drizzle-orm's
    migrator and `schemakit migrate` each run a file in one transaction).

    ## Guideline
    Migrations, Production Migration Script: "Advisory lock ... prevents concurrent
    migrations", "Retry logic with exponential backoff for transient failures".
    """

    code = "MIG017"
    name = "transaction-control"
    object_kind = "migration"

    kinds = frozenset({"TransactionStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        what = statement.node.get("kind", "")
        if what not in _OPEN and what not in _CLOSE:
            return
        word = statement.text.split(None, 1)[0].upper() if statement.text.strip() else "BEGIN"
        if ctx.in_transaction:
            yield self.finding(
                f"{word} in a file drizzle-orm's migrator runs inside its own transaction "
                f"({ctx.path.name}): "
                + (
                    "PostgreSQL ignores the BEGIN, and the COMMIT after it ends the "
                    "migrator's transaction early"
                    if what in _OPEN
                    else "it ends the migrator's transaction early; the rest runs outside it"
                ),
                "Remove the transaction control: the migrator runs the file in a transaction.",
                location=self.at(statement),
                service=ctx.service,
            )
        elif what in _OPEN and ctx.block_line:
            yield self.finding(
                f"{word} inside the transaction block opened on line {ctx.block_line}: "
                "PostgreSQL ignores it, and its COMMIT ends the outer block",
                "Remove the inner BEGIN (use SAVEPOINT for a partial rollback).",
                location=self.at(statement),
                service=ctx.service,
            )
        elif what in _CLOSE and not ctx.block_line:
            yield self.finding(
                f"{word} with no BEGIN before it in this file ends a transaction the file did "
                "not open (the runner's, if it wraps the file in one)",
                "Remove it, or open the block with BEGIN in this file.",
                location=self.at(statement),
                service=ctx.service,
            )

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        if ctx.block_line and not ctx.in_transaction:
            yield self.finding(
                f"the transaction block opened on line {ctx.block_line} is still open at the "
                f"end of {ctx.path.name}: its locks are held until the session ends",
                "End the block with COMMIT in the same file.",
                location=self.at_line(ctx, ctx.block_line),
                service=ctx.service,
            )

    def at_line(self, ctx: SqlContext, line: int) -> Location:
        return Location(ctx.path, line, 1)
