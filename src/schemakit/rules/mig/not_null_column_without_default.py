"""MIG003: ADD COLUMN ... NOT NULL without a default on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding
from schemakit.rules._statements import SqlContext, SqlRule, alter_commands, relation_path
from schemakit.sql import Statement


class NotNullColumnWithoutDefault(SqlRule):
    """`ADD COLUMN ... NOT NULL` without a default on a table this file did not create.

    ## What it does
    Flags `ALTER TABLE ... ADD COLUMN c ... NOT NULL` with no `DEFAULT` (and not an identity
    or generated column) on a table this file did not create (it may hold rows).

    ## Why is this bad?
    On a table with rows it fails (`column "c" contains null values`), so the deploy breaks
    in production though it passed on an empty development database.

    ## Example
    ```sql
    ALTER TABLE credits.balances ADD COLUMN currency text NOT NULL;
    ```

    ## Use instead
    ```sql
    ALTER TABLE credits.balances ADD COLUMN currency text NOT NULL DEFAULT 'EUR';
    ```
    or add it nullable, backfill, then `SET NOT NULL` (expand-contract).

    ## Guideline
    Migrations, DON'T: "Add NOT NULL without default or backfill".
    """

    code = "MIG003"
    name = "not-null-column-without-default"
    object_kind = "column"

    kinds = frozenset({"AlterTableStmt"})
    alter_subtypes = frozenset({"AT_AddColumn"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        table = relation_path(statement.node.get("relation"))
        if not ctx.is_existing(table):
            return
        for cmd in alter_commands(statement, "AT_AddColumn"):
            column = cmd.get("def", {}).get("ColumnDef")
            if column is None:
                continue
            kinds = {
                c.get("Constraint", {}).get("contype") for c in column.get("constraints") or ()
            }
            if "CONSTR_NOTNULL" not in kinds and "CONSTR_PRIMARY" not in kinds:
                continue
            if kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}:
                continue
            yield self.finding(
                f"Column {table}.{column.get('colname')} is added NOT NULL without a default: "
                "it fails on a table that has rows",
                "Give it a DEFAULT, or add it nullable, backfill, then SET NOT NULL.",
                object=f"{table}.{column.get('colname')}",
                location=self.at(statement),
                service=ctx.service,
            )
