"""The Catalog IR and its builders: a live database, SQLAlchemy models or Drizzle files."""

from typing import TYPE_CHECKING

from schemakit._lazy import lazy_getattr
from schemakit.catalog._model import (
    Catalog,
    Column,
    Constraint,
    DefaultGrant,
    ForeignKey,
    Function,
    Grant,
    Index,
    Role,
    Schema,
    Sequence,
    Table,
    Trigger,
    TypeDef,
)

if TYPE_CHECKING:
    from schemakit.catalog._drizzle import from_drizzle, syntax_errors
    from schemakit.catalog._live import QUERIES, from_database
    from schemakit.catalog._metadata import from_metadata
    from schemakit.catalog._queries import query

# The builders pull in psycopg, SQLAlchemy and tree-sitter (0.2 s together); a linter of SQL
# files needs none of them, so they load on first use.
_LAZY = {
    "QUERIES": "schemakit.catalog._live",
    "from_database": "schemakit.catalog._live",
    "from_drizzle": "schemakit.catalog._drizzle",
    "syntax_errors": "schemakit.catalog._drizzle",
    "from_metadata": "schemakit.catalog._metadata",
    "query": "schemakit.catalog._queries",
}


__getattr__ = lazy_getattr(__name__, globals(), {n: (m, n) for n, m in _LAZY.items()})


__all__ = [
    "QUERIES",
    "Catalog",
    "Column",
    "Constraint",
    "DefaultGrant",
    "ForeignKey",
    "Function",
    "Grant",
    "Index",
    "Role",
    "Schema",
    "Sequence",
    "Table",
    "Trigger",
    "TypeDef",
    "from_database",
    "from_drizzle",
    "from_metadata",
    "query",
    "syntax_errors",
]
