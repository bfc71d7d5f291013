"""``lint --fix-sql``: the findings' proposed fixes as one reviewable SQL file, never applied."""

from __future__ import annotations

from collections.abc import Sequence

from schemakit.errors import redact
from schemakit.report._json import relative
from schemakit.rules import Finding

__all__ = ["render_fix_sql"]

_HEADER = """\
-- Proposed by `schemakit lint --fix-sql`. Nothing was applied: review it, then add it as a
-- migration. Fixes that need a person's judgement are commented out, with the reason.
"""
_CONCURRENTLY = """\
-- CREATE INDEX CONCURRENTLY cannot run inside a transaction; schemakit migrate runs a
-- migration that contains it statement by statement, outside one.
"""


def render_fix_sql(findings: Sequence[Finding]) -> tuple[str, int, int]:
    """(SQL text, fixes that apply as written, fixes that need review)."""
    parts = [_HEADER]
    safe = review = 0
    for finding in findings:
        if finding.fix is None:
            continue
        where = ""
        if finding.location is not None:
            where = f" ({relative(finding.location.path)}:{finding.location.line})"
        parts.append(f"\n-- {finding.code} {finding.object or ''}{where}")
        if finding.fix.review:
            review += 1
            parts.append(f"-- needs review: {finding.fix.review}")
            parts.extend(f"-- {line}" for line in finding.fix.sql.splitlines())
        else:
            safe += 1
            parts.append(finding.fix.sql)
    if safe + review == 0:
        parts.append("\n-- No finding has a proposed fix.")
    elif any("CONCURRENTLY" in f.fix.sql for f in findings if f.fix is not None):
        parts[0] += _CONCURRENTLY
    return redact("\n".join(parts)) + "\n", safe, review
