"""``schemakit explain-locks``: the locks each statement of a migration takes, predicted from
its parse tree and, on request, checked against what PostgreSQL really took.

The check replays the file into a database statement by statement. Connection A runs
``BEGIN``, the statement, and holds the transaction open; connection B then reads
``pg_locks`` for A's backend: relation locks only, granted, joined to ``pg_class`` and
``pg_namespace`` for the names. A then reads its own ``pg_stat_xact_all_tables`` (the
sequential scans of this transaction alone) and commits, so later statements see its
effects; B compares each relation's ``relfilenode`` before and after the commit (a new one
means new storage: a rewrite, or ``TRUNCATE``'s empty file).

What is left out of the comparison, and why:

- system relations (``pg_catalog``, ``information_schema``, toast tables): every DDL
  statement locks catalogs;
- relations the statement itself creates: B cannot see them until A commits, and the
  static model leaves new objects out too;
- indexes and sequences the static model does not name, and the partitions or inheritance
  children of a table it does name: locked along with their table (an ``UPDATE`` takes ROW
  EXCLUSIVE on every index of its table, a rewrite rebuilds them). They are reported as
  incidental, not as disagreements;
- locks on types (object locks, not relation locks) are not read;
- scans: a predicted scan must show up as a sequential scan of that table; a scan nobody
  predicted is flagged only on the statement's own table and for DDL (a lock of SHARE
  UPDATE EXCLUSIVE or stronger), because how DML or a foreign key's validation join reads
  the other tables is up to the planner.

Statements that cannot run in a transaction block (``CONCURRENTLY``, ``VACUUM``) run as they
are and are reported as not verified; so are ``BEGIN``/``COMMIT`` in the file, which are
skipped (each statement here runs in a transaction of its own).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg

from schemakit._pg import connect
from schemakit.catalog import query
from schemakit.errors import MigrationError, SchemakitError, redact
from schemakit.lint._replay import server_message as _server_message
from schemakit.sql import (
    LockContext,
    LockEffect,
    Statement,
    cannot_run_in_transaction,
    explain_all,
    lock_strength,
    split_statements,
)

__all__ = [
    "ExplainedStatement",
    "LockReport",
    "ObservedLock",
    "explain_file",
    "report_json",
    "write_json",
    "write_text",
]

Progress = Callable[[str], None]

AGREES, DISAGREES, NOT_VERIFIED, UNMODELLED, STATIC = (
    "agrees",
    "disagrees",
    "not verified",
    "unmodelled",
    "static",
)

_RELKINDS = {
    "r": "table",
    "p": "table",
    "i": "index",
    "I": "index",
    "S": "sequence",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
    "c": "type",
    "t": "toast table",
}
_INCIDENTAL_KINDS = frozenset({"index", "sequence", "toast table"})
_DDL_STRENGTH = lock_strength("ShareUpdateExclusiveLock")


@dataclass(frozen=True, slots=True)
class ObservedLock:
    """A relation lock PostgreSQL granted the replaying transaction."""

    object: str
    kind: str
    mode: str
    """The strongest mode held on the object."""
    modes: tuple[str, ...]
    rewritten: bool = False
    scanned: bool = False
    incidental: str = ""
    """Why the lock is not compared (``index of the table``, ``partition of x.y``), or empty."""


@dataclass(frozen=True, slots=True)
class ExplainedStatement:
    """One statement, its predicted locks and, when replayed, what PostgreSQL took."""

    statement: Statement
    predicted: tuple[LockEffect, ...]
    status: str = STATIC
    """``static`` (not replayed), ``agrees``, ``disagrees``, ``not verified`` or
    ``unmodelled`` (replayed, but the static model has no answer to compare)."""
    reason: str = ""
    """Why it was not verified."""
    observed: tuple[ObservedLock, ...] = ()
    disagreements: tuple[str, ...] = ()

    @property
    def first_line(self) -> str:
        lines = [line.strip() for line in self.statement.text.splitlines() if line.strip()]
        code = [line for line in lines if not line.startswith("--")]
        return (code or lines or [""])[0]


@dataclass(frozen=True)
class LockReport:
    path: Path
    statements: tuple[ExplainedStatement, ...]
    verified: bool = False
    database: str = ""
    """Where the statements were replayed (a redacted DSN, or ``a throwaway server``)."""
    server_version: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def disagreements(self) -> int:
        return sum(1 for s in self.statements if s.status == DISAGREES)


def explain_file(
    path: Path,
    *,
    verify: bool = False,
    database_url: str | None = None,
    setup: Sequence[Path] = (),
    progress: Progress | None = None,
) -> LockReport:
    """Predict the locks of each statement of the SQL file at ``path``; with ``verify`` or a
    ``database_url``, check them by replaying the file.

    The replay goes into ``database_url`` (a scratch database: the statements are committed
    there), or into a throwaway PostgreSQL started for the run. ``setup`` files, or
    migration folders (applied up to, not including, ``path`` when it is one of theirs), are
    applied first and not reported.
    """
    say = progress or (lambda message: None)
    statements = _read_statements(path)
    prepared = [(p, _read_statements(p)) for p in _setup_files(setup, path)]
    context = LockContext()
    for _, setup_statements in prepared:
        for statement in setup_statements:
            context.learn(statement)
    if not verify and not database_url:
        predicted = explain_all(statements, context)
        return _report(
            path,
            [ExplainedStatement(s, tuple(p)) for s, p in zip(statements, predicted, strict=True)],
        )
    if database_url:
        return _replay_into(database_url, redact(database_url), path, statements, prepared, context)
    from schemakit.server import Cluster

    say("starting a throwaway PostgreSQL to replay the file")
    with Cluster() as cluster:
        cluster.create_database("explain_locks")
        return _replay_into(
            cluster.dsn("explain_locks"),
            "a throwaway server",
            path,
            statements,
            prepared,
            context,
        )


def _replay_into(
    dsn: str,
    shown: str,
    path: Path,
    statements: Sequence[Statement],
    setup: Sequence[tuple[Path, list[Statement]]],
    context: LockContext,
) -> LockReport:
    predicted = explain_all(statements, context)
    with _connect(dsn) as runner, _connect(dsn) as watcher:
        for setup_path, setup_statements in setup:
            for statement in setup_statements:
                _run(runner, statement, setup_path, setup=True)
        row = watcher.execute("SHOW server_version").fetchone()
        version = str(row[0]) if row else ""
        explained = [
            _replay_one(runner, watcher, statement, tuple(effects))
            for statement, effects in zip(statements, predicted, strict=True)
        ]
    return _report(path, explained, verified=True, database=shown, version=version)


@contextlib.contextmanager
def _connect(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    conn = connect(dsn, hint="check the URL; --database-url must point at a scratch database")
    with contextlib.closing(conn):
        # A replay that waits on someone else's lock would measure nothing.
        conn.execute("SET lock_timeout = '30s'")
        yield conn


def _run(
    conn: psycopg.Connection[Any], statement: Statement, path: Path, *, setup: bool = False
) -> None:
    try:
        conn.execute(statement.text.encode(), prepare=False)
    except psycopg.Error as exc:
        with contextlib.suppress(psycopg.Error):
            conn.execute("ROLLBACK")
        if setup:
            what, hint = "setup statement", "fix the setup file; nothing was replayed"
        else:
            what, hint = (
                "statement",
                (
                    "the file replays into a database holding only what --setup put there: pass "
                    "the migrations before it with --setup FOLDER, or fix the statement"
                ),
            )
        raise MigrationError(
            f"{what} failed: {_server_message(exc)}",
            path=path,
            line=statement.line,
            statement=statement.text,
            hint=hint,
        ) from exc


def _replay_one(
    runner: psycopg.Connection[Any],
    watcher: psycopg.Connection[Any],
    statement: Statement,
    predicted: tuple[LockEffect, ...],
) -> ExplainedStatement:
    path = statement.path or Path("-")
    if statement.kind == "TransactionStmt":
        return ExplainedStatement(
            statement,
            predicted,
            NOT_VERIFIED,
            "transaction control: skipped, each statement is replayed in its own transaction",
        )
    if cannot_run_in_transaction(statement):
        _run(runner, statement, path)
        return ExplainedStatement(statement, predicted, NOT_VERIFIED, "runs outside a transaction")
    index_tables = {e.table_of: _index_table(watcher, e.table_of) for e in predicted if e.table_of}
    _run(runner, _BEGIN, path)
    try:
        # A session's pending counters carry earlier transactions' scans until they are
        # flushed (at most once a second): count this statement's as a difference.
        before = dict(runner.execute(query("sequential_scans")).fetchall())
    except BaseException:
        with contextlib.suppress(psycopg.Error):
            runner.execute("ROLLBACK")
        raise
    try:
        _run(runner, statement, path)
    except MigrationError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "25001":
            raise
        # PostgreSQL refused it inside a transaction block (and _run rolled back): run it
        # as it is, like a CONCURRENTLY step.
        _run(runner, statement, path)
        return ExplainedStatement(statement, predicted, NOT_VERIFIED, "runs outside a transaction")
    try:
        rows = watcher.execute(query("held_locks"), (runner.info.backend_pid,)).fetchall()
        wanted = sorted({e.object or index_tables.get(e.table_of, "") for e in predicted} - {""})
        existed = {r[0] for r in watcher.execute(query("existing_relations"), (wanted,)).fetchall()}
        oids = sorted({int(r[0]) for r in rows})
        scanned = {
            relid
            for relid, count in runner.execute(query("sequential_scans")).fetchall()
            if relid in oids and count > before.get(relid, 0)
        }
    except BaseException:
        with contextlib.suppress(psycopg.Error):
            runner.execute("ROLLBACK")
        raise
    _run(runner, _COMMIT, path)
    after = dict(watcher.execute(query("relfilenodes"), (oids,)).fetchall())
    ancestors: dict[int, set[str]] = {}
    for child, parent in watcher.execute(query("relation_ancestors"), (oids,)).fetchall():
        ancestors.setdefault(int(child), set()).add(parent)
    observed = _observed(rows, scanned, after)
    return _compare(statement, predicted, observed, ancestors, existed, index_tables)


_BEGIN = Statement("BEGIN", None, 0, 0, kind="TransactionStmt")
_COMMIT = Statement("COMMIT", None, 0, 0, kind="TransactionStmt")


def _index_table(watcher: psycopg.Connection[Any], index: str) -> str:
    schema, _, name = index.partition(".")
    row = watcher.execute(query("index_table"), (schema, name)).fetchone()
    return str(row[0]) if row else ""


@dataclass
class _Held:
    oid: int
    name: str
    kind: str
    modes: list[str]
    filenode: int


def _observed(
    rows: Sequence[tuple[Any, ...]], scanned: set[int], after: dict[int, int]
) -> list[tuple[_Held, bool, bool]]:
    held: dict[int, _Held] = {}
    for oid, name, relkind, mode, filenode in rows:
        entry = held.setdefault(
            int(oid), _Held(int(oid), str(name), _RELKINDS.get(relkind, relkind), [], filenode)
        )
        entry.modes.append(str(mode))
    out = []
    for entry in held.values():
        new = after.get(entry.oid)
        rewritten = bool(entry.filenode) and new is not None and new != entry.filenode
        out.append((entry, rewritten, entry.oid in scanned))
    return out


def _strongest(modes: Sequence[str]) -> str:
    return max(modes, key=lock_strength)


def _compare(
    statement: Statement,
    predicted: tuple[LockEffect, ...],
    observed: list[tuple[_Held, bool, bool]],
    ancestors: dict[int, set[str]],
    existed: set[str],
    index_tables: dict[str, str],
) -> ExplainedStatement:
    unmodelled = any(e.mode == "unknown" for e in predicted)
    wanted: dict[str, LockEffect] = {}
    for effect in predicted:
        name = effect.object or index_tables.get(effect.table_of, "")
        if name and effect.mode != "unknown":
            wanted[name] = effect  # a type is compared only if it is a relation (composite)
    target = next(iter(wanted), "")
    seen: list[ObservedLock] = []
    problems: list[str] = []
    by_name = {held.name: (held, rewritten, scanned) for held, rewritten, scanned in observed}
    for held, rewritten, scanned in observed:
        mode = _strongest(held.modes)
        expected = wanted.get(held.name)
        incidental = ""
        if expected is None:
            parents = ancestors.get(held.oid, set()) & set(wanted)
            if parents:
                incidental = f"partition or child of {min(parents)}"
            elif held.kind in _INCIDENTAL_KINDS:
                incidental = f"{held.kind} locked along with its table"
        seen.append(
            ObservedLock(
                held.name, held.kind, mode, tuple(held.modes), rewritten, scanned, incidental
            )
        )
        if expected is not None or incidental or unmodelled:
            continue
        problems.append(f"{held.name}: took {mode}, not predicted")
        if rewritten:
            problems.append(f"{held.name}: rewritten (new storage), not predicted")
    if not unmodelled:
        for name, effect in wanted.items():
            if name not in existed:
                continue  # the statement creates it (OR REPLACE, IF NOT EXISTS): nothing to lock
            found = by_name.get(name)
            if found is None and effect.conditional:
                continue  # a foreign-key trigger with no row to check
            if found is None:
                problems.append(f"{name}: predicted {effect.mode}, took no lock")
                continue
            held, rewritten, scanned = found
            mode = _strongest(held.modes)
            weaker = lock_strength(mode) < lock_strength(effect.mode)
            if mode != effect.mode and not (effect.conditional and weaker):
                problems.append(f"{name}: predicted {effect.mode}, took {mode}")
            if effect.rewrites and not rewritten and held.filenode:
                problems.append(f"{name}: predicted a rewrite, the storage was kept")
            elif rewritten and not effect.rewrites:
                problems.append(f"{name}: rewritten (new storage), not predicted")
            if rewritten or effect.rewrites:
                continue  # new storage: what it read is the rewrite's business
            if effect.scans and not scanned and _scannable(held):
                problems.append(f"{name}: predicted a full scan, none seen")
            elif (
                scanned
                and not effect.scans
                and name == target
                and lock_strength(effect.mode) >= _DDL_STRENGTH
            ):
                problems.append(f"{name}: scanned, not predicted")
    status = UNMODELLED if unmodelled else DISAGREES if problems else AGREES
    return ExplainedStatement(
        statement, predicted, status, observed=tuple(seen), disagreements=tuple(problems)
    )


def _scannable(held: _Held) -> bool:
    """Sequential scans are counted for tables with storage (not a partitioned parent)."""
    return held.kind in ("table", "materialized view") and bool(held.filenode)


def _report(
    path: Path,
    explained: list[ExplainedStatement],
    *,
    verified: bool = False,
    database: str = "",
    version: str = "",
) -> LockReport:
    counts: dict[str, int] = {}
    for item in explained:
        counts[item.status] = counts.get(item.status, 0) + 1
    return LockReport(path, tuple(explained), verified, database, version, counts)


def _read_statements(path: Path) -> list[Statement]:
    from schemakit.migrate import read_sql_file

    return list(split_statements(read_sql_file(path).text, path))


def _setup_files(setup: Sequence[Path], path: Path) -> list[Path]:
    """The SQL files of ``setup`` in order: files as given, folders as migrations (by file
    name, or by a drizzle journal), up to ``path`` when it is in one."""
    from schemakit.config import Service
    from schemakit.migrate import discover

    files: list[Path] = []
    target = path.resolve()
    for item in setup:
        if not item.is_dir():
            files.append(item)
            continue
        found = discover(Service("setup", (), "", migrations=item))
        if found is None or not found.is_sql:
            raise SchemakitError(
                f"{item} holds Alembic revisions, not SQL migrations",
                hint="pass SQL files or folders of them to --setup",
            )
        for file in found.files:
            if file.path.resolve() == target:
                break
            files.append(file.path)
    return files


def report_json(report: LockReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "file": str(report.path),
        "verified": report.verified,
        "database": report.database or None,
        "server_version": report.server_version or None,
        "statements": [
            {
                "line": item.statement.line,
                "column": item.statement.column,
                "kind": item.statement.kind,
                "statement": item.first_line,
                "locks": [
                    {
                        "object": e.object or None,
                        "table_of": e.table_of or None,
                        "kind": e.kind or None,
                        "mode": e.mode,
                        "rewrites": e.rewrites,
                        "scans": e.scans,
                        "note": e.note,
                    }
                    for e in item.predicted
                ],
                "status": item.status,
                "reason": item.reason or None,
                "observed": [
                    {
                        "object": o.object,
                        "kind": o.kind,
                        "mode": o.mode,
                        "modes": list(o.modes),
                        "rewritten": o.rewritten,
                        "scanned": o.scanned,
                        "incidental": o.incidental or None,
                    }
                    for o in item.observed
                ]
                if report.verified
                else None,
                "disagreements": list(item.disagreements),
            }
            for item in report.statements
        ],
        "summary": {
            "statements": len(report.statements),
            **dict(sorted(report.counts.items())),
        },
    }


def write_json(report: LockReport, stream: IO[str]) -> None:
    stream.write(json.dumps(report_json(report), indent=2) + "\n")


def write_text(report: LockReport, stream: IO[str], *, color: bool | None = None) -> None:
    """One row per lock: where, the statement's first line, the mode, the object, what it
    does to the table, the check (when replayed) and a note; then a summary line."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(
        file=stream,
        highlight=False,
        force_terminal=color,
        no_color=color is False,
        # Piped output keeps whole rows instead of wrapping at 80 columns.
        width=None if stream.isatty() else 200,
    )
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("where", no_wrap=True)
    table.add_column("statement", no_wrap=True, overflow="ellipsis", max_width=48)
    table.add_column("lock", no_wrap=True)
    table.add_column("object", no_wrap=True)
    table.add_column("work", no_wrap=True)
    if report.verified:
        table.add_column("check", no_wrap=True)
    table.add_column("note", overflow="fold")
    for item in report.statements:
        where = f"{item.statement.path or '-'}:{item.statement.line}"
        effects = item.predicted or (LockEffect("", "", "-", note="no lock on an existing table"),)
        for position, effect in enumerate(effects):
            work = "rewrite" if effect.rewrites else "scan" if effect.scans else "-"
            row: list[Any] = [
                where if position == 0 else "",
                item.first_line if position == 0 else "",
                _mode_text(effect.mode, Text),
                effect.shown if effect.object or effect.table_of else "-",
                work,
            ]
            if report.verified:
                row.append(_check_text(item, Text) if position == 0 else "")
            row.append(effect.note + (" (if rows are written)" if effect.conditional else ""))
            table.add_row(*row)
    console.print(table)
    # One line each, as a linter prints findings: file:line: what PostgreSQL did instead.
    for item in report.statements:
        where = f"{item.statement.path or '-'}:{item.statement.line}"
        for problem in item.disagreements:
            console.print(Text(f"{where}: disagrees: {problem}", style="red"), soft_wrap=True)
        if item.status == UNMODELLED:
            for seen in item.observed:
                if not seen.incidental:
                    console.print(f"{where}: took {seen.mode} on {seen.object}", soft_wrap=True)
    console.print(_summary(report), soft_wrap=True)


