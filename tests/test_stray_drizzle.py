"""The guideline's verification, `rg "pgTable\\(" services/ apps/api/ packages/`, as part of
lint: a raw pgTable( in a TypeScript file no service lists is a table in public."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from schemakit.cli import main
from schemakit.lint import LintOptions, lint

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "platform"

RAW = """import { pgTable, text, uuid } from 'drizzle-orm/pg-core';

export const strays = pgTable('strays', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name'),
});
"""


def test_a_raw_pgtable_in_a_file_no_service_lists(tmp_path: Path) -> None:
    platform = tmp_path / "platform"
    shutil.copytree(EXAMPLE, platform)
    stray = platform / "packages" / "legacy" / "schema.ts"
    stray.parent.mkdir(parents=True)
    stray.write_text(RAW)
    # "any hit that's not inside mana-sync": the exempt sync service's own folder is fine
    (platform / "services" / "sync" / "src").mkdir()
    (platform / "services" / "sync" / "src" / "schema.ts").write_text(RAW)
    # so is what no build reads
    (platform / "node_modules" / "pkg").mkdir(parents=True)
    (platform / "node_modules" / "pkg" / "index.ts").write_text(RAW)

    result = lint(platform, LintOptions(select=("ISO001",)))
    strays = [f for f in result.findings if f.object == "public.strays"]
    assert [(f.location.path, f.location.line) for f in strays if f.location] == [(stray, 3)]
    assert str(stray) in result.sources


EXTRA = """import { pgSchema, text, uuid } from 'drizzle-orm/pg-core';

export const billing = pgSchema('billing');
export const invoices = billing.table('invoices', {
  id: uuid('id').primaryKey().defaultRandom(),
});
export const holds = pgSchema('auth').table('holds', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: text('user_id').notNull(),
});
"""


def test_a_services_sources_are_held_to_its_schemas(tmp_path: Path) -> None:
    """ISO004 and ISO007 judge one service's objects alone: they run over its sources."""
    platform = tmp_path / "platform"
    shutil.copytree(EXAMPLE, platform)
    extra = platform / "services" / "credits" / "src" / "db" / "schema" / "extra.ts"
    extra.write_text(EXTRA)
    result = lint(platform, LintOptions(select=("ISO004", "ISO007")))
    found = {
        (f.code, f.object, f.location.path.name, f.location.line)
        for f in result.findings
        if f.location and f.location.path == extra
    }
    assert found == {
        ("ISO004", "billing.invoices", "extra.ts", 4),
        ("ISO007", "auth.holds", "extra.ts", 7),
    }


def test_one_typescript_file_is_linted_with_its_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not as SQL (it was: SYN001 at `export`), and refused outside any project."""
    platform = tmp_path / "platform"
    shutil.copytree(EXAMPLE, platform)
    stray = platform / "packages" / "legacy" / "schema.tsx"
    stray.parent.mkdir(parents=True)
    stray.write_text(RAW)
    assert main(["lint", str(stray), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["location"]["line"]) for f in report["findings"]] == [("ISO001", 3)]
    alone = tmp_path / "alone.ts"
    alone.write_text(RAW)
    assert main(["lint", str(alone)]) == 2
    assert "TypeScript is linted as a service's Drizzle source" in capsys.readouterr().err
