"""MIG012: a column whose default or generation rewrites an existing table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding
from schemakit.rules._statements import (
    SqlContext,
    SqlRule,
    alter_commands,
    names,
    relation_path,
)
from schemakit.sql import Statement, volatile_reason

_SERIALS = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


class VolatileDefaultRewrite(SqlRule):
    """`ADD COLUMN` whose default or generation rewrites an existing table.

    ## What it does
    Flags, on a table this file did not create, `ALTER TABLE ... ADD COLUMN` whose new column
    has a volatile `DEFAULT` (`gen_random_uuid()`, `random()`, `clock_timestamp()`,
    `nextval()`, a subquery, or a function PostgreSQL does not know as stable or immutable),
    is `GENERATED ALWAYS AS (...) STORED`, is an identity column, or is `serial`. drizzle's
    `.defaultRandom()` on a column added to an existing table writes exactly this. A
    constant default or `now()` (stable) is stored once in the catalog and is fine.

    ## Why is this bad?
    PostgreSQL fills such a column row by row: it rewrites the whole table, and every index
    on it, while holding ACCESS EXCLUSIVE. Reads and writes wait for the whole rewrite: on a
    large table, an outage of minutes. The migration still succeeds, which is why it is
    only found in production.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD COLUMN token uuid DEFAULT gen_random_uuid();
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.files ADD COLUMN token uuid;                   -- catalog only
    ALTER TABLE storage.files ALTER COLUMN token SET DEFAULT gen_random_uuid();  -- new rows
    -- then backfill the old rows in batches, outside the migration
    ```

    ## Guideline
    Key Concepts, "Zero-downtime: Use expand-contract pattern for breaking schema changes";
    Best Practices, "Keep migrations small and focused".
    """

    code = "MIG012"
    name = "volatile-default-rewrite"
    object_kind = "column"

    kinds = frozenset({"AlterTableStmt"})
    alter_subtypes = frozenset({"AT_AddColumn"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
            return
        table = relation_path(node.get("relation"))
        if not ctx.is_existing(table):
            return
        for cmd in alter_commands(statement, "AT_AddColumn"):
            column = (cmd.get("def") or {}).get("ColumnDef") or {}
            reason = _rewrite_reason(column)
            if not reason:
                continue
            name = column.get("colname", "")
            yield self.finding(
                f"ADD COLUMN {name} on existing table {table}: {reason} rewrites every row "
                "and index under an ACCESS EXCLUSIVE lock (reads and writes wait)",
                "Add the column without it, SET DEFAULT for new rows, and backfill the old "
                "rows in batches outside the migration.",
                object=f"{table}.{name}",
                location=self.at(statement),
                service=ctx.service,
            )


def _rewrite_reason(column: dict[str, Any]) -> str:
    parts = names((column.get("typeName") or {}).get("names"))
    if parts and parts[-1].lower() in _SERIALS:
        return f"{parts[-1]} (a nextval() default)"
    for item in column.get("constraints") or ():
        constraint = item.get("Constraint", {})
        contype = constraint.get("contype")
        if contype == "CONSTR_DEFAULT":
            volatile = volatile_reason(constraint.get("raw_expr") or {})
            if volatile:
                return f"the volatile default {volatile}"
        elif contype == "CONSTR_GENERATED":
            return "a stored generated column"
        elif contype == "CONSTR_IDENTITY":
            return "an identity column (a nextval() default)"
    return ""
