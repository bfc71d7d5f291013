"""Linting a platform: a live database, or its migrations replayed into a throwaway one;
and drift, the live database against what its migrations produce."""

from schemakit.lint._drift import Difference, compare, drift
from schemakit.lint._generate import generate
from schemakit.lint._run import LintOptions, LintResult, lint, read_live

__all__ = [
    "Difference",
    "LintOptions",
    "LintResult",
    "compare",
    "drift",
    "generate",
    "lint",
    "read_live",
]
