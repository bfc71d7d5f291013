"""The command line: argv -> one library call -> exit code (0 clean, 1 findings, 2 error)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from schemakit.cli._adopt import register as _register_adopt
from schemakit.cli._explain import register as _register_explain
from schemakit.cli._migrate import config_option
from schemakit.cli._migrate import register as _register_migrate
from schemakit.cli._provision import register as _register_provision
from schemakit.cli._shared import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    libpq_url,
    say,
    without_driver,
)
from schemakit.cli._studio import register as _register_studio
from schemakit.errors import SchemakitError, UsageError, redact, register_dsn

__all__ = ["main", "run"]


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    from schemakit.rules import check_option_selectors

    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    check_option_selectors(codes)  # before anything else runs, as the config's are
    return codes


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(None, "--version", "-V", package_name="schemakit", prog_name="schemakit")
def cli() -> None:
    """schemakit: one PostgreSQL database, many services, one schema each.

    Checks a platform against its database guidelines: which service owns which schema
    (from schemakit.toml or [tool.schemakit] in pyproject.toml), and whether the database,
    or the database its migrations produce, keeps to that.

    \b
    Start with:
      schemakit lint examples/platform      replay the example's migrations and lint them
      schemakit rules                       every rule, with its code
      schemakit rule ISO001                 what a rule checks and why

    Exit codes: 0 clean, 1 findings, 2 error (bad config, unreachable database, failing
    migration).
    """


@cli.command()
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--database-url",
    metavar="URL",
    help="Audit this live database instead of replaying migrations.",
    callback=libpq_url,
)
@click.option(
    "--live",
    is_flag=True,
    help="Audit the live database at $DATABASE_URL (without this flag or --database-url, "
    "lint never reads DATABASE_URL: it replays the migrations).",
)
@click.option(
    "--database",
    metavar="NAME",
    help="Which configured database the URL points at (default: matched by its name).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["github", "json", "sarif", "text"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here."
)
@click.option(
    "--select", metavar="CODES", help="Only these rules: codes or prefixes, comma separated."
)
@click.option("--ignore", metavar="CODES", help="Skip these rules: codes or prefixes.")
@click.option("--extend-select", metavar="CODES", help="Add rules to the configured selection.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--color/--no-color", default=None, help="Force colour on or off (default: on a TTY)."
)
@click.option(
    "--fix-sql",
    "fix_sql",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the findings' proposed fixes as a reviewable SQL file (never applied).",
)
@click.option(
    "--models",
    metavar="MODULE:BASE",
    help="Also lint these SQLAlchemy models (package.module:Base), as the service owning "
    "their schema.",
)
@click.option(
    "--sql",
    "sql_only",
    is_flag=True,
    help="Lint PATHs as SQL files, statement by statement, even inside a project.",
)
@click.option(
    "--replay",
    is_flag=True,
    help="With SQL files: also apply them, in order, to a throwaway PostgreSQL and run the "
    "table-shape rules (NAM, TYP, COL, IDX) on the tables they make.",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Report only findings in files changed since git REF (committed since, staged, "
    "unstaged or new); the whole project is still linted, so catalog rules see everything.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Replay every migration, even when nothing changed since an earlier run (by "
    "default a replay's result is kept in $XDG_CACHE_HOME/schemakit and reused while "
    "every file, the config, PostgreSQL and schemakit are as they were).",
)
@click.option(
    "--stdin-filename",
    metavar="NAME",
    default="-",
    help="The file name to report for standard input (PATH -).",
)
def lint(
    paths: tuple[Path, ...],
    database_url: str | None,
    live: bool,
    database: str | None,
    fmt: str,
    output: Path | None,
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    exit_zero: bool,
    color: bool | None,
    models: str | None,
    fix_sql: Path | None,
    sql_only: bool,
    replay: bool,
    changed_since: str | None,
    no_cache: bool,
    stdin_filename: str,
) -> int:
    """Lint the platform configured at or above PATH (default: the current folder).

    Without a database URL, every service's migrations (plain SQL folders ordered by file
    name, drizzle-kit folders by meta/_journal.json) are replayed into a throwaway
    PostgreSQL started for this run, and the result is audited with every rule. With
    --database-url URL (or --live, for $DATABASE_URL) that database is audited as it is;
    a DATABASE_URL in the environment alone never changes what lint does. The summary line
    says which way ran.

    PATHs that are migration or source files of one project's services (one, or several
    as `git diff --name-only | xargs schemakit lint` gives them) are linted with the whole
    project around them, and only their findings are reported. Other SQL files, folders of
    them and - (standard input), or any PATH with --sql, are linted statement by statement
    with no database: the migration safety rules (MIG), syntax errors (SYN001) and
    suppressions (SUP). A statement that does not parse is a finding at its line; the rest
    of the file is still linted. With --replay the files are also applied to a throwaway
    PostgreSQL, and the naming, type, column and index rules judge the tables they make.

    Paths in every report are relative to the project's folder (the config's), whatever
    the working directory.

    Exit 0 when nothing is found, 1 with findings, 2 on errors (unreadable input, a broken
    config).
    """
    from schemakit import commands
    from schemakit.lint import LintOptions
    from schemakit.report import REPORTERS

    if live and not database_url:
        database_url = without_driver(os.environ.get("DATABASE_URL") or "") or None
        if database_url is None:
            raise click.UsageError("--live audits $DATABASE_URL, which is not set")
    options = LintOptions(
        database_url=database_url or None,
        database=database,
        select=_codes(select),
        ignore=_codes(ignore) or (),
        extend_select=_codes(extend_select) or (),
        models=models,
        cache=not no_cache,
    )
    report = commands.lint(
        paths,
        options,
        sql_only=sql_only,
        replay=replay,
        stdin_name=stdin_filename,
        progress=say if sys.stderr.isatty() else None,
        changed_since=changed_since,
    )
    if fix_sql is not None:
        from schemakit.report import render_fix_sql
        from schemakit.report._json import paths_relative_to

        with paths_relative_to(report.root):
            text, safe, review = render_fix_sql(report.findings)
        with _open_output(fix_sql) as stream:
            stream.write(text)
        click.echo(
            f"wrote {safe + review} proposed fixes to {fix_sql} ({review} need review); "
            "nothing was applied",
            err=True,
        )
    reporter = REPORTERS[fmt]
    if output is None:
        reporter.write(report, sys.stdout, color=color)
    else:
        with _open_output(output) as stream:
            reporter.write(report, stream, color=False)
    if report.findings and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _open_output(path: Path) -> Any:
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise SchemakitError(f"cannot write {path}: {exc.strerror}") from exc


@cli.command("rules")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules_command(fmt: str) -> int:
    """List every rule: code, name, severity and what it flags."""
    from schemakit.rules import RULES

    if fmt == "json":
        import json

        from schemakit.report import rules_table

        click.echo(json.dumps(rules_table(RULES), indent=2))
        return EXIT_CLEAN
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("code", "name", "severity", "summary"):
        table.add_column(column, no_wrap=column != "summary")
    for r in RULES:
        table.add_row(r.code, r.name, r.severity.value, r.summary())
    _console().print(table)
    return EXIT_CLEAN


@cli.command("rule")
@click.argument("code")
def rule_command(code: str) -> int:
    """Explain one rule (by code like ISO001, or name like table-in-public)."""
    from schemakit.rules import RULES, get_rule

    rule = get_rule(code)
    if rule is None:
        known = ", ".join(r.code for r in RULES)
        raise SchemakitError(f"no rule {code!r}", hint=f"known rules: {known}")
    from rich.console import Console
    from rich.markdown import Markdown

    doc = rule.doc()
    summary, _, body = doc.partition("\n")
    text = f"# {rule.code} {rule.name}\n\n{summary}\n\nSeverity: {rule.severity.value}. "
    text += f"Status: {rule.status}.\n{body}"
    console = Console(highlight=False)
    if console.is_terminal:
        console.print(Markdown(text))
    else:
        click.echo(text)
    return EXIT_CLEAN


@cli.command("services")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
def services_command(path: Path) -> int:
    """Show the services registry: service -> database, schemas, migrations."""
    from rich.table import Table

    from schemakit.config import load_config

    config = load_config(path)
    table = Table(
        title=f"services in {config.path}", box=None, pad_edge=False, title_justify="left"
    )
    for column in ("service", "database", "schemas", "migrations"):
        table.add_column(column)
    for service in config.services.values():
        database = service.database + (" (exempt)" if config.is_exempt(service.database) else "")
        migrations = "-"
        if service.migrations is not None:
            try:
                migrations = str(service.migrations.relative_to(Path.cwd()))
            except ValueError:
                migrations = str(service.migrations)
        table.add_row(service.name, database, ", ".join(service.schemas) or "-", migrations)
    _console().print(table)
    for schema, owners in sorted(
        (s, o) for db in config.databases for s, o in config.schema_owners(db).items()
    ):
        if len(owners) > 1:
            click.echo(
                f"warning: schema {schema} is claimed by {', '.join(owners)} (ISO006)", err=True
            )
    return EXIT_CLEAN


@cli.command("new-service")
@click.argument("name")
@click.option("--schema", help="Schema name (default: NAME with - as _).")
@click.option("--database", metavar="NAME", help="Database of the service (default: the config's).")
@click.option(
    "--path",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to create it (default: services/NAME next to the config).",
)
@config_option
def new_service_command(
    name: str, schema: str | None, database: str | None, folder: Path | None, start: Path
) -> int:
    """Scaffold a Python service the guideline way and register it in the config.

    Creates models (db/schema/), the connection singleton (db/connection.py) and a migrations
    folder whose first migration creates the service's schema. Refuses a schema name the
    guideline rejects (mana_auth_schema) or one another service already claims.
    """
    from schemakit import commands

    created = commands.new_service(name, start, schema=schema, database=database, folder=folder)
    click.echo(f"created service {created.name} (schema {created.schema}) in {created.folder}")
    for path in created.files:
        click.echo(f"  {path.relative_to(created.folder)}")
    click.echo(f"registered in {created.config_path}")
    return EXIT_CLEAN


@cli.command("init")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=Path("."))
@click.option("--force", is_flag=True, help="Rewrite an existing schemakit.toml that differs.")
@click.option(
    "--exempt",
    "exempt",
    multiple=True,
    metavar="SERVICE=DATABASE",
    help="SERVICE lives in DATABASE, which keeps raw tables in public (the guideline's "
    "mana_sync exception); never guessed. Repeatable.",
)
def init_command(path: Path, force: bool, exempt: tuple[str, ...]) -> int:
    """Write PATH/schemakit.toml from what the project's tools already say.

    \b
    Found below PATH (node_modules, dist, build and hidden folders are skipped):
      drizzle.config.ts/.js/.json  a service: schema -> sources, out -> migrations,
                                   schemaFilter (else its pgSchema(...) calls) -> schemas
      alembic.ini                  a Python service: script_location -> migrations,
                                   env.py's target_metadata -> models
      migrations/ with .sql files  a plain SQL service
    Services are named after their package (package.json or pyproject.toml), else their
    folder. It prints what it found and why; an existing, different config is kept unless
    --force, and running it again on an unchanged project changes nothing.

    Exit 0, or 2 on errors (PATH is no folder, an --exempt service that was not found, an
    existing config that differs).
    """
    from schemakit import commands

    pairs: list[tuple[str, str]] = []
    for item in exempt:
        service, equals, database = item.partition("=")
        if not (equals and service and database):
            raise click.UsageError(f"--exempt {item!r}: write SERVICE=DATABASE")
        pairs.append((service, database))
    done = commands.init(path, force=force, exempt=pairs)
    for found in done.project.services:
        click.echo(f"{found.name}: schemas {', '.join(found.schemas) or '(none)'}", err=True)
        for why in found.why:
            click.echo(f"  {why}", err=True)
    for note in done.project.notes:
        click.echo(f"note: {note}", err=True)
    if done.changed:
        click.echo(f"wrote {done.path} ({len(done.project.services)} services)")
    else:
        click.echo(f"{done.path} already says this; nothing changed")
    return EXIT_CLEAN


@cli.command("infer-types")
@click.argument("module")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here (default: standard output).",
)
@click.option(
    "--python-path",
    "python_path",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    metavar="DIR",
    help="Import MODULE with DIR on sys.path, like a service's python-path (repeatable).",
)
def infer_types_command(module: str, output: Path | None, python_path: tuple[Path, ...]) -> int:
    """Write {Model}Row and New{Model} TypedDicts for the models of MODULE.

    The guideline's $inferSelect / $inferInsert for Python type checkers: check the output in
    next to the models (for example models_types.py) and regenerate when a model changes.
    MODULE is a dotted path (storage.db.schema) importable from the current folder or a
    --python-path. Exit 0, or 2 when MODULE does not import or maps no classes.
    """
    from schemakit import commands

    inferred = commands.infer_types(module, python_path)
    if output is None:
        click.echo(inferred.text, nl=False)
    else:
        output.write_text(inferred.text, encoding="utf-8")
        click.echo(f"wrote {inferred.models} models' types to {output}", err=True)
    return EXIT_CLEAN


_register_migrate(cli)
_register_explain(cli)
_register_provision(cli)
_register_adopt(cli)
_register_studio(cli)


def _console() -> Any:
    from rich.console import Console

    # Piped output keeps whole rows instead of wrapping at 80 columns.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in-process and return its exit code (what tests call)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Learn every password the user handed us before anything can echo it back.
    for value in [*args, os.environ.get("DATABASE_URL", "")]:
        if "://" in value or "password" in value.lower():
            register_dsn(value)
    try:
        result = cli.main(args=args, prog_name="schemakit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except (click.ClickException, UsageError) as exc:
        message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
        click.echo(f"Error: {redact(message)}", err=True)
        click.echo("Try 'schemakit --help' for help.", err=True)
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except SchemakitError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # the last line of defence: never print a secret
        click.echo(f"internal error: {redact(repr(exc))}", err=True)
        return EXIT_ERROR
    return int(result or 0) if isinstance(result, int) else EXIT_CLEAN


def run() -> None:
    """Console-script entry point."""
    from schemakit._lazy import defer_pglast_tables

    defer_pglast_tables()  # a one-shot process: the parse's JSON trees are all it reads
    sys.exit(main())
