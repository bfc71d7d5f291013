"""The statement stream IR: SQL files as statements with file, line and suppressions."""

from schemakit.sql._lock_model import (
    LOCK_MODES,
    ColumnType,
    LockContext,
    LockEffect,
    explain,
    explain_all,
    lock_strength,
    plain_using,
    type_change_rewrites,
)
from schemakit.sql._stream import (
    BREAKPOINT,
    SqlSyntaxError,
    Statement,
    Suppression,
    attached_span,
    cannot_run_in_transaction,
    is_concurrent,
    line_starts,
    read_suppressions,
    scan_statements,
    split_statements,
)
from schemakit.sql._tree import names, qualified, relation

__all__ = [
    "BREAKPOINT",
    "LOCK_MODES",
    "ColumnType",
    "LockContext",
    "LockEffect",
    "SqlSyntaxError",
    "Statement",
    "Suppression",
    "attached_span",
    "cannot_run_in_transaction",
    "explain",
    "explain_all",
    "is_concurrent",
    "line_starts",
    "lock_strength",
    "names",
    "plain_using",
    "qualified",
    "read_suppressions",
    "relation",
    "scan_statements",
    "split_statements",
    "type_change_rewrites",
]
