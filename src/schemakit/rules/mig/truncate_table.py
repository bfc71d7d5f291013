"""MIG016: TRUNCATE of an existing table (CASCADE: an error)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, relation_path
from schemakit.sql import Statement


class TruncateTable(SqlRule):
    """`TRUNCATE` of a table this file did not create; with `CASCADE`, an error.

    ## What it does
    Flags `TRUNCATE` of an existing table as a warning, and `TRUNCATE ... CASCADE` as an
    error, whatever the table.

    ## Why is this bad?
    `TRUNCATE` deletes every row at once, under ACCESS EXCLUSIVE, with no `WHERE` to get
    wrong and nothing to undo once committed: in a migration that runs in every
    environment, production included, that is rarely what was meant. `CASCADE` also empties
    every table with a foreign key to it, and theirs in turn, which the file does not name:
    possibly another service's tables.

    ## Example
    ```sql
    TRUNCATE storage.files CASCADE;
    ```

    ## Use instead
    `DELETE FROM ... WHERE ...` for the rows meant, in batches; name each table to empty
    and mark the statement reviewed with `-- schemakit: ignore[MIG016]`.

    ## Guideline
    Migrations, Best Practices: "Test migrations in staging before production", "Keep
    migrations small and focused"; Schema Isolation, "No cross-schema foreign keys".
    """

    code = "MIG016"
    name = "truncate-table"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset({"TruncateStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        tables = [relation_path(r) for r in node.get("relations") or ()]
        if node.get("behavior") == "DROP_CASCADE":
            finding = self.finding(
                f"TRUNCATE {', '.join(tables)} CASCADE also empties every table with a "
                "foreign key to them, which this file does not name",
                "Name each table to empty, without CASCADE.",
                object=tables[0] if tables else None,
                location=self.at(statement),
                service=ctx.service,
            )
            yield dataclasses.replace(finding, severity=Severity.ERROR)
            return
        existing = [t for t in tables if ctx.is_existing(t)]
        if existing:
            yield self.finding(
                f"TRUNCATE {', '.join(existing)} deletes every row of an existing table, "
                "in every environment the migration runs in",
                "Delete the rows meant with DELETE ... WHERE, or mark the statement "
                "reviewed with -- schemakit: ignore[MIG016].",
                object=existing[0],
                location=self.at(statement),
                service=ctx.service,
            )
