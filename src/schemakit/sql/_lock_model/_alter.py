"""The locks of ``ALTER TABLE``: the table of subcommands, and those whose lock depends on
what they add (columns, constraints, types, options, partitions)."""

from __future__ import annotations

from typing import Any

from schemakit.sql._lock_model._context import LockContext
from schemakit.sql._lock_model._modes import (
    ACCESS_EXCLUSIVE,
    ACCESS_SHARE,
    ROW_SHARE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    UNKNOWN,
    Effects,
    LockEffect,
)
from schemakit.sql._lock_model._reading import OBJECT_KINDS, commands, volatile_call
from schemakit.sql._lock_model._types import (
    SERIAL_TYPES,
    ColumnType,
    plain_using,
    type_change_note,
)
from schemakit.sql._tree import names, relation

__all__ = ["alter_table"]

# ALTER TABLE subcommands: (mode, rewrites, scans, note). Subcommands with a handler below
# (columns added, constraints, types, options, partitions) are not listed here.
_ALTER: dict[str, tuple[str, bool, bool, str]] = {
    "AT_ColumnDefault": (ACCESS_EXCLUSIVE, False, False, "SET/DROP DEFAULT: catalog only"),
    "AT_CookedColumnDefault": (ACCESS_EXCLUSIVE, False, False, "SET DEFAULT: catalog only"),
    "AT_DropNotNull": (ACCESS_EXCLUSIVE, False, False, "DROP NOT NULL: catalog only"),
    "AT_DropColumn": (ACCESS_EXCLUSIVE, False, False, "DROP COLUMN: catalog only, no rewrite"),
    "AT_SetStorage": (ACCESS_EXCLUSIVE, False, False, "SET STORAGE"),
    "AT_SetCompression": (ACCESS_EXCLUSIVE, False, False, "SET COMPRESSION: new rows only"),
    "AT_DropExpression": (ACCESS_EXCLUSIVE, False, False, "DROP EXPRESSION"),
    "AT_AddIdentity": (ACCESS_EXCLUSIVE, False, False, "ADD GENERATED AS IDENTITY"),
    "AT_SetIdentity": (ACCESS_EXCLUSIVE, False, False, "identity options"),
    "AT_DropIdentity": (ACCESS_EXCLUSIVE, False, False, "DROP IDENTITY"),
    "AT_SetStatistics": (SHARE_UPDATE_EXCLUSIVE, False, False, "SET STATISTICS"),
    "AT_SetOptions": (SHARE_UPDATE_EXCLUSIVE, False, False, "column SET (...)"),
    "AT_ResetOptions": (SHARE_UPDATE_EXCLUSIVE, False, False, "column RESET (...)"),
    "AT_ClusterOn": (SHARE_UPDATE_EXCLUSIVE, False, False, "CLUSTER ON"),
    "AT_DropCluster": (SHARE_UPDATE_EXCLUSIVE, False, False, "SET WITHOUT CLUSTER"),
    "AT_AlterConstraint": (ACCESS_EXCLUSIVE, False, False, "ALTER CONSTRAINT"),
    "AT_ChangeOwner": (ACCESS_EXCLUSIVE, False, False, "OWNER TO"),
    "AT_SetLogged": (ACCESS_EXCLUSIVE, True, True, "SET LOGGED: rewrites the table"),
    "AT_SetUnLogged": (ACCESS_EXCLUSIVE, True, True, "SET UNLOGGED: rewrites the table"),
    "AT_SetAccessMethod": (ACCESS_EXCLUSIVE, True, True, "SET ACCESS METHOD: rewrites"),
    "AT_SetTableSpace": (ACCESS_EXCLUSIVE, True, True, "SET TABLESPACE: copies the files"),
    "AT_ReplicaIdentity": (ACCESS_EXCLUSIVE, False, False, "REPLICA IDENTITY"),
    "AT_EnableRowSecurity": (ACCESS_EXCLUSIVE, False, False, "ENABLE ROW LEVEL SECURITY"),
    "AT_DisableRowSecurity": (ACCESS_EXCLUSIVE, False, False, "DISABLE ROW LEVEL SECURITY"),
    "AT_ForceRowSecurity": (ACCESS_EXCLUSIVE, False, False, "FORCE ROW LEVEL SECURITY"),
    "AT_NoForceRowSecurity": (ACCESS_EXCLUSIVE, False, False, "NO FORCE ROW LEVEL SECURITY"),
    "AT_AddOf": (ACCESS_EXCLUSIVE, False, False, "OF type"),
    "AT_DropOf": (ACCESS_EXCLUSIVE, False, False, "NOT OF"),
    "AT_GenericOptions": (ACCESS_EXCLUSIVE, False, False, "OPTIONS (...)"),
    "AT_AlterColumnGenericOptions": (ACCESS_EXCLUSIVE, False, False, "column OPTIONS (...)"),
    "AT_DetachPartitionFinalize": (SHARE_UPDATE_EXCLUSIVE, False, False, "DETACH FINALIZE"),
    **dict.fromkeys(
        (
            "AT_EnableTrig",
            "AT_EnableAlwaysTrig",
            "AT_EnableReplicaTrig",
            "AT_EnableTrigAll",
            "AT_EnableTrigUser",
            "AT_DisableTrig",
            "AT_DisableTrigAll",
            "AT_DisableTrigUser",
        ),
        (SHARE_ROW_EXCLUSIVE, False, False, "ENABLE/DISABLE TRIGGER"),
    ),
    **dict.fromkeys(
        ("AT_EnableRule", "AT_EnableAlwaysRule", "AT_EnableReplicaRule", "AT_DisableRule"),
        (ACCESS_EXCLUSIVE, False, False, "ENABLE/DISABLE RULE"),
    ),
}

