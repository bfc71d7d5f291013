"""COL005: a table without a primary key."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import PRIMARY_KEY
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class MissingPrimaryKey(CatalogRule):
    """Table without a primary key.

    ## What it does
    Flags each table that has no `PRIMARY KEY` constraint. A unique index does not count:
    it allows NULLs, and tools (logical replication, ORMs, drizzle's relational queries)
    look for the primary key. Partitions (their parent is checked), views and tool schemas
    are skipped. TYP003 then checks that a single-column key is a `uuid` with a default.

    ## Why is this bad?
    Without a key nothing stops duplicate rows, an update or delete cannot name one row,
    and logical replication refuses `UPDATE`/`DELETE` on the table unless it is given a
    replica identity by hand.

    ## Example
    ```sql
    CREATE TABLE app.audit_logs (action text NOT NULL, created_at timestamptz NOT NULL);
    ```

    ## Use instead
    ```sql
    CREATE TABLE app.audit_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        action text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    ```
    A junction table's key is its two foreign keys: `PRIMARY KEY (file_id, tag_id)`.

    ## Guideline
    Table Definition Pattern: "Primary key - always UUID with auto-generation"; Naming
    Conventions, Columns: "Primary key | id". Severity: error.
    """

    code = "COL005"
    name = "missing-primary-key"
    object_kind = "table"
    severity = Severity.ERROR

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            if table.primary_key:
                continue
            yield self.finding(
                f"Table {table.path} has no primary key",
                f"Add one: {PRIMARY_KEY} uuid PRIMARY KEY DEFAULT gen_random_uuid() (a junction "
                "table: PRIMARY KEY over its two foreign keys).",
                object=table.path,
            )
