"""The CLI end to end: exit codes, JSON schema, redaction, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from schemakit.cli import main
from schemakit.report import json_schema
from schemakit.rules import DOC_SECTIONS, RULES
from schemakit.testing import Cluster

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "platform"
SECRET = "s3cr3t-Pa55"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_example_platform_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lint", str(EXAMPLE), "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {(f["code"], f["object"]) for f in report["findings"]}
    assert found == {
        ("ISO001", "public.query_tags"),
        ("ISO002", "public.transaction_type"),
        ("ISO003", "public.set_updated_at()"),
        ("ISO004", "research_scratch.import_rows"),
        ("ISO005", "research_scratch"),
        ("ISO006", "research"),
        ("ISO007", "auth.credit_holds"),
        ("ISO008", "credits.balances.balances_user_id_users_id_fk"),
        ("ISO009", "mail"),
        ("NAM002", "research.source"),
        ("NAM004", "research.source.pinned"),
        ("NAM008", "research.source_url_idx"),
        ("TYP001", "research.source.user_id"),
        ("TYP003", "research_scratch.import_rows.id"),
        ("TYP004", "research.source.extract"),
        ("COL001", "research_scratch.import_rows"),
        ("COL003", "research.source.is_deleted"),
        ("IDX001", "research.source.source_query_id_fkey"),
        ("IDX002", "research.idx_source_user_id"),
        ("IDX003", "auth.credit_holds.user_id"),
        ("MIG009", "query_tags"),
        ("MIG009", "set_updated_at"),
        ("MIG010", "research.queries"),
        ("MIG022", "research.queries"),
        ("MIG011", "research.queries"),
        ("MIG005", "research.queries.answer_count"),
        ("MIG006", "research.queries.question"),
        ("MIG007", "research.queries.queries_question_not_blank"),
    }
    # the inline ignore hid one finding, the per-object ignores three (Better Auth's auth.users)
    assert report["summary"]["suppressed"] == 4
    # the Python storage service is clean
    assert not any(
        "storage" in (f["object"] or "") or "services/storage" in str(f["location"])
        for f in report["findings"]
    )
    # the exempt sync database has tables in public and no findings
    assert "sync" in report["databases"]
    assert not any(f["database"] == "sync" for f in report["findings"])


def test_console_script_text_output() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "schemakit"), "lint", "examples/platform"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        # a URL in the environment alone never turns the replay into a live audit
        env={**os.environ, "DATABASE_URL": "postgresql://nobody@/nowhere?host=/nonexistent"},
    )
    assert proc.returncode == 1, proc.stderr
    # paths relative to the repository holding the config, not the working directory
    assert "\nexamples/platform/services/credits/src/db/schema/index.ts\n" in proc.stdout
    # the Drizzle source, not the generated migration: that is where it is fixed
    assert "10:1 ISO002 [type-in-public]" in proc.stdout
    assert (
        "Found 28 findings (12 errors, 16 warnings) in platform, sync; 4 suppressed "
        "[migrations replayed into a throwaway PostgreSQL]" in proc.stdout
    )


def test_json_output_validates_against_schema(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "lint", str(EXAMPLE), "--format", "json")
    jsonschema.validate(json.loads(out), json.loads(json_schema()))


def test_schema_file_in_repo_rejects_a_malformed_report(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "lint", str(EXAMPLE), "--format", "json")
    report = json.loads(out)
    report["findings"][0]["severity"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, json.loads(json_schema()))


def test_clean_platform_exits_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "schemakit.toml", '[services.app]\nschemas = ["app"]\nmigrations = "m"\n')
    write(
        tmp_path / "m" / "0001.sql",
        """
        CREATE SCHEMA app;
        CREATE TABLE app.users (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    )
    code, out, _ = run(capsys, "lint", str(tmp_path))
    assert code == 0
    assert "All checks passed" in out


def test_select_and_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lint", str(EXAMPLE), "--select", "ISO001", "--format", "json")
    assert code == 1
    assert {f["code"] for f in json.loads(out)["findings"]} == {"ISO001"}
    code, _, _ = run(capsys, "lint", str(EXAMPLE), "--exit-zero")
    assert code == 0


