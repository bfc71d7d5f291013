"""The statement stream IR: SQL files as statements with file, line and suppressions."""

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

__all__ = [
    "BREAKPOINT",
    "SqlSyntaxError",
    "Statement",
    "Suppression",
    "attached_span",
    "cannot_run_in_transaction",
    "is_concurrent",
    "line_starts",
    "read_suppressions",
    "scan_statements",
    "split_statements",
]
