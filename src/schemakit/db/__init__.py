"""Runtime data layer: the pooled Database singleton, pagination, upsert, versioned updates.

Every helper takes a sync ``Session`` (or ``Connection``); its ``a``-prefixed twin
(:func:`apaginate`, :func:`akeyset_page`, :func:`afetch_rows`, :func:`aupsert`,
:func:`aupdate_versioned`, and :func:`schemakit.models.asoft_delete` and friends) takes the
``AsyncSession`` (or ``AsyncConnection``) and is awaited, with the same arguments and result.

FastAPI wiring lives in :mod:`schemakit.db.fastapi` (the ``fastapi`` extra), imported only
when asked for.
"""

from schemakit.db._cursor import CursorError
from schemakit.db._database import Database, PoolSettings, normalize_url
from schemakit.db._queries import (
    KeysetPage,
    Page,
    afetch_rows,
    akeyset_page,
    apaginate,
    fetch_rows,
    keyset_page,
    paginate,
)
from schemakit.db._upsert import COPY_THRESHOLD, OnDeleted, UpsertResult, aupsert, upsert
from schemakit.db._write import aupdate_versioned, update_versioned

__all__ = [
    "COPY_THRESHOLD",
    "CursorError",
    "Database",
    "KeysetPage",
    "OnDeleted",
    "Page",
    "PoolSettings",
    "UpsertResult",
    "afetch_rows",
    "akeyset_page",
    "apaginate",
    "aupdate_versioned",
    "aupsert",
    "fetch_rows",
    "keyset_page",
    "normalize_url",
    "paginate",
    "update_versioned",
    "upsert",
]
