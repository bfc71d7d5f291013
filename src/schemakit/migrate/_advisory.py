"""The per-service advisory locks: their keys, taking one, who holds them, ending a holder."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from schemakit._pg import connect
from schemakit.config import Config
from schemakit.errors import DatabaseError, SchemakitError
from schemakit.migrate._connection import Deadline
from schemakit.migrate._options import Say

__all__ = [
    "LockHolder",
    "advisory_holders",
    "lock",
    "lock_holders",
    "lock_key",
    "terminate",
    "unlock",
]


def lock_key(service: str) -> int:
    """The advisory lock key of ``service``: derived from its name, no hand-assigned ids."""
    digest = hashlib.sha256(f"schemakit:migrate:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_holders(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    """Sessions holding a one-key advisory lock in this database (``schemakit locks`` and the
    runner's wait message read the same): (key, pid, application_name, client address,
    backend_start, state, query) each."""
    from schemakit.catalog import query

    rows = conn.execute(query("advisory_holders")).fetchall()
    # pg_locks splits the int8 key into two oids: put it back together, signed
    return [(k - (1 << 64) if k >= (1 << 63) else k, *rest) for k, *rest in rows]


def lock(conn: psycopg.Connection[Any], service: str, deadline: Deadline, say: Say) -> None:
    """Take ``service``'s migration lock, saying once who holds it while waiting."""
    key = lock_key(service)
    announced = False
    while True:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
            return
        if not announced:
            holders = [h for h in advisory_holders(conn) if h[0] == key]
            for _, pid, app, addr, since, state, _ in holders:
                say(
                    f"{service}: waiting for the migration lock held by pid {pid} "
                    f"({app or 'no application_name'}, {addr}, connected since {since}, {state})"
                )
            announced = True
        deadline.check(f"waiting for the migration lock of service {service}")
        time.sleep(min(0.25, max(0.01, deadline.left())))


def unlock(conn: psycopg.Connection[Any], service: str) -> None:
    if not conn.closed:
        conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(service),))


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
