"""Opening a connection for a command: one message for a server that cannot be reached."""

from __future__ import annotations

from typing import Any

import psycopg

from schemakit.errors import DatabaseError, first_line, redact

__all__ = ["connect"]


def connect(
    url: str, *, hint: str = "check the URL and that the server runs"
) -> psycopg.Connection[Any]:
    """An autocommit connection to ``url`` (10 s to connect), or a :class:`DatabaseError`
    naming the URL with its password hidden."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise DatabaseError(
            f"cannot connect to {redact(url)}: {first_line(exc)}", hint=hint
        ) from exc
