"""from_drizzle: Drizzle pg-core schema files read as the Catalog drizzle-kit would create."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schemakit.catalog import Catalog, from_database, from_drizzle
from schemakit.testing import Cluster

FIXTURES = Path(__file__).parent / "fixtures" / "drizzle"
FILES = FIXTURES / "files.schema.ts"
RAW = FIXTURES / "raw.ts"
UNSUPPORTED = FIXTURES / "unsupported.ts"


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_guideline_files_table() -> None:
    catalog, where = from_drizzle([FILES], database="mana_platform")
    assert catalog.database == "mana_platform"
    assert set(catalog.schemas) == {"storage"}
    assert set(catalog.tables) == {"storage.files", "storage.folders"}
    files = catalog.tables["storage.files"]
    columns = {c.name: (c.type, c.type_name, c.nullable, c.default) for c in files.columns}
    assert columns == {
        "id": ("uuid", "uuid", False, "gen_random_uuid()"),
        "user_id": ("text", "text", False, None),
        "parent_folder_id": ("uuid", "uuid", True, None),
        "name": ("character varying(500)", "varchar", False, None),
        "mime_type": ("character varying(255)", "varchar", False, None),
        "size": ("bigint", "int8", False, None),
        "storage_path": ("character varying(1000)", "varchar", False, None),
        "storage_key": ("character varying(500)", "varchar", False, None),
        "description": ("text", "text", True, None),
        "is_favorite": ("boolean", "bool", False, "false"),
        "is_public": ("boolean", "bool", False, "false"),
        "is_deleted": ("boolean", "bool", False, "false"),
        "deleted_at": ("timestamp with time zone", "timestamptz", True, None),
        "download_count": ("integer", "int4", False, "0"),
        "created_at": ("timestamp with time zone", "timestamptz", False, "now()"),
        "updated_at": ("timestamp with time zone", "timestamptz", False, "now()"),
    }
    # Declaration order is kept.
    assert [c.name for c in files.columns][:3] == ["id", "user_id", "parent_folder_id"]
    assert files.primary_key == ("id",)
    assert {(i.name, i.columns, i.unique, i.primary) for i in files.indexes} == {
        ("files_pkey", ("id",), True, True),
        ("files_storage_key_unique", ("storage_key",), True, False),
        ("idx_files_user_id", ("user_id",), False, False),
        ("idx_files_parent_folder", ("parent_folder_id",), False, False),
        ("idx_files_created_at", ("created_at",), False, False),
    }
    assert {(c.name, c.kind, c.columns) for c in files.constraints} == {
        ("files_pkey", "p", ("id",)),
        ("files_storage_key_unique", "u", ("storage_key",)),
    }
    (fk,) = files.foreign_keys
    assert fk.name == "files_parent_folder_id_folders_id_fk"
    assert (fk.columns, fk.ref_path, fk.ref_columns, fk.on_delete) == (
        ("parent_folder_id",),
        "storage.folders",
        ("id",),
        "n",
    )
    assert where["storage"] == (FILES, _line_of(FILES, "= pgSchema('storage')"))
    assert where["storage.files"] == (FILES, _line_of(FILES, "export const files ="))
    assert where["storage.folders"] == (FILES, _line_of(FILES, "export const folders ="))


def test_raw_pg_table_and_enum_land_in_public() -> None:
    catalog, where = from_drizzle([RAW])
    assert set(catalog.tables) == {"public.ledger"}
    assert where["public.ledger"] == (RAW, _line_of(RAW, "export const ledger = pgTable("))
    enum = catalog.types["public.transaction_type"]
    assert (enum.kind, enum.labels) == ("enum", ("purchase", "usage", "refund"))
    assert where["public.transaction_type"] == (RAW, _line_of(RAW, "pgEnum('transaction_type'"))
    ledger = catalog.tables["public.ledger"]
    by_name = {c.name: c for c in ledger.columns}
    assert (by_name["type"].type, by_name["type"].type_schema) == ("transaction_type", "public")
    assert by_name["id"].default == "nextval('ledger_id_seq'::regclass)"
    assert by_name["settings"].default == "'{}'::jsonb"
    assert by_name["tags"].default == "'[]'::jsonb"
    assert "public.ledger_id_seq" in catalog.sequences
    (index,) = [i for i in ledger.indexes if i.name == "ledger_reference_idx"]
    assert (index.columns, index.unique) == (("reference",), True)
    assert index.definition.endswith("(reference DESC)")


def test_comments_strings_and_imports_are_not_tables() -> None:
    catalog, _ = from_drizzle([RAW])
    assert "public.comment_table" not in catalog.tables
    assert "public.string_table" not in catalog.tables


def test_import_alias(tmp_path: Path) -> None:
    source = tmp_path / "alias.ts"
    source.write_text(
        "import { pgTable as table, text as t } from 'drizzle-orm/pg-core';\n"
        "export const notes = table('notes', { body: t('body').notNull() });\n"
    )
    catalog, where = from_drizzle([source])
    assert [c.name for c in catalog.tables["public.notes"].columns] == ["body"]
    assert where["public.notes"] == (source, 2)


def test_array_extras_and_composite_keys(tmp_path: Path) -> None:
    source = tmp_path / "tags.ts"
    source.write_text(
        "import { pgSchema, text, uuid, integer, numeric, timestamp, index, primaryKey,\n"
        "  unique, foreignKey } from 'drizzle-orm/pg-core';\n"
        "import { sql } from 'drizzle-orm';\n"
        "export const s = pgSchema('tags');\n"
        "export const kinds = s.enum('kind', ['a', 'b']);\n"
        "export const tags = s.table('tags', { id: uuid('id').primaryKey() });\n"
        "export const links = s.table('links', {\n"
        "  tagId: uuid('tag_id').notNull(),\n"
        "  fileId: uuid('file_id').notNull(),\n"
        "  kind: kinds('kind').default('a'),\n"
        "  amount: numeric('amount', { precision: 10, scale: 2 }),\n"
        "  at: timestamp('at', { precision: 3 }),\n"
        "  n: integer().generatedAlwaysAsIdentity(),\n"
        "}, (t) => [\n"
        "  primaryKey({ columns: [t.tagId, t.fileId] }),\n"
        "  unique().on(t.fileId, t.kind),\n"
        "  foreignKey({ columns: [t.tagId], foreignColumns: [tags.id] }).onDelete('cascade'),\n"
        "  index('links_kind_idx').using('gin', t.kind).where(sql`amount > 0`),\n"
        "  index('links_expr_idx').on(sql`lower(kind)`),\n"
        "]);\n"
    )
    catalog, _ = from_drizzle([source])
    links = catalog.tables["tags.links"]
    cols = {c.name: c for c in links.columns}
    assert (cols["kind"].type, cols["kind"].default) == ("tags.kind", "'a'::tags.kind")
    assert cols["amount"].type == "numeric(10,2)"
    assert cols["at"].type == "timestamp(3) without time zone"
    assert (cols["n"].name, cols["n"].identity, cols["n"].nullable) == ("n", "a", False)
    assert {(c.name, c.kind, c.columns) for c in links.constraints} == {
        ("links_tag_id_file_id_pk", "p", ("tag_id", "file_id")),
        ("links_file_id_kind_unique", "u", ("file_id", "kind")),
    }
    (fk,) = links.foreign_keys
    assert (fk.name, fk.ref_path, fk.on_delete) == ("links_tag_id_tags_id_fk", "tags.tags", "c")
    gin = next(i for i in links.indexes if i.name == "links_kind_idx")
    assert (gin.method, gin.columns, gin.predicate) == ("gin", ("kind",), "amount > 0")
    expr = next(i for i in links.indexes if i.name == "links_expr_idx")
    assert expr.columns == ("lower(kind)",)


def test_unsupported_constructs_do_not_crash() -> None:
    catalog, where = from_drizzle([UNSUPPORTED])
    messages = catalog.tables["mail.messages"]
    # The custom builder and the spread are left out; the rest is read.
    assert [c.name for c in messages.columns] == ["id", "kind", "weird"]
    weird = messages.column("weird")
    assert weird is not None
    assert weird.default is None  # ``$defaultFn`` is client-side
    assert catalog.types["mail.kind"].labels == ("in", "out")
    # ``.map(...)`` tables have no literal name: skipped.
    assert set(catalog.tables) == {"mail.messages"}
    assert "mail" in where


def test_garbage_does_not_crash(tmp_path: Path) -> None:
    source = tmp_path / "broken.ts"
    source.write_text("export const x = pgTable('t', { a: text('a').notNull( , b: }\n")
    from_drizzle([source])  # whatever tree-sitter recovers, no exception


def _shape(catalog: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in catalog.tables.values():
        out[table.path] = {
            "columns": [
                (c.name, c.type, c.type_name, c.nullable, c.default, c.identity)
                for c in table.columns
            ],
            "indexes": sorted(
                (i.name, i.columns, i.unique, i.primary, i.constraint, i.method, i.predicate)
                for i in table.indexes
            ),
            "fks": sorted(
                (f.name, f.columns, f.ref_path, f.ref_columns, f.on_delete)
                for f in table.foreign_keys
            ),
            "constraints": sorted((c.name, c.kind, c.columns) for c in table.constraints),
        }
    out["types"] = sorted((t.path, t.kind, t.labels) for t in catalog.types.values())
    return out


def test_matches_what_drizzle_kit_sql_creates(pg_cluster: Cluster, pg_database: str) -> None:
    with pg_cluster.connect(pg_database) as conn:
        conn.execute((FIXTURES / "expected.sql").read_text())
        live = from_database(conn)
    built, _ = from_drizzle([FILES, RAW], database=pg_database)
    assert _shape(built) == _shape(live)


def test_lint_reads_a_service_drizzle_sources(tmp_path: Path, pg_cluster: Any) -> None:
    """A service's `sources` are linted through the Drizzle builder, located at the TS line."""
    from schemakit.lint import lint

    (tmp_path / "schemakit.toml").write_text(
        '[services.app]\nschemas = ["app"]\nsources = ["src"]\n[lint]\nselect = ["ISO001", "TYP001"]\n'
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "schema.ts").write_text(
        "import { pgTable, pgSchema, uuid } from 'drizzle-orm/pg-core';\n"
        "export const app = pgSchema('app');\n"
        "// pgTable( in a comment is not a table\n"
        "export const legacy = pgTable('legacy', { id: uuid('id').primaryKey().defaultRandom() });\n"
        "export const users = app.table('users', { userId: uuid('user_id').notNull() });\n"
    )
    result = lint(tmp_path, cluster=pg_cluster)
    found = {
        (
            f.code,
            f.object,
            f.location.path.name if f.location else None,
            f.location.line if f.location else None,
        )
        for f in result.findings
    }
    assert found == {
        ("ISO001", "public.legacy", "schema.ts", 4),
        ("TYP001", "app.users.user_id", "schema.ts", 5),
    }