# Storage parameters whose change takes only SHARE UPDATE EXCLUSIVE (the rest, and every
# view option, take ACCESS EXCLUSIVE).
_LIGHT_OPTIONS = frozenset(
    {
        "fillfactor",
        "parallel_workers",
        "toast_tuple_target",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "log_autovacuum_min_duration",
        "n_distinct",
        "n_distinct_inherited",
    }
)


def alter_table(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = relation(node.get("relation"))
    kind = OBJECT_KINDS.get(node.get("objtype", "OBJECT_TABLE"), "table")
    effects = Effects()
    for cmd in commands(node):
        subtype = cmd.get("subtype", "")
        definition = cmd.get("def") or {}
        known = _ALTER.get(subtype)
        if known is not None:
            mode, rewrites, scans, note = known
            effects.add(table, kind, mode, note, rewrites=rewrites, scans=scans)
        elif subtype == "AT_AddColumn":
            _add_column(effects, table, kind, definition.get("ColumnDef", {}), context)
        elif subtype == "AT_AddConstraint":
            _add_constraint(effects, table, kind, definition.get("Constraint", {}))
        elif subtype == "AT_AddIndex":
            effects.add(table, kind, ACCESS_EXCLUSIVE, "ADD index constraint", scans=True)
        elif subtype == "AT_AddIndexConstraint":
            effects.add(table, kind, ACCESS_EXCLUSIVE, "ADD CONSTRAINT ... USING INDEX")
        elif subtype == "AT_ValidateConstraint":
            _validate(effects, table, kind, cmd.get("name", ""), context)
        elif subtype == "AT_DropConstraint":
            effects.add(table, kind, ACCESS_EXCLUSIVE, f"DROP CONSTRAINT {cmd.get('name', '')}")
            fk = context.foreign_keys.get((table, cmd.get("name", "")))
            if fk is not None and fk.references != table:
                effects.add(
                    fk.references,
                    "table",
                    ACCESS_EXCLUSIVE,
                    f"its foreign-key triggers are dropped ({fk.name})",
                )
        elif subtype == "AT_AlterColumnType":
            column = definition.get("ColumnDef", {})
            name = cmd.get("name", "")
            old = context.column_types.get(table, {}).get(name)
            new = ColumnType.of(column.get("typeName") or {})
            using = column.get("raw_default")
            rewrites, note = type_change_note(
                old, new, using is not None and not plain_using(using, name, new)
            )
            effects.add(table, kind, ACCESS_EXCLUSIVE, note, rewrites=rewrites, scans=rewrites)
        elif subtype == "AT_SetNotNull":
            column = cmd.get("name", "")
            if context.proven_not_null(table, column):
                note = f"SET NOT NULL {column}: a valid CHECK ({column} IS NOT NULL) skips the scan"
                effects.add(table, kind, ACCESS_EXCLUSIVE, note)
            else:
                note = f"SET NOT NULL {column}: scans the table (no valid CHECK proves it)"
                effects.add(table, kind, ACCESS_EXCLUSIVE, note, scans=True)
        elif subtype in ("AT_SetRelOptions", "AT_ResetRelOptions", "AT_ReplaceRelOptions"):
            options = [
                item.get("DefElem", {}).get("defname", "")
                for item in definition.get("List", {}).get("items") or ()
            ]
            light = (
                kind != "view"
                and subtype != "AT_ReplaceRelOptions"
                and all(o in _LIGHT_OPTIONS or o.startswith("autovacuum_") for o in options)
            )
            mode = SHARE_UPDATE_EXCLUSIVE if light else ACCESS_EXCLUSIVE
            effects.add(table, kind, mode, f"storage parameters {', '.join(options)}")
        elif subtype == "AT_AttachPartition":
            partition = relation(definition.get("PartitionCmd", {}).get("name"))
            if kind == "index":
                effects.add(table, kind, SHARE_UPDATE_EXCLUSIVE, "ATTACH PARTITION (index)")
                effects.add(partition, "index", ACCESS_EXCLUSIVE, "attached index")
                continue
            effects.add(table, kind, SHARE_UPDATE_EXCLUSIVE, f"ATTACH PARTITION {partition}")
            effects.add(
                partition,
                "table",
                ACCESS_EXCLUSIVE,
                "scanned to check the bound unless a valid CHECK implies it",
                scans=True,
            )
        elif subtype == "AT_DetachPartition":
            partition = relation(definition.get("PartitionCmd", {}).get("name"))
            concurrent = definition.get("PartitionCmd", {}).get("concurrent")
            mode = SHARE_UPDATE_EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
            effects.add(table, kind, mode, f"DETACH PARTITION {partition}")
            effects.add(partition, "table", mode, "detached partition")
        elif subtype in ("AT_AddInherit", "AT_DropInherit"):
            parent = relation(definition)
            adding = subtype == "AT_AddInherit"
            verb = "INHERIT" if adding else "NO INHERIT"
            effects.add(table, kind, ACCESS_EXCLUSIVE, f"{verb} {parent}")
            parent_mode = SHARE_UPDATE_EXCLUSIVE if adding else ACCESS_SHARE
            effects.add(parent, "table", parent_mode, f"parent of {verb}")
        else:
            effects.add(table, kind, UNKNOWN, f"no lock model for {subtype}")
    return effects.result()


def _add_column(
    effects: Effects,
    table: str,
    kind: str,
    column: dict[str, Any],
    context: LockContext,
) -> None:
    name = column.get("colname", "")
    constraints = [c.get("Constraint", {}) for c in column.get("constraints") or ()]
    type_name = (names((column.get("typeName") or {}).get("names")) or [""])[-1].lower()
    rewrite_reason = ""
    scan_reason = ""
    # A REFERENCES on a new column checks the rows only when the column has a default:
    # otherwise it is all NULL and the key is marked valid unchecked (seen on PostgreSQL 15).
    has_default = any(c.get("contype") == "CONSTR_DEFAULT" for c in constraints)
    for constraint in constraints:
        contype = constraint.get("contype")
        if contype == "CONSTR_DEFAULT":
            volatile = volatile_call(constraint.get("raw_expr") or {}, context.volatility)
            if volatile:
                rewrite_reason = f"volatile default {volatile}"
        elif contype == "CONSTR_IDENTITY":
            rewrite_reason = "identity column (nextval default)"
        elif contype == "CONSTR_GENERATED":
            rewrite_reason = "stored generated column"
        elif contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"):
            scan_reason = scan_reason or "builds an index"
        elif contype == "CONSTR_CHECK" and not constraint.get("skip_validation"):
            scan_reason = scan_reason or "checks the CHECK constraint"
        elif contype == "CONSTR_FOREIGN":
            _foreign_key(effects, table, kind, constraint, validated=has_default)
    if type_name in SERIAL_TYPES:
        rewrite_reason = f"{type_name} (nextval default)"
    not_null = any(c.get("contype") == "CONSTR_NOTNULL" for c in constraints)
    if not has_default and not rewrite_reason and not_null:
        scan_reason = scan_reason or "NOT NULL without a default (fails unless empty)"
    if rewrite_reason:
        effects.add(
            table,
            kind,
            ACCESS_EXCLUSIVE,
            f"ADD COLUMN {name}: {rewrite_reason} rewrites the table",
            rewrites=True,
            scans=True,
        )
    elif scan_reason:
        effects.add(table, kind, ACCESS_EXCLUSIVE, f"ADD COLUMN {name}: {scan_reason}", scans=True)
    else:
        note = f"ADD COLUMN {name}: no rewrite" + (" (non-volatile default)" if has_default else "")
        effects.add(table, kind, ACCESS_EXCLUSIVE, note)


def _add_constraint(effects: Effects, table: str, kind: str, constraint: dict[str, Any]) -> None:
    contype = constraint.get("contype", "")
    name = constraint.get("conname") or ""
    label = f"ADD CONSTRAINT {name}".rstrip()
    if contype == "CONSTR_FOREIGN":
        _foreign_key(
            effects, table, kind, constraint, validated=not constraint.get("skip_validation")
        )
    elif contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"):
        if constraint.get("indexname"):
            effects.add(table, kind, ACCESS_EXCLUSIVE, f"{label} USING INDEX: no build")
        else:
            effects.add(table, kind, ACCESS_EXCLUSIVE, f"{label}: builds an index", scans=True)
    elif contype == "CONSTR_CHECK":
        if constraint.get("skip_validation"):
            effects.add(table, kind, ACCESS_EXCLUSIVE, f"{label} CHECK NOT VALID: no scan")
        else:
            effects.add(
                table, kind, ACCESS_EXCLUSIVE, f"{label} CHECK: scans the table", scans=True
            )
    else:
        effects.add(table, kind, ACCESS_EXCLUSIVE, label)


def _foreign_key(
    effects: Effects,
    table: str,
    kind: str,
    constraint: dict[str, Any],
    *,
    validated: bool,
) -> None:
    referenced = relation(constraint.get("pktable"))
    if validated:
        how = "validates every row"
    elif constraint.get("skip_validation"):
        how = "NOT VALID: no scan"
    else:
        how = "new all-NULL column: marked valid without a scan"
    effects.add(
        table,
        kind,
        SHARE_ROW_EXCLUSIVE,
        f"ADD FOREIGN KEY to {referenced}: {how}",
        scans=validated,
    )
    if referenced != table:
        effects.add(referenced, "table", SHARE_ROW_EXCLUSIVE, f"referenced by {table}")


def _validate(effects: Effects, table: str, kind: str, name: str, context: LockContext) -> None:
    effects.add(
        table, kind, SHARE_UPDATE_EXCLUSIVE, f"VALIDATE CONSTRAINT {name}: scans", scans=True
    )
    fk = context.foreign_keys.get((table, name))
    if fk is not None and fk.references != table:
        effects.add(fk.references, "table", ROW_SHARE, f"referenced by {name}")
