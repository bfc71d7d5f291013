"""MIG005: SET NOT NULL on an existing table with no validated CHECK (c IS NOT NULL) first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, names, relation_path
from schemakit.sql import Statement


def not_null_columns(expr: dict[str, Any] | None) -> set[str]:
    """Columns ``c`` a CHECK expression proves non-null: ``c IS NOT NULL``, alone or as a
    term of an AND (PostgreSQL's proof accepts both)."""
    if not expr:
        return set()
    test = expr.get("NullTest")
    if test is not None:
        fields = names(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
        if test.get("nulltesttype") == "IS_NOT_NULL" and len(fields) == 1:
            return set(fields)
        return set()
    boolean = expr.get("BoolExpr")
    if boolean is not None and boolean.get("boolop") == "AND_EXPR":
        return set().union(*(not_null_columns(arg) for arg in boolean.get("args") or ()))
    return set()


class SetNotNullWithoutCheck(SqlRule):
    """`SET NOT NULL` on an existing table with no validated `CHECK (c IS NOT NULL)` first.

    ## What it does
    Flags `ALTER TABLE ... ALTER COLUMN c SET NOT NULL` on a table this file did not create,
    unless an earlier statement (in this file or an earlier migration of the service) added
    `CHECK (c IS NOT NULL)` on that table and the check is validated: added `NOT VALID` and
    then `VALIDATE CONSTRAINT`ed, or added without `NOT VALID` (MIG007 flags that form; it is
    valid all the same). A `c IS NOT NULL` term of an `AND` counts; a check dropped again
    (`DROP CONSTRAINT`, also in the same `ALTER TABLE`) no longer does.

    ## Why is this bad?
    `SET NOT NULL` reads every row to prove there is no NULL, holding an ACCESS EXCLUSIVE
    lock: no reads, no writes on the table until the scan ends. Since PostgreSQL 12, a valid
    `CHECK (c IS NOT NULL)` is taken as that proof and the scan is skipped. A warning, not an
    error: the statement succeeds, and on a small table the scan is quick.

    ## Example
    ```sql
    ALTER TABLE storage.files ALTER COLUMN mime_type SET NOT NULL;
    ```

    ## Use instead
    ```sql
    -- 0007: instant, then a scan that blocks nobody (SHARE UPDATE EXCLUSIVE)
    ALTER TABLE storage.files ADD CONSTRAINT files_mime_type_not_null
        CHECK (mime_type IS NOT NULL) NOT VALID;
    -- 0008
    ALTER TABLE storage.files VALIDATE CONSTRAINT files_mime_type_not_null;
    -- 0009: no scan; the check has done its job
    ALTER TABLE storage.files ALTER COLUMN mime_type SET NOT NULL;
    ALTER TABLE storage.files DROP CONSTRAINT files_mime_type_not_null;
    ```

    ## Guideline
    Migrations, DON'T: "Add NOT NULL without default or backfill"; Key Concepts,
    "Zero-downtime: Use expand-contract pattern for breaking schema changes".
    """

    code = "MIG005"
    name = "set-not-null-without-check"
    object_kind = "column"
    severity = Severity.WARNING

    kinds = frozenset({"CreateStmt", "AlterTableStmt"})
    alter_subtypes = frozenset(
        {
            "AT_AddColumn",
            "AT_AddConstraint",
            "AT_DropConstraint",
            "AT_SetNotNull",
            "AT_ValidateConstraint",
        }
    )

    def __init__(self) -> None:
        # table -> check constraint name -> (columns it proves non-null, validated)
        self._checks: dict[str, dict[str, tuple[set[str], bool]]] = {}

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        relation = node.get("relation") or {}
        table = relation_path(relation)
        checks = self._checks.setdefault(table, {})
        if statement.kind == "CreateStmt":
            checks.clear()
            for element in node.get("tableElts") or ():
                if "Constraint" in element:
                    self._add(checks, relation, element["Constraint"], None, validated=True)
                for item in element.get("ColumnDef", {}).get("constraints") or ():
                    column = element["ColumnDef"].get("colname")
                    self._add(checks, relation, item.get("Constraint", {}), column, True)
            return
        cmds = [item.get("AlterTableCmd", {}) for item in node.get("cmds") or ()]
        # PostgreSQL drops constraints before it checks the new NOT NULL, whatever the order
        for cmd in cmds:
            if cmd.get("subtype") == "AT_DropConstraint":
                checks.pop(cmd.get("name", ""), None)
        setting = [cmd for cmd in cmds if cmd.get("subtype") == "AT_SetNotNull"]
        if setting and ctx.is_existing(table):
            proven = set().union(*(cols for cols, valid in checks.values() if valid))
            for cmd in setting:
                column = cmd.get("name", "")
                if column in proven:
                    continue
                yield self.finding(
                    f"SET NOT NULL on {table}.{column} scans the whole table under an ACCESS "
                    f"EXCLUSIVE lock: no validated CHECK ({column} IS NOT NULL) proves it first",
                    "Add the CHECK NOT VALID and VALIDATE it in earlier migrations, then SET NOT "
                    "NULL.",
                    object=f"{table}.{column}",
                    location=self.at(statement),
                    service=ctx.service,
                )
        for cmd in cmds:
            subtype = cmd.get("subtype")
            definition = cmd.get("def") or {}
            if subtype == "AT_AddConstraint":
                constraint = definition.get("Constraint", {})
                valid = not constraint.get("skip_validation")
                self._add(checks, relation, constraint, None, validated=valid)
            elif subtype == "AT_AddColumn":
                column_def = definition.get("ColumnDef", {})
                for item in column_def.get("constraints") or ():
                    constraint = item.get("Constraint", {})
                    self._add(checks, relation, constraint, column_def.get("colname"), True)
            elif subtype == "AT_ValidateConstraint" and cmd.get("name") in checks:
                checks[cmd["name"]] = (checks[cmd["name"]][0], True)

    @staticmethod
    def _add(
        checks: dict[str, tuple[set[str], bool]],
        relation: dict[str, Any],
        constraint: dict[str, Any],
        column: str | None,
        validated: bool,
    ) -> None:
        if constraint.get("contype") != "CONSTR_CHECK":
            return
        columns = not_null_columns(constraint.get("raw_expr"))
        if not columns:
            return
        # an unnamed check is named after its table and (first) column by PostgreSQL
        name = constraint.get("conname") or (
            f"{relation.get('relname', '')}_{column or sorted(columns)[0]}_check"
        )
        checks[name] = (columns, validated)
