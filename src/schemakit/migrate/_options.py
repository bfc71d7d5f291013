"""What a run may do and how long it may take: the options every part of the runner reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MigrateOptions", "Say", "timeouts_sql"]

Say = Callable[[str], None]
"""Where progress and retry messages go (stderr in the CLI)."""


@dataclass(frozen=True)
class MigrateOptions:
    timeout: float = 300.0
    """Whole run, lock wait and retries included (seconds)."""
    lock_timeout: str = "5s"
    """Per migration: how long a statement may wait for a table lock before giving up."""
    statement_timeout: str = "5min"
    dry_run: bool = False
    accept_checksums: tuple[str, ...] = ()
    allow_unsafe: tuple[str, ...] = ()
    """Migration ids the MIG gate lets through despite error findings."""
    allow_missing: bool = False
    """Go on although applied migrations have no file any more."""
    allow_out_of_order: bool = False
    """Apply a pending migration that sorts before an applied one."""
    application_name: str = "schemakit migrate"


def timeouts_sql(options: MigrateOptions) -> str:
    """The per-migration ``SET lock_timeout; SET statement_timeout`` of ``options``."""
    return (
        f"SET lock_timeout = '{options.lock_timeout}'; "
        f"SET statement_timeout = '{options.statement_timeout}'"
    )
