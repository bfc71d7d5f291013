"""COL006: an optimistic-locking version column that is not integer NOT NULL DEFAULT 1."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import VERSION_COLUMNS
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables

_INTEGERS = ("int2", "int4", "int8")


class MalformedVersionColumn(CatalogRule):
    """Version column that is not `integer NOT NULL DEFAULT 1`.

    ## What it does
    Flags a `version` or `current_version` column (the guideline's names for the optimistic
    lock's counter) that is not an integer type, is nullable, or has no default of 1.
    Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    Optimistic locking is `UPDATE ... SET version = version + 1 WHERE id = $1 AND version
    = $2`. A NULL version never equals anything: every write to that row looks like a
    conflict. A text version cannot be incremented. A row inserted without a version
    (no default) starts as NULL, or fails its insert.

    ## Example
    ```sql
    ALTER TABLE storage.files ADD COLUMN version text;
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.files ADD COLUMN version integer NOT NULL DEFAULT 1;
    ```

    ## Guideline
    Optimistic Locking: `version: integer('version').default(1).notNull()`; Naming
    Conventions, Columns: "Version | version or current_version". Severity: warning.
    """

    code = "COL006"
    name = "malformed-version-column"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.name not in VERSION_COLUMNS:
                    continue
                problems = []
                if column.type_name not in _INTEGERS:
                    problems.append(f"type {column.type}")
                if column.nullable:
                    problems.append("nullable")
                if column.default is None:
                    problems.append("no default")
                elif column.default.strip("()'") != "1":
                    problems.append(f"default {column.default}")
                if not problems:
                    continue
                yield self.finding(
                    f"Version column {table.path}.{column.name} is not integer NOT NULL "
                    f"DEFAULT 1: {', '.join(problems)}",
                    f"Make it {column.name} integer NOT NULL DEFAULT 1: the optimistic lock "
                    "compares and increments it.",
                    object=f"{table.path}.{column.name}",
                )
