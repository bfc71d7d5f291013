"""Running the catalog queries: each connection's share in one libpq pipeline read by a thread
of its own, and a sibling connection that reads the caller's snapshot.

The loader's thread turns results into objects while these threads pull the next results off
the sockets (psycopg waits on the socket and libpq parses with the interpreter lock released),
so a server never stalls on a full socket buffer while the loader is busy. A sibling
connection lets a second backend compute its share at the same time: it imports the caller's
transaction snapshot (``pg_export_snapshot``) and copies the session's own settings, so what
it reads is what the caller's connection would have read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

import psycopg
from psycopg import generators, pq, sql

__all__ = ["EXPORT", "Slots", "exported", "open_sibling", "run_pipeline", "sibling_conninfo"]

EXPORT = (
    "SELECT pg_export_snapshot(),"
    " (SELECT json_object_agg(name, setting) FROM pg_settings"
    "  WHERE source = 'session' AND name NOT LIKE 'transaction\\_%')::text"
)
"""The caller's snapshot and the settings its session changed (SET search_path, DateStyle,
...: they decide how types, defaults and definitions are printed); the transaction's own
(isolation, read-only) the sibling sets itself."""


class Slots:
    """Results by name, filled by the pipeline threads, taken by the loader as they come."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._values: dict[str, object] = {}

    def put(self, name: str, value: object) -> None:
        with self._ready:
            self._values[name] = value
            self._ready.notify_all()

    def put_missing(self, names: Sequence[str], value: object) -> None:
        """``value`` for each of ``names`` that has none yet."""
        with self._ready:
            for name in names:
                self._values.setdefault(name, value)
            self._ready.notify_all()

    def peek(self, name: str) -> object:
        """The value of ``name`` (None when it has none)."""
        with self._ready:
            return self._values.get(name)

    def drop(self, name: str) -> None:
        with self._ready:
            self._values.pop(name, None)

    def first_of(self, *names: str) -> str:
        """The first of ``names`` that has a value, once one has."""
        with self._ready:
            self._ready.wait_for(lambda: any(name in self._values for name in names))
            return next(name for name in names if name in self._values)

    def take(self, name: str) -> object:
        with self._ready:
            self._ready.wait_for(lambda: name in self._values)
            return self._values.pop(name)


def run_pipeline(
    conn: psycopg.Connection[Any], steps: Sequence[tuple[str, bytes]], slots: Slots
) -> None:
    """Send every step's query at once (libpq pipeline mode) and put each result in ``slots``
    under the step's name as soon as it arrives.

    A flush request after each query has the server send each result when it is complete. A
    failed query is a result like the others (whoever takes the slot raises); when the
    connection fails, the exception is every remaining step's value. Whatever goes wrong, the
    connection leaves pipeline mode usable: what the server still sends (the rest, or
    "pipeline aborted" after an error) is read and dropped.
    """
    pgconn = conn.pgconn
    pending = 0  # results the server still owes: each query's, then the sync's
    try:
        pgconn.enter_pipeline_mode()
        try:
            for _, text in steps:
                pgconn.send_query_params(text, None)
                pgconn.send_flush_request()
            pgconn.pipeline_sync()
            pending = len(steps) + 1
            conn.wait(generators.send(pgconn))
            for name, _ in steps:
                (result,) = conn.wait(generators.fetch_many(pgconn))
                pending -= 1
                slots.put(name, result)
        finally:
            while pending:
                conn.wait(generators.fetch_many(pgconn))
                pending -= 1
            pgconn.exit_pipeline_mode()
    except BaseException as exc:  # handed to the loader's thread, which raises it
        slots.put_missing([name for name, _ in steps], exc)


_CONNECT_TIMEOUT = 5
"""Seconds a sibling may take to connect (the caller's own limit when it set a shorter one)."""


def sibling_conninfo(conn: psycopg.Connection[Any]) -> str:
    """A connection string for the server, database and user ``conn`` is connected to.

    libpq's own record of the connection's options, with the host and port it picked (a
    multi-host string may name others) and its password (``conn.info`` leaves it out).
    """
    params = {
        option.keyword.decode(): option.val.decode()
        for option in conn.pgconn.info
        if option.val is not None
    }
    params["host"] = conn.info.host
    params["port"] = str(conn.info.port)
    params["dbname"] = conn.info.dbname
    params["user"] = conn.info.user
    params.pop("hostaddr", None)
    params.pop("target_session_attrs", None)
    params.pop("load_balance_hosts", None)
    if hostaddr := _hostaddr(conn):
        params["hostaddr"] = hostaddr
    if password := conn.info.password:
        params["password"] = password
    # The caller's connection is up, so the server answers; a sibling that cannot connect
    # quickly is not worth waiting for (the caller's connection reads its share instead).
    timeout = params.get("connect_timeout", "")
    if not timeout.isdigit() or not 0 < int(timeout) <= _CONNECT_TIMEOUT:
        params["connect_timeout"] = str(_CONNECT_TIMEOUT)
    return psycopg.conninfo.make_conninfo("", **params)


def _hostaddr(conn: psycopg.Connection[Any]) -> str:
    try:
        return conn.info.hostaddr
    except psycopg.NotSupportedError:  # libpq older than 12
        return ""


def open_sibling(
    conninfo: str, snapshot: Callable[[], tuple[str, str] | None], setup: str
) -> psycopg.Connection[Any]:
    """Connect, then start a read-only repeatable-read transaction on the snapshot
    ``snapshot()`` returns (its id, and the session settings as a JSON object) and run
    ``setup`` in it.

    Connects first: ``snapshot`` waits for the caller's connection, which is busy exporting
    it meanwhile. Raises when anything fails (the sibling is then closed).
    """
    sibling = psycopg.connect(conninfo, autocommit=True)
    try:
        exported = snapshot()
        if exported is None:
            raise psycopg.OperationalError("the snapshot was not exported")
        snapshot_id, settings = exported
        # one round trip (no parameters: the simple protocol, which takes several statements)
        sibling.execute(
            sql.SQL(
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT {};"
                " SELECT set_config(key, value, true) FROM json_each_text({}::json); {}"
            ).format(sql.Literal(snapshot_id), sql.Literal(settings or "{}"), sql.SQL(setup))
        )
    except BaseException:
        sibling.close()
        raise
    return sibling


def exported(result: object) -> tuple[str, str] | None:
    """The snapshot id and settings of EXPORT's result, or None when it failed."""
    if isinstance(result, BaseException):
        return None
    result = cast(pq.abc.PGresult, result)
    if result.status != pq.ExecStatus.TUPLES_OK:
        return None
    snapshot, settings = result.get_value(0, 0), result.get_value(0, 1)
    if snapshot is None:
        return None
    return snapshot.decode(), (settings or b"").decode()
