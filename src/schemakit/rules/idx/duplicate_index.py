"""IDX002: an index that duplicates another or is a leading prefix of one."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.catalog import Index
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class DuplicateIndex(CatalogRule):
    """Duplicate or redundant index.

    ## What it does
    Flags an index that another index of the same table makes unnecessary:
    - a duplicate: the same method, key columns (with operator classes, collations and
      order), included columns and predicate. Of a group, the one kept is the primary key,
      else one backing a constraint, else a unique one, else the first by name; the others
      are reported;
    - a prefix: a plain non-unique btree index without predicate whose columns are a strict
      leading prefix of another btree index without predicate (`(user_id)` next to
      `(user_id, created_at)`).

    Unique indexes are never reported as prefixes: they enforce something. Invalid indexes
    are ignored. Partitions, views and tool schemas are skipped.

    ## Why is this bad?
    Every index is written on every insert and update, takes disk and cache, and adds a
    plan for the planner to weigh, while the other index already serves the same lookups.
    Duplicates usually come from an ORM and a hand-written migration both adding one.

    ## Example
    ```sql
    CREATE INDEX idx_files_user_id ON storage.files (user_id);
    CREATE INDEX idx_files_user_id_created_at ON storage.files (user_id, created_at);
    ```

    ## Use instead
    ```sql
    CREATE INDEX idx_files_user_id_created_at ON storage.files (user_id, created_at);
    ```

    ## Guideline
    Anti-Patterns 2. Missing Indexes: index what you query, and nothing twice; Naming
    Conventions, Indexes. Severity: warning.
    """

    code = "IDX002"
    name = "duplicate-index"
    object_kind = "index"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            indexes = [i for i in table.indexes if i.valid and " USING " in i.definition]
            reported: set[str] = set()
            groups: dict[str, list[Index]] = {}
            for index in indexes:
                groups.setdefault(_shape(index), []).append(index)
            for group in groups.values():
                if len(group) < 2:
                    continue
                kept, *extra = sorted(group, key=_keep_first)
                for index in extra:
                    reported.add(index.name)
                    yield self.finding(
                        f"Index {table.schema}.{index.name} duplicates "
                        f"{table.schema}.{kept.name} on {table.path} "
                        f"({', '.join(index.columns)})",
                        _drop_help(table.path, index),
                        object=f"{table.schema}.{index.name}",
                    )
            for index in indexes:
                if index.name in reported or not _plain_btree(index) or index.unique:
                    continue
                wider = _wider(index, indexes)
                if wider is None:
                    continue
                reported.add(index.name)
                yield self.finding(
                    f"Index {table.schema}.{index.name} ({', '.join(index.columns)}) is a "
                    f"leading prefix of {table.schema}.{wider.name} "
                    f"({', '.join(wider.columns)}) on {table.path}",
                    _drop_help(table.path, index),
                    object=f"{table.schema}.{index.name}",
                )


def _shape(index: Index) -> str:
    """What the index stores and serves: everything in its definition after its name."""
    return index.definition.split(" USING ", 1)[1]


def _keep_first(index: Index) -> tuple[bool, bool, bool, str]:
    return (not index.primary, index.constraint is None, not index.unique, index.name)


def _plain_btree(index: Index) -> bool:
    return index.predicate is None and _shape(index) == f"btree ({', '.join(index.columns)})"


def _wider(index: Index, indexes: list[Index]) -> Index | None:
    head = f"btree ({', '.join(index.columns)}, "
    for other in indexes:
        if other is not index and other.predicate is None and _shape(other).startswith(head):
            return other
    return None


def _drop_help(table: str, index: Index) -> str:
    if index.constraint is not None:
        return f"Drop the redundant constraint: ALTER TABLE {table} DROP CONSTRAINT {index.constraint};"
    schema = table.split(".", 1)[0]
    return f"Drop the redundant index: DROP INDEX CONCURRENTLY {schema}.{index.name};"
