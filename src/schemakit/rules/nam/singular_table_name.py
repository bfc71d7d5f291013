"""NAM002: a table named with a singular noun."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import UNCOUNTABLE_NOUNS, looks_singular, plural
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class SingularTableName(CatalogRule):
    """Table named with a singular noun.

    ## What it does
    Flags a table whose name's last word is clearly singular (`user`, `audit_log`). The check
    is deliberately conservative, to stay quiet on correct names: a last word ending in `s`
    always passes (so `status` and `address` pass, as do `users`), as do irregular plurals
    (`people`, `children`, `criteria`) and uncountable nouns (`data`, `metadata`, `media`,
    `feedback`, `research`, `settings`, ...). Trailing version or partition words (`v2`,
    `2024`) are ignored. Extend the uncountable list with `[lint] uncountable-nouns`.
    Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    A table holds many rows of one kind; the guideline names them in the plural so that
    `files`, `tags` and `file_tags` read the same in every service, and a query reads as
    English. Mixed singular and plural names make every table name a guess.

    ## Example
    ```sql
    CREATE TABLE storage.file (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
    ```

    ## Guideline
    Naming Conventions, Tables: "Use plural nouns" (`users`, `files`, `tags`).
    Severity: warning.
    """

    code = "NAM002"
    name = "singular-table-name"
    object_kind = "table"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        uncountable = UNCOUNTABLE_NOUNS | set(ctx.config.lint.uncountable_nouns)
        for table in checked_tables(ctx):
            if looks_singular(table.name, uncountable):
                yield self.finding(
                    f"Table {table.path} has a singular name",
                    f"Rename the table to {plural(table.name)}, or list its last word in "
                    "[lint] uncountable-nouns.",
                    object=table.path,
                )
