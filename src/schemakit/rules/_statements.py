"""Rules over the statement stream: what a migration DOES, not what the schema IS.

A statement rule sees each statement's parse tree as libpg_query's JSON form (dicts, parsed
once by :func:`schemakit.sql.split_statements`), and names the node types it looks at in
``kinds``, so the engine hands it only those: walking plain dicts, with no per-statement
re-parse, is what keeps a Python linter as fast as a native one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from schemakit.config import DEFAULT_DROP_WAIT_DAYS
from schemakit.rules._base import Finding, Location, Rule
from schemakit.sql import (
    ColumnType,
    LockEffect,
    Statement,
    cannot_run_in_transaction,
    explain,
    lock_strength,
    names,
)
from schemakit.sql import qualified as object_path
from schemakit.sql import relation as relation_path

if TYPE_CHECKING:
    from schemakit.catalog import Catalog

__all__ = [
    "LOCKING_KINDS",
    "Lock",
    "MigrationStep",
    "SqlContext",
    "SqlRule",
    "alter_commands",
    "changes_column_types",
    "const_value",
    "known_types_of",
    "lock_timeout_set",
    "names",
    "object_path",
    "relation_path",
    "run_sql_rules",
    "table_locks",
    "verb",
]


@dataclass(frozen=True)
class MigrationStep:
    """One migration file of a service, in order (what a rule needs of migrate's sources)."""

    service: str
    id: str
    path: Path
    statements: Sequence[Statement]
    when: datetime | None = None
    """When it was written (drizzle's journal, a date in the file name), if known."""


@dataclass
class SqlContext:
    """What a statement rule sees about the file the statement is in."""

    service: str
    path: Path
    in_transaction: bool
    """The file runs inside a transaction block (drizzle-orm's migrator runs every pending
    file of a drizzle folder in one)."""
    created: set[str] = field(default_factory=set)
    """Tables created so far in this file: new and empty, so locks and rewrites on them are
    harmless. Every other table may hold data and traffic (see :meth:`is_existing`)."""
    settings: dict[str, str] = field(default_factory=dict)
    """``SET [LOCAL] name = value`` (or ``SELECT set_config(...)``) seen so far in this file
    (lower-case names; ``RESET`` and ``SET ... TO DEFAULT`` leave an empty value)."""
    one_transaction: bool = True
    """The file's statements run in one transaction block: a drizzle folder's always do
    (``in_transaction``); any other file does unless a statement in it cannot run inside one
    (``schemakit migrate`` then applies it statement by statement, as Flyway does)."""
    runner_sets_lock_timeout: bool = False
    """The tool applying the file sets ``lock_timeout`` and ``statement_timeout`` itself
    (``schemakit migrate`` does, for every migration); drizzle-orm's migrator, psql and most
    others do not."""
    exempt: bool = False
    """The service lives in a database the config exempts from schema isolation (the
    guideline's ``mana_sync``): its objects are in ``public`` on purpose."""
    block_line: int = 0
    """Line of the ``BEGIN``/``START TRANSACTION`` whose block is open (0: none)."""
    when: datetime | None = None
    """When the file was written, if known (see :class:`MigrationStep`)."""
    drop_wait_days: int = DEFAULT_DROP_WAIT_DAYS
    """Days a column or table stays deprecated before it may be dropped (MIG004)."""
    known_types: Mapping[str, Mapping[str, ColumnType]] = field(default_factory=dict)
    """table -> column -> type before the first file of this run: from the database the
    migrations go to, or the migrations an earlier run applied (empty: not known)."""
    _locks: dict[int, dict[str, Lock]] = field(default_factory=dict, repr=False)
    _effects: dict[int, list[LockEffect]] = field(default_factory=dict, repr=False)

    def effects(self, statement: Statement) -> list[LockEffect]:
        """The lock model's effects of ``statement`` (:func:`schemakit.sql.explain`), worked
        out once for all the rules asking."""
        found = self._effects.get(statement.index)
        if found is None:
            if len(self._effects) > 8:  # rules ask about the statement they are on: a file
                self._effects.clear()  # of 500,000 statements keeps a handful, not all
            found = self._effects[statement.index] = explain(statement)
        return found

    def table_locks(self, statement: Statement) -> dict[str, Lock]:
        """:func:`table_locks` of ``statement``, worked out once for all the rules asking."""
        found = self._locks.get(statement.index)
        if found is None:
            if len(self._locks) > 8:
                self._locks.clear()
            found = self._locks[statement.index] = table_locks(statement, self.effects(statement))
        return found

    def is_existing(self, table: str) -> bool:
        """``table`` was not created by this file: an earlier migration, another service or
        the database itself made it, so it may hold rows and serve traffic."""
        return table not in self.created


class SqlRule(Rule):
    """A rule over one parsed statement of a migration."""

    kinds: ClassVar[frozenset[str]] = frozenset()
    """Parse node types (``IndexStmt``, ``AlterTableStmt``, ...) the rule looks at; empty
    means every statement."""
    alter_subtypes: ClassVar[frozenset[str]] = frozenset()
    """``ALTER TABLE`` subcommands (``AT_AddColumn``, ...) the rule reads: an ``ALTER TABLE``
    with none of them is not offered to it. Empty: every ``ALTER TABLE`` of ``kinds``."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterable[Finding]:
        raise NotImplementedError

    def finish(self, ctx: SqlContext) -> Iterable[Finding]:
        """Called after the last statement of each file: for rules about a whole file."""
        return ()

    def at(self, statement: Statement) -> Location:
        return Location(statement.path or Path("-"), statement.line, statement.column)


def known_types_of(catalog: Catalog) -> dict[str, dict[str, ColumnType]]:
    """table -> column -> type of every table of ``catalog``, for :func:`run_sql_rules`."""
    known: dict[str, dict[str, ColumnType]] = {}
    for path, table in catalog.tables.items():
        columns = known[path] = {}
        for column in table.columns:
            parsed = ColumnType.parse(column.type)
            if parsed is not None:
                columns[column.name] = parsed
    return known


def changes_column_types(statements: Iterable[Statement]) -> bool:
    """Some statement is an ``ALTER TABLE ... ALTER COLUMN ... TYPE``: the caller may want the
    target's column types for it (:func:`known_types_of`)."""
    return any(
        next(alter_commands(s, "AT_AlterColumnType"), None) is not None
        for s in statements
        if s.kind == "AlterTableStmt"
    )


def alter_commands(statement: Statement, subtype: str) -> Iterator[dict[str, Any]]:
    """The ``AlterTableCmd`` nodes of an ``ALTER TABLE`` that are ``subtype``
    (``AT_AddColumn``, ...), in order."""
    index = _by_subtype[1] if _by_subtype[0] is statement else _index_commands(statement)
    return iter(index.get(subtype, ()))


def _index_commands(statement: Statement) -> dict[str, list[dict[str, Any]]]:
    """An ``ALTER TABLE``'s commands by subtype, kept for the statement the rules are on
    (every rule reading one subtype would otherwise walk all of them)."""
    index: dict[str, list[dict[str, Any]]] = {}
    for item in statement.node.get("cmds") or ():
        cmd = item.get("AlterTableCmd", {})
        index.setdefault(cmd.get("subtype", ""), []).append(cmd)
    _by_subtype[:] = [statement, index]
    return index


_by_subtype: list[Any] = [None, {}]
"""The statement :func:`_index_commands` last indexed, and its index."""


def const_value(node: dict[str, Any]) -> str | None:
    """The text of an ``A_Const`` node (``None`` for NULL or anything else)."""
    const = node.get("A_Const")
    if const is None or const.get("isnull"):
        return None
    for key in ("sval", "ival", "fval", "boolval", "bsval"):
        if key in const:
            inner = const[key]
            # libpg_query leaves out zero, false and the empty string
            value = inner.get(key, 0 if key == "ival" else "")
            return str(value)
    return None


class Lock(IntEnum):
    """The table lock modes a migration statement takes, weakest first (numbered as
    ``LOCK TABLE``'s mode in the parse tree). From SHARE up, writes wait; ACCESS EXCLUSIVE
    makes reads wait too."""

    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


_LOCKS = {lock.value: lock for lock in Lock}
"""Each lock by its strength (an Enum's call is slow, and asked once per table a statement
locks)."""

LOCKING_KINDS = frozenset(
    {
        "AlterTableStmt",
        "IndexStmt",
        "CreateTrigStmt",
        "DropStmt",
        "TruncateStmt",
        "RenameStmt",
        "AlterObjectSchemaStmt",
        "LockStmt",
        "ClusterStmt",
        "VacuumStmt",
        "RefreshMatViewStmt",
    }
)
"""Statement kinds :func:`table_locks` knows locks for."""


_TABLE_OBJECTS = frozenset({"table", "materialized view", "foreign table"})


def table_locks(
    statement: Statement, effects: Iterable[LockEffect] | None = None
) -> dict[str, Lock]:
    """The tables (``schema.name``) a statement locks, each with the strongest lock taken
    on it (SHARE UPDATE EXCLUSIVE and up): what a migration makes the application wait for.
    Read from the lock model of ``schemakit explain-locks`` (:func:`schemakit.sql.explain`),
    which is checked against ``pg_locks``; a lock taken only when rows are affected (a
    foreign-key check) does not count, nor does one on an index alone. A table the statement
    does not name (an index's, in ``DROP INDEX``) is called ``the table of <index>``."""
    locks: dict[str, Lock] = {}
    for effect in explain(statement) if effects is None else effects:
        strength = lock_strength(effect.mode)
        # the table of an index the statement names alone (DROP INDEX app.i) is not known
        table = effect.object or (f"the table of {effect.table_of}" if effect.table_of else "")
        if (
            table
            and effect.kind in _TABLE_OBJECTS
            and strength >= Lock.SHARE_UPDATE_EXCLUSIVE
            and not effect.conditional
            and strength > locks.get(table, 0)
        ):
            locks[table] = _LOCKS[strength]
    return locks


_VERBS = {
    "AlterTableStmt": "ALTER TABLE",
    "IndexStmt": "CREATE INDEX ON",
    "CreateTrigStmt": "CREATE TRIGGER ON",
    "TruncateStmt": "TRUNCATE",
    "RenameStmt": "ALTER TABLE",
    "AlterObjectSchemaStmt": "ALTER TABLE",
    "LockStmt": "LOCK TABLE",
    "ClusterStmt": "CLUSTER",
    "VacuumStmt": "VACUUM FULL",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
    "InsertStmt": "INSERT INTO",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE FROM",
    "MergeStmt": "MERGE INTO",
    "CopyStmt": "COPY",
}


def verb(statement: Statement) -> str:
    """What the statement does, as its SQL starts (``ALTER TABLE``, ``DROP TABLE``, ...)."""
    if statement.kind == "DropStmt":
        removed = str(statement.node.get("removeType", "OBJECT_")).removeprefix("OBJECT_")
        return "DROP " + {"MATVIEW": "MATERIALIZED VIEW"}.get(removed, removed).replace("_", " ")
    return _VERBS.get(statement.kind, statement.kind.removesuffix("Stmt").upper())


def lock_timeout_set(settings: dict[str, str], name: str = "lock_timeout") -> bool:
    """``lock_timeout`` (or ``name``: ``statement_timeout``) is set to a limit (``0``,
    ``RESET`` and ``DEFAULT`` mean none)."""
    return _is_limit(settings.get(name, ""))


@cache
def _is_limit(value: str) -> bool:
    """A timeout setting's value that limits (asked for every statement of every file)."""
    value = value.strip().lower()
    return bool(value) and not re.fullmatch(r"0+(\.0*)?\s*(us|ms|s|min|h|d)?", value)


def _setting(statement: Statement) -> tuple[str, str] | None:
    node = statement.node
    if "name" not in node:
        return None
    values = [const_value(v) for v in node.get("args") or ()]
    return node["name"].lower(), ",".join(v for v in values if v is not None)


def _set_config(statement: Statement) -> Iterator[tuple[str, str]]:
    """``SELECT [pg_catalog.]set_config('name', 'value', is_local)`` (pg_dump's way to SET)."""
    for target in statement.node.get("targetList") or ():
        call = target.get("ResTarget", {}).get("val", {}).get("FuncCall")
        if not call or names(call.get("funcname"))[-1:] != ["set_config"]:
            continue
        args = [const_value(a) for a in call.get("args") or ()]
        if len(args) == 3 and args[0] is not None:
            yield args[0].lower(), args[1] or ""


def run_sql_rules(
    rules: Iterable[type[Rule]],
    steps: Sequence[MigrationStep],
    *,
    in_transaction: bool,
    runner_sets_lock_timeout: bool = False,
    exempt: bool = False,
    drop_wait_days: int = DEFAULT_DROP_WAIT_DAYS,
    known_types: Mapping[str, Mapping[str, ColumnType]] | None = None,
) -> Iterator[Finding]:
    """Findings of the statement rules over one service's migrations, in order.

    ``in_transaction``: every file runs inside one transaction block (a drizzle folder).
    ``runner_sets_lock_timeout``: the tool that will apply them sets ``lock_timeout`` itself.
    ``exempt``: the service's database is exempt from schema isolation.
    ``drop_wait_days``: the config's ``drop-wait-days`` (MIG004).
    ``known_types``: column types before ``steps`` (:func:`known_types_of` a Catalog of the
    target database), so a type change is judged from the real old type (MIG006).
    """
    chosen = [rule() for rule in rules if issubclass(rule, SqlRule)]
    if not chosen:
        return
    everything = [rule for rule in chosen if not rule.kinds]
    by_kind: dict[str, list[SqlRule]] = {}
    for rule in chosen:
        for kind in rule.kinds:
            by_kind.setdefault(kind, []).append(rule)
    # each kind's rules, then those offered every statement: one list to walk per statement
    offered_to = {kind: (*wanting, *everything) for kind, wanting in by_kind.items()}
    everything_only = tuple(everything)
    alter_rules = offered_to.get("AlterTableStmt", ())
    by_subtypes: dict[frozenset[str], tuple[SqlRule, ...]] = {}
    for step in steps:
        ctx = SqlContext(
            step.service,
            step.path,
            in_transaction,
            one_transaction=in_transaction
            or not any(cannot_run_in_transaction(s) for s in step.statements),
            runner_sets_lock_timeout=runner_sets_lock_timeout,
            exempt=exempt,
            when=step.when,
            drop_wait_days=drop_wait_days,
            known_types=known_types or {},
        )
        for statement in step.statements:
            kind = statement.kind
            if not kind:
                continue
            if kind == "AlterTableStmt" and alter_rules:
                # only the rules reading one of its subcommands (the same few sets recur)
                subtypes = frozenset(_index_commands(statement))
                offered = by_subtypes.get(subtypes, ())
                if subtypes not in by_subtypes:
                    offered = by_subtypes[subtypes] = tuple(
                        rule
                        for rule in alter_rules
                        if not rule.alter_subtypes or rule.alter_subtypes & subtypes
                    )
            else:
                offered = offered_to.get(kind, everything_only)
            for rule in offered:
                yield from rule.check(ctx, statement)
            if kind == "TransactionStmt":
                what = statement.node.get("kind", "")
                if what in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                    ctx.block_line = statement.line
                elif what in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                    ctx.block_line = 0
            elif kind == "CreateStmt":
                ctx.created.add(relation_path(statement.node.get("relation")))
            elif kind == "VariableSetStmt":
                if statement.node.get("kind") == "VAR_RESET_ALL":
                    ctx.settings.clear()
                elif setting := _setting(statement):
                    ctx.settings[setting[0]] = setting[1]
            elif kind == "SelectStmt":
                ctx.settings.update(_set_config(statement))
        for rule in chosen:
            yield from rule.finish(ctx)
