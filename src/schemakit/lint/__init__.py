"""Linting a platform: a live database, or its migrations replayed into a throwaway one;
SQL files statement by statement; and drift, the live database against what its migrations
produce."""

from typing import TYPE_CHECKING

from schemakit._lazy import lazy_getattr

if TYPE_CHECKING:
    from schemakit.lint._common import LintOptions, LintResult
    from schemakit.lint._drift import Difference, compare, drift
    from schemakit.lint._files import lint_files
    from schemakit.lint._generate import Generated, generate
    from schemakit.lint._lock_report import LockReport, explain_file, write_json, write_text
    from schemakit.lint._run import lint, read_live

# Loaded on first use: linting SQL files must not pay for psycopg, SQLAlchemy and the
# throwaway server's machinery at start-up.
_LAZY = {
    "Difference": "schemakit.lint._drift",
    "compare": "schemakit.lint._drift",
    "drift": "schemakit.lint._drift",
    "LockReport": "schemakit.lint._lock_report",
    "explain_file": "schemakit.lint._lock_report",
    "write_json": "schemakit.lint._lock_report",
    "write_text": "schemakit.lint._lock_report",
    "lint_files": "schemakit.lint._files",
    "Generated": "schemakit.lint._generate",
    "generate": "schemakit.lint._generate",
    "LintOptions": "schemakit.lint._common",
    "LintResult": "schemakit.lint._common",
    "lint": "schemakit.lint._run",
    "read_live": "schemakit.lint._run",
}


__getattr__ = lazy_getattr(__name__, globals(), {n: (m, n) for n, m in _LAZY.items()})


__all__ = [
    "Difference",
    "Generated",
    "LintOptions",
    "LintResult",
    "LockReport",
    "compare",
    "drift",
    "explain_file",
    "generate",
    "lint",
    "lint_files",
    "read_live",
    "write_json",
    "write_text",
]