def test_live_database_with_password_never_prints_it(
    capsys: pytest.CaptureFixture[str], pg_cluster: Cluster, pg_database: str, pg_conn
) -> None:  # type: ignore[no-untyped-def]
    pg_conn.execute("CREATE TABLE public.users (id uuid)")
    # trust auth ignores the password, so this URL connects and the report names it
    url = f"postgresql://postgres:{SECRET}@/{pg_database}?host={pg_cluster.socket_dir}"
    code, out, err = run(
        capsys,
        "lint",
        str(EXAMPLE),
        "--database-url",
        url,
        "--database",
        "platform",
        "--format",
        "json",
    )
    assert code == 1
    report = json.loads(out)
    assert report["sources"][0] == url.replace(SECRET, "***")
    assert "storage.db.schema:Base" in report["sources"]  # the models, linted too
    assert SECRET not in out + err
    code, out, err = run(
        capsys, "lint", str(EXAMPLE), "--database-url", url, "--database", "platform"
    )
    assert SECRET not in out + err


def test_unreachable_database_exit_2_without_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"postgresql://app:{SECRET}@/platform?host={tmp_path}&connect_timeout=2"
    code, out, err = run(capsys, "lint", str(EXAMPLE), "--database-url", url)
    assert code == 2
    assert "cannot connect to postgresql://app:***@/platform" in err
    assert SECRET not in out + err


def test_database_url_from_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """DATABASE_URL alone does not switch lint to a live audit (it replays the migrations,
    and says so); --live reads it."""
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{SECRET}@/platform?host={tmp_path}")
    code, out, err = run(capsys, "lint", str(EXAMPLE))
    assert code == 1
    assert "[migrations replayed into a throwaway PostgreSQL]" in out
    code, out, err = run(capsys, "lint", str(EXAMPLE), "--live")
    assert code == 2
    assert "cannot connect to postgresql://app:***@/platform" in err
    assert SECRET not in out + err
    monkeypatch.delenv("DATABASE_URL")
    code, out, err = run(capsys, "lint", str(EXAMPLE), "--live")
    assert code == 2
    assert "--live audits $DATABASE_URL, which is not set" in err


def test_keyword_dsn_password_is_redacted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dsn = f"host={tmp_path} dbname=platform user=app password={SECRET} connect_timeout=2"
    code, out, err = run(capsys, "lint", str(EXAMPLE), "--database-url", dsn)
    assert code == 2
    assert SECRET not in out + err
    assert "password=***" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "postgresql://h/db?password=pw1&user=u: connection failed",
            "postgresql://h/db?password=***&user=u: connection failed",
        ),
        (
            "postgresql://u:pw1@h/db?sslmode=require&password=pw2#x",
            "postgresql://u:***@h/db?sslmode=require&password=***#x",
        ),
        ("host=h password=pw1 user=u", "host=h password=*** user=u"),
        ("host=h password='p w' user=u", "host=h password=*** user=u"),
        ("host=h password=p\\ w user=u", "host=h password=*** user=u"),
    ],
)
def test_redact_hides_the_password_and_keeps_the_rest(text: str, expected: str) -> None:
    from schemakit.errors import redact

    assert redact(text) == expected


def test_bad_config_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(
        tmp_path / "schemakit.toml", "[services.auth]\nschemas = ['auth']\nmigratons = 'x'\n"
    )
    code, _, err = run(capsys, "lint", str(tmp_path))
    assert code == 2
    assert f"{path}: services.auth.migratons: unknown key" in err
    assert "did you mean 'migrations'" in err


def test_missing_migrations_folder_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(tmp_path / "schemakit.toml", "[services.auth]\nschemas = ['auth']\nmigrations = 'nope'\n")
    code, _, err = run(capsys, "lint", str(tmp_path))
    assert code == 2
    assert "services.auth.migrations: migrations folder" in err
    assert "does not exist" in err


