"""MIG013: DROP INDEX without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, names, object_path, relation_path
from schemakit.sql import Statement


class DropIndexWithoutConcurrently(SqlRule):
    """`DROP INDEX` without `CONCURRENTLY` on an index this file did not create.

    ## What it does
    Flags `DROP INDEX name` (drizzle-kit writes it plain when an index leaves the schema)
    unless the index was created earlier in the same file.

    ## Why is this bad?
    A plain `DROP INDEX` takes ACCESS EXCLUSIVE on the index's table: every query on the
    table, reads included, waits for it, and it waits for every transaction that has used
    the table. `DROP INDEX CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE and waits for those
    transactions without blocking new queries.

    ## Example
    ```sql
    DROP INDEX storage.idx_files_user_id;
    ```

    ## Use instead
    ```sql
    DROP INDEX CONCURRENTLY storage.idx_files_user_id;
    ```
    in a migration of its own (it cannot run inside a transaction block: not in a drizzle
    folder, see MIG002; `schemakit migrate` applies such a file statement by statement).

    ## Guideline
    Migrations, Best Practices: "Use CONCURRENTLY for index creation" (and its removal);
    Key Concepts, "Zero-downtime".
    """

    code = "MIG013"
    name = "drop-index-without-concurrently"
    object_kind = "index"
    severity = Severity.WARNING

    kinds = frozenset({"IndexStmt", "DropStmt"})

    def __init__(self) -> None:
        self._created: set[str] = set()
        """Indexes created earlier in the current file."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if statement.kind == "IndexStmt":
            if node.get("idxname"):
                schema = relation_path(node.get("relation")).split(".", 1)[0]
                self._created.add(f"{schema}.{node['idxname']}")
            return
        if node.get("removeType") != "OBJECT_INDEX" or node.get("concurrent"):
            return
        for item in node.get("objects") or ():
            index = object_path(names(item.get("List", {}).get("items")))
            if not index or index in self._created:
                continue
            yield self.finding(
                f"DROP INDEX {index} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on "
                "its table: every query on it waits",
                "Use DROP INDEX CONCURRENTLY, in a migration of its own.",
                object=index,
                location=self.at(statement),
                service=ctx.service,
            )

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        self._created = set()
        return iter(())
