"""Row-level security on ``user_id``: the SQL that turns it on for a table, and the setting
the policy reads, which :class:`~schemakit.db.Database` sessions set per transaction.

Kept free of SQLAlchemy so ``schemakit provision`` can use it without loading the ORM.
"""

from __future__ import annotations

from typing import Any

from schemakit.conventions import quote_ident, quote_qualified

__all__ = [
    "ROW_POLICY",
    "USER_ID_COLUMN",
    "USER_ID_SETTING",
    "enable_row_security",
    "row_policy_sql",
    "row_security_sql",
]

USER_ID_SETTING = "app.user_id"
"""The setting the policy compares ``user_id`` with; sessions set it transaction-locally."""
USER_ID_COLUMN = "user_id"
ROW_POLICY = "user_rows"
"""The name of the policy schemakit creates (provision looks for it by this name)."""

# Types ``text = <the setting>`` compares without a cast; anything else (uuid, bigint) is cast.
_TEXT_TYPES = frozenset({"text", "character varying", "varchar"})


def _split(table: str) -> tuple[str, ...]:
    parts = tuple(table.split("."))
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"{table!r} is not 'schema.table'")
    return parts


def _user_check(column_type: str | None) -> str:
    # NULLIF: once set in a session, the setting reads '' (not NULL) after the transaction
    # that set it, and '' must match no row (and must not fail a cast to uuid).
    setting = f"NULLIF(current_setting('{USER_ID_SETTING}', true), '')"
    if column_type is not None and column_type.split("(")[0] not in _TEXT_TYPES:
        setting = f"{setting}::{column_type}"
    return f"{quote_ident(USER_ID_COLUMN)} = {setting}"


def row_policy_sql(table: str, column_type: str | None = None) -> str:
    """``CREATE POLICY user_rows`` on ``schema.table``: a row is visible, insertable and
    updatable only when its ``user_id`` is the session's :data:`USER_ID_SETTING`.

    ``column_type`` is ``user_id``'s type as ``format_type`` spells it (``uuid``): the
    setting is cast to it unless it is text.
    """
    check = _user_check(column_type)
    return (
        f"CREATE POLICY {quote_ident(ROW_POLICY)} ON {quote_qualified(*_split(table))} "
        f"USING ({check}) WITH CHECK ({check})"
    )


def row_security_sql(table: str, column_type: str | None = None) -> list[str]:
    """The statements that put ``schema.table`` under row-level security on ``user_id``:
    ENABLE, FORCE (so the table's owner is bound too) and :func:`row_policy_sql`."""
    name = quote_qualified(*_split(table))
    return [
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
        row_policy_sql(table, column_type),
    ]


def enable_row_security(op: Any, table: str, column_type: str | None = None) -> None:
    """From an Alembic revision: ``enable_row_security(op, "notes.notes")`` runs
    :func:`row_security_sql` (``op`` is ``alembic.op``). Once it has run, sessions see only
    the rows of the user they were opened for (``Database.session(user_id=...)``)."""
    for statement in row_security_sql(table, column_type):
        op.execute(statement)
