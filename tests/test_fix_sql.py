"""``lint --fix-sql``: applied to a database built from the example, the fixed findings go."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from schemakit.sql import split_statements
from schemakit.testing import Cluster

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "platform"


def sk(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "DATABASE_URL": url},
    )


def live_findings(platform: Path, url: str) -> set[tuple[str, str]]:
    out = sk("lint", str(platform), "--live", "--database", "platform", "--format", "json", url=url)
    assert out.returncode in (0, 1), out.stderr
    return {(f["code"], f["object"]) for f in json.loads(out.stdout)["findings"]}


def test_fix_sql_removes_what_it_fixes(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any
) -> None:
    platform = tmp_path / "platform"
    shutil.copytree(EXAMPLE, platform)
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    migrated = sk("migrate", "--config", str(platform), "--database", "platform", url=url)
    assert migrated.returncode == 0, migrated.stderr
    before = live_findings(platform, url)
    fixable = {
        ("IDX001", "research.source.source_query_id_fkey"),
        ("NAM008", "research.source_url_idx"),
        ("IDX003", "auth.credit_holds.user_id"),
    }
    assert fixable <= before

    fix = tmp_path / "fix.sql"
    proc = sk("lint", str(platform), "--fix-sql", str(fix), url="")
    assert proc.returncode == 1
    assert "proposed fixes" in proc.stderr
    assert "nothing was applied" in proc.stderr
    text = fix.read_text()
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_source_query_id" in text
    # review; "extract" is a keyword, so quoted (as PostgreSQL's quote_ident() does)
    assert '-- ALTER TABLE research.source ALTER COLUMN "extract" TYPE jsonb;' in text
    assert live_findings(platform, url) == before  # writing the file changed nothing

    for statement in split_statements(text, fix):
        pg_conn.execute(statement.text.encode())
    after = live_findings(platform, url)
    assert not (fixable & after)
    assert ("TYP004", "research.source.extract") in after  # needs review: left alone
    assert after == before - fixable


def test_the_header_speaks_of_what_the_file_holds() -> None:
    from schemakit.report import render_fix_sql
    from schemakit.rules import Finding, Fix, Severity

    empty, safe, review = render_fix_sql([])
    assert (safe, review) == (0, 0)
    assert "No finding has a proposed fix" in empty
    assert "CONCURRENTLY" not in empty
    revoke = Finding("SEC002", "create-on-public", "m", "h", Severity.ERROR)
    revoke = replace(revoke, fix=Fix("REVOKE CREATE ON SCHEMA public FROM PUBLIC;", review="x"))
    text, _, review = render_fix_sql([revoke])
    assert review == 1
    assert "CONCURRENTLY" not in text
    index = replace(revoke, fix=Fix("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t (c);"))
    assert "cannot run inside a transaction" in render_fix_sql([index])[0]
