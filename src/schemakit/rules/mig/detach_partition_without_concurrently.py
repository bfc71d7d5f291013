"""MIG021: DETACH PARTITION without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, alter_commands, relation_path
from schemakit.sql import Statement


class DetachPartitionWithoutConcurrently(SqlRule):
    """`ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY` on an existing table.

    ## What it does
    Flags `DETACH PARTITION` without `CONCURRENTLY` (PostgreSQL 14+) on a partitioned table
    this file did not create.

    ## Why is this bad?
    A plain detach takes ACCESS EXCLUSIVE on the partitioned table and the partition: every
    query on the whole table, reads included, waits for it, and it waits for every
    transaction using the table. `DETACH PARTITION ... CONCURRENTLY` takes SHARE UPDATE
    EXCLUSIVE and lets queries go on.

    ## Example
    ```sql
    ALTER TABLE storage.events DETACH PARTITION storage.events_2023;
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.events DETACH PARTITION storage.events_2023 CONCURRENTLY;
    ```
    in a migration of its own (it cannot run inside a transaction block).

    ## Guideline
    Key Concepts, "Zero-downtime"; Migrations, Best Practices: "Use CONCURRENTLY".
    """

    code = "MIG021"
    name = "detach-partition-without-concurrently"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset({"AlterTableStmt"})
    alter_subtypes = frozenset({"AT_DetachPartition"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        table = relation_path(statement.node.get("relation"))
        if not ctx.is_existing(table):
            return
        for cmd in alter_commands(statement, "AT_DetachPartition"):
            partition_cmd = (cmd.get("def") or {}).get("PartitionCmd") or {}
            if partition_cmd.get("concurrent"):
                continue
            partition = relation_path(partition_cmd.get("name"))
            yield self.finding(
                f"DETACH PARTITION {partition} from {table} without CONCURRENTLY takes an "
                f"ACCESS EXCLUSIVE lock on {table}: every query on it waits",
                "Add CONCURRENTLY (PostgreSQL 14+), in a migration of its own.",
                object=partition,
                location=self.at(statement),
                service=ctx.service,
            )
