"""Compare schemakit, squawk and sqlfluff on one set of unsafe (and safe) migrations.

Run with ``.venv/bin/python scripts/compare_linters.py``; it writes docs/linter-comparison.md
(``--output`` to write elsewhere). The other linters come from the ``bench`` extra:
``.venv/bin/pip install -c constraints.txt -e '.[bench]'``.

Each case below is one small SQL file, written to a temporary folder and linted with each tool's
default rules:

* ``schemakit lint --sql CASE.sql``: the statement rules, no database;
* schemakit on a generated project (``schemakit.toml``, one service whose migrations are
  SETUP, the tables the cases change, then the case): its migrations are replayed into a
  throwaway PostgreSQL and every rule runs, the catalog rules (ISO, NAM, TYP, COL, IDX)
  included; only findings located in the case file count. Needs PostgreSQL's server binaries,
  as ``schemakit lint`` does (``--no-project`` leaves this column out);
* ``squawk --reporter json CASE.sql``, with an empty config file and no ``GITHUB_*`` or
  ``SQUAWK_*`` variables, so it reads no project config and uploads nothing;
* ``sqlfluff lint --dialect postgres --format json CASE.sql``.

The table (case x tool: flagged or not, with the codes reported), the tool versions and the
date are generated, never typed: rerun the script when a tool or a rule changes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMAKIT = BIN / "schemakit"
SQUAWK = BIN / "squawk"
SQLFLUFF = BIN / "sqlfluff"
INSTALL = ".venv/bin/pip install -c constraints.txt -e '.[bench]'"
OUTPUT = ROOT / "docs" / "linter-comparison.md"
COMMAND = ".venv/bin/python scripts/compare_linters.py"

SETUP = """\
CREATE SCHEMA storage;

