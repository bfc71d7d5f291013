"""Histories that start on top of `drizzle-kit push` replay on a baseline: what the sources
declare (``baseline = "sources"``) or a schema dump (``baseline = "dump.sql"``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.errors import ConfigError
from schemakit.lint import lint
from schemakit.rules import Location
from schemakit.testing import Cluster

SOURCES = """
import { pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const files = pgSchema('files');
export const visibility = files.enum('visibility', ['private', 'public', 'shared']);

export const objects = files.table('objects', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: text('user_id').notNull(),
  visibility: visibility('visibility').notNull().default('private'),
  mimeType: text('mime_type'),
});
"""

# push made files.objects and files.visibility; these files change them
PATCHES = {
    "0001_mime.sql": "ALTER TABLE files.objects ADD COLUMN mime_type text;\n",
    "0002_shared.sql": "ALTER TYPE files.visibility ADD VALUE 'shared';\n",
    "0003_size.sql": "ALTER TABLE files.objects ADD COLUMN size_bytes bigint;\n",
    # what the sources no longer have: push had it, these removed it
    "0004_drop.sql": "ALTER TABLE files.objects DROP COLUMN legacy_path;\n",
    "0005_rename.sql": "ALTER TABLE files.objects RENAME COLUMN owner_id TO user_id;\n",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def project(root: Path, baseline: str | None) -> Path:
    line = f'baseline = "{baseline}"\n' if baseline else ""
    write(
        root / "schemakit.toml",
        '[services.files]\nschemas = ["files"]\nmigrations = "migrations"\n'
        f'sources = ["src"]\n{line}\n[lint]\nselect = ["APL", "MIG003", "ISO009"]\n',
    )
    write(root / "src" / "schema.ts", SOURCES)
    for name, text in PATCHES.items():
        write(root / "migrations" / name, text)
    return root


def test_without_a_baseline_the_first_patch_does_not_apply(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    result = lint(project(tmp_path, None), cluster=pg_cluster)
    assert [(f.code, f.location.path.name if f.location else None) for f in result.findings] == [
        ("APL001", "0001_mime.sql")
    ]


def test_sources_baseline_replays_the_patches(tmp_path: Path, pg_cluster: Cluster) -> None:
    said: list[str] = []
    root = project(tmp_path, "sources")
    result = lint(root, progress=said.append, cluster=pg_cluster)
    # every patch applies, the schema push made exists; the column 0003 adds is not in the
    # sources: said at its ADD COLUMN (APL002, the migrations are ahead)
    assert [(f.code, f.object, f.location) for f in result.findings] == [
        ("APL002", "files.objects.size_bytes", Location(root / "migrations" / "0003_size.sql"))
    ]
    assert any("baseline from its sources" in line for line in said), said
    # the column and the label the sources already have, the column they no longer have and
    # the one they have under its new name: those statements were skipped
    assert any("4 statements made what its baseline already has" in line for line in said)


def test_what_the_baseline_made_is_located_at_its_declaration(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    root = project(tmp_path, "sources")
    (root / "schemakit.toml").write_text(
        (root / "schemakit.toml").read_text().replace('["APL", "MIG003", "ISO009"]', '["COL001"]')
    )
    result = lint(root, cluster=pg_cluster)
    # no timestamps: said once, at the table's declaration (the replay's finding and the
    # sources' are the same object)
    assert [(f.code, f.object, f.location) for f in result.findings] == [
        ("COL001", "files.objects", Location(root / "src" / "schema.ts", 6))
    ]


DUMP = """
--
-- PostgreSQL database dump
--
\\restrict AbC123

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE SCHEMA files;
ALTER SCHEMA files OWNER TO files_owner_b1;

CREATE TYPE files.visibility AS ENUM ('private', 'public');

CREATE TABLE files.objects (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id text NOT NULL,
    visibility files.visibility DEFAULT 'private'::files.visibility NOT NULL
);
ALTER TABLE files.objects OWNER TO files_owner_b1;
ALTER TABLE ONLY files.objects ADD CONSTRAINT objects_pkey PRIMARY KEY (id);

-- a role the platform creates outside any migration
GRANT SELECT ON TABLE files.objects TO reporting_b1;

\\unrestrict AbC123
"""


def test_dump_baseline_with_grants_to_external_roles(tmp_path: Path, pg_cluster: Cluster) -> None:
    root = project(tmp_path, "schema.sql")
    write(root / "schema.sql", DUMP)
    said: list[str] = []
    result = lint(root, progress=said.append, cluster=pg_cluster)
    assert [f.code for f in result.findings] == ["APL002"]  # size_bytes, as above
    assert any("files_owner_b1, reporting_b1" in line for line in said), said
    assert any("baseline schema.sql (a schema dump)" in line for line in said), said


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('migrations = "migrations"\nbaseline = "nope.sql"', 'neither "sources" nor a file'),
        ('baseline = "sources"', "this service has none"),
    ],
)
def test_bad_baselines_are_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "migrations").mkdir()
    write(tmp_path / "schemakit.toml", f'[services.files]\nschemas = ["files"]\n{text}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)