def test_failing_migration_is_a_finding_and_the_rest_is_still_linted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Never a silent zero: a migration the server refuses is APL001 at its statement; the
    service's later files are still read by the statement rules, and the other services are
    replayed and checked as usual."""
    write(
        tmp_path / "schemakit.toml",
        "[services.auth]\nschemas = ['auth']\nmigrations = 'm'\n"
        "[services.files]\nschemas = ['files']\nmigrations = 'f'\n",
    )
    write(tmp_path / "m" / "0001.sql", "CREATE SCHEMA auth;\n")
    bad = write(
        tmp_path / "m" / "0002.sql",
        "-- a reference to a table that does not exist\n\nCREATE TABLE auth.sessions (\n"
        "  user_id text REFERENCES auth.users (id)\n);\n",
    )
    write(tmp_path / "m" / "0003.sql", "CREATE INDEX idx_x ON auth.sessions (user_id);\n")
    write(
        tmp_path / "f" / "0001.sql", 'CREATE SCHEMA files;\nCREATE TABLE files."Blob" (id int);\n'
    )
    code, out, err = run(capsys, "lint", str(tmp_path), "--format", "json")
    assert code == 1, err
    findings = json.loads(out)["findings"]
    [refused] = [f for f in findings if f["code"] == "APL001"]
    assert refused["location"]["path"].endswith("m/0002.sql")
    assert (refused["location"]["line"], refused["location"]["column"]) == (3, 1)
    assert 'relation "auth.users" does not exist (SQLSTATE 42P01)' in refused["message"]
    assert refused["service"] == "auth"
    # the later file's statements are still judged, and the other service fully
    assert any(f["code"] == "MIG001" and f["location"]["path"] == "m/0003.sql" for f in findings)
    assert {"NAM001", "COL001", "COL005"} <= {
        f["code"] for f in findings if f["service"] == "files"
    }
    # auth's schema exists (0001 applied): no ISO009 for a replay that stopped after it
    assert not any(f["code"] == "ISO009" for f in findings)
    assert refused["location"]["path"] == bad.relative_to(tmp_path).as_posix()


def test_syntax_error_is_a_finding_with_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(tmp_path / "schemakit.toml", "[services.auth]\nschemas = ['auth']\nmigrations = 'm'\n")
    write(tmp_path / "m" / "0001.sql", "CREATE SCHEMA auth;\n\nCREATE TABLE auth.x (id int,);\n")
    code, out, _ = run(capsys, "lint", str(tmp_path), "--format", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["code"] == "SYN001"
    assert (finding["location"]["line"], finding["location"]["column"]) == (3, 29)
    assert finding["message"] == 'Syntax error at or near ")"'


def test_migrate_refuses_a_syntax_error_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_dsn: str
) -> None:
    write(tmp_path / "schemakit.toml", "[services.auth]\nschemas = ['auth']\nmigrations = 'm'\n")
    bad = write(
        tmp_path / "m" / "0001.sql", "CREATE SCHEMA auth;\n\nCREATE TABLE auth.x (id int,);\n"
    )
    code, _, err = run(capsys, "migrate", "--config", str(tmp_path), "--database-url", pg_dsn)
    assert code == 2
    assert f"{bad}:3: syntax error" in err


@pytest.mark.parametrize("kind", ["not-utf8", "dangling-link", "journal"])
def test_unreadable_migration_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    write(tmp_path / "schemakit.toml", "[services.auth]\nschemas = ['auth']\nmigrations = 'm'\n")
    folder = tmp_path / "m"
    folder.mkdir()
    if kind == "not-utf8":
        (folder / "0001.sql").write_bytes(b"CREATE SCHEMA \xff;\n")
        expected = "0001.sql: not UTF-8 text"
    elif kind == "dangling-link":
        (folder / "0001.sql").symlink_to(tmp_path / "missing.sql")
        expected = "0001.sql: cannot read"
    else:
        write(folder / "meta" / "_journal.json", '{"entries": [{"tag": "0000_x", "when": 1}]}')
        expected = "entry 0 names 0000_x.sql, which does not exist"
    code, _, err = run(capsys, "lint", str(tmp_path))
    assert code == 2
    assert expected in err


def test_rule_docs_have_every_section() -> None:
    for rule in RULES:
        sections = rule.doc_sections()
        for section in DOC_SECTIONS:
            assert sections.get(section), f"{rule.code} lacks '## {section}'"
        assert rule.summary().endswith("."), rule.code


def test_rule_command_renders_docs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rule", "ISO001")
    assert code == 0
    assert out.startswith("# ISO001 table-in-public")
    for section in DOC_SECTIONS:
        assert f"## {section}" in out


def test_unknown_rule_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "rule", "XYZ999")
    assert code == 2
    assert "no rule 'XYZ999'" in err


def test_rules_and_services(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--format", "json")
    assert code == 0
    assert [r["code"] for r in json.loads(out)] == [r.code for r in RULES]
    code, out, err = run(capsys, "services", str(EXAMPLE))
    assert code == 0
    assert "credits" in out
    assert "sync (exempt)" in out
    assert "schema research is claimed by research, research-worker" in err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert "schemakit" in out
    code, out, _ = run(capsys, "lint", "--help")
    assert code == 0
    assert "--database-url" in out
    assert "Exit 0" in out


def test_bad_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lint", "--select", "nonsense!")
    assert code == 2
    assert (
        "rule selector 'NONSENSE!' (from --select, --ignore or --extend-select) matches no rule"
        in err
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:{s} x@/platform?host={tmp}",  # space: psycopg quotes it back
        "postgresql://app:{s}%ZZ@/platform?host={tmp}",  # bad percent-encoding
        "postgres://app:{s}@/platform?host={tmp}&connect_timeout=1",
        "host={tmp} dbname=platform user=app password='{s} x' connect_timeout=1",
        "host={tmp} dbname=platform user=app password={s}\\ x connect_timeout=1",
    ],
)
def test_password_never_printed_in_any_form(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str
) -> None:
    dsn = url.format(s=SECRET, tmp=tmp_path)
    code, out, err = run(capsys, "lint", str(EXAMPLE), "--database-url", dsn)
    assert code == 2
    assert SECRET not in out + err


def test_url_given_as_path_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "lint", f"postgresql://app:{SECRET}@db/platform")
    assert code == 2
    assert SECRET not in out + err


def test_progress_lines_are_redacted(pg_cluster: Cluster, pg_database: str) -> None:
    from schemakit.errors import register_dsn
    from schemakit.lint import LintOptions, lint

    url = f"postgresql://postgres:{SECRET}@/{pg_database}?host={pg_cluster.socket_dir}"
    register_dsn(url)
    said: list[str] = []
    lint(EXAMPLE, LintOptions(database_url=url, database="platform"), said.append)
    assert said
    assert not any(SECRET in line for line in said)


def test_unknown_selector_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lint", str(EXAMPLE), "--select", "ISO999")
    assert code == 2
    assert "matches no rule" in err


def test_exempt_database_audited_live(
    capsys: pytest.CaptureFixture[str],
    pg_cluster: Cluster,
    pg_conn,
    pg_database: str,
    tmp_path: Path,
) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "schemakit.toml",
        'database = "platform"\nexempt-databases = ["mana_sync"]\n'
        '[services.auth]\nschemas = ["auth"]\n',
    )
    # append-only, as the guideline's mana_sync: an identity key and no updated_at are fine there
    pg_conn.execute(
        "CREATE TABLE public.changes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " created_at timestamptz NOT NULL DEFAULT now())"
    )
    code, out, err = run(
        capsys,
        "lint",
        str(tmp_path),
        "--database-url",
        pg_cluster.dsn(pg_database),
        "--database",
        "mana_sync",
    )
    assert (code, err) == (0, "")
    assert "All checks passed (mana_sync)" in out


def test_drizzle_chunks_without_semicolons(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(
        tmp_path / "schemakit.toml",
        '[services.app]\nschemas = ["app"]\nmigrations = "d"\n[lint]\nselect = ["ISO"]\n',
    )
    write(tmp_path / "d" / "meta" / "_journal.json", '{"entries": [{"tag": "0000_x", "when": 1}]}')
    write(
        tmp_path / "d" / "0000_x.sql",
        'CREATE SCHEMA "app"\n--> statement-breakpoint\nCREATE TABLE "t" ("id" integer)\n'
        '--> statement-breakpoint\nCREATE INDEX "idx_t_id" ON "t" ("id")\n',
    )
    code, out, _ = run(capsys, "lint", str(tmp_path), "--format", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert (finding["code"], finding["object"]) == ("ISO001", "public.t")
    assert finding["location"]["line"] == 3


def test_syntax_error_line_after_non_ascii(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(tmp_path / "schemakit.toml", "[services.auth]\nschemas = ['auth']\nmigrations = 'm'\n")
    write(
        tmp_path / "m" / "0001.sql",
        "-- Grüße, naïve café ünïcödé\n-- ééééééé\nCREATE SCHEMA auth;\n\n\n\n\nCREATE TABLE auth.x (id int,);\n",
    )
    code, out, _ = run(capsys, "lint", str(tmp_path), "--format", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert (finding["location"]["path"], finding["location"]["line"]) == ("m/0001.sql", 8)


def test_lint_a_migration_file_finds_its_config(capsys: pytest.CaptureFixture[str]) -> None:
    """The project's config applies (ISO001 needs its registry and a replay); only the
    file's own findings are reported."""
    target = EXAMPLE / "services" / "research" / "migrations" / "0002_scratch.sql"
    code, out, _ = run(capsys, "lint", str(target), "--select", "ISO001")
    assert code == 1
    assert "public.query_tags" in out
    clean = EXAMPLE / "services" / "auth" / "migrations" / "0001_init.sql"
    code, out, _ = run(capsys, "lint", str(clean), "--select", "ISO001")
    assert code == 0
    assert "public.query_tags" not in out


