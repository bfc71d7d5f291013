"""MIG008: a table, view, column or schema renamed (or moved to another schema)."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding
from schemakit.rules._statements import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement

_RELATIONS = {
    "OBJECT_TABLE": "Table",
    "OBJECT_VIEW": "View",
    "OBJECT_MATVIEW": "Materialized view",
    "OBJECT_FOREIGN_TABLE": "Foreign table",
}


class RenameColumnOrTable(SqlRule):
    """Table, view, column or schema renamed, or a table moved to another schema.

    ## What it does
    Flags `ALTER TABLE ... RENAME COLUMN`, `ALTER TABLE/VIEW/MATERIALIZED VIEW ... RENAME TO`,
    `ALTER ... SET SCHEMA` of a table or view, and `ALTER SCHEMA ... RENAME TO`, unless this
    file created the object. Renamed indexes, constraints and sequences are not flagged:
    queries do not name them.

    ## Why is this bad?
    Migrations run before the code is deployed, so the release still serving traffic queries
    the old name, and every such query fails from the commit of the migration until the new
    release runs everywhere (and a rollback of the code cannot help). Unlike a drop (MIG004,
    a warning, the deliberate contract step a release after the code stopped using the
    column), a rename has no safe moment while any deployed code names the object. An error:
    the outage does not depend on the table's size or traffic. When no deployed code uses the
    name yet (the object came with a migration of the same, unreleased change), say so with
    `-- schemakit: ignore[MIG008]`.

    ## Example
    ```sql
    ALTER TABLE storage.files RENAME COLUMN storage_path TO object_key;
    ```

    ## Use instead
    Expand-contract: add the new column, write both from the code, backfill, switch reads,
    and drop the old column in a later release. For a table, rename it and leave a view with
    the old name until no code uses it:
    ```sql
    ALTER TABLE storage.files RENAME TO objects;
    CREATE VIEW storage.files AS SELECT * FROM storage.objects;  -- simple views are updatable
    ```

    ## Guideline
    Migrations, Key Concepts: "Migrations run BEFORE code deployment", "Zero-downtime: Use
    expand-contract pattern for breaking schema changes"; Schema Isolation, Schema naming:
    "renaming a schema is a breaking migration".
    """

    code = "MIG008"
    name = "rename-column-or-table"
    object_kind = "table"

    kinds = frozenset(
        {"RenameStmt", "AlterObjectSchemaStmt", "CreateSchemaStmt", "ViewStmt", "CreateTableAsStmt"}
    )

    def __init__(self) -> None:
        self._new: set[str] = set()
        """Schemas and views created in the current file."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        kind = statement.kind
        if kind in ("ViewStmt", "CreateTableAsStmt"):
            # the name alone: a view's query, most of its tree, is not decoded
            relation = statement.part("view") or (statement.part("into") or {}).get("rel")
            self._new.add(relation_path(relation))
            return
        node = statement.node
        if kind == "CreateSchemaStmt":
            self._new.add(node.get("schemaname", ""))
            return
        if kind == "RenameStmt" and node.get("renameType") == "OBJECT_SCHEMA":
            schema = node.get("subname", "")
            if schema in self._new:
                return
            yield self.finding(
                f"Schema {schema} is renamed to {node.get('newname')}: deployed code that names "
                "it fails until the new release runs everywhere",
                "Keep the schema name; a schema is renamed only with every service's code.",
                object=schema,
                kind="schema",
                location=self.at(statement),
                service=ctx.service,
            )
            return
        table = relation_path(node.get("relation"))
        if not ctx.is_existing(table) or table in self._new:
            return
        if kind == "AlterObjectSchemaStmt":
            what = _RELATIONS.get(node.get("objectType", ""))
            if what is None:
                return
            change = f"is moved to schema {node.get('newschema')}"
        elif node.get("renameType") == "OBJECT_COLUMN":
            if node.get("relationType") not in _RELATIONS:
                return
            what, table = "Column", f"{table}.{node.get('subname')}"
            change = f"is renamed to {node.get('newname')}"
        elif node.get("renameType") in _RELATIONS:
            what = _RELATIONS[node["renameType"]]
            change = f"is renamed to {node.get('newname')}"
        else:
            return
        yield self.finding(
            f"{what} {table} {change}: deployed code still uses the old name and fails until "
            "the new release runs everywhere",
            "Add the new name alongside the old one and drop the old in a later release.",
            object=table,
            kind=what.lower(),
            location=self.at(statement),
            service=ctx.service,
        )

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        self._new.clear()
        return iter(())
