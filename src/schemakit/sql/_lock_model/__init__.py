"""Which locks a migration statement takes, on which objects, read from its parse tree.

A static model of PostgreSQL 15's locking, after the "Explicit Locking" chapter and the lock
notes of ``ALTER TABLE``: for each statement, the lock mode (spelled as ``pg_locks`` spells
it) on each existing object it names, and whether it rewrites the object (new storage: every
row copied, or for ``TRUNCATE`` none kept) or reads every row while holding the lock (a
validation scan, an index build, the read side of a rewrite).

:func:`explain_all` walks a file in order with a :class:`LockContext` of what earlier
statements (and any migrations the file runs after) declared: foreign keys, ``CHECK (c IS NOT
NULL)`` constraints, column types, which table an index is on, what a view reads, how
volatile a function is. So ``VALIDATE CONSTRAINT`` also takes ROW SHARE on the referenced
table, ``varchar(50)`` to ``varchar(100)`` is no rewrite, ``SET NOT NULL`` after a validated
``CHECK`` scans nothing, and an ``INSERT`` checks its foreign keys under ROW SHARE on the
referenced table (marked conditional: no row, no check). :func:`explain` alone sees one
statement with whatever context it is given.

What it does not know, because it reads no catalog:

- objects the statement does not name: a table's indexes, toast table and owned sequences
  (locked along with it), inheritance children and partitions (locked with the parent),
  the tables a function, trigger or ``DO`` block touches, what a view it did not see
  created reads;
- declarations it did not see: the foreign keys ``DROP TABLE``, ``DROP CONSTRAINT`` and
  DML triggers lock the other side of, the old type of a column (a type change is then
  taken as a rewrite, with a note), a function's volatility (unknown functions in a
  ``DEFAULT`` are taken as volatile, PostgreSQL's own default for them), a ``CHECK`` that
  proves ``SET NOT NULL``, the table of an index (reported as "table of <index>");
- unqualified names are taken as ``public`` (``SET search_path`` is not followed).

A statement kind it has no model for yields one effect with mode ``unknown``, never a guess.
An empty list means no lock on an existing relation (``CREATE FUNCTION``, ``SET``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from schemakit.sql._lock_model._context import LockContext
from schemakit.sql._lock_model._handlers import HANDLERS, NO_RELATION_LOCKS
from schemakit.sql._lock_model._modes import LOCK_MODES, UNKNOWN, LockEffect, lock_strength
from schemakit.sql._lock_model._reading import volatile_call
from schemakit.sql._lock_model._types import ColumnType, plain_using, type_change_rewrites
from schemakit.sql._stream import Statement

__all__ = [
    "LOCK_MODES",
    "UNKNOWN",
    "ColumnType",
    "LockContext",
    "LockEffect",
    "explain",
    "explain_all",
    "lock_strength",
    "plain_using",
    "type_change_rewrites",
    "volatile_reason",
]


def explain_all(
    statements: Sequence[Statement], context: LockContext | None = None
) -> list[list[LockEffect]]:
    """The locks of each statement of a file, each seen with what the earlier ones declared
    (and what ``context`` learned before, from the migrations the file runs after)."""
    context = context if context is not None else LockContext()
    explained = []
    for statement in statements:
        explained.append(explain(statement, context))
        context.learn(statement)
    return explained


def explain(statement: Statement, context: LockContext | None = None) -> list[LockEffect]:
    """The locks ``statement`` takes on existing objects, strongest reason first per object.

    ``context`` is what earlier statements of the file declared (see :func:`explain_all`);
    it is read, not updated.
    """
    handler = HANDLERS.get(statement.kind)
    if handler is None:
        if statement.kind in NO_RELATION_LOCKS:
            return []
        return [LockEffect("", "", UNKNOWN, note=f"no lock model for {statement.kind or '?'}")]
    return handler(statement.node, _NOTHING_DECLARED if context is None else context)


_NOTHING_DECLARED = LockContext()
"""The context of a statement seen alone (handlers read a context, never change it)."""


def volatile_reason(expr: dict[str, Any], volatility: Mapping[str, str] | None = None) -> str:
    """What makes a ``DEFAULT`` expression volatile (``gen_random_uuid()``, ``a subquery``;
    an unknown function counts, as PostgreSQL's default volatility), else empty.
    ``volatility``: functions the file declared, ``schema.name`` or bare -> volatility."""
    return volatile_call(expr, volatility or {})