CREATE TABLE storage.folders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE storage.files (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    folder_id uuid,
    owner_id text,
    name text NOT NULL,
    size integer NOT NULL DEFAULT 0,
    legacy_path text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_files_folder_id ON storage.files (folder_id);

CREATE TABLE storage.file_versions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    file_id uuid NOT NULL REFERENCES storage.files (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_file_versions_file_id ON storage.file_versions (file_id);

CREATE TABLE storage.events (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (created_at);

CREATE TABLE storage.events_2025 PARTITION OF storage.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
"""
"""The tables earlier migrations created (with rows, in production): what the cases change."""

LOCK = "SET lock_timeout = '2s';\n"
"""The cases that change an existing table (all but the one about it) set a lock timeout
first, so that each shows its own problem."""


@dataclass(frozen=True)
class Case:
    slug: str
    title: str
    sql: str
    safe: bool = False


CASES = (
    Case(
        "index_without_concurrently",
        "index without CONCURRENTLY on an existing table",
        LOCK + "CREATE INDEX idx_files_name ON storage.files (name);\n",
    ),
    Case(
        "unique_constraint_on_existing_table",
        "UNIQUE constraint added to an existing table (builds its index under the lock)",
        LOCK
        + "ALTER TABLE storage.files ADD CONSTRAINT files_legacy_path_key UNIQUE (legacy_path);\n",
    ),
    Case(
        "concurrently_in_transaction",
        "CREATE INDEX CONCURRENTLY inside a transaction",
        LOCK
        + "BEGIN;\nCREATE INDEX CONCURRENTLY idx_files_name ON storage.files (name);\nCOMMIT;\n",
    ),
    Case(
        "add_not_null_column_without_default",
        "ADD COLUMN ... NOT NULL without a default",
        LOCK + "ALTER TABLE storage.files ADD COLUMN checksum text NOT NULL;\n",
    ),
    Case(
        "set_not_null_without_check",
        "SET NOT NULL without a validated CHECK first",
        LOCK + "ALTER TABLE storage.files ALTER COLUMN owner_id SET NOT NULL;\n",
    ),
    Case(
        "drop_column",
        "DROP COLUMN",
        LOCK + "ALTER TABLE storage.files DROP COLUMN legacy_path;\n",
    ),
    Case(
        "drop_table",
        "DROP TABLE",
        LOCK + "DROP TABLE storage.file_versions;\n",
    ),
    Case(
        "column_type_change",
        "column type change (table rewrite)",
        LOCK + "ALTER TABLE storage.files ALTER COLUMN size TYPE bigint;\n",
    ),
    Case(
        "foreign_key_without_not_valid",
        "foreign key without NOT VALID",
        LOCK
        + "ALTER TABLE storage.files\n"
        + "    ADD CONSTRAINT files_folder_id_fkey FOREIGN KEY (folder_id)\n"
        + "    REFERENCES storage.folders (id);\n",
    ),
    Case(
        "check_without_not_valid",
        "CHECK without NOT VALID",
        LOCK + "ALTER TABLE storage.files ADD CONSTRAINT files_size_check CHECK (size >= 0);\n",
    ),
    Case(
        "rename_column",
        "rename column",
        LOCK + "ALTER TABLE storage.files RENAME COLUMN name TO filename;\n",
    ),
    Case(
        "rename_table",
        "rename table",
        LOCK + "ALTER TABLE storage.files RENAME TO documents;\n",
    ),
    Case(
        "unqualified_create_table",
        "unqualified CREATE TABLE (lands in public)",
        "CREATE TABLE invoices (\n"
        "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
        "    user_id text NOT NULL,\n"
        "    created_at timestamptz NOT NULL DEFAULT now(),\n"
        "    updated_at timestamptz NOT NULL DEFAULT now()\n"
        ");\n",
    ),
    Case(
        "missing_lock_timeout",
        "no lock_timeout before an ACCESS EXCLUSIVE statement",
        "ALTER TABLE storage.files ADD COLUMN description text;\n",
    ),
    Case(
        "data_and_ddl_in_one_transaction",
        "data change and DDL in one transaction",
        LOCK
        + "BEGIN;\n"
        + "ALTER TABLE storage.files ADD COLUMN kind text;\n"
        + "UPDATE storage.files SET kind = 'document' WHERE kind IS NULL;\n"
        + "COMMIT;\n",
    ),
    Case(
        "volatile_default",
        "ADD COLUMN with a volatile default (drizzle's .defaultRandom(): a table rewrite)",
        LOCK + "ALTER TABLE storage.files ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
    ),
    Case(
        "stored_generated_column",
        "ADD COLUMN ... GENERATED ALWAYS AS (...) STORED (a table rewrite)",
        LOCK
        + "ALTER TABLE storage.files\n"
        + "    ADD COLUMN size_kb integer GENERATED ALWAYS AS (size / 1024) STORED;\n",
    ),
    Case(
        "drop_index_without_concurrently",
        "DROP INDEX without CONCURRENTLY (what drizzle-kit writes)",
        LOCK + "DROP INDEX storage.idx_files_folder_id;\n",
    ),
    Case(
        "reindex_without_concurrently",
        "REINDEX without CONCURRENTLY",
        LOCK + "REINDEX INDEX storage.idx_files_folder_id;\n",
    ),
    Case(
        "reindex_concurrently_false",
        "REINDEX (CONCURRENTLY false): a plain REINDEX",
        LOCK + "REINDEX (CONCURRENTLY false) INDEX storage.idx_files_folder_id;\n",
    ),
    Case(
        "drop_not_null",
        "DROP NOT NULL (breaks deployed readers in expand-contract)",
        LOCK + "ALTER TABLE storage.files ALTER COLUMN name DROP NOT NULL;\n",
    ),
    Case(
        "truncate_cascade",
        "TRUNCATE ... CASCADE",
        LOCK + "TRUNCATE storage.folders CASCADE;\n",
    ),
    Case(
        "nested_transaction",
        "BEGIN inside an open transaction block",
        LOCK
        + "BEGIN;\n"
        + "ALTER TABLE storage.files ADD COLUMN kind text;\n"
        + "BEGIN;\n"
        + "ALTER TABLE storage.files ADD COLUMN origin text;\n"
        + "COMMIT;\n",
    ),
    Case(
        "vacuum_in_transaction",
        "VACUUM inside a transaction block",
        "BEGIN;\nVACUUM storage.files;\nCOMMIT;\n",
    ),
    Case(
        "unqualified_alter",
        "ALTER TABLE without a schema (acts on whatever search_path finds)",
        "SET search_path = storage;\n" + LOCK + "ALTER TABLE files ADD COLUMN note text;\n",
    ),
    Case(
        "domain_check",
        "CREATE DOMAIN ... CHECK",
        "CREATE DOMAIN storage.positive AS integer CHECK (VALUE > 0);\n",
    ),
    Case(
        "alter_domain_add_constraint",
        "ALTER DOMAIN ... ADD CONSTRAINT",
        "CREATE DOMAIN storage.label AS text;\n"
        + "ALTER DOMAIN storage.label ADD CONSTRAINT label_not_blank CHECK (VALUE <> '');\n",
    ),
    Case(
        "detach_partition_without_concurrently",
        "DETACH PARTITION without CONCURRENTLY",
        LOCK + "ALTER TABLE storage.events DETACH PARTITION storage.events_2025;\n",
    ),
    Case(
        "missing_statement_timeout",
        "CLUSTER (rewrites the table while reads and writes wait) with no statement_timeout",
        LOCK + "CLUSTER storage.files USING files_pkey;\n",
    ),
    Case(
        "user_id_uuid",
        "user_id as uuid (a catalog rule)",
        "CREATE TABLE storage.shares (\n"
        "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
        "    user_id uuid NOT NULL,\n"
        "    file_id uuid NOT NULL REFERENCES storage.files (id) ON DELETE CASCADE,\n"
        "    created_at timestamptz NOT NULL DEFAULT now(),\n"
        "    updated_at timestamptz NOT NULL DEFAULT now()\n"
        ");\n\n"
        "CREATE INDEX idx_shares_file_id ON storage.shares (file_id);\n",
    ),
    Case(
        "syntax_error",
        "syntax error",
        LOCK + "ALTER TABLE storage.files ADD COLUMN note text,;\n",
    ),
    Case(
        "safe_new_table",
        "new table, its index built in the same file",
        "CREATE TABLE storage.tags (\n"
        "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
        "    user_id text NOT NULL,\n"
        "    label text NOT NULL,\n"
        "    created_at timestamptz NOT NULL DEFAULT now(),\n"
        "    updated_at timestamptz NOT NULL DEFAULT now()\n"
        ");\n\n"
        "CREATE INDEX idx_tags_user_id ON storage.tags (user_id);\n",
        safe=True,
    ),
    Case(
        "safe_expand",
        "nullable column, then an index built CONCURRENTLY",
        LOCK
        + "ALTER TABLE storage.files ADD COLUMN mime_type text;\n\n"
        + "CREATE INDEX CONCURRENTLY idx_files_mime_type ON storage.files (mime_type);\n",
        safe=True,
    ),
    Case(
        "safe_constraints_not_valid",
        "FK and CHECK added NOT VALID (a later migration validates them)",
        LOCK
        + "ALTER TABLE storage.files\n"
        + "    ADD CONSTRAINT files_folder_id_fkey FOREIGN KEY (folder_id)\n"
        + "    REFERENCES storage.folders (id) NOT VALID;\n\n"
        + "ALTER TABLE storage.files\n"
        + "    ADD CONSTRAINT files_size_check CHECK (size >= 0) NOT VALID;\n",
        safe=True,
    ),
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- running the tools -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    codes: tuple[str, ...]
    """The codes (or rule names) reported, in order, each once."""
    error: str | None = None
    """The tool failed on the file (not a finding): what it said."""

    @property
    def flagged(self) -> bool:
        """Reported: a finding, or an error that stops the run (exit 2 fails CI as well)."""
        return bool(self.codes) or self.error is not None


def _env() -> dict[str, str]:
    hidden = ("GITHUB_", "SQUAWK_", "DATABASE_URL")
    return {k: v for k, v in os.environ.items() if not k.startswith(hidden)}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=cwd)


def _unique(codes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def _failed(proc: subprocess.CompletedProcess[str], work: Path) -> Verdict:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    message = lines[0].removeprefix("error: ") if lines else "no message"
    return Verdict((), f"exit {proc.returncode}: {message.replace(f'{work}/', '')}")


def schemakit_sql(case: Path, work: Path) -> Verdict:
    proc = _run([str(SCHEMAKIT), "lint", "--sql", str(case), "--format", "json"], work)
    if proc.returncode not in (0, 1):
        return _failed(proc, work)
    return Verdict(_unique([f["code"] for f in json.loads(proc.stdout)["findings"]]))


def schemakit_project(case: Path, work: Path) -> Verdict:
    """The case as the second migration of a service in a generated project, replayed."""
    project = work / f"project_{case.stem}"
    migrations = project / "migrations"
    migrations.mkdir(parents=True)
    (project / "schemakit.toml").write_text(
        'database = "app"\n\n[services.storage]\nschemas = ["storage"]\nmigrations = "migrations"\n'
        # applied by psql or a script, as the other columns assume: no timeouts set for it
        'runner = "other"\n'
    )
    (migrations / "0001_setup.sql").write_text(SETUP)
    target = migrations / f"0002_{case.name.split('_', 1)[1]}"  # after the setup
    shutil.copy(case, target)
    proc = _run([str(SCHEMAKIT), "lint", ".", "--format", "json"], project)
    if proc.returncode not in (0, 1):
        return _failed(proc, project)
    findings = json.loads(proc.stdout)["findings"]
    in_case = [
        f["code"]
        for f in findings
        if f["location"] and Path(f["location"]["path"]).name == target.name
    ]
    return Verdict(_unique(in_case))


def squawk(case: Path, work: Path) -> Verdict:
    config = work / "squawk.toml"
    config.write_text("")
    proc = _run([str(SQUAWK), "--reporter", "json", "-c", str(config), str(case)], work)
    if proc.returncode not in (0, 1):
        return _failed(proc, work)
    return Verdict(_unique([f["rule_name"] for f in json.loads(proc.stdout or "[]")]))


def sqlfluff(case: Path, work: Path) -> Verdict:
    command = [str(SQLFLUFF), "lint", "--dialect", "postgres", "--format", "json", str(case)]
    proc = _run(command, work)
    if proc.returncode not in (0, 1):
        return _failed(proc, work)
    return Verdict(_unique([v["code"] for f in json.loads(proc.stdout) for v in f["violations"]]))


@dataclass(frozen=True)
class Tool:
    column: str
    run: Callable[[Path, Path], Verdict]
    how: str


TOOLS = (
    Tool(
        "schemakit `--sql`",
        schemakit_sql,
        "`schemakit lint --sql CASE.sql`: the statement rules, no database",
    ),
    Tool(
        "schemakit project",
        schemakit_project,
        "`schemakit lint` on a generated `schemakit.toml` project: one service whose "
        'migrations (`runner = "other"`: applied by psql or a script, which set no '
        "timeouts) are the setup below, then the case; they are replayed into a throwaway "
        "PostgreSQL and every rule runs, the catalog rules included; only findings in the "
        "case file count",
    ),
    Tool(
        "squawk",
        squawk,
        "`squawk --reporter json -c EMPTY.toml CASE.sql`: its default rules",
    ),
    Tool(
        "sqlfluff",
        sqlfluff,
        "`sqlfluff lint --dialect postgres --format json CASE.sql`: its default rules",
    ),
)


def versions(project: bool) -> str:
    """The tools' versions, as they say them."""

    def version_of(command: list[str]) -> str:
        proc = _run(command, ROOT)
        line = (proc.stdout or proc.stderr).strip().splitlines()[0]
        # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)": the version after the name
        return line.split(") ", 1)[1].split()[0] if "(PostgreSQL)" in line else line.split()[-1]

    import pglast

    parser = pglast.parser.get_postgresql_version()[0]
    schemakit = (
        f"schemakit {version_of([str(SCHEMAKIT), '--version'])} "
        f"(pglast {pglast.__version__.lstrip('v')}, PostgreSQL {parser} parser"
    )
    if project:
        from schemakit.testing import find_bindir

        server = version_of([str(find_bindir() / "postgres"), "--version"])
        schemakit += f"; PostgreSQL {server} server for the project column"
    return (
        f"{schemakit}), squawk {version_of([str(SQUAWK), '--version'])}, "
        f"sqlfluff {version_of([str(SQLFLUFF), '--version'])}"
    )


# --- the document ----------------------------------------------------------------------------


def _cell(verdict: Verdict) -> str:
    if verdict.error:
        return f"**error** ({verdict.error.replace('|', '/')})"
    if not verdict.flagged:
        return "no"
    return "**yes** " + ", ".join(f"`{code}`" for code in verdict.codes)


def render(results: dict[str, dict[str, Verdict]], tools: tuple[Tool, ...]) -> str:
    today = datetime.date.today().isoformat()
    project = any(tool.run is schemakit_project for tool in tools)
    lines = [
        "# Migration linters compared: schemakit, squawk, sqlfluff",
        "",
        f"Generated by `{COMMAND}` on {today}; do not edit by hand, rerun the script "
        f"(it needs the `bench` extra: `{INSTALL}`).",
        "",
        f"Versions: {versions(project)}.",
        "",
        "Each case is one small SQL file (listed below), linted by each tool with its default "
        "rules:",
        "",
        *(f"- **{tool.column}**: {tool.how}." for tool in tools),
        "",
        "A cell says whether the tool reported anything for the file, and the codes (or rule "
        "names) it reported; **error** means it stopped with an error instead (exit 2; for the "
        "schemakit project, the replay of the migration failed), which fails CI as a finding "
        "does. For the unsafe cases a `no` is a miss; for the safe ones a `yes` is a false "
        "positive, as far as its codes are about safety: sqlfluff's are about style and "
        "layout, and squawk's `require-statement-timeout` and `prefer-robust-stmts` are "
        "policies of its own. The totals count a file as flagged whatever the codes: read "
        "the codes to see whether a tool named the case's own problem. The cases that change an existing table (all but the "
        "lock-timeout one) start with `SET lock_timeout = '2s';`, so that each shows its own "
        "problem.",
        "",
        "| # | case | expected | " + " | ".join(tool.column for tool in tools) + " |",
        "|---|---|---|" + "---|" * len(tools),
    ]
    for number, case in enumerate(CASES, 1):
        row = [str(number), case.title, "safe" if case.safe else "unsafe"]
        row += [_cell(results[case.slug][tool.column]) for tool in tools]
        lines.append("| " + " | ".join(row) + " |")
    unsafe = [c for c in CASES if not c.safe]
    safe = [c for c in CASES if c.safe]
    caught = [sum(results[c.slug][t.column].flagged for c in unsafe) for t in tools]
    false = [sum(results[c.slug][t.column].flagged for c in safe) for t in tools]
    lines.append(
        f"| | **unsafe cases flagged** | {len(unsafe)} | "
        + " | ".join(f"**{n}/{len(unsafe)}**" for n in caught)
        + " |"
    )
    lines.append(
        f"| | **safe cases flagged** | {len(safe)} | "
        + " | ".join(f"**{n}/{len(safe)}**" for n in false)
        + " |"
    )
    lines += ["", "## The cases", ""]
    for number, case in enumerate(CASES, 1):
        lines += [
            f"### {number}. {case.title}" + (" (safe)" if case.safe else ""),
            "",
            f"`{number:02d}_{case.slug}.sql`:",
            "",
            "```sql",
            case.sql.rstrip("\n"),
            "```",
            "",
        ]
    lines += [
        "## Setup",
        "",
        "The tables the cases change, as earlier migrations created them. Only the schemakit "
        "project column uses it (replayed as `0001_setup.sql` before the case); for the other "
        "columns these are tables that already exist.",
        "",
        "```sql",
        SETUP.rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the Markdown file to write")
    parser.add_argument(
        "--no-project", action="store_true", help="leave out the schemakit project column"
    )
    parser.add_argument("--keep", type=Path, help="write the case files here and keep them")
    args = parser.parse_args(argv)

    missing = [str(exe) for exe in (SCHEMAKIT, SQUAWK, SQLFLUFF) if not exe.exists()]
    if missing:
        print(f"missing: {', '.join(missing)}; install them with: {INSTALL}", file=sys.stderr)
        return 2
    tools = tuple(t for t in TOOLS if not (args.no_project and t.run is schemakit_project))
    results: dict[str, dict[str, Verdict]] = {}
    with tempfile.TemporaryDirectory(prefix="schemakit-compare-") as tmp:
        work = Path(tmp)
        folder = args.keep or work / "cases"
        folder.mkdir(parents=True, exist_ok=True)
        for number, case in enumerate(CASES, 1):
            path = folder / f"{number:02d}_{case.slug}.sql"
            path.write_text(case.sql)
            results[case.slug] = {}
            for tool in tools:
                verdict = tool.run(path, work)
                results[case.slug][tool.column] = verdict
                _log(f"{path.name}: {tool.column}: {_cell(verdict)}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, tools))
    _log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
