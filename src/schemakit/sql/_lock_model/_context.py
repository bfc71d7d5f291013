"""What the earlier statements of a file declared, for the lock model of the later ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemakit.sql._lock_model._reading import (
    commands,
    drop_names,
    is_not_null_test,
    reads,
)
from schemakit.sql._lock_model._types import ColumnType
from schemakit.sql._stream import Statement
from schemakit.sql._tree import names, qualified, relation

__all__ = ["ForeignKey", "LockContext"]


@dataclass
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...] = ()
    """Empty when the statement named none (the referenced table's primary key)."""
    on_delete: str = "a"
    """libpg_query's action letter: ``a`` no action, ``r`` restrict, ``c`` cascade,
    ``n`` set null, ``d`` set default."""


@dataclass
class LockContext:
    """What the earlier statements of a file declared, for the later ones' sake."""

    foreign_keys: dict[tuple[str, str], ForeignKey] = field(default_factory=dict)
    """(table, constraint name) -> the foreign key."""
    not_null_checks: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    """(table, constraint name) -> (column, validated) of ``CHECK (column IS NOT NULL)``."""
    column_types: dict[str, dict[str, ColumnType]] = field(default_factory=dict)
    index_tables: dict[str, str] = field(default_factory=dict)
    """Index ``schema.name`` -> its table."""
    views: dict[str, set[str]] = field(default_factory=dict)
    """View or materialized view -> the relations its query reads."""
    volatility: dict[str, str] = field(default_factory=dict)
    """Function (``schema.name``, and the bare name) -> ``immutable``, ``stable`` or
    ``volatile`` (PostgreSQL's default), as ``CREATE FUNCTION`` declared it."""

    def references_of(self, table: str) -> list[ForeignKey]:
        """The foreign keys declared on ``table`` (outgoing)."""
        return [fk for (owner, _), fk in self.foreign_keys.items() if owner == table]

    def referenced_by(self, table: str) -> list[ForeignKey]:
        """The foreign keys of other tables that reference ``table`` (incoming)."""
        return [
            fk for fk in self.foreign_keys.values() if fk.references == table and fk.table != table
        ]

    def proven_not_null(self, table: str, column: str) -> bool:
        return any(
            owner == table and col == column and valid
            for (owner, _), (col, valid) in self.not_null_checks.items()
        )

    def learn(self, statement: Statement) -> None:
        """Remember what ``statement`` declares."""
        node, kind = statement.node, statement.kind
        if kind == "CreateStmt":
            self._learn_create(node)
        elif kind == "AlterTableStmt" and node.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE":
            self._learn_alter(node)
        elif kind == "IndexStmt" and node.get("idxname"):
            table = relation(node.get("relation"))
            schema = table.split(".", 1)[0]
            self.index_tables[f"{schema}.{node['idxname']}"] = table
        elif kind == "DropStmt" and node.get("removeType") == "OBJECT_TABLE":
            for table in drop_names(node):
                self._forget(table)
        elif kind == "CreateFunctionStmt":
            parts = names(node.get("funcname"))
            volatility = "volatile"
            for option in node.get("options") or ():
                element = option.get("DefElem", {})
                if element.get("defname") == "volatility":
                    volatility = element.get("arg", {}).get("String", {}).get("sval", volatility)
            self.volatility[qualified(parts)] = self.volatility[parts[-1]] = volatility
        elif kind == "ViewStmt":
            name = relation(node.get("view"))
            self.views[name] = {
                e.object for e in reads(node.get("query") or {}, self.views).result()
            }
        elif kind == "CreateTableAsStmt" and node.get("objtype") == "OBJECT_MATVIEW":
            name = relation((node.get("into") or {}).get("rel"))
            self.views[name] = {
                e.object for e in reads(node.get("query") or {}, self.views).result()
            }
        elif kind == "RenameStmt" and node.get("renameType") == "OBJECT_TABLE":
            old = relation(node.get("relation"))
            new = f"{old.split('.', 1)[0]}.{node.get('newname', '')}"
            self._rename(old, new)

    def _learn_create(self, node: dict[str, Any]) -> None:
        table = relation(node.get("relation"))
        self._forget(table)
        columns = self.column_types.setdefault(table, {})
        for element in node.get("tableElts") or ():
            column = element.get("ColumnDef")
            if column is not None:
                colname = column.get("colname", "")
                if column.get("typeName"):
                    columns[colname] = ColumnType.of(column["typeName"])
                for item in column.get("constraints") or ():
                    self._learn_constraint(table, item.get("Constraint", {}), (colname,))
            elif "Constraint" in element:
                self._learn_constraint(table, element["Constraint"], ())

    def _learn_alter(self, node: dict[str, Any]) -> None:
        table = relation(node.get("relation"))
        columns = self.column_types.setdefault(table, {})
        for cmd in commands(node):
            subtype, definition = cmd.get("subtype", ""), cmd.get("def") or {}
            if subtype == "AT_AddColumn":
                column = definition.get("ColumnDef", {})
                colname = column.get("colname", "")
                if column.get("typeName"):
                    columns[colname] = ColumnType.of(column["typeName"])
                for item in column.get("constraints") or ():
                    self._learn_constraint(table, item.get("Constraint", {}), (colname,))
            elif subtype == "AT_AlterColumnType":
                column = definition.get("ColumnDef", {})
                if column.get("typeName"):
                    columns[cmd.get("name", "")] = ColumnType.of(column["typeName"])
            elif subtype == "AT_AddConstraint":
                self._learn_constraint(table, definition.get("Constraint", {}), ())
            elif subtype == "AT_ValidateConstraint":
                key = (table, cmd.get("name", ""))
                if key in self.not_null_checks:
                    self.not_null_checks[key] = (self.not_null_checks[key][0], True)
            elif subtype == "AT_DropConstraint":
                key = (table, cmd.get("name", ""))
                self.foreign_keys.pop(key, None)
                self.not_null_checks.pop(key, None)

    def _learn_constraint(
        self, table: str, constraint: dict[str, Any], columns: tuple[str, ...]
    ) -> None:
        contype = constraint.get("contype")
        name = table.split(".", 1)[1]
        if contype == "CONSTR_FOREIGN":
            cols = tuple(names(constraint.get("fk_attrs"))) or columns
            conname = constraint.get("conname") or f"{name}_{'_'.join(cols)}_fkey"
            self.foreign_keys[(table, conname)] = ForeignKey(
                conname,
                table,
                cols,
                relation(constraint.get("pktable")),
                tuple(names(constraint.get("pk_attrs"))),
                constraint.get("fk_del_action") or "a",
            )
        elif contype == "CONSTR_CHECK":
            column = is_not_null_test(constraint.get("raw_expr") or {})
            if column:
                conname = constraint.get("conname") or f"{name}_{column}_check"
                valid = not constraint.get("skip_validation")
                self.not_null_checks[(table, conname)] = (column, valid)
        elif contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") and not constraint.get("indexname"):
            keys = tuple(names(constraint.get("keys"))) or columns
            suffix = "pkey" if contype == "CONSTR_PRIMARY" else f"{'_'.join(keys)}_key"
            index = constraint.get("conname") or f"{name}_{suffix}"
            self.index_tables[f"{table.split('.', 1)[0]}.{index}"] = table

    def _forget(self, table: str) -> None:
        self.column_types.pop(table, None)
        self.views.pop(table, None)
        for store in (self.foreign_keys, self.not_null_checks):
            for key in [k for k in store if k[0] == table]:
                del store[key]
        for index in [i for i, t in self.index_tables.items() if t == table]:
            del self.index_tables[index]

    def _rename(self, old: str, new: str) -> None:
        if old in self.column_types:
            self.column_types[new] = self.column_types.pop(old)
        for key in [k for k in self.foreign_keys if k[0] == old]:
            fk = self.foreign_keys.pop(key)
            fk.table = new
            self.foreign_keys[(new, key[1])] = fk
        for fk in self.foreign_keys.values():
            if fk.references == old:
                fk.references = new
        for key in [k for k in self.not_null_checks if k[0] == old]:
            self.not_null_checks[(new, key[1])] = self.not_null_checks.pop(key)
        for index, table in list(self.index_tables.items()):
            if table == old:
                self.index_tables[index] = new
