"""The locks of each statement kind but ``ALTER TABLE``: one handler per parse-tree kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemakit.sql._lock_model._alter import alter_table
from schemakit.sql._lock_model._context import LockContext
from schemakit.sql._lock_model._modes import (
    ACCESS_EXCLUSIVE,
    ACCESS_SHARE,
    EXCLUSIVE,
    LOCK_MODES,
    ROW_EXCLUSIVE,
    ROW_SHARE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    UNKNOWN,
    Effects,
    LockEffect,
)
from schemakit.sql._lock_model._reading import (
    OBJECT_KINDS,
    behind_view,
    drop_names,
    reads,
)
from schemakit.sql._tree import enabled_options, names, qualified, relation

__all__ = ["HANDLERS", "NO_RELATION_LOCKS", "Handler"]

Handler = Callable[[dict[str, Any], LockContext], list[LockEffect]]
"""A statement kind's lock model: its parse tree and the file's context to its effects."""


def create_table(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = relation(node.get("relation"))
    effects = Effects()
    parents = [relation(p) for p in node.get("inhRelations") or ()]
    for parent in parents:
        if node.get("partbound"):
            effects.add(parent, "table", ACCESS_EXCLUSIVE, f"PARTITION OF: {table} attached")
        else:
            effects.add(parent, "table", SHARE_UPDATE_EXCLUSIVE, f"INHERITS: parent of {table}")
    for element in node.get("tableElts") or ():
        if "TableLikeClause" in element:
            source = relation(element["TableLikeClause"].get("relation"))
            effects.add(source, "table", ACCESS_SHARE, f"LIKE source of {table}")
        column = element.get("ColumnDef")
        constraints = (
            [c.get("Constraint", {}) for c in column.get("constraints") or ()]
            if column
            else [element.get("Constraint", {})]
        )
        for constraint in constraints:
            if constraint.get("contype") == "CONSTR_FOREIGN":
                referenced = relation(constraint.get("pktable"))
                if referenced != table:
                    effects.add(
                        referenced,
                        "table",
                        SHARE_ROW_EXCLUSIVE,
                        f"referenced by new table {table} (foreign-key triggers)",
                    )
    return effects.result()


def _dml(node: dict[str, Any], context: LockContext, verb: str) -> list[LockEffect]:
    target = node.get("relation") or {}
    readers = reads(node, context.views, skip=[id(target)])
    effects = Effects()
    table = relation(target)
    effects.add(table, "table", ROW_EXCLUSIVE, "writes rows")
    for effect in readers.result():
        effects.add(effect.object, effect.kind, effect.mode, effect.note)
    if verb != "merge":
        updated = {t.get("ResTarget", {}).get("name", "") for t in node.get("targetList") or ()}
        _foreign_key_triggers(effects, table, verb, updated if verb == "update" else set(), context)
    return effects.result()


def _foreign_key_triggers(
    effects: Effects, table: str, verb: str, updated: set[str], context: LockContext
) -> None:
    """The locks foreign-key triggers take for the rows written (only when there are any):
    a key check takes ROW SHARE on the other table, an ON DELETE action ROW EXCLUSIVE."""
    for fk in context.references_of(table):
        if fk.references != table and (verb == "insert" or updated & set(fk.columns)):
            effects.add(
                fk.references,
                "table",
                ROW_SHARE,
                f"foreign-key check of the written rows ({fk.name})",
                conditional=True,
            )
    for fk in context.referenced_by(table):
        if verb == "delete":
            action = fk.on_delete in ("c", "n", "d")
            effects.add(
                fk.table,
                "table",
                ROW_EXCLUSIVE if action else ROW_SHARE,
                f"foreign-key {'action' if action else 'check'} for deleted rows ({fk.name})",
                conditional=True,
            )
        elif verb == "update" and updated & set(fk.referenced_columns):
            effects.add(
                fk.table,
                "table",
                ROW_SHARE,
                f"foreign-key check for changed keys ({fk.name})",
                conditional=True,
            )


def _writer(verb: str) -> Handler:
    def handler(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
        return _dml(node, context, verb)

    return handler


def _select(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    into = (node.get("intoClause") or {}).get("rel") or {}
    return reads(node, context.views, skip=[id(into)]).result()


def _create_table_as(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return reads(node.get("query") or {}, context.views).result()


def _view(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    effects = reads(node.get("query") or {}, context.views)
    if node.get("replace"):
        effects.add(
            relation(node.get("view")), "view", ACCESS_EXCLUSIVE, "OR REPLACE (if it exists)"
        )
    return effects.result()


def _index(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = relation(node.get("relation"))
    if node.get("concurrent"):
        return [
            LockEffect(
                table,
                "table",
                SHARE_UPDATE_EXCLUSIVE,
                scans=True,
                note="CONCURRENTLY: writes go on; two scans, waits for older transactions",
            )
        ]
    return [LockEffect(table, "table", SHARE, scans=True, note="builds the index; writes wait")]


def _drop(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    remove = node.get("removeType", "")
    effects = Effects()
    if remove in ("OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        for item in node.get("objects") or ():
            parts = names(item.get("List", {}).get("items"))
            what = remove.removeprefix("OBJECT_").lower()
            effects.add(qualified(parts[:-1]), "table", ACCESS_EXCLUSIVE, f"DROP {what}")
        return effects.result()
    kind = OBJECT_KINDS.get(remove)
    if kind is None:
        if remove == "OBJECT_SCHEMA" and node.get("behavior") == "DROP_CASCADE":
            return [LockEffect("", "", UNKNOWN, note="DROP SCHEMA CASCADE: everything in it")]
        return []
    concurrent = bool(node.get("concurrent"))
    for name in drop_names(node):
        if kind == "index":
            table = context.index_tables.get(name, "")
            mode = SHARE_UPDATE_EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
            effects.add(name, "index", ACCESS_EXCLUSIVE, "dropped")
            effects.add(table, "table", mode, f"table of dropped {name}", table_of=name)
        elif kind == "type":
            effects.add(name, kind, ACCESS_EXCLUSIVE, "object lock on the type")
        else:
            effects.add(name, kind, ACCESS_EXCLUSIVE, "dropped")
            for fk in context.references_of(name):
                if fk.references != name:
                    effects.add(
                        fk.references,
                        "table",
                        ACCESS_EXCLUSIVE,
                        f"its foreign-key triggers are dropped ({fk.name})",
                    )
    return effects.result()


def _truncate(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return [
        LockEffect(
            relation(r),
            "table",
            ACCESS_EXCLUSIVE,
            rewrites=True,
            note="new empty storage; nothing is copied",
        )
        for r in node.get("relations") or ()
    ]


def _rename(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    rename = node.get("renameType", "")
    target = relation(node.get("relation"))
    if rename == "OBJECT_INDEX":
        return [LockEffect(target, "index", SHARE_UPDATE_EXCLUSIVE, note="RENAME index")]
    if rename in ("OBJECT_COLUMN", "OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY"):
        kind = OBJECT_KINDS.get(node.get("relationType", ""), "table")
        what = rename.removeprefix("OBJECT_").lower().replace("tabconstraint", "constraint")
        return [LockEffect(target, kind, ACCESS_EXCLUSIVE, note=f"RENAME {what}")]
    renamed = OBJECT_KINDS.get(rename)
    if renamed is None or renamed == "type":
        return []
    return [LockEffect(target, renamed, ACCESS_EXCLUSIVE, note=f"RENAME TO {node.get('newname')}")]


def _set_schema(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    kind = OBJECT_KINDS.get(node.get("objectType", ""))
    if kind is None or kind == "type" or not node.get("relation"):
        return []
    return [
        LockEffect(
            relation(node.get("relation")),
            kind,
            ACCESS_EXCLUSIVE,
            note=f"SET SCHEMA {node.get('newschema', '')}",
        )
    ]


def _lock(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    mode = node.get("mode", 8)
    name = LOCK_MODES[mode - 1] if 1 <= mode <= 8 else UNKNOWN
    return [
        LockEffect(relation(r), "table", name, note="LOCK TABLE")
        for r in node.get("relations") or ()
    ]


def _trigger(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = relation(node.get("relation"))
    effects = [LockEffect(table, "table", SHARE_ROW_EXCLUSIVE, note="CREATE TRIGGER")]
    if node.get("isconstraint") and node.get("constrrel"):
        other = relation(node.get("constrrel"))
        effects.append(LockEffect(other, "table", ACCESS_SHARE, note="FROM table"))
    return effects


def _whole_table(mode: str, note: str, *, rewrites: bool = False, scans: bool = False) -> Handler:
    def handler(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
        target = relation(node.get("relation"))
        return [LockEffect(target, "table", mode, rewrites=rewrites, scans=scans, note=note)]

    return handler


def _cluster(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    if not node.get("relation"):
        return [LockEffect("", "", UNKNOWN, note="CLUSTER of every table clustered before")]
    note = "CLUSTER: rewrites"
    return [LockEffect(relation(node["relation"]), "table", ACCESS_EXCLUSIVE, True, True, note)]


def _reindex(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    target = relation(node.get("relation"))
    params = enabled_options(node.get("params"))
    if "concurrently" in params and node.get("kind") in (
        "REINDEX_OBJECT_INDEX",
        "REINDEX_OBJECT_TABLE",
    ):
        if node.get("kind") == "REINDEX_OBJECT_INDEX":
            return [
                LockEffect(target, "index", SHARE_UPDATE_EXCLUSIVE, note="CONCURRENTLY"),
                LockEffect(
                    context.index_tables.get(target, ""),
                    "table",
                    SHARE_UPDATE_EXCLUSIVE,
                    scans=True,
                    note="CONCURRENTLY: writes go on",
                    table_of=target,
                ),
            ]
        note = "CONCURRENTLY: every index rebuilt beside the old; writes go on"
        return [LockEffect(target, "table", SHARE_UPDATE_EXCLUSIVE, scans=True, note=note)]
    if node.get("kind") == "REINDEX_OBJECT_INDEX":
        return [
            LockEffect(target, "index", ACCESS_EXCLUSIVE, rewrites=True, note="rebuilt"),
            LockEffect(
                context.index_tables.get(target, ""),
                "table",
                SHARE,
                scans=True,
                note="read to rebuild the index; writes wait",
                table_of=target,
            ),
        ]
    if node.get("kind") == "REINDEX_OBJECT_TABLE":
        return [
            LockEffect(target, "table", SHARE, scans=True, note="every index rebuilt; writes wait")
        ]
    return [LockEffect("", "", UNKNOWN, note="REINDEX of a schema or database")]


_ON_TABLE = frozenset({"OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"})


def _comment(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    objtype = node.get("objtype", "")
    parts = names((node.get("object") or {}).get("List", {}).get("items"))
    if objtype == "OBJECT_COLUMN":
        return [LockEffect(qualified(parts[:-1]), "table", SHARE_UPDATE_EXCLUSIVE, note="COMMENT")]
    if objtype in _ON_TABLE:
        what = objtype.removeprefix("OBJECT_").lower().replace("tabconstraint", "constraint")
        note = f"COMMENT ON {what}: the table is only opened"
        return [LockEffect(qualified(parts[:-1]), "table", ACCESS_SHARE, note=note)]
    kind = OBJECT_KINDS.get(objtype)
    if kind is None or kind == "type":
        return []
    return [LockEffect(qualified(parts), kind, SHARE_UPDATE_EXCLUSIVE, note="COMMENT")]


def _sequence(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    effects = []
    for option in node.get("options") or ():
        element = option.get("DefElem", {})
        if element.get("defname") == "owned_by":
            parts = names(element.get("arg", {}).get("List", {}).get("items"))
            if len(parts) >= 2:
                effects.append(
                    LockEffect(qualified(parts[:-1]), "table", ACCESS_SHARE, note="OWNED BY")
                )
    return effects


def _alter_sequence(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    sequence = relation(node.get("sequence"))
    options = [o.get("DefElem", {}).get("defname", "") for o in node.get("options") or ()]
    # Any change but OWNED BY writes the sequence's one row to new storage.
    rewrites = any(o != "owned_by" for o in options)
    note = "ALTER SEQUENCE" + (": new sequence storage (one row)" if rewrites else "")
    return [
        LockEffect(sequence, "sequence", SHARE_ROW_EXCLUSIVE, rewrites=rewrites, note=note),
        *_sequence(node, context),
    ]


def _policy(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return [LockEffect(relation(node.get("table")), "table", ACCESS_EXCLUSIVE, note="policy")]


def _statistics(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return [
        LockEffect(relation(r), "table", SHARE_UPDATE_EXCLUSIVE, note="CREATE STATISTICS")
        for r in node.get("relations") or ()
    ]


def _refresh(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    view = relation(node.get("relation"))
    concurrent = bool(node.get("concurrent"))
    effects = Effects()
    note = "CONCURRENTLY: reads go on; diffs into place" if concurrent else "replaces the contents"
    if view not in context.views:
        note += "; the tables it reads are not known here"
    mode = EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
    effects.add(view, "materialized view", mode, note, rewrites=not concurrent, scans=concurrent)
    behind_view(effects, context.views, view)
    return effects.result()


def _vacuum(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    options = enabled_options(node.get("options"))
    relations = [
        relation(r.get("VacuumRelation", {}).get("relation")) for r in node.get("rels") or ()
    ]
    if not relations:
        return [LockEffect("", "", UNKNOWN, note="VACUUM/ANALYZE of the whole database")]
    if node.get("is_vacuumcmd") and "full" in options:
        return [
            LockEffect(r, "table", ACCESS_EXCLUSIVE, True, True, "VACUUM FULL: rewrites")
            for r in relations
        ]
    verb = "VACUUM" if node.get("is_vacuumcmd") else "ANALYZE (reads a sample)"
    return [LockEffect(r, "table", SHARE_UPDATE_EXCLUSIVE, note=verb) for r in relations]


def _alter_enum(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    name = qualified(names(node.get("typeName")))
    if node.get("oldVal"):
        return [LockEffect(name, "type", UNKNOWN, note="RENAME VALUE: lock not modelled")]
    return [LockEffect(name, "type", EXCLUSIVE, note="ADD VALUE: object lock on the type")]


def _alter_domain(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    """``ADD CONSTRAINT``, ``VALIDATE CONSTRAINT`` and ``SET NOT NULL`` check every row of
    every column of the domain, under SHARE on each table (the tables this file saw use it);
    the other forms change the catalog only."""
    parts = names(node.get("typeName"))
    domain = qualified(parts)
    constraint = (node.get("def") or {}).get("Constraint") or {}
    subtype = node.get("subtype", "")
    if subtype not in ("C", "V", "O") or (subtype == "C" and constraint.get("skip_validation")):
        return []
    spellings = {domain, ".".join(parts)} | ({parts[-1]} if domain.startswith("public.") else set())
    what = {"C": "ADD CONSTRAINT", "V": "VALIDATE CONSTRAINT", "O": "SET NOT NULL"}[subtype]
    effects = [
        LockEffect(
            table, "table", SHARE, scans=True, note=f"{what} on domain {domain}: checks rows"
        )
        for table, columns in context.column_types.items()
        if any(c.name in spellings for c in columns.values())
    ]
    return effects or [
        LockEffect(domain, "type", SHARE, note=f"{what}: tables with a column of it are read")
    ]


def _copy(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    if not node.get("relation"):
        return reads(node.get("query") or {}, context.views).result()
    mode = ROW_EXCLUSIVE if node.get("is_from") else ACCESS_SHARE
    return [LockEffect(relation(node.get("relation")), "table", mode, note="COPY")]


HANDLERS: dict[str, Handler] = {
    "AlterTableStmt": alter_table,
    "CreateStmt": create_table,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "TruncateStmt": _truncate,
    "RenameStmt": _rename,
    "AlterObjectSchemaStmt": _set_schema,
    "LockStmt": _lock,
    "CreateTrigStmt": _trigger,
    "InsertStmt": _writer("insert"),
    "UpdateStmt": _writer("update"),
    "DeleteStmt": _writer("delete"),
    "MergeStmt": _writer("merge"),
    "SelectStmt": _select,
    "CreateTableAsStmt": _create_table_as,
    "ViewStmt": _view,
    "ClusterStmt": _cluster,
    "ReindexStmt": _reindex,
    "CommentStmt": _comment,
    "CreateSeqStmt": _sequence,
    "AlterSeqStmt": _alter_sequence,
    "CreatePolicyStmt": _policy,
    "AlterPolicyStmt": _policy,
    "RuleStmt": _whole_table(ACCESS_EXCLUSIVE, "CREATE RULE"),
    "CreateStatsStmt": _statistics,
    "RefreshMatViewStmt": _refresh,
    "AlterEnumStmt": _alter_enum,
    "AlterDomainStmt": _alter_domain,
    "VacuumStmt": _vacuum,
    "CopyStmt": _copy,
}

# Statements that lock no existing relation (they create objects, or touch none).
NO_RELATION_LOCKS = frozenset(
    {
        "VariableSetStmt",
        "VariableShowStmt",
        "TransactionStmt",
        "CreateSchemaStmt",
        "CreateFunctionStmt",
        "CreateEnumStmt",
        "CompositeTypeStmt",
        "CreateDomainStmt",
        "CreateRangeStmt",
        "DefineStmt",
        "CreateRoleStmt",
        "AlterRoleStmt",
        "DropRoleStmt",
        "GrantRoleStmt",
        "AlterDefaultPrivilegesStmt",
        "GrantStmt",
        "AlterOwnerStmt",
        "AlterFunctionStmt",
        "CreateCastStmt",
        "CreateConversionStmt",
        "CreateOpClassStmt",
        "CreateTableSpaceStmt",
        "DropTableSpaceStmt",
        "CreatedbStmt",
        "DropdbStmt",
        "AlterSystemStmt",
    }
)
