"""MIG006: ALTER COLUMN ... TYPE that rewrites an existing table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, relation_path
from schemakit.sql import ColumnType, Statement, plain_using, type_change_rewrites

# Types that some other type changes into without a rewrite: when the old type is unknown
# (the column was not made by this service's migrations), such a change may be safe.
_WIDENING_TARGETS = frozenset({"varchar", "text", "numeric"})


class ColumnTypeRewrite(SqlRule):
    """`ALTER COLUMN ... TYPE` that rewrites a table this file did not create.

    ## What it does
    Flags `ALTER TABLE ... ALTER COLUMN c TYPE t` on a table this file did not create,
    unless PostgreSQL changes the type without touching the rows. The old type is the one the
    service's migrations gave the column (`CREATE TABLE`, `ADD COLUMN`, an earlier `TYPE`).
    No rewrite, so not flagged:

    - the same type and modifiers;
    - `varchar(n)` to `varchar(m)` with m >= n, to unbounded `varchar`, or to `text`;
      `text` to `text` or unbounded `varchar`;
    - `numeric(p,s)` to `numeric(p2,s)` with p2 >= p and the same scale, or to unconstrained
      `numeric`.

    Everything else is taken as a rewrite: arrays, `char(n)`, `int` to `bigint`, `timestamp`
    to `timestamptz` (rewrite-free only when the session's TimeZone is UTC, which a migration
    cannot count on), and any `USING` clause but the column itself, cast or not to the new
    type (`USING name::text` from varchar rewrites nothing). The old type comes from the
    service's migrations in this run, else from the database the runner migrates (its
    catalog, when the caller passes it). When neither knows it, a change to `text`, `varchar`
    or `numeric` is not flagged (it may be one of the widenings above) unless a `USING` cast
    says the old type is something else (drizzle-kit's `USING "c"::text` from `integer`);
    any other target is, and the message says the old type was not known.

    ## Why is this bad?
    A rewrite copies every row and rebuilds every index of the table while holding an ACCESS
    EXCLUSIVE lock: no reads, no writes for as long as that takes. A warning, not an error:
    the statement succeeds, and on a small table it is quick.

    ## Example
    ```sql
    ALTER TABLE credits.transactions ALTER COLUMN amount TYPE bigint;
    ```

    ## Use instead
    Expand-contract: add a new column of the new type, write both from the code, backfill
    it in batches, switch reads to it, and drop the old column in a later release. A varchar
    limit is widened in place:
    ```sql
    ALTER TABLE storage.files ALTER COLUMN mime_type TYPE varchar(500);  -- was varchar(255)
    ```

    ## Guideline
    Migrations, Key Concepts: "Zero-downtime: Use expand-contract pattern for breaking schema
    changes".
    """

    code = "MIG006"
    name = "column-type-rewrite"
    object_kind = "column"
    severity = Severity.WARNING

    kinds = frozenset({"CreateStmt", "AlterTableStmt", "RenameStmt"})
    alter_subtypes = frozenset({"AT_AddColumn", "AT_AlterColumnType"})

    def __init__(self) -> None:
        self._types: dict[str, dict[str, ColumnType]] = {}
        """table -> column -> type, as the service's migrations so far made them."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        table = relation_path(node.get("relation"))
        if statement.kind == "RenameStmt":
            self._rename(table, node)
            return
        columns = self._types.setdefault(table, {})
        if statement.kind == "CreateStmt":
            columns.clear()
            for element in node.get("tableElts") or ():
                column = element.get("ColumnDef")
                if column and column.get("typeName"):
                    columns[column.get("colname", "")] = ColumnType.of(column["typeName"])
            return
        for item in node.get("cmds") or ():
            cmd = item.get("AlterTableCmd", {})
            column = (cmd.get("def") or {}).get("ColumnDef", {})
            if cmd.get("subtype") == "AT_AddColumn" and column.get("typeName"):
                columns[column.get("colname", "")] = ColumnType.of(column["typeName"])
            if cmd.get("subtype") != "AT_AlterColumnType" or not column.get("typeName"):
                continue
            name = cmd.get("name", "")
            new = ColumnType.of(column["typeName"])
            old = columns.get(name) or ctx.known_types.get(table, {}).get(name)
            columns[name] = new
            if not ctx.is_existing(table):
                continue
            raw_using = column.get("raw_default")
            using = raw_using is not None and not plain_using(raw_using, name, new)
            unknown = ""
            if not using:
                if old is not None and not type_change_rewrites(old, new):
                    continue
                if old is None and new.name in _WIDENING_TARGETS and not new.array:
                    if raw_using is None:
                        continue  # likely one of the widenings; a USING cast says otherwise
                    unknown = (
                        f" unless the old type, not known here, was one {new} widens "
                        "(varchar, text)"
                    )
            if old is None and not unknown:
                unknown = " (the old type is not known here: taken as not binary-coercible)"
            change = f"{old} -> {new}" if old is not None else f"to {new}"
            yield self.finding(
                f"Column {table}.{name} changes type {change}{' with USING' if using else ''}: "
                f"PostgreSQL rewrites {table} and rebuilds its indexes under an ACCESS "
                f"EXCLUSIVE lock{unknown}",
                "Add a column of the new type, backfill it in batches and switch to it "
                "(expand-contract).",
                object=f"{table}.{name}",
                location=self.at(statement),
                service=ctx.service,
            )

    def _rename(self, table: str, node: dict[str, Any]) -> None:
        columns = self._types.get(table)
        if columns is None:
            return
        if node.get("renameType") == "OBJECT_COLUMN" and node.get("subname") in columns:
            columns[node.get("newname", "")] = columns.pop(node["subname"])
        elif node.get("renameType") == "OBJECT_TABLE":
            schema = table.split(".", 1)[0]
            self._types[f"{schema}.{node.get('newname', '')}"] = self._types.pop(table)
