"""COL003: is_deleted without deleted_at, or deleted_at without is_deleted."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.catalog import Table
from schemakit.conventions import SOFT_DELETE_COLUMNS
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class IncompleteSoftDelete(CatalogRule):
    """Soft-delete pair incomplete: `is_deleted` without `deleted_at`, or the reverse.

    ## What it does
    Flags a table with one of the guideline's two soft-delete columns but not the other,
    an `is_deleted` that is not a boolean, and a `deleted_at` that is `NOT NULL` or has a
    default (a live row would carry a deletion time). Partitions, views and tool schemas
    are skipped.

    ## Why is this bad?
    The guideline's soft delete sets both (`isDeleted: true, deletedAt: new Date()`) and
    filters on `is_deleted`. With only `is_deleted` nobody can tell when a row went, so
    nothing can purge old deletions or restore "what was deleted yesterday"; with only
    `deleted_at`, the shared queries and helpers that filter on `is_deleted = false` do
    not apply, and each service invents its own test.

    ## Example
    ```sql
    CREATE TABLE storage.files (is_deleted boolean NOT NULL DEFAULT false);
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (
        is_deleted boolean NOT NULL DEFAULT false,
        deleted_at timestamptz
    );
    ```

    ## Guideline
    Common Patterns 1. Soft Deletes; Table Definition Pattern ("Soft delete").
    Severity: warning.
    """

    code = "COL003"
    name = "incomplete-soft-delete"
    object_kind = "column"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        flag, stamp = SOFT_DELETE_COLUMNS
        for table in checked_tables(ctx):
            has_flag = table.column(flag) is not None
            has_stamp = table.column(stamp) is not None
            yield from self._shape(ctx, table)
            if has_flag == has_stamp:
                continue
            present, absent = (flag, stamp) if has_flag else (stamp, flag)
            add = f"{stamp} timestamptz" if has_flag else f"{flag} boolean NOT NULL DEFAULT false"
            yield self.finding(
                f"Table {table.path} has {present} but no {absent}",
                f"Add {add} and set both when deleting.",
                object=f"{table.path}.{present}",
                kind="column",
            )

    def _shape(self, ctx: CatalogContext, table: Table) -> Iterator[Finding]:
        """``is_deleted`` must be a boolean; ``deleted_at`` NULL until the row is deleted."""
        flag, stamp = SOFT_DELETE_COLUMNS
        column = table.column(flag)
        if column is not None and column.type_name != "bool":
            yield self.finding(
                f"Soft-delete flag {table.path}.{flag} is {column.type}, not boolean",
                f"Make it {flag} boolean NOT NULL DEFAULT false.",
                object=f"{table.path}.{flag}",
            )
        column = table.column(stamp)
        if column is not None and (not column.nullable or column.default is not None):
            problem = "NOT NULL" if not column.nullable else f"DEFAULT {column.default}"
            yield self.finding(
                f"Soft-delete time {table.path}.{stamp} has {problem}: a live row would "
                "carry a deletion time",
                f"Make it {stamp} timestamptz, nullable with no default, set when the row is "
                "deleted.",
                object=f"{table.path}.{stamp}",
            )
