"""Linting a platform: a live database, or its migrations replayed into a throwaway one."""

from schemakit.lint._run import LintOptions, LintResult, lint

__all__ = ["LintOptions", "LintResult", "lint"]
