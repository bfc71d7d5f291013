"""NAM007: an integer column that counts things but does not end in _count."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import count_name_problem
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables

INTEGER_TYPES = ("int2", "int4", "int8")


class CountWithoutCountSuffix(CatalogRule):
    """Integer column named like a count but not ending in `_count`.

    ## What it does
    Flags `smallint`, `integer` and `bigint` columns named `num_*`, `n_*` or
    `number_of_*`, and `total_*` or `*_total` when the counted word is plural
    (`total_files`). It stays quiet on names that are usually amounts or ordinals
    (`order_total`, `total_amount`, `page_num`) and on bare plurals (`downloads`), which it
    cannot tell from other numbers. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    One spelling for counters (`download_count`) lets everyone find them and tells them
    apart from amounts and positions. `num_files` might be a count or a file number;
    `file_count` cannot be misread.

    ## Example
    ```sql
    ALTER TABLE storage.folders ADD COLUMN num_files integer NOT NULL DEFAULT 0;
    ```

    ## Use instead
    ```sql
    ALTER TABLE storage.folders ADD COLUMN file_count integer NOT NULL DEFAULT 0;
    ```
    Or, as the guideline's Anti-Patterns suggest, count when needed instead of storing it.

    ## Guideline
    Naming Conventions, Columns: "Count: _count suffix" (`download_count`); Anti-Patterns
    3 (`total_files`). Severity: warning.
    """

    code = "NAM007"
    name = "count-without-count-suffix"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            for column in table.columns:
                if column.type_name not in INTEGER_TYPES:
                    continue
                better = count_name_problem(column.name)
                if better is None:
                    continue
                yield self.finding(
                    f"Integer column {table.path}.{column.name} looks like a count but does "
                    "not end in _count",
                    f"Rename the column to {better}; or, if it is a total kept for reads, "
                    "count when needed instead (a stored total goes stale).",
                    object=f"{table.path}.{column.name}",
                )
