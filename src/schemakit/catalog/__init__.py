"""The Catalog IR and its builders: a live database, SQLAlchemy models or Drizzle files."""

from schemakit.catalog._database import QUERIES, from_database
from schemakit.catalog._drizzle import from_drizzle
from schemakit.catalog._metadata import from_metadata
from schemakit.catalog._model import (
    Catalog,
    Column,
    Constraint,
    ForeignKey,
    Function,
    Grant,
    Index,
    Schema,
    Sequence,
    Table,
    TypeDef,
)

__all__ = [
    "QUERIES",
    "Catalog",
    "Column",
    "Constraint",
    "ForeignKey",
    "Function",
    "Grant",
    "Index",
    "Schema",
    "Sequence",
    "Table",
    "TypeDef",
    "from_database",
    "from_drizzle",
    "from_metadata",
]