def test_output_file_and_formats_match_reporters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from schemakit.cli import lint as lint_command
    from schemakit.report import REPORTERS

    fmt = next(p for p in lint_command.params if p.name == "fmt")
    assert sorted(fmt.type.choices) == sorted(REPORTERS)  # type: ignore[attr-defined]
    target = tmp_path / "report.json"
    code, out, _ = run(capsys, "lint", str(EXAMPLE), "--format", "json", "-o", str(target))
    assert code == 1
    assert out == ""
    jsonschema.validate(json.loads(target.read_text()), json.loads(json_schema()))


def test_same_findings_and_paths_from_a_subfolder_and_for_two_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Report paths do not depend on the working directory, and several files of a project
    (as `git diff --name-only | xargs schemakit lint` passes them) are linted with the
    project, as one is: the catalog rules still judge what they make."""
    project = tmp_path / "repo" / "platform"
    shutil.copytree(EXAMPLE, project)
    (tmp_path / "repo" / ".git").mkdir()  # paths are relative to the repository

    def findings(*args: str) -> list[tuple[str, str, int]]:
        code, out, err = run(capsys, "lint", *args, "--format", "json")
        assert code == 1, err
        return sorted(
            (f["code"], f["location"]["path"], f["location"]["line"])
            for f in json.loads(out)["findings"]
            if f["location"]
        )

    monkeypatch.chdir(tmp_path / "repo")
    whole = findings("platform")
    assert ("ISO001", "platform/services/research/migrations/0002_scratch.sql", 4) in whole
    monkeypatch.chdir(project / "services" / "research")
    assert findings(str(project)) == whole
    files = [
        "platform/services/research/migrations/0002_scratch.sql",
        "platform/services/auth/migrations/0001_init.sql",
    ]
    asked = findings(*(str(tmp_path / "repo" / f) for f in files))
    assert asked == [f for f in whole if f[1] in files]
    assert any(code == "ISO001" for code, _, _ in asked)  # a catalog rule, not only MIG
