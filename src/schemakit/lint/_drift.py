"""``schemakit drift``: the live database against what its applied migrations produce, object
by object, each difference with the SQL that would make the database match them.

The ledger says which migrations the database has: only those are replayed, so a migration
not deployed yet is reported as pending, not as the objects it would make."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from schemakit.catalog import Catalog, Column, ForeignKey
from schemakit.config import Config
from schemakit.lint import _drift_sql as fix
from schemakit.lint._difference import Difference
from schemakit.lint._replay import Origins, replay
from schemakit.server import Cluster

if TYPE_CHECKING:
    from schemakit.migrate import MigrationSet, MigrationState

__all__ = ["Difference", "compare", "drift"]


def _diff_maps(
    prefix: str,
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    facts: Callable[[Any], Any],
    describe: Callable[[Any, Any], str],
    fix: Callable[[Any, Any], str],
) -> Iterator[Difference]:
    """Objects by name: missing, extra, or changed when their ``facts`` differ; ``fix(want,
    have)`` is the SQL (want None: drop it; have None: make it)."""
    for name in sorted(expected.keys() - actual.keys()):
        yield Difference(f"{prefix}{name}", "missing", sql=fix(expected[name], None))
    for name in sorted(actual.keys() - expected.keys()):
        yield Difference(f"{prefix}{name}", "extra", sql=fix(None, actual[name]))
    for name in sorted(expected.keys() & actual.keys()):
        want, have = facts(expected[name]), facts(actual[name])
        if want != have:
            yield Difference(
                f"{prefix}{name}",
                "changed",
                describe(want, have),
                fix(expected[name], actual[name]),
            )


def _column_facts(column: Column) -> tuple[Any, ...]:
    return (column.type, column.nullable, column.default, column.identity, column.generated)


def _columns_detail(want: tuple[Any, ...], have: tuple[Any, ...]) -> str:
    labels = ("type", "nullable", "default", "identity", "generated")
    return "; ".join(
        f"{label}: migrations {w!r}, database {h!r}"
        for label, w, h in zip(labels, want, have, strict=True)
        if w != h
    )


def _plain(want: Any, have: Any) -> str:
    return f"migrations: {want}; database: {have}"


def _same(value: Any) -> Any:
    return value


def _fk_facts(fk: ForeignKey) -> tuple[Any, ...]:
    return (fk.columns, fk.ref_path, fk.ref_columns, fk.on_delete)


def compare(
    expected: Catalog,
    actual: Catalog,
    schemas: set[str],
    where: Callable[[str], str | None] = lambda path: None,
) -> list[Difference]:
    """Differences between two catalogs, restricted to ``schemas``, each with the SQL that
    makes ``actual`` match ``expected`` (``where``: the file:line of the migration that makes
    an object, for what the catalog alone cannot write: a view's query, a function's body)."""
    out: list[Difference] = []
    out += _diff_maps(
        "schema ",
        {s: s for s in expected.schemas if s in schemas},
        {s: s for s in actual.schemas if s in schemas},
        _same,
        _plain,
        fix.schema,
    )
    want_tables = {k: t for k, t in expected.tables.items() if t.schema in schemas}
    have_tables = {k: t for k, t in actual.tables.items() if t.schema in schemas}
    out += _diff_maps(
        "",
        want_tables,
        have_tables,
        lambda t: t.kind,
        _plain,
        lambda w, h: fix.relation(w, h, where),
    )
    for path in sorted(want_tables.keys() & have_tables.keys()):
        want, have = want_tables[path], have_tables[path]
        if want.kind != have.kind:
            continue  # one relation for another: its parts are not comparable
        out += _diff_maps(
            f"{path}.",
            {c.name: c for c in want.columns},
            {c.name: c for c in have.columns},
            _column_facts,
            _columns_detail,
            partial(fix.column, want),
        )
        out += _diff_maps(
            f"{path} index ",
            {i.name: i for i in want.indexes},
            {i.name: i for i in have.indexes},
            lambda i: i.definition,
            _plain,
            partial(fix.index, want),
        )
        out += _diff_maps(
            f"{path} constraint ",
            {c.name: c for c in want.constraints},
            {c.name: c for c in have.constraints},
            lambda c: c.definition,
            _plain,
            partial(fix.constraint, want),
        )
        out += _diff_maps(
            f"{path} foreign key ",
            {f.name: f for f in want.foreign_keys},
            {f.name: f for f in have.foreign_keys},
            _fk_facts,
            _plain,
            partial(fix.foreign_key, want),
        )
    out += _diff_maps(
        "type ",
        {k: t for k, t in expected.types.items() if t.schema in schemas},
        {k: t for k, t in actual.types.items() if t.schema in schemas},
        lambda t: (t.kind, t.labels),
        _plain,
        lambda w, h: fix.type_(w, h, where),
    )
    out += _diff_maps(
        "function ",
        {k: f for k, f in expected.functions.items() if f.schema in schemas},
        {k: f for k, f in actual.functions.items() if f.schema in schemas},
        lambda f: f.kind,
        _plain,
        lambda w, h: fix.function(w, h, where),
    )
    return out


def drift(
    config: Config,
    live: Catalog,
    database: str,
    say: Callable[[str], None] = lambda message: None,
    *,
    cluster: Cluster | None = None,
    ledger: Mapping[str, Iterable[MigrationState]] | None = None,
) -> list[Difference]:
    """Replay ``database``'s migrations into a throwaway database and compare its services'
    schemas with ``live``. With ``ledger`` (service -> its migrations' states), only the
    applied ones are replayed and the pending ones are listed as ``pending``."""
    from schemakit.migrate import discover

    services = config.services_in(database)
    schemas = {s for service in services for s in service.schemas}
    found: dict[str, MigrationSet | None] = {}
    pending: list[Difference] = []
    for service in services:
        migrations = discover(service, config.path)
        if migrations is not None and ledger is not None:
            states = {s.id: s.state for s in ledger.get(service.name, ())}
            applied = tuple(
                f for f in migrations.files if states.get(f.id) in ("applied", "edited")
            )
            pending += [
                Difference(f"{service.name} migration {f.id}", "pending", f.path.name)
                for f in migrations.files
                if states.get(f.id, "pending") == "pending"
            ]
            migrations = dataclasses.replace(migrations, files=applied)
            if migrations.kind == "alembic" and not applied:
                # the replay upgrades Alembic to head whatever the files: nothing applied
                # is nothing replayed (with some applied, pending revisions replay too)
                migrations = None
        found[service.name] = migrations
    from schemakit.lint._drift_security import security

    for _, expected, origins in replay(config, say, cluster, only=database, found=found):
        differences = compare(expected, live, schemas, _where(origins))
        return [*differences, *security(expected, live, services), *pending]
    return pending


def _where(origins: Origins) -> Callable[[str], str | None]:
    def where(path: str) -> str | None:
        location = origins.locate(path)
        return f"{location.path.name}:{location.line}" if location else None

    return where
