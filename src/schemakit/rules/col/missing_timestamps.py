"""COL001: a table without created_at or updated_at."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import TIMESTAMP_COLUMNS
from schemakit.rules._base import CatalogContext, CatalogRule, Finding
from schemakit.rules._scope import checked_tables


class MissingTimestamps(CatalogRule):
    """Table without a `created_at` or an `updated_at` column.

    ## What it does
    Flags each table that lacks `created_at`, `updated_at` or both (one finding per table,
    naming what is missing). In exempt databases (`exempt-databases`, the guideline's
    append-only `mana_sync` case) only `created_at` is required: append-only rows are never
    updated. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    Without them nobody can answer "when did this row appear, when did it last change":
    not support, not an incremental export, not a sync client asking for changes since its
    last pull, not the engineer debugging a bad deploy. Adding them later leaves every
    existing row without a true value.

    ## Example
    ```sql
    CREATE TABLE storage.tags (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.tags (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    ```

    ## Guideline
    Table Definition Pattern: "Timestamps - ALWAYS include these"; Common Patterns
    2. Timestamps: "always include both". Severity: error.
    """

    code = "COL001"
    name = "missing-timestamps"
    object_kind = "table"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        required = TIMESTAMP_COLUMNS[:1] if ctx.exempt else TIMESTAMP_COLUMNS
        for table in checked_tables(ctx):
            missing = [name for name in required if table.column(name) is None]
            if not missing:
                continue
            yield self.finding(
                f"Table {table.path} has no {' and no '.join(missing)} column",
                "Add "
                + " and ".join(f"{name} timestamptz NOT NULL DEFAULT now()" for name in missing)
                + ".",
                object=table.path,
            )
