"""MIG022: a long statement holding writes back on an existing table, no statement_timeout."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import LOCKING_KINDS, SqlContext, SqlRule, lock_timeout_set, verb
from schemakit.sql import Statement, lock_strength

_WRITES_WAIT = lock_strength("ShareLock")


class MissingStatementTimeout(SqlRule):
    """A long statement holding writes back, with no `statement_timeout` set first.

    ## What it does
    Flags a migration file with a statement that holds SHARE or a stronger lock on a table
    the file did not create while it reads every row or rewrites the table (`CREATE INDEX`
    without `CONCURRENTLY`, `ADD CONSTRAINT ... CHECK` or `FOREIGN KEY` validated at once,
    `SET NOT NULL` with no proving `CHECK`, a rewriting `ALTER COLUMN ... TYPE` or volatile
    default, `CLUSTER`, `VACUUM FULL`, `REFRESH MATERIALIZED VIEW`) when no `SET
    statement_timeout` to a non-zero value comes before it in the same file. One finding per
    file, at the first such statement. The sibling of MIG010 (`lock_timeout`, which bounds
    the wait for the lock, not the time it is held).

    Off where the runner sets `statement_timeout` for every migration, as `schemakit
    migrate` does: for services whose config names no other runner (`runner = "drizzle"`
    or `"other"` turns it on), in `lint` of the project and `lint --sql` of its files alike.

    ## Why is this bad?
    The statement's duration grows with the table: a build or scan that took a second in
    staging can hold writes back for many minutes in production, with nothing to stop it.
    With `statement_timeout` it gives up at a bound the team chose, and the migration can be
    rewritten the online way.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD CONSTRAINT files_size_check CHECK (size >= 0);
    ```

    ## Use instead
    ```sql
    SET statement_timeout = '5min';
    ALTER TABLE storage.files ADD CONSTRAINT files_size_check CHECK (size >= 0);
    ```

    ## Guideline
    Migrations, Production Migration Script: "Timeout protection (default 5 minutes)".
    """

    code = "MIG022"
    name = "missing-statement-timeout"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = LOCKING_KINDS

    def __init__(self) -> None:
        self._long: list[tuple[Statement, str]] = []
        """Long statements of the current file with no statement_timeout before them."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if ctx.runner_sets_lock_timeout or lock_timeout_set(ctx.settings, "statement_timeout"):
            return iter(())
        if statement.kind == "TruncateStmt":
            return iter(())  # new empty storage: as quick on a big table as on a small one
        for effect in ctx.effects(statement):
            if (
                effect.kind == "table"
                and effect.object
                and ctx.is_existing(effect.object)
                and (effect.rewrites or effect.scans)
                # a NOT NULL column added without a default fails at once on a non-empty table
                and "fails unless empty" not in effect.note
                and lock_strength(effect.mode) >= _WRITES_WAIT
                and not effect.conditional
            ):
                self._long.append((statement, effect.object))
                break
        return iter(())

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        long, self._long = self._long, []
        if not long:
            return
        statement, table = long[0]
        more = len(long) - 1
        also = (
            f" ({more} more such statement{'s' if more > 1 else ''} in this file)" if more else ""
        )
        yield self.finding(
            f"{verb(statement)} {table} reads or rewrites every row while writes to {table} "
            f"wait, with no statement_timeout set: it runs as long as the table is big{also}",
            "Start the migration with SET statement_timeout = '5min' (the guideline's bound).",
            object=table,
            location=self.at(statement),
            service=ctx.service,
        )
