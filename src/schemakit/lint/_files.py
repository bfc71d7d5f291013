"""``schemakit lint FILE.sql | FOLDER | -``: SQL read statement by statement, with no database.

What runs: the statement rules (MIG), syntax errors as findings (SYN001) and the inline
suppression checks (SUP). The table-shape rules (NAM, TYP, COL, IDX) judge the tables the SQL
leaves behind: with ``replay=True`` (``--replay``) the files are applied, in order, to a
throwaway PostgreSQL and those rules run on the result, so ``CREATE TABLE users (user_id
uuid)`` is caught in review. The ISO rules need to know which service owns which schema: they
run for the services of a ``schemakit.toml``.

How paths are read, as the runner would apply them:

* a drizzle-kit folder (``meta/_journal.json``): its files in journal order, all in one
  transaction, as drizzle-orm's migrator runs them;
* any other folder: its ``*.sql`` files ordered by name (a plain SQL migrations folder);
* files: in the order given, as one sequence; ``-`` is standard input.

Files of a service of the config are judged as ``lint`` of the project judges them: MIG010
and MIG022 only where the service's ``runner`` is not ``schemakit`` (which sets the timeouts
itself).

Only unreadable input is an error (exit 2): a missing file, bytes that are not UTF-8, a
broken journal. A statement PostgreSQL cannot parse is a finding at its line, and the rest
of the file is still linted.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, overload

from schemakit._gc import gc_paused
from schemakit.config import Config, Service, load_config
from schemakit.errors import MigrationError, not_utf8
from schemakit.lint._common import (
    SHAPE_FAMILIES,
    LintOptions,
    LintResult,
    Progress,
    replayable,
)
from schemakit.migrate._sources import (
    JOURNAL,
    MigrationFile,
    MigrationSet,
    discover,
    read_sql_file,
)
from schemakit.rules import (
    CatalogContext,
    CatalogRun,
    MigrationStep,
    RuleEntry,
    SourceText,
    StatementRun,
    check,
    choose_rules,
)

if TYPE_CHECKING:
    from schemakit.lint._replay import ReplayFailure
    from schemakit.server import Cluster

__all__ = ["STDIN", "is_file_rule", "lint_files"]

STDIN = Path("-")


def is_file_rule(entry: RuleEntry) -> bool:
    """A rule that can run on SQL text alone (the others' modules are never loaded)."""
    return entry.kind == "sql" or entry.meta is not None


def lint_files(
    paths: Sequence[Path],
    options: LintOptions | None = None,
    *,
    stdin: BinaryIO | None = None,
    stdin_name: str = "-",
    replay: bool = False,
    progress: Progress | None = None,
    cluster: Cluster | None = None,
    config: Config | None = None,
) -> LintResult:
    """Lint SQL files, folders of them, or standard input (``-``), without a database.

    A ``schemakit.toml`` at or above the first path, when there is one, supplies the
    ``[lint]`` settings (selection, per-file ignores, severities), unless ``config`` is
    given.
    """
    # Every file's parse trees stay alive until the end: millions of dicts the cyclic
    # collector would rescan again and again (it doubled the run time), and none of them
    # can form a cycle.
    with gc_paused():
        return _lint_files(paths, options, stdin, stdin_name, replay, progress, cluster, config)


def _lint_files(
    paths: Sequence[Path],
    options: LintOptions | None,
    stdin: BinaryIO | None,
    stdin_name: str,
    replay: bool,
    progress: Progress | None,
    cluster: Cluster | None,
    config: Config | None,
) -> LintResult:
    options = options or LintOptions()
    if config is None:
        anchor = next((p for p in paths if p != STDIN), Path.cwd())
        config = load_config(anchor, required=False)
    rules = choose_rules(
        config,
        options.selection,
        lambda entry: is_file_rule(entry) or (replay and entry.family in SHAPE_FAMILIES),
    )
    shape = tuple(rule for rule in rules if rule.family() in SHAPE_FAMILIES)
    sequences = _sequences(paths, stdin, stdin_name)
    catalogs: list[CatalogRun] = []
    given = []
    if shape:
        from schemakit.lint._replay import refused

        failures: list[ReplayFailure] = []
        say = progress or (lambda message: None)
        catalogs = _replayed(sequences, config, say, cluster, failures)
        given = [refused(failure) for failure in failures]
    files = [file for group, _ in sequences for file in group]
    _parse_ahead(files)
    checked = check(
        config,
        rules,
        catalogs=catalogs,
        statements=[
            StatementRun(
                [MigrationStep("", f.id, f.path, _Scanned(f, 0), f.date) for f in group],
                in_transaction=in_transaction,
                runner_sets_lock_timeout=_runner_sets_timeouts(config, group),
            )
            for group, in_transaction in sequences
        ],
        texts=[SourceText(f.path, f.text, _Scanned(f, 0), _Scanned(f, 1)) for f in files],
        given=given,
        standalone=True,
    )
    return LintResult(
        checked.findings,
        checked.rules,
        suppressed=checked.suppressed,
        sources=[str(f.path) for f in files],
    )


def _parse_ahead(files: Sequence[MigrationFile]) -> None:
    """Parse the files in order on another thread while the rules check the ones before:
    libpg_query lets go of the GIL while it parses, so that part runs on a second core."""
    if len(files) < 2 or all("scanned" in vars(f) for f in files):
        return

    def parse() -> None:
        with contextlib.suppress(Exception):  # the rules' thread parses it again, and raises
            for file in files:
                _ = file.scanned

    threading.Thread(target=parse, name="schemakit-parse", daemon=True).start()


class _Scanned(Sequence[Any]):
    """A file's statements (``part`` 0) or syntax errors (1), scanned when first read (or
    ahead, by :func:`_parse_ahead`), so the rules begin before every file is parsed."""

    def __init__(self, file: MigrationFile, part: int) -> None:
        self._file, self._part = file, part

    def _items(self) -> Sequence[Any]:
        return self._file.scanned[self._part]

    def __len__(self) -> int:
        return len(self._items())

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self._items()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())


