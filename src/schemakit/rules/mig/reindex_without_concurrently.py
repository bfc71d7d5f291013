"""MIG014: REINDEX without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement, is_concurrent

_WHAT = {
    "REINDEX_OBJECT_INDEX": ("INDEX", "ACCESS EXCLUSIVE on the index and SHARE on its table"),
    "REINDEX_OBJECT_TABLE": ("TABLE", "SHARE on the table and ACCESS EXCLUSIVE on its indexes"),
    "REINDEX_OBJECT_SCHEMA": ("SCHEMA", "those locks on every table of the schema in turn"),
    "REINDEX_OBJECT_DATABASE": ("DATABASE", "those locks on every table in turn"),
    "REINDEX_OBJECT_SYSTEM": ("SYSTEM", "those locks on every system catalog in turn"),
}


class ReindexWithoutConcurrently(SqlRule):
    """`REINDEX` without `CONCURRENTLY`.

    ## What it does
    Flags `REINDEX INDEX`, `TABLE`, `SCHEMA`, `DATABASE` or `SYSTEM` without the
    `CONCURRENTLY` option (`REINDEX (CONCURRENTLY false)` is a plain one, as PostgreSQL
    reads it), unless it rebuilds a table this file created.

    ## Why is this bad?
    A plain `REINDEX` holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each
    index it rebuilds, so every query that would use the index, reads included, waits for
    the whole rebuild. `REINDEX CONCURRENTLY` (PostgreSQL 12+) builds a new index beside the
    old one and swaps them, with writes going on.

    ## Example
    ```sql
    REINDEX INDEX storage.idx_files_user_id;
    ```

    ## Use instead
    ```sql
    REINDEX INDEX CONCURRENTLY storage.idx_files_user_id;
    ```
    in a migration of its own (not inside a transaction block).

    ## Guideline
    Migrations, Best Practices: "Use CONCURRENTLY for index creation"; Key Concepts,
    "Zero-downtime".
    """

    code = "MIG014"
    name = "reindex-without-concurrently"
    object_kind = "index"
    severity = Severity.WARNING

    kinds = frozenset({"ReindexStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if is_concurrent(statement):
            return
        kind = node.get("kind", "")
        what, locks = _WHAT.get(kind, ("", "strong locks"))
        target = relation_path(node.get("relation")) if node.get("relation") else ""
        if kind == "REINDEX_OBJECT_TABLE" and not ctx.is_existing(target):
            return
        target = target or node.get("name") or "the current database"
        yield self.finding(
            f"REINDEX {what} {target} without CONCURRENTLY holds {locks} while it rebuilds",
            "Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), in a migration of its own.",
            object=target,
            location=self.at(statement),
            service=ctx.service,
        )
