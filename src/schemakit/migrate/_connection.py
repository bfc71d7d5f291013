"""Connecting under a deadline: which failures are transient, and backing off between tries."""

from __future__ import annotations

import random
import time
from typing import Any

import psycopg

from schemakit.errors import DatabaseError, first_line, redact
from schemakit.migrate._options import MigrateOptions, Say

__all__ = ["Deadline", "DeadlineExceeded", "backoff", "connect", "is_transient"]

_TRANSIENT = {
    "57P03",  # cannot_connect_now (starting up, shutting down)
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available (lock_timeout hit)
    "08000",
    "08003",
    "08006",
    "08001",
    "08004",  # connection exceptions
    "57P01",
    "57P02",  # admin/crash shutdown
}


class DeadlineExceeded(DatabaseError):
    """The whole run's ``--timeout`` passed."""


class Deadline:
    """The end of the whole run (``--timeout``), lock wait and retries included."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, doing: str) -> None:
        if self.left() <= 0:
            raise DeadlineExceeded(
                f"timed out after {self.seconds:g} s while {doing}",
                hint="raise --timeout, or find what holds the database up (schemakit locks)",
            )


_PERMANENT_CONNECT = (
    "does not exist",
    "authentication failed",
    "no pg_hba.conf entry",
    "invalid ",  # a bad URL: invalid sslmode value, invalid integer value for port, ...
)


def is_transient(exc: BaseException) -> bool:
    """Whether waiting and trying again can fix ``exc``."""
    if isinstance(exc, psycopg.OperationalError) and getattr(exc, "sqlstate", None) is None:
        # could not connect / connection lost: no SQLSTATE; a wrong name or password will
        # not fix itself by waiting
        return not any(text in str(exc) for text in _PERMANENT_CONNECT)
    return getattr(exc, "sqlstate", None) in _TRANSIENT


def connect(
    url: str, options: MigrateOptions, deadline: Deadline, say: Say
) -> tuple[psycopg.Connection[Any], Any]:
    """An autocommit session for the runner, retrying transient failures until the deadline,
    and when the server started (``pg_postmaster_start_time()``): a session that ends while
    the server kept running was terminated on purpose, not by a restart."""
    attempt = 0
    started = time.monotonic()
    while True:
        try:
            conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=max(1, min(10, int(deadline.left()))),
                application_name=options.application_name,
            )
            query = "SELECT pg_postmaster_start_time()"
            if conn.info.server_version >= 140000:
                # A runner killed mid-statement must not leave its backend running (and holding
                # the migration lock) until the statement ends: the server checks the client.
                query += ", set_config('client_connection_check_interval', '1s', false)"
            row = conn.execute(query).fetchone()
            return conn, row[0] if row else None
        except psycopg.Error as exc:
            attempt += 1
            if not is_transient(exc) or deadline.left() <= 0:
                raise DatabaseError(
                    f"cannot connect to {redact(url)} after {attempt} attempt(s) in "
                    f"{time.monotonic() - started:.1f} s: {first_line(exc)}",
                    hint="check the URL and that the server runs; transient errors are retried "
                    "with backoff until --timeout",
                ) from exc
            backoff(attempt, deadline, say, f"connecting failed ({first_line(exc)})")


def backoff(attempt: int, deadline: Deadline, say: Say, why: str) -> None:
    """Sleep before retry ``attempt``: exponential with full jitter, capped, and never past
    the deadline."""
    delay = min(deadline.left(), random.uniform(0, min(8.0, 0.2 * 2**attempt)))
    say(f"{why}; retry {attempt} in {delay:.1f} s")
    if delay > 0:
        time.sleep(delay)