def _mode_text(mode: str, text: Any) -> Any:
    strength = lock_strength(mode)
    style = "red" if strength >= 7 else "yellow" if strength >= 4 else ""
    return text(mode, style=style)


def _check_text(item: ExplainedStatement, text: Any) -> Any:
    if item.status == AGREES:
        return text("agrees", style="green")
    if item.status == DISAGREES:
        return text("DISAGREES", style="bold red")
    if item.status == UNMODELLED:
        return text("unmodelled (observed below)")
    return text(f"not verified: {item.reason}")


_LABELS = {
    AGREES: "agree",
    DISAGREES: "disagree",
    UNMODELLED: "unmodelled",
    NOT_VERIFIED: "not verified",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(report: LockReport) -> str:
    effects = [e for s in report.statements for e in s.predicted]
    heavy = sum(1 for e in effects if e.mode == "AccessExclusiveLock")
    rewrites = sum(1 for e in effects if e.rewrites)
    line = (
        f"{report.path}: {_plural(len(report.statements), 'statement')}, "
        f"{_plural(len(effects), 'predicted lock')} "
        f"({heavy} AccessExclusiveLock, {_plural(rewrites, 'rewrite')})"
    )
    if not report.verified:
        return line + "; not verified (--verify or --database-url replays it)"
    parts = [
        f"{report.counts[status]} {label}"
        for status, label in _LABELS.items()
        if report.counts.get(status)
    ]
    version = report.server_version.split()[0] if report.server_version else "?"
    return (
        f"{line}; replayed into {report.database} (PostgreSQL {version}): "
        f"{', '.join(parts) or 'nothing to check'}"
    )
