"""MIG006's verdicts agree with PostgreSQL: a statement it flags gives the table a new
relfilenode (a rewrite), one it lets pass keeps the old one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemakit.lint import LintOptions, lint_files
from schemakit.sql import split_statements

FIXTURES = Path(__file__).parent / "fixtures" / "MIG006"


def _filenode(conn: Any) -> int:
    row = conn.execute("SELECT relfilenode FROM pg_class WHERE oid = 'app.files'::regclass")
    return int(row.fetchone()[0])


@pytest.mark.parametrize("kind", ["fail", "pass"])
def test_flagged_statements_are_the_ones_that_rewrite(kind: str, pg_conn: Any) -> None:
    folder = FIXTURES / kind / "migrations"
    first, later = sorted(folder.glob("*.sql"))
    flagged = {
        f.location.line
        for f in lint_files([folder], LintOptions(select=("MIG006",))).findings
        if f.location is not None and f.location.path.name == later.name
    }
    pg_conn.autocommit = True
    pg_conn.execute(first.read_text())
    # timestamp -> timestamptz rewrites nothing when the session's TimeZone is UTC; the
    # rule flags it because a migration cannot count on that, so test it off UTC
    pg_conn.execute("SET TimeZone = 'Europe/Berlin'")
    rewrote = set()
    statements = split_statements(later.read_text(), later)
    for statement in statements:
        before = _filenode(pg_conn)
        pg_conn.execute(statement.text)
        if _filenode(pg_conn) != before:
            rewrote.add(statement.line)
    assert flagged == rewrote
    assert (kind == "fail") == bool(rewrote)
    assert len(statements) >= 4
