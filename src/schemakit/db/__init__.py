"""Runtime data layer: the pooled Database singleton, pagination, upsert, versioned updates.

FastAPI wiring lives in :mod:`schemakit.db.fastapi` (the ``fastapi`` extra), imported only
when asked for.
"""

from schemakit.db._cursor import CursorError
from schemakit.db._database import Database, PoolSettings, normalize_url
from schemakit.db._queries import KeysetPage, Page, fetch_rows, keyset_page, paginate
from schemakit.db._write import COPY_THRESHOLD, UpsertResult, update_versioned, upsert

__all__ = [
    "COPY_THRESHOLD",
    "CursorError",
    "Database",
    "KeysetPage",
    "Page",
    "PoolSettings",
    "UpsertResult",
    "fetch_rows",
    "keyset_page",
    "normalize_url",
    "paginate",
    "update_versioned",
    "upsert",
]
