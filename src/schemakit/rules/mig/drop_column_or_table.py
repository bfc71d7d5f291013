"""MIG004: a column or table dropped."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, names, relation_path
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

    kinds = frozenset({"AlterTableStmt", "DropStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if statement.kind == "AlterTableStmt":
            table = relation_path(node.get("relation"))
            for item in node.get("cmds") or ():
                cmd = item.get("AlterTableCmd", {})
                if cmd.get("subtype") == "AT_DropColumn":
                    yield self.finding(
                        f"Column {table}.{cmd.get('name')} is dropped",
                        "Drop it a release after the code stopped using it (expand-contract).",
                        object=f"{table}.{cmd.get('name')}",
                        location=self.at(statement),
                        service=ctx.service,
                    )
        elif node.get("removeType") == "OBJECT_TABLE":
            for item in node.get("objects") or ():
                parts = names(item.get("List", {}).get("items"))
                path = ".".join(parts) if len(parts) > 1 else f"public.{parts[0]}"
                yield self.finding(
                    f"Table {path} is dropped",
                    "Drop it a release after the code stopped using it (expand-contract).",
                    object=path,
                    location=self.at(statement),
                    service=ctx.service,
                )
