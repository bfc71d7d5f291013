"""The statement stream IR: SQL files as statements with file, line and suppressions."""

from schemakit.sql._stream import (
    BREAKPOINT,
    Statement,
    Suppression,
    attached_span,
    cannot_run_in_transaction,
    is_concurrent,
    line_starts,
    read_suppressions,
    split_statements,
)

__all__ = [
    "BREAKPOINT",
    "Statement",
    "Suppression",
    "attached_span",
    "cannot_run_in_transaction",
    "is_concurrent",
    "line_starts",
    "read_suppressions",
    "split_statements",
]
