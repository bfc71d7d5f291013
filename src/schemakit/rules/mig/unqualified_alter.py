"""MIG019: ALTER/DROP/COMMENT on a table named without its schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, names, verb
from schemakit.sql import Statement

_TABLE_KINDS = frozenset({"OBJECT_TABLE", "OBJECT_COLUMN"})


class UnqualifiedAlter(SqlRule):
    """`ALTER TABLE`, `DROP TABLE` or `COMMENT ON` naming a table without its schema.

    ## What it does
    Flags `ALTER TABLE files ...`, `DROP TABLE files`, `COMMENT ON TABLE files` and
    `COMMENT ON COLUMN files.name` (and renames) when the table has no schema and was not
    created, unqualified, earlier in the same file (MIG009 flags that create). A service
    with no schemas of its own in an exempt database is not flagged (as for MIG009).

    ## Why is this bad?
    The statement acts on the first table of that name on the session's `search_path`:
    `public` by default, whichever service's table that is. A pooled connection with
    another `search_path`, or the same name in two schemas, and the migration alters or
    drops the wrong table.

    ## Example
    ```sql
    ALTER TABLE files ADD COLUMN checksum text;
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.files ADD COLUMN checksum text;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "Every service ... MUST namespace its tables under its own
    PostgreSQL schema"; "Never use raw pgTable()".
    """

    code = "MIG019"
    name = "unqualified-alter"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset({"AlterTableStmt", "DropStmt", "CommentStmt", "RenameStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if ctx.exempt:
            return
        for name in _unqualified_tables(statement):
            if f"public.{name}" in ctx.created:
                continue  # created unqualified in this file: MIG009's finding
            what = verb(statement)
            if statement.kind == "CommentStmt":
                objtype = str(statement.node.get("objtype", "")).removeprefix("OBJECT_")
                what = f"COMMENT ON {objtype}"
            yield self.finding(
                f"{what} {name} names the table without its schema: it acts on "
                "the first table of that name on search_path (public by default)",
                f"Name the schema: <schema>.{name}.",
                object=name,
                location=self.at(statement),
                service=ctx.service,
            )


def _unqualified_tables(statement: Statement) -> list[str]:
    node, kind = statement.node, statement.kind
    if kind == "AlterTableStmt":
        if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
            return []
        return _bare([node.get("relation")])
    if kind == "RenameStmt":
        if node.get("relationType", node.get("renameType")) != "OBJECT_TABLE":
            return []
        return _bare([node.get("relation")])
    if kind == "DropStmt":
        if node.get("removeType") != "OBJECT_TABLE":
            return []
        dropped = [names(item.get("List", {}).get("items")) for item in node.get("objects") or ()]
        return [p[0] for p in dropped if len(p) == 1]
    if kind == "CommentStmt" and node.get("objtype") in _TABLE_KINDS:
        parts = names((node.get("object") or {}).get("List", {}).get("items"))
        table = parts if node["objtype"] == "OBJECT_TABLE" else parts[:-1]
        return [table[0]] if len(table) == 1 else []
    return []


def _bare(relations: list[dict[str, Any] | None]) -> list[str]:
    out = []
    for relation in relations:
        if relation and not relation.get("schemaname") and relation.get("relpersistence") != "t":
            out.append(str(relation.get("relname", "")))
    return out
