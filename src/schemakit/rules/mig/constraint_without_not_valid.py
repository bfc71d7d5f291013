"""MIG007: a foreign key or CHECK added to an existing table without NOT VALID."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement

_VALIDATED = frozenset({"CONSTR_FOREIGN", "CONSTR_CHECK"})


class ConstraintWithoutNotValid(SqlRule):
    """Foreign key or `CHECK` added to an existing table without `NOT VALID`.

    ## What it does
    Flags, on a table this file did not create:

    - `ALTER TABLE ... ADD [CONSTRAINT c] FOREIGN KEY ...` or `CHECK (...)` without `NOT VALID`;
    - `ALTER TABLE ... ADD COLUMN ... REFERENCES ...` or `... CHECK (...)`: a column
      constraint cannot be `NOT VALID`, so it is always checked against every row;
    - `VALIDATE CONSTRAINT c` in the same transaction as the `ADD ... NOT VALID` of `c`
      (the same file, unless the file runs statement by statement because something in it
      cannot run in a transaction; any file of a drizzle folder).

    ## Why is this bad?
    Adding the constraint checks every existing row while holding the lock of the `ADD`:
    ACCESS EXCLUSIVE for a CHECK (no reads, no writes), SHARE ROW EXCLUSIVE on both tables for
    a foreign key (no writes to either). With `NOT VALID` the `ADD` is instant and new rows are
    checked at once; `VALIDATE CONSTRAINT` later checks the old rows under SHARE UPDATE
    EXCLUSIVE, which blocks neither reads nor writes, but only in a transaction of its own:
    in the `ADD`'s transaction the strong lock is still held while it scans. A warning, not an
    error: the statement succeeds, and on a small table the check is quick.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD CONSTRAINT files_folder_id_fkey
        FOREIGN KEY (folder_id) REFERENCES storage.folders (id);
    ```

    ## Use instead
    ```sql
    -- 0007
    ALTER TABLE storage.files ADD CONSTRAINT files_folder_id_fkey
        FOREIGN KEY (folder_id) REFERENCES storage.folders (id) NOT VALID;
    -- 0008
    ALTER TABLE storage.files VALIDATE CONSTRAINT files_folder_id_fkey;
    ```

    ## Guideline
    Migrations, Key Concepts: "Zero-downtime: Use expand-contract pattern for breaking schema
    changes".
    """

    code = "MIG007"
    name = "constraint-without-not-valid"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset({"AlterTableStmt"})
    alter_subtypes = frozenset({"AT_AddColumn", "AT_AddConstraint", "AT_ValidateConstraint"})

    def __init__(self) -> None:
        self._not_valid: set[tuple[str, str]] = set()
        """(table, constraint) added NOT VALID in the current file."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        table = relation_path(statement.node.get("relation"))
        if not ctx.is_existing(table):
            return
        for item in statement.node.get("cmds") or ():
            cmd = item.get("AlterTableCmd", {})
            subtype = cmd.get("subtype")
            definition = cmd.get("def") or {}
            if subtype == "AT_AddConstraint":
                constraint = definition.get("Constraint", {})
                if constraint.get("contype") not in _VALIDATED:
                    continue
                if constraint.get("skip_validation"):
                    self._not_valid.add((table, constraint.get("conname", "")))
                    continue
                yield self._unvalidated(ctx, statement, table, constraint, inline=None)
            elif subtype == "AT_AddColumn":
                column = definition.get("ColumnDef", {})
                for entry in column.get("constraints") or ():
                    constraint = entry.get("Constraint", {})
                    if constraint.get("contype") in _VALIDATED:
                        yield self._unvalidated(
                            ctx, statement, table, constraint, inline=column.get("colname", "")
                        )
            elif (
                subtype == "AT_ValidateConstraint"
                and ctx.one_transaction
                and (table, cmd.get("name", "")) in self._not_valid
            ):
                yield self.finding(
                    f"VALIDATE CONSTRAINT {cmd.get('name')} on {table} runs in the transaction "
                    "that added it NOT VALID: the ADD's lock is held while every row is checked",
                    "Move VALIDATE CONSTRAINT into a later migration.",
                    object=f"{table}.{cmd.get('name')}",
                    location=self.at(statement),
                    service=ctx.service,
                )

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        if not ctx.in_transaction:  # a drizzle folder's files share one transaction
            self._not_valid.clear()
        return iter(())

    def _unvalidated(
        self,
        ctx: SqlContext,
        statement: Statement,
        table: str,
        constraint: dict[str, Any],
        inline: str | None,
    ) -> Finding:
        name = constraint.get("conname")
        if constraint.get("contype") == "CONSTR_FOREIGN":
            referenced = relation_path(constraint.get("pktable"))
            what = f"Foreign key {name + ' ' if name else ''}on {table}"
            lock = f"{table} and {referenced} are locked SHARE ROW EXCLUSIVE (no writes)"
            if inline is not None:
                lock = f"{table} is locked ACCESS EXCLUSIVE"
        else:
            what = f"CHECK {name + ' ' if name else ''}on {table}"
            lock = f"{table} is locked ACCESS EXCLUSIVE"
        if inline is not None:
            return self.finding(
                f"{what} comes with new column {inline}, which cannot be NOT VALID: every row "
                f"is checked while {lock}",
                "Add the column first, then the constraint NOT VALID, and VALIDATE it in a "
                "later migration.",
                object=f"{table}.{inline}",
                location=self.at(statement),
                service=ctx.service,
            )
        return self.finding(
            f"{what} is added without NOT VALID: every row is checked while {lock}",
            "Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
            object=f"{table}.{name}" if name else table,
            location=self.at(statement),
            service=ctx.service,
        )
