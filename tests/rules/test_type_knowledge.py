"""MIG006 across runs: the old type from the database the migrations go to (its Catalog),
and a finding that says so when the old type is not known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemakit.catalog import from_database
from schemakit.config import load_config
from schemakit.errors import MigrationError
from schemakit.migrate import migrate
from schemakit.rules._statements import MigrationStep, known_types_of, run_sql_rules
from schemakit.rules.mig.column_type_rewrite import ColumnTypeRewrite
from schemakit.sql import ColumnType, split_statements

CHANGE = "ALTER TABLE app.docs ALTER COLUMN edits TYPE text USING edits::text;"


def findings(sql: str, known: Any = None) -> list[str]:
    step = MigrationStep("app", "2", Path("0002.sql"), split_statements(sql))
    rules = [ColumnTypeRewrite]
    return [
        f.message for f in run_sql_rules(rules, [step], in_transaction=False, known_types=known)
    ]


@pytest.mark.parametrize(
    ("spelled", "expected"),
    [
        ("character varying(50)", ColumnType("varchar", (50,))),
        ("character varying", ColumnType("varchar")),
        ("integer", ColumnType("int4")),
        ("numeric(10,2)", ColumnType("numeric", (10, 2))),
        ("text[]", ColumnType("text", array=True)),
        ("timestamp with time zone", ColumnType("timestamptz")),
        ('"char"', ColumnType("char")),
        ("not a type (", None),
    ],
)
def test_format_type_spellings_parse(spelled: str, expected: ColumnType | None) -> None:
    assert ColumnType.parse(spelled) == expected


def test_statement_only_says_the_old_type_was_not_known() -> None:
    (message,) = findings(CHANGE)
    assert "not known here" in message
    assert "to text with" not in message  # USING edits::text is the plain form
    assert findings("ALTER TABLE app.docs ALTER COLUMN edits TYPE text;") == []
    (other,) = findings("ALTER TABLE app.docs ALTER COLUMN edits TYPE bigint;")
    assert "the old type is not known here" in other


def test_the_databases_catalog_gives_the_real_old_type(pg_conn: Any) -> None:
    pg_conn.execute("CREATE SCHEMA app")
    pg_conn.execute("CREATE TABLE app.docs (id int, edits integer, title varchar(50))")
    known = known_types_of(from_database(pg_conn))
    assert known["app.docs"]["title"] == ColumnType("varchar", (50,))

    (message,) = findings(CHANGE, known)
    assert "integer -> text" in message
    assert "not known" not in message
    widen = "ALTER TABLE app.docs ALTER COLUMN title TYPE text USING title::text;"
    assert findings(widen, known) == []  # varchar(50) -> text: binary-coercible


@pytest.mark.parametrize(
    ("change", "blocked"),
    [
        # integer -> text rewrites; statement-only it would pass as a likely widening
        ("ALTER TABLE app.docs ALTER COLUMN edits TYPE text;", "integer -> text"),
        # varchar(50) -> text is binary-coercible; statement-only the USING made it suspect
        ("ALTER TABLE app.docs ALTER COLUMN title TYPE text USING title::text;", None),
    ],
)
def test_the_migrate_gate_reads_the_old_type_from_the_database(
    tmp_path: Path, pg_dsn: str, pg_conn: Any, change: str, blocked: str | None
) -> None:
    """The table was made before these migrations (another tool, a squashed history): the
    gate judges the pending type change by the column's type in the database it migrates."""
    pg_conn.execute("CREATE SCHEMA app")
    pg_conn.execute("CREATE TABLE app.docs (id int, edits integer, title varchar(50))")
    pg_conn.commit()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "0001_change.sql").write_text(change + "\n")
    (tmp_path / "schemakit.toml").write_text(
        '[services.app]\nschemas = ["app"]\nmigrations = "app"\n\n'
        '[lint]\nselect = ["MIG006"]\n\n[lint.severity]\nMIG006 = "error"\n'
    )
    config = load_config(tmp_path)
    if blocked is None:
        (result,) = migrate(pg_dsn, config, ["app"])
        assert result.applied == ["0001_change"]
        return
    with pytest.raises(MigrationError) as caught:
        migrate(pg_dsn, config, ["app"])
    assert blocked in str(caught.value)
    assert "not known" not in str(caught.value)
