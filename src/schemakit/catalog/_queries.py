"""The pg_catalog queries schemakit runs, one ``.sql`` file each in ``catalog/sql/``: the
catalog loader's and those other packages run (the explain-locks check, provisioning)."""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["query"]


@cache
def query(name: str) -> str:
    """The text of ``catalog/sql/<name>.sql`` (read once)."""
    return (resources.files("schemakit.catalog") / "sql" / f"{name}.sql").read_text()