def _runner_sets_timeouts(config: Config, files: Sequence[MigrationFile]) -> bool:
    """Every file is a migration of a service ``schemakit migrate`` applies (it sets
    lock_timeout and statement_timeout itself: no MIG010/MIG022), as ``lint`` of the project
    would judge them; a file of no service may be applied by anything."""
    services = [config.service_at(f.path.resolve()) for f in files if f.path != STDIN]
    return len(services) == len(files) and all(
        s is not None and s.runner == "schemakit" for s in services
    )


def _replayed(
    sequences: list[tuple[list[MigrationFile], bool]],
    config: Config,
    say: Progress,
    cluster: Cluster | None,
    failures: list[ReplayFailure],
) -> list[CatalogRun]:
    """The table-shape rules over what the files make, applied in order to a throwaway
    database, each sequence as a service of its own (up to its first unparsable file)."""
    from schemakit.lint._replay import replay

    services: dict[str, Service] = {}
    found: dict[str, MigrationSet | None] = {}
    for number, (files, _) in enumerate(sequences, 1):
        name = f"files{number}"
        folder = files[0].path.parent
        services[name] = Service(name=name, schemas=(), database="main", migrations=folder)
        found[name] = MigrationSet(name, "sql", folder, replayable(files))
    replayed = replace(config, services=services)
    return [
        CatalogRun(
            CatalogContext(catalog, replayed, database, has_registry=False),
            origins.locate,
            only=lambda rule: rule.family() in SHAPE_FAMILIES,
        )
        for database, catalog, origins in replay(
            replayed, say, cluster, found=found, failures=failures
        )
    ]


def _sequences(
    paths: Sequence[Path], stdin: BinaryIO | None, stdin_name: str
) -> list[tuple[list[MigrationFile], bool]]:
    """The files to lint, grouped into sequences a runner would apply in order, each with
    whether it runs inside one transaction (a drizzle folder)."""
    loose: list[MigrationFile] = []
    groups: list[tuple[list[MigrationFile], bool]] = []
    for path in paths:
        if path == STDIN:
            loose.append(_read_stdin(stdin or sys.stdin.buffer, stdin_name))
        elif path.is_dir():
            groups.append(_folder(path))
        elif path.exists():
            loose.append(read_sql_file(path))
        else:
            raise MigrationError("does not exist", path=path, hint="pass SQL files or folders")
    if loose:
        groups.insert(0, (loose, False))
    return groups


def _folder(folder: Path) -> tuple[list[MigrationFile], bool]:
    if (folder / "versions").is_dir() and not (folder / JOURNAL).is_file():
        raise MigrationError(
            "is an Alembic folder: its revisions are Python",
            path=folder,
            hint="lint it through its service in schemakit.toml (the revisions are replayed), "
            "or lint the SQL of 'alembic upgrade --sql'",
        )
    found = discover(Service(name=folder.name, schemas=(), database="", migrations=folder))
    assert found is not None  # a folder was given
    if not found.files:
        raise MigrationError(
            "has no .sql files and no schemakit.toml at or above it",
            path=folder,
            hint="pass SQL files or a migrations folder, or a project folder (with schemakit.toml)",
        )
    return list(found.files), found.kind == "drizzle"


def _read_stdin(stream: BinaryIO, name: str) -> MigrationFile:
    data = stream.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationError(
            f"standard input is {not_utf8(data, exc)}", hint="send UTF-8 text"
        ) from exc
    return MigrationFile("", Path(name).stem or "stdin", Path(name), text)
