"""MIG004: a column or table dropped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement


class DropColumnOrTable(SqlRule):
    """Column or table dropped.

    ## What it does
    Flags `ALTER TABLE ... DROP COLUMN` and `DROP TABLE`.

    ## Why is this bad?
    Code still deployed reads the column or table until the new release is everywhere; the
    drop breaks it, and the data is gone with no way back. The guideline says to wait 1-2
    weeks (expand-contract): stop using it in one release, drop it in a later one.

    ## Example
    ```sql
    ALTER TABLE storage.files DROP COLUMN legacy_path;
    ```

    ## Use instead
    Stop reading and writing the column first; drop it in a later release, and mark the
    migration as the deliberate contract step with `-- schemakit: ignore[MIG004]`.

    ## Guideline
    Migrations, DON'T: "Drop columns immediately (wait 1-2 weeks)"; Key Concepts,
    "Zero-downtime: Use expand-contract pattern".
    """

    code = "MIG004"
    name = "drop-column-or-table"
    severity = Severity.WARNING

    def check(self, ctx: SqlContext, statement: Statement, node: Any) -> Iterator[Finding]:
        from pglast import ast
        from pglast.enums import AlterTableType, ObjectType

        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            table = relation_path(node.relation)
            for cmd in node.cmds or ():
                if cmd.subtype == AlterTableType.AT_DropColumn:
                    yield self.finding(
                        f"Column {table}.{cmd.name} is dropped",
                        "Drop it a release after the code stopped using it (expand-contract).",
                        object=f"{table}.{cmd.name}",
                        location=self.at(statement),
                        service=ctx.service,
                    )
        elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
            for names in node.objects or ():
                parts = [n.sval for n in names]
                path = ".".join(parts) if len(parts) > 1 else f"public.{parts[0]}"
                yield self.finding(
                    f"Table {path} is dropped",
                    "Drop it a release after the code stopped using it (expand-contract).",
                    object=path,
                    location=self.at(statement),
                    service=ctx.service,
                )
