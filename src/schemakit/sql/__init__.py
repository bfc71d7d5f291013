"""The statement stream IR: SQL files as statements with file, line and suppressions."""

from schemakit.sql._stream import (
    BREAKPOINT,
    Statement,
    Suppression,
    line_starts,
    read_suppressions,
    split_statements,
)

__all__ = [
    "BREAKPOINT",
    "Statement",
    "Suppression",
    "line_starts",
    "read_suppressions",
    "split_statements",
]
