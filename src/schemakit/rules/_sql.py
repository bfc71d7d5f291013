"""Rules over the statement stream: what a migration DOES, not what the schema IS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemakit.rules._base import Finding, Location, Rule
from schemakit.sql import Statement

__all__ = ["MigrationStep", "SqlContext", "SqlRule", "run_sql_rules"]


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
    existing: set[str] = field(default_factory=set)
    """Tables (``schema.name``) created by earlier migrations: they may hold data and traffic."""


class SqlRule(Rule):
    """A rule over one parsed statement of a migration."""

    def check(self, ctx: SqlContext, statement: Statement, node: Any) -> Iterable[Finding]:
        raise NotImplementedError

    def at(self, statement: Statement) -> Location:
        return Location(statement.path or Path("-"), statement.line, statement.column)


def relation_path(relation: Any) -> str:
    return f"{relation.schemaname or 'public'}.{relation.relname}"


def run_sql_rules(
    rules: Iterable[type[Rule]], steps: Sequence[MigrationStep], *, in_transaction: bool
) -> Iterator[Finding]:
    """Findings of the statement rules over one service's migrations, in order."""
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    chosen = [rule() for rule in rules if issubclass(rule, SqlRule)]
    if not chosen:
        return
    existing: set[str] = set()
    for step in steps:
        ctx = SqlContext(step.service, step.path, in_transaction, set(existing))
        created: set[str] = set()
        for statement in step.statements:
            try:
                nodes = parse_sql(statement.text)
            except ParseError:
                continue  # the split already reported real syntax errors
            for raw in nodes:
                node = raw.stmt
                for rule in chosen:
                    yield from rule.check(ctx, statement, node)
                if isinstance(node, ast.CreateStmt):
                    created.add(relation_path(node.relation))
        existing |= created
