"""Opaque keyset cursors: base64url JSON of the last row's key values, checked on decode."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from schemakit.errors import SchemakitError

__all__ = ["CursorError", "decode_cursor", "encode_cursor"]

_VERSION = 1


class CursorError(SchemakitError, ValueError):
    """A keyset cursor is malformed, tampered with, or belongs to another ordering.

    Subclasses :class:`ValueError` so a web layer can answer 400 Bad Request.
    """


def _tag(value: Any) -> list[Any]:
    # JSON has no uuid, datetime or Decimal: tag each value so it decodes to the same type
    # and binds exactly as the column did (a float would lose a numeric's digits).
    if value is None:
        return ["z", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", repr(value)]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, decimal.Decimal):
        return ["n", str(value)]
    if hasattr(value, "value") and isinstance(value.value, str | int):  # enum members
        return _tag(value.value)
    raise CursorError(
        f"cannot put a {type(value).__name__} key value into a cursor",
        hint="order by columns of type text, integer, uuid, timestamp, date or numeric",
    )


_UNTAG = {
    "z": lambda v: None,
    "b": lambda v: v if isinstance(v, bool) else _bad(),
    "i": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _bad(),
    "f": float,
    "s": lambda v: v if isinstance(v, str) else _bad(),
    "u": uuid.UUID,
    "t": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "n": decimal.Decimal,
}


def _bad() -> Any:
    raise ValueError("wrong type")


def fingerprint(keys: Sequence[str]) -> str:
    """A short digest of the ordering (column names and directions) the cursor was made for."""
    return hashlib.blake2s("\x00".join(keys).encode(), digest_size=6).hexdigest()


def encode_cursor(values: Sequence[Any], keys: Sequence[str]) -> str:
    payload = {"v": _VERSION, "k": fingerprint(keys), "a": [_tag(v) for v in values]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, keys: Sequence[str]) -> list[Any]:
    """The key values in ``cursor``; :class:`CursorError` unless it is one this ordering made.

    Cursors are not signed: forging one only moves where a page starts, and the statement's
    own WHERE clause (tenant, user, soft delete) still applies to every row it returns.
    """
    hint = "start again from the first page (no cursor)"
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise CursorError("the pagination cursor is not valid", hint=hint) from exc
    if (
        not isinstance(payload, dict)
        or payload.get("v") != _VERSION
        or not isinstance(payload.get("a"), list)
        or len(payload["a"]) != len(keys)
    ):
        raise CursorError("the pagination cursor is not valid", hint=hint)
    if payload.get("k") != fingerprint(keys):
        raise CursorError("the pagination cursor was made for another ordering", hint=hint)
    values = []
    for item in payload["a"]:
        try:
            tag, raw = item
            values.append(_UNTAG[tag](raw))
        except (KeyError, TypeError, ValueError, decimal.InvalidOperation) as exc:
            raise CursorError("the pagination cursor is not valid", hint=hint) from exc
    return values
