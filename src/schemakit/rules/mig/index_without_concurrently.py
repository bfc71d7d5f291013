"""MIG001: an index built without CONCURRENTLY on a table that already exists."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement

_INDEXED = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY"}


class IndexWithoutConcurrently(SqlRule):
    """Index built without `CONCURRENTLY` on a table this file did not create.

    ## What it does
    Flags, on a table that existed before this migration (any table the file did not
    create itself):

    - `CREATE INDEX` without `CONCURRENTLY`;
    - `ALTER TABLE ... ADD [CONSTRAINT c] UNIQUE (...)` or `PRIMARY KEY (...)`, and
      `ADD COLUMN ... UNIQUE`/`PRIMARY KEY`, which build their index inside the ALTER
      (what drizzle-kit writes for `.unique()` on an existing table). `ADD CONSTRAINT ...
      USING INDEX` builds nothing and is fine.

    Indexes on tables created in the same file are fine.

    ## Why is this bad?
    A plain `CREATE INDEX` takes a SHARE lock: every INSERT, UPDATE and DELETE on the table
    waits until the whole index is built, which on a large table is minutes of write outage.
    A constraint's index is built under the ALTER's ACCESS EXCLUSIVE lock: reads wait too.

    ## Example
    ```sql
    CREATE INDEX idx_files_user_id ON storage.files (user_id);
    ALTER TABLE storage.files ADD CONSTRAINT files_path_unique UNIQUE (path);
    ```

    ## Use instead
    ```sql
    CREATE INDEX CONCURRENTLY idx_files_user_id ON storage.files (user_id);
    CREATE UNIQUE INDEX CONCURRENTLY idx_files_path ON storage.files (path);
    -- then, in the next migration (a brief lock, no build):
    ALTER TABLE storage.files ADD CONSTRAINT files_path_unique UNIQUE USING INDEX idx_files_path;
    ```
    each `CONCURRENTLY` in a migration of its own (it cannot run inside a transaction block).

    ## Guideline
    Migrations, Best Practices: "Use CONCURRENTLY for index creation".
    """

    code = "MIG001"
    name = "index-without-concurrently"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset({"IndexStmt", "AlterTableStmt"})
    alter_subtypes = frozenset({"AT_AddColumn", "AT_AddConstraint"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        table = relation_path(node.get("relation"))
        if not ctx.is_existing(table):
            return
        if statement.kind == "AlterTableStmt":
            yield from self._constraints(ctx, statement, table)
            return
        if node.get("concurrent"):
            return
        yield self.finding(
            f"CREATE INDEX {node.get('idxname', '') or '(unnamed)'} on existing table {table} "
            "without CONCURRENTLY "
            "blocks writes (SHARE lock) while it builds",
            "Add CONCURRENTLY and move the statement into a migration of its own.",
            object=table,
            location=self.at(statement),
            service=ctx.service,
        )

    def _constraints(self, ctx: SqlContext, statement: Statement, table: str) -> Iterator[Finding]:
        for item in statement.node.get("cmds") or ():
            cmd = item.get("AlterTableCmd", {})
            definition = cmd.get("def") or {}
            if cmd.get("subtype") == "AT_AddConstraint":
                constraints = [definition.get("Constraint") or {}]
                what = "ADD CONSTRAINT"
            elif cmd.get("subtype") == "AT_AddColumn":
                column = definition.get("ColumnDef") or {}
                constraints = [c.get("Constraint") or {} for c in column.get("constraints") or ()]
                what = f"ADD COLUMN {column.get('colname', '')}"
            else:
                continue
            for constraint in constraints:
                kind = _INDEXED.get(constraint.get("contype", ""))
                if kind is None or constraint.get("indexname"):
                    continue  # not index-backed, or USING INDEX: nothing is built
                name = constraint.get("conname")
                yield self.finding(
                    f"{what} {kind}{f' ({name})' if name else ''} on existing table {table} "
                    "builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait "
                    "until it is built",
                    (
                        "Add the column alone; then CREATE UNIQUE INDEX CONCURRENTLY on it and "
                        f"ADD CONSTRAINT ... {kind} USING INDEX, each in a migration of its own."
                        if what.startswith("ADD COLUMN")
                        else "Build its index first with CREATE UNIQUE INDEX CONCURRENTLY, then "
                        f"ADD CONSTRAINT ... {kind} USING INDEX in a later migration."
                    ),
                    object=table,
                    location=self.at(statement),
                    service=ctx.service,
                )
