"""MIG003: ADD COLUMN ... NOT NULL without a default on an existing table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding
from schemakit.rules._sql import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement


class NotNullColumnWithoutDefault(SqlRule):
    """`ADD COLUMN ... NOT NULL` without a default on a table an earlier migration created.

    ## What it does
    Flags `ALTER TABLE ... ADD COLUMN c ... NOT NULL` with no `DEFAULT` (and not an identity
    or generated column) on a table created by an earlier migration.

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

    def check(self, ctx: SqlContext, statement: Statement, node: Any) -> Iterator[Finding]:
        from pglast import ast
        from pglast.enums import AlterTableType, ConstrType

        if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
            return
        table = relation_path(node.relation)
        if table not in ctx.existing:
            return
        for cmd in node.cmds or ():
            if cmd.subtype != AlterTableType.AT_AddColumn or not isinstance(
                cmd.def_, ast.ColumnDef
            ):
                continue
            kinds = {c.contype for c in (cmd.def_.constraints or ())}
            if ConstrType.CONSTR_NOTNULL not in kinds and ConstrType.CONSTR_PRIMARY not in kinds:
                continue
            if kinds & {
                ConstrType.CONSTR_DEFAULT,
                ConstrType.CONSTR_IDENTITY,
                ConstrType.CONSTR_GENERATED,
            }:
                continue
            yield self.finding(
                f"Column {table}.{cmd.def_.colname} is added NOT NULL without a default: it "
                "fails on a table that has rows",
                "Give it a DEFAULT, or add it nullable, backfill, then SET NOT NULL.",
                object=f"{table}.{cmd.def_.colname}",
                location=self.at(statement),
                service=ctx.service,
            )
