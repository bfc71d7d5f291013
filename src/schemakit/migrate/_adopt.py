"""Adopting a database that exists (baseline) and repairing a ledger after a change of plan.

``baseline`` records migrations as applied without running them, after checking that the
objects they create are there; ``repair`` removes the rows of deleted files, records the
checksums of reviewed edits and drops the INVALID indexes a failed CONCURRENTLY step left.
Both hold the service's migration lock, as ``migrate`` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from schemakit.config import Config, Service
from schemakit.errors import MigrationError
from schemakit.migrate import _ledger as ledger
from schemakit.migrate._advisory import lock, unlock
from schemakit.migrate._connection import Deadline, connect
from schemakit.migrate._options import MigrateOptions, Say
from schemakit.migrate._sources import MigrationFile, MigrationSet, discover, migration_id
from schemakit.migrate._states import MigrationState, read_states

__all__ = ["Action", "Baseline", "baseline", "repair", "repair_actions"]


@dataclass
class Baseline:
    service: str
    recorded: list[str] = field(default_factory=list)
    """Migrations recorded as applied (or, with dry_run, that would be)."""
    already: list[str] = field(default_factory=list)
    """Migrations the ledger already had."""
    checked: int = 0
    """Objects the recorded migrations create, found in the database."""


@dataclass(frozen=True)
class Action:
    kind: str
    """``forget`` (a row whose file is gone), ``accept`` (record an edited file's checksum)
    or ``drop-index`` (an INVALID index a failed CONCURRENTLY step left)."""
    target: str
    detail: str

    def render(self) -> str:
        return f"{self.kind:<10} {self.target}: {self.detail}"


@contextlib.contextmanager
def _locked(
    url: str, config: Config, name: str, options: MigrateOptions, say: Say
) -> Iterator[tuple[psycopg.Connection[Any], Service, MigrationSet, list[MigrationState]]]:
    if name not in config.services:
        raise MigrationError(
            f"unknown service {name!r}", hint="known: " + ", ".join(config.services)
        )
    service = config.services[name]
    migrations = discover(service, config.path)
    if migrations is None:
        raise MigrationError(f"service {name} names no migrations folder")
    deadline = Deadline(options.timeout)
    conn, _ = connect(url, options, deadline, say)
    try:
        lock(conn, name, deadline, say)
        try:
            yield (
                conn,
                service,
                migrations,
                read_states(conn, service, migrations, status_only=False),
            )
        finally:
            with contextlib.suppress(psycopg.Error):
                unlock(conn, name)
    finally:
        conn.close()


def baseline(
    url: str,
    config: Config,
    name: str,
    *,
    to: str | None = None,
    check: bool = True,
    dry_run: bool = False,
    options: MigrateOptions | None = None,
    say: Say | None = None,
) -> Baseline:
    """Record ``name``'s migrations up to ``to`` (all by default) as applied without running
    them; with ``check``, first make sure the objects they create exist."""
    options = options or MigrateOptions()
    with _locked(url, config, name, options, say or (lambda message: None)) as held:
        conn, _, migrations, states = held
        if migrations.kind == "alembic":
            raise MigrationError(
                f"service {name} is an Alembic folder",
                hint="mark its revisions applied with 'alembic stamp REVISION'; migrate then "
                "records them in the ledger",
            )
        files = _up_to(migrations, to)
        by_id = {s.id: s for s in states}
        result = Baseline(name)
        chosen: list[MigrationFile] = []
        for file in files:
            if by_id[file.id].state == "pending":
                chosen.append(file)
            else:
                result.already.append(file.id)
        if check and chosen:
            result.checked = _check_objects(conn, chosen)
        result.recorded = [f.id for f in chosen]
        if dry_run or not chosen:
            return result
        drizzle_table = ledger.DRIZZLE_TABLE if migrations.kind == "drizzle" else None
        recorder = ledger.Recorder(conn, name, drizzle_table, applied_by=ledger.who() + " baseline")
        with conn.transaction():
            for file in chosen:
                recorder.record(file.id, file.checksum, when=file.when, duration_ms=0)
        return result


def _up_to(migrations: MigrationSet, to: str | None) -> Sequence[MigrationFile]:
    if to is None:
        return migrations.files
    wanted = migration_id(to.removesuffix(".sql"))
    for index, file in enumerate(migrations.files):
        if file.id == wanted:
            return migrations.files[: index + 1]
    raise MigrationError(
        f"--to {to}: service {migrations.service} has no migration {wanted}",
        hint="name one of: " + ", ".join(f.id for f in migrations.files[-5:]) + " (the latest)",
    )


def _created(files: Sequence[MigrationFile]) -> tuple[set[str], set[str], set[str]]:
    """(schemas, relations, types) the files leave behind, as far as their statements say:
    creations, less what a later statement drops or renames."""
    from schemakit.sql import names, qualified, relation

    schemas: set[str] = set()
    relations: set[str] = set()
    types: set[str] = set()
    for file in files:
        for statement in file.statements:
            node, kind = statement.node, statement.kind
            if kind == "CreateSchemaStmt" and node.get("schemaname"):
                schemas.add(node["schemaname"])
            elif kind in ("CreateStmt", "CreateSeqStmt"):
                relations.add(relation(node.get("relation") or node.get("sequence")))
            elif kind == "ViewStmt":
                relations.add(relation(node.get("view")))
            elif kind == "CreateTableAsStmt":
                relations.add(relation((node.get("into") or {}).get("rel")))
            elif kind == "IndexStmt" and node.get("idxname"):
                table = relation(node.get("relation"))
                relations.add(table.rsplit(".", 1)[0] + "." + node["idxname"])
            elif kind in ("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt"):
                parts = names(node.get("typeName") or node.get("domainname"))
                if not parts and node.get("typevar"):
                    types.add(relation(node["typevar"]))
                elif parts:
                    types.add(qualified(parts))
            elif kind == "RenameStmt" and node.get("relation") and node.get("newname"):
                old = relation(node["relation"])
                if old in relations:
                    relations.discard(old)
                    relations.add(old.rsplit(".", 1)[0] + "." + node["newname"])
            elif kind == "DropStmt":
                for item in node.get("objects") or ():
                    parts = names((item.get("List") or {}).get("items")) or names([item])
                    if node.get("removeType") == "OBJECT_SCHEMA":
                        schemas.difference_update(parts)
                        relations -= {r for r in relations if r.split(".")[0] in parts}
                    elif parts:
                        relations.discard(qualified(parts))
                        types.discard(qualified(parts))
    return schemas, {r for r in relations if r and not r.endswith(".")}, types


def _check_objects(conn: psycopg.Connection[Any], files: Sequence[MigrationFile]) -> int:
    schemas, relations, types = _created(files)
    split = [r.split(".", 1) for r in sorted(relations)]
    split_types = [t.split(".", 1) for t in sorted(types)]
    from schemakit.catalog import query

    row = conn.execute(
        query("missing_objects"),
        (
            sorted(schemas),
            [s for s, _ in split],
            [n for _, n in split],
            [s for s, _ in split_types],
            [n for _, n in split_types],
        ),
    ).fetchone()
    assert row is not None
    missing = [f"schema {s}" for s in row[0]] + list(row[1]) + [f"type {t}" for t in row[2]]
    if missing:
        raise MigrationError(
            f"the database lacks {len(missing)} object(s) these migrations create: "
            + ", ".join(missing[:20])
            + (" ..." if len(missing) > 20 else "")
            + "; nothing was recorded",
            hint="baseline only what the database already has (--to MIGRATION), or skip the "
            "check with --no-check if the objects were renamed on purpose",
        )
    return len(schemas) + len(relations) + len(types)


def repair_actions(
    conn: psycopg.Connection[Any],
    service: Service,
    states: list[MigrationState],
) -> list[Action]:
    """What ``repair`` would do for ``service``, read under its lock."""
    actions = [
        Action("forget", s.ledger_id or s.id, "applied, but its file is gone: remove the row")
        for s in states
        if s.state == "missing"
    ]
    actions += [
        Action(
            "accept",
            s.id,
            f"file edited after it was applied: record checksum {s.checksum} "
            f"(was {s.stored_checksum})",
        )
        for s in states
        if s.state == "edited"
    ]
    from schemakit.catalog import query

    rows = conn.execute(query("invalid_indexes"), {"schemas": list(service.schemas)}).fetchall()
    actions += [
        Action(
            "drop-index",
            f"{schema}.{name}",
            "INVALID (a CONCURRENTLY step failed): DROP INDEX CONCURRENTLY",
        )
        for schema, name in rows
    ]
    return actions


def repair(
    url: str,
    config: Config,
    name: str,
    *,
    confirm: Callable[[list[Action]], bool] | None = None,
    dry_run: bool = False,
    options: MigrateOptions | None = None,
    say: Say | None = None,
) -> tuple[list[Action], bool]:
    """Plan and (unless ``dry_run``, and if ``confirm`` agrees) carry out ``name``'s repair;
    returns the actions and whether they were carried out."""
    options = options or MigrateOptions()
    say = say or (lambda message: None)
    with _locked(url, config, name, options, say) as (conn, service, _, states):
        actions = repair_actions(conn, service, states)
        if dry_run or not actions or (confirm is not None and not confirm(actions)):
            return actions, False
        by_id = {s.id: s for s in states}
        forget = [a.target for a in actions if a.kind == "forget"]
        with conn.transaction():
            if forget:
                ledger.forget(conn, name, forget)
            for action in actions:
                if action.kind == "accept":
                    state = by_id[action.target]
                    assert state.checksum is not None
                    ledger.accept_checksum(conn, name, state.ledger_id or state.id, state.checksum)
        for action in actions:
            if action.kind == "drop-index":
                schema, index = action.target.split(".", 1)
                # CONCURRENTLY: outside a transaction, and without blocking the table's writes
                conn.execute(
                    sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(index)
                    )
                )
            say(f"{name}: {action.render()}")
        return actions, True
