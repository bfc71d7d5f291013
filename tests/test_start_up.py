"""What the command line's one-shot process skips: pglast's enum and AST classes until
something reads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_pglast_tables_load_only_when_read() -> None:
    out = _python(
        "import sys\n"
        "from schemakit._lazy import defer_pglast_tables\n"
        "defer_pglast_tables()\n"
        "from schemakit.sql import split_statements\n"
        "(s,) = split_statements('ALTER TABLE app.t ADD COLUMN c int;')\n"
        "print(s.kind, type(sys.modules['pglast.enums']).__name__)\n"
        "import pglast\n"
        "from pglast.enums import SetOperation\n"
        "print(pglast.parse_sql('SELECT 1')[0].stmt.__class__.__name__, SetOperation(0).name)\n"
        "print(type(sys.modules['pglast.enums']).__name__, type(sys.modules['pglast.ast']).__name__)\n"
    )
    assert out.splitlines() == [
        "AlterTableStmt _Deferred",
        "SelectStmt SETOP_NONE",
        "module module",
    ]


def test_deferring_after_pglast_is_imported_changes_nothing() -> None:
    out = _python(
        "import sys, pglast\n"
        "from schemakit._lazy import defer_pglast_tables\n"
        "defer_pglast_tables()\n"
        "print(type(sys.modules['pglast.enums']).__name__)\n"
    )
    assert out == "module"


def test_the_command_line_lint_reports_everything_and_exits_with_its_code(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for n in range(1, 4):
        (folder / f"000{n}.sql").write_text(f"CREATE INDEX i{n} ON app.t (c{n});\n")
    done = subprocess.run(
        [SCHEMAKIT, "lint", "--sql", str(folder), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [f["code"] for f in report["findings"]].count("MIG001") == 3
    clean = subprocess.run(
        [SCHEMAKIT, "lint", "--sql", str(folder), "--select", "MIG002"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (clean.returncode, clean.stdout.splitlines()[-1][:17]) == (0, "All checks passed")
