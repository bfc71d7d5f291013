"""MIG010: an ACCESS EXCLUSIVE lock on an existing table with no lock_timeout set."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import (
    LOCKING_KINDS,
    Lock,
    SqlContext,
    SqlRule,
    lock_timeout_set,
    verb,
)
from schemakit.sql import Statement


class MissingLockTimeout(SqlRule):
    """ACCESS EXCLUSIVE lock on an existing table with no `lock_timeout` set first.

    ## What it does
    Flags a migration file whose statements take an ACCESS EXCLUSIVE lock on a table the
    file did not create (most `ALTER TABLE` forms, including `ADD COLUMN`, `SET NOT NULL`,
    `ALTER COLUMN ... TYPE`, `ADD CHECK`; `DROP TABLE`, `TRUNCATE`, renames, `SET SCHEMA`,
    `LOCK TABLE`, `CLUSTER`, `VACUUM FULL`, `REFRESH MATERIALIZED VIEW`) when no `SET
    lock_timeout` (or `SET LOCAL`, or `set_config('lock_timeout', ...)`) to a non-zero value
    comes before it in the same file. One finding per file, at the first such statement.
    Weaker locks (`CREATE INDEX`'s SHARE, a foreign key's SHARE ROW EXCLUSIVE, `VALIDATE
    CONSTRAINT`) are not this rule's concern.

    Each file must set it itself: in a later deploy the earlier file that set it does not
    run. Off where the runner sets `lock_timeout` for every migration, as `schemakit migrate`
    does: its pre-apply check, and every service whose config names no other runner, whether
    the project is linted or its files are (`lint --sql`); a file of no service gets it. A
    service applied by drizzle-orm's migrator, psql or a deploy script says so with
    `runner = "drizzle"` or `runner = "other"`, and gets the rule.

    ## Why is this bad?
    The lock must wait for every transaction that touched the table, say a long report or
    an idle-in-transaction session; while it waits, every later query on the table, plain
    SELECTs included, queues behind it. A statement that would take milliseconds becomes an
    outage for as long as the oldest transaction lives. With `lock_timeout` it gives up
    instead and the migration can be retried. A warning: with no long transaction around,
    nothing happens.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD COLUMN checksum text;
    ```

    ## Use instead
    ```sql
    SET lock_timeout = '5s';
    ALTER TABLE storage.files ADD COLUMN checksum text;
    ```
    and retry the migration when it times out.

    ## Guideline
    Migrations, Production Migration Script: "Retry logic with exponential backoff for
    transient failures", "Timeout protection"; Key Concepts, "Zero-downtime".
    """

    code = "MIG010"
    name = "missing-lock-timeout"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = LOCKING_KINDS

    def __init__(self) -> None:
        self._unguarded: list[tuple[Statement, list[str]]] = []
        """ACCESS EXCLUSIVE statements of the current file with no lock_timeout before them."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if ctx.runner_sets_lock_timeout or lock_timeout_set(ctx.settings):
            return iter(())
        tables = [
            table
            for table, lock in ctx.table_locks(statement).items()
            if lock == Lock.ACCESS_EXCLUSIVE and ctx.is_existing(table)
        ]
        if tables:
            self._unguarded.append((statement, tables))
        return iter(())

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        unguarded, self._unguarded = self._unguarded, []
        if not unguarded:
            return
        statement, tables = unguarded[0]
        more = len(unguarded) - 1
        also = (
            f" ({more} more such statement{'s' if more > 1 else ''} in this file)" if more else ""
        )
        subject, on = f"{verb(statement)} {', '.join(tables)}", ""
        if tables[0].startswith("the table of "):  # DROP INDEX app.i: its table is not named
            subject, on = f"{verb(statement)} {tables[0].removeprefix('the table of ')}", tables[0]
        yield self.finding(
            f"{subject} takes an ACCESS EXCLUSIVE lock{f' on {on}' if on else ''} with no "
            "lock_timeout set: while it waits for a long transaction, every query on "
            f"{tables[0]} queues behind it{also}",
            "Start the migration with SET lock_timeout = '5s' and retry it when it times out.",
            object=tables[0].removeprefix("the table of "),
            location=self.at(statement),
            service=ctx.service,
        )
