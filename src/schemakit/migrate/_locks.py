"""Who holds the migration locks, and ending a stale holder's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemakit._pg import connect
from schemakit.config import Config
from schemakit.errors import DatabaseError, SchemakitError
from schemakit.migrate._runner import advisory_holders, lock_key

__all__ = ["LockHolder", "lock_holders", "terminate"]


@dataclass(frozen=True)
class LockHolder:
    service: str
    pid: int
    application_name: str
    client: str
    backend_start: Any
    state: str
    query: str


def lock_holders(url: str, config: Config) -> list[LockHolder]:
    """Sessions holding a service's migration lock (pg_locks + pg_stat_activity)."""
    keys = {lock_key(name): name for name in config.services}
    with connect(url) as conn:
        rows = advisory_holders(conn)
    holders = []
    for key, pid, app, client, since, state, query in rows:
        if key in keys:
            holders.append(LockHolder(keys[key], pid, app, client, since, state, query))
    return holders


def terminate(url: str, config: Config, pid: int) -> LockHolder:
    """End the session ``pid`` if (and only if) it holds a migration lock."""
    holder = next((h for h in lock_holders(url, config) if h.pid == pid), None)
    if holder is None:
        raise SchemakitError(
            f"pid {pid} holds no schemakit migration lock",
            hint="run 'schemakit locks' to see the holders",
        )
    with connect(url) as conn:
        row = conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
    if not row or not row[0]:
        raise DatabaseError(f"could not end the session of pid {pid}")
    return holder
