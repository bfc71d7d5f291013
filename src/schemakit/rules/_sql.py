"""Rules over the statement stream: what a migration DOES, not what the schema IS.

A statement rule sees each statement's parse tree as libpg_query's JSON form (dicts, parsed
once by :func:`schemakit.sql.split_statements`), and names the node types it looks at in
``kinds``, so the engine hands it only those: walking plain dicts, with no per-statement
re-parse, is what keeps a Python linter as fast as a native one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from schemakit.rules._base import Finding, Location, Rule
from schemakit.sql import Statement

__all__ = [
    "MigrationStep",
    "SqlContext",
    "SqlRule",
    "const_value",
    "names",
    "relation_path",
    "run_sql_rules",
]


@dataclass(frozen=True)
class MigrationStep:
    """One migration file of a service, in order (what a rule needs of migrate's sources)."""

    service: str
    id: str
    path: Path
    statements: Sequence[Statement]


@dataclass
class SqlContext:
    """What a statement rule sees about the file the statement is in."""

    service: str
    path: Path
    in_transaction: bool
    """The file runs inside a transaction block (drizzle-orm's migrator runs every pending
    file of a drizzle folder in one)."""
    earlier: set[str] = field(default_factory=set)
    """Tables (``schema.name``) created by earlier migrations of the service."""
    created: set[str] = field(default_factory=set)
    """Tables created so far in this file: new and empty, so locks and rewrites on them are
    harmless. Every other table may hold data and traffic (see :meth:`is_existing`)."""
    settings: dict[str, str] = field(default_factory=dict)
    """``SET [LOCAL] name = value`` seen so far in this file (lower-case names)."""

    def is_existing(self, table: str) -> bool:
        """``table`` was not created by this file: an earlier migration, another service or
        the database itself made it, so it may hold rows and serve traffic."""
        return table not in self.created


class SqlRule(Rule):
    """A rule over one parsed statement of a migration."""

    kinds: ClassVar[frozenset[str]] = frozenset()
    """Parse node types (``IndexStmt``, ``AlterTableStmt``, ...) the rule looks at; empty
    means every statement."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterable[Finding]:
        raise NotImplementedError

    def finish(self, ctx: SqlContext) -> Iterable[Finding]:
        """Called after the last statement of each file: for rules about a whole file."""
        return ()

    def at(self, statement: Statement) -> Location:
        return Location(statement.path or Path("-"), statement.line, statement.column)


def relation_path(relation: dict[str, Any] | None) -> str:
    """``schema.name`` of a RangeVar node (``public`` when unqualified)."""
    if not relation:
        return ""
    return f"{relation.get('schemaname') or 'public'}.{relation.get('relname', '')}"


def names(node: list[dict[str, Any]] | None) -> list[str]:
    """The strings of a name list (``[{"String": {"sval": "x"}}, ...]``)."""
    return [n["String"].get("sval", "") for n in node or () if "String" in n]


def const_value(node: dict[str, Any]) -> str | None:
    """The text of an ``A_Const`` node (``None`` for NULL or anything else)."""
    const = node.get("A_Const")
    if const is None or const.get("isnull"):
        return None
    for key in ("sval", "ival", "fval", "boolval", "bsval"):
        if key in const:
            inner = const[key]
            value = inner.get(key, inner.get("boolval", 0 if key == "ival" else ""))
            return str(value)
    return None


def _setting(statement: Statement) -> tuple[str, str] | None:
    node = statement.node
    if "name" not in node:
        return None
    values = [const_value(v) for v in node.get("args") or ()]
    return node["name"].lower(), ",".join(v for v in values if v is not None)


def run_sql_rules(
    rules: Iterable[type[Rule]], steps: Sequence[MigrationStep], *, in_transaction: bool
) -> Iterator[Finding]:
    """Findings of the statement rules over one service's migrations, in order."""
    chosen = [rule() for rule in rules if issubclass(rule, SqlRule)]
    if not chosen:
        return
    everything = [rule for rule in chosen if not rule.kinds]
    by_kind: dict[str, list[SqlRule]] = {}
    for rule in chosen:
        for kind in rule.kinds:
            by_kind.setdefault(kind, []).append(rule)
    earlier: set[str] = set()
    for step in steps:
        ctx = SqlContext(step.service, step.path, in_transaction, set(earlier))
        for statement in step.statements:
            kind = statement.kind
            if not kind:
                continue
            for rule in by_kind.get(kind, ()):
                yield from rule.check(ctx, statement)
            for rule in everything:
                yield from rule.check(ctx, statement)
            if kind == "CreateStmt":
                ctx.created.add(relation_path(statement.node.get("relation")))
            elif kind == "VariableSetStmt" and (setting := _setting(statement)):
                ctx.settings[setting[0]] = setting[1]
        for rule in chosen:
            yield from rule.finish(ctx)
        earlier |= ctx.created
