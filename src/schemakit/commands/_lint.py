"""``schemakit lint``: which way to lint what was given, once, and the report it makes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from schemakit.config import Config, find_config, load_config
from schemakit.errors import SchemakitError, UsageError

if TYPE_CHECKING:
    from schemakit.lint import LintOptions
    from schemakit.report import LintReport

__all__ = ["lint"]

STDIN = Path("-")


def lint(
    paths: Sequence[Path] = (),
    options: LintOptions | None = None,
    *,
    sql_only: bool = False,
    replay: bool = False,
    stdin_name: str = "-",
    progress: Callable[[str], None] | None = None,
) -> LintReport:
    """Lint a project (its migrations replayed, or a live database with
    ``options.database_url``), one of its files (linted with the project, reported alone), or
    SQL files, folders and ``-`` statement by statement.

    SQL mode: ``sql_only``, standard input, several paths, or a path outside any project.
    ``replay`` (SQL mode only) also applies the files to a throwaway server for the
    table-shape rules.
    """
    from schemakit.lint import LintOptions

    options = options or LintOptions()
    as_files, config = _mode(paths, sql_only, options.database_url)
    if replay and not as_files:
        raise UsageError("--replay is for SQL files; a project's migrations are always replayed")
    if options.models and as_files:
        raise UsageError("--models lints a project's models; it takes no SQL files")
    if as_files:
        from schemakit.lint import lint_files

        result = lint_files(
            paths, options, stdin_name=stdin_name, replay=replay, progress=progress, config=config
        )
    else:
        from schemakit.lint import lint as lint_project

        path = paths[0] if paths else Path(".")
        result = lint_project(path, options, progress, config=config)
        if path.is_file():
            # the whole project was linted for context; the file was asked about
            asked = path.resolve()
            result = replace(
                result,
                findings=[
                    f for f in result.findings if f.location and f.location.path.resolve() == asked
                ],
                sources=[str(path)],
            )
    return result


def _mode(paths: Sequence[Path], sql_only: bool, database_url: str | None) -> tuple[bool, Config]:
    """Whether to lint ``paths`` as SQL files, and the config that applies (read once)."""
    from schemakit.lint._common import TYPESCRIPT_SUFFIXES

    if sql_only or len(paths) > 1 or STDIN in paths:
        if database_url:
            raise UsageError("--database-url audits a database; it takes no SQL files")
        anchor = next((p for p in paths if p != STDIN), Path.cwd())
        return True, load_config(anchor, required=False)
    if not paths or database_url:
        return False, load_config(paths[0] if paths else None, required=database_url is None)
    path = paths[0]
    typescript = path.name.endswith(TYPESCRIPT_SUFFIXES)
    if find_config(path.resolve()) is None:
        if typescript:
            raise SchemakitError(
                f"{path}: TypeScript is linted as a service's Drizzle source, in a project",
                hint="lint the folder whose schemakit.toml lists it under sources",
            )
        return True, load_config(path, required=False)
    config = load_config(path)
    if path.is_dir() or typescript:
        return False, config  # a .ts file: its project's stray-pgTable( check covers any
    # one file in a project: a service's migration or source is linted with the project
    # around it (and reported alone); any other file stands alone
    return config.service_at(path.resolve()) is None, config
