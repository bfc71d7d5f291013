"""What the table-level rule families look at: real tables outside the tool schemas."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.catalog import Index, Table
from schemakit.conventions import TOOL_TABLES
from schemakit.rules._base import CatalogContext

__all__ = ["TABLE_KINDS", "checked_tables", "index_columns", "unquote"]

TABLE_KINDS = ("table", "partitioned table")


def checked_tables(ctx: CatalogContext, *, partitions: bool = False) -> Iterator[Table]:
    """Tables and partitioned tables, not views or foreign tables, outside the tool schemas,
    and not the tools' own tables (``alembic_version`` in a service schema).

    Partitions are left out unless asked for: they repeat their parent's columns, keys and
    indexes, so a rule about those would report the same problem once per partition.
    """
    for table in ctx.catalog.tables.values():
        if table.kind not in TABLE_KINDS or ctx.is_ignored_schema(table.schema):
            continue
        if table.name in TOOL_TABLES:
            continue
        if table.partition_of and not partitions:
            continue
        yield table


def unquote(identifier: str) -> str:
    """``"user"`` -> ``user``; anything else (a plain name, an expression) unchanged."""
    if len(identifier) >= 2 and identifier[0] == identifier[-1] == '"':
        return identifier[1:-1].replace('""', '"')
    return identifier


def index_columns(index: Index) -> tuple[str, ...]:
    """An index's key columns as plain names (expressions stay as their SQL text)."""
    return tuple(unquote(column) for column in index.columns)
