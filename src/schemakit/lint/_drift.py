"""``schemakit drift``: the live database against what its migrations produce, object by object."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from schemakit.catalog import Catalog, Table
from schemakit.config import Config
from schemakit.lint._replay import replay
from schemakit.server import Cluster

__all__ = ["Difference", "compare", "drift"]


@dataclass(frozen=True, order=True)
class Difference:
    object: str
    kind: str
    """``missing`` (the migrations make it, the database lacks it), ``extra`` (the other
    way round) or ``changed``."""
    detail: str = ""

    def render(self) -> str:
        what = {
            "missing": "in the migrations, not in the database",
            "extra": "in the database, not in the migrations",
            "changed": "differs",
        }[self.kind]
        return f"{self.object}: {what}" + (f" ({self.detail})" if self.detail else "")


def _column_facts(table: Table) -> dict[str, tuple[Any, ...]]:
    return {c.name: (c.type, c.nullable, c.default, c.identity, c.generated) for c in table.columns}


def _diff_maps(
    prefix: str,
    expected: dict[str, Any],
    actual: dict[str, Any],
    describe: Callable[[Any, Any], str],
) -> Iterator[Difference]:
    for name in sorted(expected.keys() - actual.keys()):
        yield Difference(f"{prefix}{name}", "missing")
    for name in sorted(actual.keys() - expected.keys()):
        yield Difference(f"{prefix}{name}", "extra")
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            yield Difference(f"{prefix}{name}", "changed", describe(expected[name], actual[name]))


def _columns_detail(want: tuple[Any, ...], have: tuple[Any, ...]) -> str:
    labels = ("type", "nullable", "default", "identity", "generated")
    return "; ".join(
        f"{label}: migrations {w!r}, database {h!r}"
        for label, w, h in zip(labels, want, have, strict=True)
        if w != h
    )


def _plain(want: Any, have: Any) -> str:
    return f"migrations: {want}; database: {have}"


def compare(expected: Catalog, actual: Catalog, schemas: set[str]) -> list[Difference]:
    """Differences between two catalogs, restricted to ``schemas``."""
    out: list[Difference] = []
    out += _diff_maps(
        "schema ",
        {s: True for s in expected.schemas if s in schemas},
        {s: True for s in actual.schemas if s in schemas},
        _plain,
    )
    want_tables = {k: t for k, t in expected.tables.items() if t.schema in schemas}
    have_tables = {k: t for k, t in actual.tables.items() if t.schema in schemas}
    out += _diff_maps(
        "",
        {k: t.kind for k, t in want_tables.items()},
        {k: t.kind for k, t in have_tables.items()},
        _plain,
    )
    for path in sorted(want_tables.keys() & have_tables.keys()):
        want, have = want_tables[path], have_tables[path]
        out += _diff_maps(f"{path}.", _column_facts(want), _column_facts(have), _columns_detail)
        out += _diff_maps(
            f"{path} index ",
            {i.name: i.definition for i in want.indexes},
            {i.name: i.definition for i in have.indexes},
            _plain,
        )
        out += _diff_maps(
            f"{path} constraint ",
            {c.name: c.definition for c in want.constraints},
            {c.name: c.definition for c in have.constraints},
            _plain,
        )
        out += _diff_maps(
            f"{path} foreign key ",
            {
                f.name: (f.columns, f.ref_path, f.ref_columns, f.on_delete)
                for f in want.foreign_keys
            },
            {
                f.name: (f.columns, f.ref_path, f.ref_columns, f.on_delete)
                for f in have.foreign_keys
            },
            _plain,
        )
    out += _diff_maps(
        "type ",
        {k: (t.kind, t.labels) for k, t in expected.types.items() if t.schema in schemas},
        {k: (t.kind, t.labels) for k, t in actual.types.items() if t.schema in schemas},
        _plain,
    )
    out += _diff_maps(
        "function ",
        {k: f.kind for k, f in expected.functions.items() if f.schema in schemas},
        {k: f.kind for k, f in actual.functions.items() if f.schema in schemas},
        _plain,
    )
    return out


def drift(
    config: Config,
    live: Catalog,
    database: str,
    say: Callable[[str], None] = lambda message: None,
    *,
    cluster: Cluster | None = None,
) -> list[Difference]:
    """Replay ``database``'s migrations into a throwaway database and compare its services'
    schemas with ``live``."""
    schemas = {s for service in config.services_in(database) for s in service.schemas}
    for _, expected, _ in replay(config, say, cluster, only=database):
        return compare(expected, live, schemas)
    return []
