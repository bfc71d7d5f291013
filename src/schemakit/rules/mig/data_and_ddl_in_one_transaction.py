"""MIG011: a data change in the same transaction as DDL on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import (
    LOCKING_KINDS,
    Lock,
    SqlContext,
    SqlRule,
    relation_path,
    verb,
)
from schemakit.sql import Statement

_DATA_KINDS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt"})
_ENDS = frozenset(
    {"TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"}
)


def _changes_data(statement: Statement) -> bool:
    """INSERT ... SELECT, UPDATE, DELETE, MERGE or COPY FROM: work that grows with the data.
    ``INSERT ... VALUES`` is left out: its rows are written in the file, so it is quick."""
    kind = statement.kind  # UPDATE, DELETE and MERGE: by kind alone, their trees not read
    if kind == "InsertStmt":
        select = statement.node.get("selectStmt", {}).get("SelectStmt")
        return select is not None and "valuesLists" not in select
    if kind == "CopyStmt":
        return bool(statement.node.get("is_from"))
    return kind in _DATA_KINDS


class DataAndDdlInOneTransaction(SqlRule):
    """Data change in the same transaction as DDL on an existing table.

    ## What it does
    Flags a transaction that both changes data (`INSERT ... SELECT`, `UPDATE`, `DELETE`,
    `MERGE`, `COPY ... FROM`) and runs DDL that blocks writes (SHARE lock or stronger: most
    `ALTER TABLE`, non-concurrent `CREATE INDEX`, `CREATE TRIGGER`, `DROP TABLE`, `TRUNCATE`,
    renames) on a table the file did not create, in either order. Reported once, at the first
    data statement.

    The transaction is the file: `schemakit migrate`, Flyway and Alembic run each migration
    in one, unless a statement in it cannot run inside a transaction block (`CONCURRENTLY`,
    `VACUUM`), in which case it is applied statement by statement and not flagged. A
    drizzle folder's pending files all run in one transaction (drizzle-orm's migrator), so
    there DDL in one file and a data change in a later one count too. `COMMIT`/`BEGIN` in
    the file end the transaction. `INSERT ... VALUES` is not a data change here: its rows are
    in the file, so it is quick.

    ## Why is this bad?
    Locks are held until the transaction commits. DDL first: the table stays locked (for an
    `ALTER TABLE`, ACCESS EXCLUSIVE: no reads either) for as long as the backfill runs. Data
    first: the rows it changed stay locked while the DDL waits for its own lock, and the
    whole batch is rolled back when the DDL fails or `statement_timeout` ends the backfill. A
    warning: a small table backfills in milliseconds.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD COLUMN extension text;
    UPDATE storage.files SET extension = substring(name from '\\.([^.]+)$');
    ```

    ## Use instead
    The DDL in one migration, the backfill in the next (in batches when the table is large),
    and the constraint that depends on it (`SET NOT NULL`, MIG005) in a third.

    ## Guideline
    Migrations, Best Practices: "Keep migrations small and focused"; Key Concepts,
    "Zero-downtime: Use expand-contract pattern for breaking schema changes".
    """

    code = "MIG011"
    name = "data-and-ddl-in-one-transaction"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = LOCKING_KINDS | _DATA_KINDS | {"TransactionStmt"}

    def __init__(self) -> None:
        self._ddl: tuple[Statement, str, Lock] | None = None
        self._data: Statement | None = None
        self._reported = False

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if not ctx.one_transaction:
            return
        if statement.kind == "TransactionStmt":
            if statement.node.get("kind") in _ENDS:
                yield from self._close(ctx, reset=True)
            return
        if _changes_data(statement):
            self._data = self._data or statement
            return
        if statement.kind in _DATA_KINDS:
            return  # INSERT ... VALUES: ROW EXCLUSIVE, never the DDL lock asked about below
        if self._ddl is None:
            for table, lock in ctx.table_locks(statement).items():
                if lock >= Lock.SHARE and ctx.is_existing(table):
                    self._ddl = (statement, table, lock)
                    break

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        # a drizzle folder's files share one transaction: carry the state into the next file
        return self._close(ctx, reset=not ctx.in_transaction)

    def _close(self, ctx: SqlContext, *, reset: bool) -> Iterator[Finding]:
        if self._ddl is not None and self._data is not None and not self._reported:
            self._reported = True
            data, (ddl, table, lock) = self._data, self._ddl
            same_file = ddl.path == data.path
            where = (
                f"line {ddl.line}"
                if same_file
                else f"{ddl.path.name if ddl.path else '-'}:{ddl.line}"
            )
            yield self.finding(
                f"{verb(data)} {relation_path(data.node.get('relation'))} runs in one "
                f"transaction with {verb(ddl)} {table} ({where}): the {lock.label} lock on "
                f"{table} and the changed rows stay locked until it all commits",
                "Move the data change into a migration of its own.",
                object=table,
                location=self.at(data),
                service=ctx.service,
            )
        if reset:
            self._ddl, self._data, self._reported = None, None, False
