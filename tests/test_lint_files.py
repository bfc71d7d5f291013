"""``schemakit lint`` on SQL files, folders and standard input: statement by statement, no
database, syntax errors as findings."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from schemakit.cli import main
from schemakit.lint import LintOptions, lint_files

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "platform"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def codes(result) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(f.code, f.location.line) for f in result.findings]


def test_a_file_outside_any_project(tmp_path: Path) -> None:
    sql = write(
        tmp_path / "m.sql",
        "CREATE TABLE app.t (id int);\n"
        "CREATE INDEX idx_t_id ON app.t (id);\n"  # the table is new: fine
        "CREATE INDEX idx_u_id ON app.u (id);\n"  # not created here: it may hold rows
        "ALTER TABLE app.u ADD COLUMN x int NOT NULL;\n",
    )
    result = lint_files([sql])
    assert ("MIG001", 3) in codes(result)
    assert ("MIG003", 4) in codes(result)
    assert not any(line in (1, 2) for _, line in codes(result))
    assert result.sources == [str(sql)]


def test_syntax_error_is_a_finding_and_the_rest_is_still_linted(tmp_path: Path) -> None:
    sql = write(
        tmp_path / "m.sql",
        "CREATE TABLE app.t (id int,);\n"
        "ALTER TABLE app.u ADD COLUMN x int NOT NULL;\n"
        "-- schemakit: ignore[MIG004]\n"
        "DROP TABLE app.old;\n"
        "SELECT 'never closed;\n",
    )
    result = lint_files([sql])
    found = codes(result)
    assert ("SYN001", 1) in found
    assert ("SYN001", 5) in found
    assert ("MIG003", 2) in found
    # the ignore is read although the file ends inside a string
    assert not any(code == "MIG004" for code, _ in found)
    assert result.suppressed == 1
    [first] = [f for f in result.findings if f.code == "SYN001" and f.location.line == 1]
    assert first.message == 'Syntax error at or near ")"'
    assert first.location.column == 28


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a first word that is no keyword: pglast's scanner split left these out entirely
        ("SELEC 1;\n", [("SYN001", 1, 1)]),
        ("foo;", [("SYN001", 1, 1)]),
        (
            "SELEC 1; select 2; SELEC 3;\nfoo; bar",
            [("SYN001", 1, 1), ("SYN001", 1, 20), ("SYN001", 2, 1), ("SYN001", 2, 6)],
        ),
        # no location from the parser: put at the last character
        ("CREATE TABLE app.x (a int", [("SYN001", 1, 25)]),
        (
            "ALTER TABLE app.x DROP COLUMN y;\nINSERT INTO app.x VALUES (1;\n",
            [("MIG004", 1, 1), ("MIG010", 1, 1), ("SYN001", 2, 28)],
        ),
        ("-- only a comment\n;;\n/* and another */\n", []),
    ],
)
def test_every_syntax_error_is_found(
    tmp_path: Path, text: str, expected: list[tuple[str, int, int]]
) -> None:
    result = lint_files([write(tmp_path / "m.sql", text)])
    found = sorted((f.code, f.location.line, f.location.column) for f in result.findings)
    assert found == sorted(expected)


def test_folder_order_and_drizzle_transaction(tmp_path: Path) -> None:
    drizzle = tmp_path / "drizzle"
    write(
        drizzle / "meta" / "_journal.json",
        json.dumps({"entries": [{"idx": 0, "tag": "0000_a", "when": 1, "breakpoints": True}]}),
    )
    write(drizzle / "0000_a.sql", "CREATE INDEX CONCURRENTLY idx_f ON app.f (x);")
    plain = tmp_path / "plain"
    write(plain / "0002_b.sql", "CREATE INDEX CONCURRENTLY idx_g ON app.g (x);")
    result = lint_files([drizzle])
    assert [f.code for f in result.findings] == ["MIG002"]
    assert lint_files([plain]).findings == []


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.BytesIO(b"DROP TABLE app.files;\n")
    result = lint_files([Path("-")], stdin=stdin, stdin_name="0007_drop.sql")
    # MIG010 (no lock_timeout) fires on the same statement
    [finding] = [f for f in result.findings if f.code == "MIG004"]
    assert str(finding.location.path) == "0007_drop.sql"


def test_cli_stdin_json_and_exit_codes(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "schemakit", "lint"]
    done = subprocess.run(
        [*exe, "-", "--format", "json", "--stdin-filename", "x.sql"],
        input=b"SET lock_timeout = '5s'; ALTER TABLE app.u ADD COLUMN x int NOT NULL;",
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["location"]["path"] == "x.sql"
    assert finding["service"] is None
    clean = subprocess.run(
        [*exe, "-"], input=b"SELECT 1;", capture_output=True, check=False, text=False
    )
    assert clean.returncode == 0
    assert b"All checks passed (1 SQL file)" in clean.stdout
    bad = subprocess.run([*exe, "-"], input=b"\xff\xfe", capture_output=True, check=False)
    assert bad.returncode == 2
    assert b"not UTF-8" in bad.stderr


def test_unreadable_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path / "missing.sql"), "--sql"]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "versions").mkdir()
    assert main(["lint", str(tmp_path)]) == 2
    assert "Alembic folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["lint", str(empty)]) == 2
    assert "has no .sql files" in capsys.readouterr().err


def test_sql_flag_inside_a_project_lints_only_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    target = EXAMPLE / "services" / "auth" / "migrations" / "0001_init.sql"
    code = main(["lint", "--sql", str(target), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert [Path(p).resolve() for p in report["sources"]] == [target.resolve()]
    assert report["databases"] == []
    assert code in (0, 1)
    assert all(Path(f["location"]["path"]).resolve() == target for f in report["findings"])


def test_one_migration_of_a_project_is_linted_in_context_and_reported_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its tables come from the earlier migrations (replayed), so the catalog rules judge
    them too; findings of the other files are not what was asked about."""
    target = EXAMPLE / "services" / "research" / "migrations" / "0002_scratch.sql"
    code = main(["lint", str(target), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [Path(p).resolve() for p in report["sources"]] == [target.resolve()]
    paths = {(Path.cwd() / f["location"]["path"]).resolve() for f in report["findings"]}
    assert paths == {target.resolve()}
    found = {f["code"] for f in report["findings"]}
    assert {"MIG009", "ISO001", "TYP003"} <= found  # a statement rule and catalog rules


def test_a_loose_file_in_a_project_stands_alone(tmp_path: Path) -> None:
    """A SQL file that is no service's migration or source is linted as a file."""
    (tmp_path / "schemakit.toml").write_text('[services.app]\nschemas = ["app"]\n')
    loose = write(tmp_path / "scratch.sql", "CREATE INDEX idx_t_a ON app.t (a);\n")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "schemakit"), "lint", str(loose)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert "1:1 MIG001" in proc.stdout
    assert "in 1 SQL file" in proc.stdout


def test_replay_runs_the_table_shape_rules(tmp_path: Path, pg_cluster) -> None:  # type: ignore[no-untyped-def]
    sql = write(
        tmp_path / "0001_users.sql",
        "CREATE SCHEMA app;\n"
        "CREATE TABLE app.users (\n"
        "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
        "    user_id uuid NOT NULL\n"
        ");\n",
    )
    assert "TYP001" not in {f.code for f in lint_files([sql]).findings}
    result = lint_files([sql], replay=True, cluster=pg_cluster)
    typ = [f for f in result.findings if f.code == "TYP001"]
    assert [(f.object, f.location.path, f.location.line) for f in typ] == [
        ("app.users.user_id", sql, 2)
    ]
    assert not any(f.code.startswith("ISO") for f in result.findings)


def test_nul_byte_is_a_finding_not_a_silent_stop(tmp_path: Path) -> None:
    sql = tmp_path / "m.sql"
    sql.write_bytes(b"DROP TABLE app.a;\nSELECT 1;\x00 DROP TABLE app.b;\n")
    found = codes(lint_files([sql]))
    assert ("MIG004", 1) in found
    assert ("SYN001", 2) in found


def test_concurrently_inside_an_explicit_block(tmp_path: Path) -> None:
    sql = write(
        tmp_path / "m.sql",
        "BEGIN;\n"
        "CREATE INDEX CONCURRENTLY idx_a_x ON app.a (x);\n"
        "COMMIT;\n"
        "CREATE INDEX CONCURRENTLY idx_a_y ON app.a (y);\n",
    )
    result = lint_files([sql], LintOptions(select=("MIG002",)))
    assert codes(result) == [("MIG002", 2)]
    assert "BEGIN on line 1" in result.findings[0].message


def test_options_that_do_not_apply_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(EXAMPLE), "--replay"]) == 2
    assert "--replay is for SQL files" in capsys.readouterr().err
    target = EXAMPLE / "services" / "auth" / "migrations" / "0001_init.sql"
    assert main(["lint", "--sql", str(target), "--models", "x:Base"]) == 2
    assert "--models" in capsys.readouterr().err


