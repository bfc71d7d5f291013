"""Which objects a stream of statements creates, so findings can point at the creating line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemakit.sql._stream import Statement

__all__ = ["CreatedObject", "created_objects"]


@dataclass(frozen=True, slots=True)
class CreatedObject:
    kind: str
    """``schema``, ``table``, ``view``, ``type``, ``sequence``, ``function``, ``index`` or
    ``constraint``."""
    path: str
    """``schema.name``; for a constraint ``schema.table.constraint``; for a schema its name."""
    statement: Statement


def _names(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["String"]["sval"] for n in nodes if "String" in n]


def created_objects(
    statements: Iterable[Statement], search_path: str = "public"
) -> list[CreatedObject]:
    """Objects created by ``statements``; unqualified names resolve like ``search_path`` would.

    ``SET search_path`` statements in the stream are followed, so a migration that sets its
    schema first and then creates unqualified tables is attributed correctly.
    """
    from pglast import parser

    default = search_path
    found: list[CreatedObject] = []
    for statement in statements:
        try:
            tree = json.loads(parser.parse_sql_json(statement.text))
        except parser.ParseError:
            continue
        for raw in tree.get("stmts", ()):
            node = raw.get("stmt", {})
            if not node:
                continue
            kind, body = next(iter(node.items()))
            if kind == "VariableSetStmt" and body.get("name") == "search_path":
                values = [
                    a["A_Const"]["sval"]["sval"]
                    for a in body.get("args", ())
                    if "A_Const" in a and "sval" in a["A_Const"]
                ]
                values = [v for v in values if v != "$user"]
                if values:
                    default = values[0]
                elif body.get("kind") in ("VAR_SET_DEFAULT", "VAR_RESET"):
                    default = search_path
                continue
            for obj_kind, path in _created(kind, body, default):
                found.append(CreatedObject(obj_kind, path, statement))
    return found


def _relation(rel: dict[str, Any], default: str) -> str:
    return f"{rel.get('schemaname') or default}.{rel['relname']}"


def _qualified(names: list[str], default: str) -> str:
    return ".".join(names) if len(names) > 1 else f"{default}.{names[0]}"


def _created(kind: str, body: dict[str, Any], default: str) -> list[tuple[str, str]]:
    if kind == "CreateSchemaStmt" and body.get("schemaname"):
        return [("schema", body["schemaname"])]
    if kind == "CreateStmt":
        table = _relation(body["relation"], default)
        out = [("table", table)]
        for element in body.get("tableElts", ()):
            constraint = element.get("Constraint")
            if constraint and constraint.get("conname"):
                out.append(("constraint", f"{table}.{constraint['conname']}"))
            column = element.get("ColumnDef")
            if column:
                out.append(("column", f"{table}.{column['colname']}"))
        return out
    if kind == "ViewStmt":
        return [("view", _relation(body["view"], default))]
    if kind == "CreateTableAsStmt":
        return [("table", _relation(body["into"]["rel"], default))]
    if kind in ("CreateEnumStmt", "CreateRangeStmt"):
        return [("type", _qualified(_names(body["typeName"]), default))]
    if kind == "CreateDomainStmt":
        return [("type", _qualified(_names(body["domainname"]), default))]
    if kind == "CompositeTypeStmt":
        return [("type", _relation(body["typevar"], default))]
    if kind == "CreateSeqStmt":
        return [("sequence", _relation(body["sequence"], default))]
    if kind == "CreateFunctionStmt":
        return [("function", _qualified(_names(body["funcname"]), default))]
    if kind == "IndexStmt" and body.get("idxname"):
        schema = body["relation"].get("schemaname") or default
        table = _relation(body["relation"], default)
        return [("index", f"{schema}.{body['idxname']}"), ("index", f"{table}.{body['idxname']}")]
    if kind == "AlterTableStmt" and body.get("relation"):
        table = _relation(body["relation"], default)
        out = []
        for cmd in body.get("cmds", ()):
            alter = cmd.get("AlterTableCmd", {})
            definition = alter.get("def", {})
            if alter.get("subtype") == "AT_AddConstraint":
                name = definition.get("Constraint", {}).get("conname")
                if name:
                    out.append(("constraint", f"{table}.{name}"))
            elif alter.get("subtype") == "AT_AddColumn" and "ColumnDef" in definition:
                out.append(("column", f"{table}.{definition['ColumnDef']['colname']}"))
        return out
    return []
