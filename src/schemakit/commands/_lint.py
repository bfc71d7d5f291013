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

__all__ = ["changed_files", "lint", "report_root"]

STDIN = Path("-")


def lint(
    paths: Sequence[Path] = (),
    options: LintOptions | None = None,
    *,
    sql_only: bool = False,
    replay: bool = False,
    stdin_name: str = "-",
    progress: Callable[[str], None] | None = None,
    changed_since: str | None = None,
) -> LintReport:
    """Lint a project (its migrations replayed, or a live database with
    ``options.database_url``), one of its files (linted with the project, reported alone), or
    SQL files, folders and ``-`` statement by statement.

    SQL mode: ``sql_only``, standard input, or paths that are not one project's service
    files.
    ``replay`` (SQL mode only) also applies the files to a throwaway server for the
    table-shape rules. ``changed_since`` (a git ref): only the findings in files changed since
    then (committed, staged, unstaged or new) are reported; everything is still linted.
    """
    from schemakit.lint import LintOptions

    options = options or LintOptions()
    as_files, config, asked = _mode(paths, sql_only, options.database_url)
    if replay and not as_files:
        raise UsageError("--replay is for SQL files; a project's migrations are always replayed")
    if options.models and as_files:
        raise UsageError("--models lints a project's models; it takes no SQL files")
    root = report_root(config)
    # asked git first: a ref it does not know fails before the replay, not after
    changed = changed_files(root or Path.cwd(), changed_since) if changed_since else None
    result = _lint(paths, options, as_files, config, asked, replay, stdin_name, progress)
    result = replace(result, root=root)
    if changed is not None:
        result = replace(
            result,
            findings=[
                f for f in result.findings if f.location and f.location.path.resolve() in changed
            ],
        )
    return result


def _lint(
    paths: Sequence[Path],
    options: LintOptions,
    as_files: bool,
    config: Config,
    asked: list[Path],
    replay: bool,
    stdin_name: str,
    progress: Callable[[str], None] | None,
) -> LintReport:
    if as_files:
        from schemakit.lint import lint_files

        result = lint_files(
            paths, options, stdin_name=stdin_name, replay=replay, progress=progress, config=config
        )
        return replace(result, mode="sql-replay" if replay else "sql")
    from schemakit.lint import lint as lint_project

    result = lint_project(paths[0] if paths else Path("."), options, progress, config=config)
    result = replace(result, mode="live" if options.database_url else "replay")
    if asked:
        # the whole project was linted for context; these files were asked about
        files = {path.resolve() for path in asked}
        result = replace(
            result,
            findings=[
                f for f in result.findings if f.location and f.location.path.resolve() in files
            ],
            sources=[str(path) for path in asked],
        )
    return result


def _mode(
    paths: Sequence[Path], sql_only: bool, database_url: str | None
) -> tuple[bool, Config, list[Path]]:
    """Whether to lint ``paths`` as SQL files, the config that applies (read once), and the
    files of a project whose findings alone are asked for."""
    from schemakit.lint._common import TYPESCRIPT_SUFFIXES

    if sql_only or STDIN in paths:
        if database_url:
            raise UsageError("--database-url audits a database; it takes no SQL files")
        anchor = next((p for p in paths if p != STDIN), Path.cwd())
        return True, load_config(anchor, required=False), []
    if not paths or (database_url and len(paths) == 1):
        config = load_config(paths[0] if paths else None, required=database_url is None)
        return False, config, []
    if len(paths) == 1 and paths[0].is_dir() and find_config(paths[0].resolve()) is not None:
        return False, load_config(paths[0]), []
    for path in paths:
        if path.name.endswith(TYPESCRIPT_SUFFIXES) and find_config(path.resolve()) is None:
            raise SchemakitError(
                f"{path}: TypeScript is linted as a service's Drizzle source, in a project",
                hint="lint the folder whose schemakit.toml lists it under sources",
            )
    # files of one project's services (a migration, a Drizzle source; `git diff --name-only |
    # xargs schemakit lint`): linted with the project around them, so the catalog rules judge
    # what they make, and reported alone; anything else stands alone, statement by statement
    if database_url:
        raise UsageError("--database-url audits a database; it takes no SQL files")
    found = {find_config(path.resolve()) for path in paths}
    config = load_config(paths[0], required=False)
    if len(found) == 1 and None not in found and _all_service_files(config, paths):
        return False, config, list(paths)
    return True, config, []


def _all_service_files(config: Config, paths: Sequence[Path]) -> bool:
    """Each path is a file of a configured service (a .ts file anywhere in the project: the
    stray-``pgTable(`` check covers any of them)."""
    from schemakit.lint._common import TYPESCRIPT_SUFFIXES

    return all(
        path.is_file()
        and (
            path.name.endswith(TYPESCRIPT_SUFFIXES) or config.service_at(path.resolve()) is not None
        )
        for path in paths
    )


def report_root(config: Config) -> Path | None:
    """The folder report paths are relative to, whatever the working directory: the git
    work tree holding the config (what pull-request annotations and SARIF uploads resolve
    against, wherever in the repository the config lives), else the config's folder; None
    without a config (the working directory)."""
    if config.path is None:
        return None
    folder = config.path.parent.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def changed_files(folder: Path, ref: str) -> set[Path]:
    """Files changed since git ref ``ref`` in the repository holding ``folder``: committed
    since, staged, unstaged, and new files git does not ignore (absolute, resolved)."""
    import subprocess

    def git(*args: str) -> list[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, text=True, check=True
            )
        except FileNotFoundError as exc:
            raise SchemakitError("--changed-since needs git, which is not installed") from exc
        except subprocess.CalledProcessError as exc:
            message = (exc.stderr or "").strip().splitlines()
            raise SchemakitError(
                f"--changed-since {ref}: git says: {message[-1] if message else exc}",
                hint="pass a ref git knows (a branch, a tag, a commit), inside the repository",
            ) from exc
        return [line for line in done.stdout.splitlines() if line]

    top = Path(git("rev-parse", "--show-toplevel")[0])
    names = git("diff", "--name-only", "--no-renames", ref, "--")
    names += git("ls-files", "--others", "--exclude-standard")
    return {(top / name).resolve() for name in names}