def test_project_replay_survives_concurrently_in_a_block(tmp_path: Path, pg_cluster) -> None:  # type: ignore[no-untyped-def]
    from schemakit.lint import lint

    write(tmp_path / "schemakit.toml", "[services.app]\nschemas = ['app']\nmigrations = 'm'\n")
    write(
        tmp_path / "m" / "0001.sql",
        "CREATE SCHEMA app;\nCREATE TABLE app.files (id uuid PRIMARY KEY, name text);\n",
    )
    write(
        tmp_path / "m" / "0002.sql",
        "BEGIN;\nSET LOCAL lock_timeout = '1s';\n"
        "CREATE INDEX CONCURRENTLY idx_files_name ON app.files (name);\nCOMMIT;\n",
    )
    result = lint(tmp_path, LintOptions(select=("MIG002",)), cluster=pg_cluster)
    assert [(f.code, f.location.path.name, f.location.line) for f in result.findings] == [
        ("MIG002", "0002.sql", 3)
    ]


def test_drop_waiting_period_is_configurable_and_reads_drizzle_dates(tmp_path: Path) -> None:
    """MIG004 measures from the migration that marked the column deprecated: dates from the
    file names, or from drizzle-kit's journal; drop-wait-days in [lint] sets the period."""
    (tmp_path / "schemakit.toml").write_text('[lint]\nselect = ["MIG004"]\ndrop-wait-days = 2\n')
    sql = tmp_path / "sql"
    write(sql / "20261101_init.sql", "CREATE TABLE app.t (id int, a text, b text);\n")
    write(sql / "20261105_mark.sql", "COMMENT ON COLUMN app.t.a IS 'deprecated';\n")
    write(sql / "20261106_drop.sql", "ALTER TABLE app.t DROP COLUMN a;\n")
    write(sql / "20261110_drop.sql", "COMMENT ON COLUMN app.t.b IS 'DEPRECATED';\n")
    assert [c for c, _ in codes(lint_files([sql]))] == ["MIG004"]  # a: one day, not two
    write(sql / "20261106_drop.sql", "SELECT 1;\n")
    write(sql / "20261107_drop.sql", "ALTER TABLE app.t DROP COLUMN a;\n")
    assert codes(lint_files([sql])) == []  # two days

    day = 86_400_000
    drizzle = tmp_path / "drizzle"
    entries = [
        {"idx": i, "tag": tag, "when": 1_700_000_000_000 + days * day}
        for i, (tag, days) in enumerate([("0000_init", 0), ("0001_mark", 1), ("0002_drop", 2)])
    ]
    write(drizzle / "meta" / "_journal.json", json.dumps({"entries": entries}))
    write(drizzle / "0000_init.sql", "CREATE TABLE app.t (id int, a text);\n")
    write(drizzle / "0001_mark.sql", "COMMENT ON COLUMN app.t.a IS 'deprecated';\n")
    write(drizzle / "0002_drop.sql", "ALTER TABLE app.t DROP COLUMN a;\n")
    [finding] = lint_files([drizzle]).findings
    assert finding.code == "MIG004"
    assert "1 day(s) after 0001_mark.sql deprecated it; the waiting period is 2" in finding.message


def test_drop_mark_must_start_the_comment_and_help_quotes_names(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    write(sql / "0001_init.sql", 'CREATE TABLE store."Weird" ("Name" text, b text);\n')
    write(
        sql / "0002_mark.sql",
        'COMMENT ON COLUMN store."Weird"."Name" IS \'no longer deprecated: reports use it\';\n'
        "COMMENT ON COLUMN store.\"Weird\".b IS 'Deprecated since release 4';\n",
    )
    write(
        sql / "0003_drop.sql",
        'ALTER TABLE store."Weird" DROP COLUMN "Name";\nALTER TABLE store."Weird" DROP COLUMN b;\n',
    )
    found = [f for f in lint_files([sql]).findings if f.code == "MIG004"]
    assert [f.object for f in found] == ["store.Weird.Name"]
    assert 'COMMENT ON COLUMN store."Weird"."Name" IS \'deprecated\'' in found[0].help
