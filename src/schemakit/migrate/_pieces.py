"""One big migration's transaction sent as several messages, so neither the message nor the
server's replies (one result per statement) exist whole: a 50 MB file of 500,000 INSERTs is
about fifty messages of a megabyte, each answered and forgotten before the next is sent.

The count of results still names the failing statement: the server answers each statement
of a message with one result and abandons the rest of the message at the first error, and
nothing is sent after a message that failed (the transaction is aborted; the caller rolls
it back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from schemakit.migrate._sources import MigrationFile

__all__ = ["PIECE_BYTES", "messages", "send_in_pieces"]

PIECE_BYTES = 1 << 20
"""About how much SQL one message carries; a migration this big or bigger goes in pieces."""

Send = Callable[[psycopg.Connection[Any], bytes], tuple[int, psycopg.Error | None]]


def messages(head: bytes, file: MigrationFile, tail: bytes) -> Iterator[bytes]:
    """``head`` (BEGIN and its settings), the file's statements and ``tail`` (its ledger row
    and COMMIT), cut into messages of about :data:`PIECE_BYTES` between statements."""
    parts = [head]
    size = len(head)
    for statement in file.statements:
        data = statement.text.encode()
        if size + len(data) > PIECE_BYTES:
            yield b";\n".join(parts)
            parts, size = [], 0
        parts.append(data)
        size += len(data) + 2
    parts.append(tail)
    yield b";\n".join(parts)


def send_in_pieces(
    conn: psycopg.Connection[Any], head: bytes, file: MigrationFile, tail: bytes, send: Send
) -> tuple[int, psycopg.Error | None]:
    """Send the messages one after another with ``send``; how many statements succeeded in
    all, and the error of the one that failed (None when all did)."""
    done = 0
    for message in messages(head, file, tail):
        count, failure = send(conn, message)
        done += count
        if failure is not None:
            return done, failure
    return done, None
