"""What the commands share: the progress callback and the database URL they need."""

from __future__ import annotations

from collections.abc import Callable

from schemakit.errors import SchemakitError

__all__ = ["Say", "need_url", "quiet"]

Say = Callable[[str], None]
"""Progress for people (the CLI prints it on stderr)."""


def quiet(message: str) -> None:
    """The default progress callback: nothing."""


def need_url(url: str | None, what: str) -> str:
    """``url``, or an error saying there is ``what`` and how to name one."""
    if not url:
        raise SchemakitError(what, hint="pass --database-url URL or set DATABASE_URL")
    return url
