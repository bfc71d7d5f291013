"""Which locks a migration statement takes, on which objects, read from its parse tree.

A static model of PostgreSQL 15's locking, after the "Explicit Locking" chapter and the lock
notes of ``ALTER TABLE``: for each statement, the lock mode (spelled as ``pg_locks`` spells
it) on each existing object it names, and whether it rewrites the object (new storage: every
row copied, or for ``TRUNCATE`` none kept) or reads every row while holding the lock (a
validation scan, an index build, the read side of a rewrite).

:func:`explain_all` walks a file in order with a :class:`LockContext` of what earlier
statements (and any migrations the file runs after) declared: foreign keys, ``CHECK (c IS NOT
NULL)`` constraints, column types, which table an index is on, what a view reads, how
volatile a function is. So ``VALIDATE CONSTRAINT`` also takes ROW SHARE on the referenced
table, ``varchar(50)`` to ``varchar(100)`` is no rewrite, ``SET NOT NULL`` after a validated
``CHECK`` scans nothing, and an ``INSERT`` checks its foreign keys under ROW SHARE on the
referenced table (marked conditional: no row, no check). :func:`explain` alone sees one
statement with whatever context it is given.

What it does not know, because it reads no catalog:

- objects the statement does not name: a table's indexes, toast table and owned sequences
  (locked along with it), inheritance children and partitions (locked with the parent),
  the tables a function, trigger or ``DO`` block touches, what a view it did not see
  created reads;
- declarations it did not see: the foreign keys ``DROP TABLE``, ``DROP CONSTRAINT`` and
  DML triggers lock the other side of, the old type of a column (a type change is then
  taken as a rewrite, with a note), a function's volatility (unknown functions in a
  ``DEFAULT`` are taken as volatile, PostgreSQL's own default for them), a ``CHECK`` that
  proves ``SET NOT NULL``, the table of an index (reported as "table of <index>");
- unqualified names are taken as ``public`` (``SET search_path`` is not followed).

A statement kind it has no model for yields one effect with mode ``unknown``, never a guess.
An empty list means no lock on an existing relation (``CREATE FUNCTION``, ``SET``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemakit.sql._stream import Statement
from schemakit.sql._tree import names as _names
from schemakit.sql._tree import qualified as _qualified
from schemakit.sql._tree import relation as _relation

__all__ = [
    "LOCK_MODES",
    "UNKNOWN",
    "ColumnType",
    "LockContext",
    "LockEffect",
    "explain",
    "explain_all",
    "lock_strength",
    "plain_using",
    "type_change_rewrites",
]

LOCK_MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
"""The table lock modes, weakest first, as ``pg_locks.mode`` names them (``LOCK TABLE``'s
mode number is the position plus one)."""

UNKNOWN = "unknown"

(ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE) = LOCK_MODES[:4]
(SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE) = LOCK_MODES[4:]


def lock_strength(mode: str) -> int:
    """1 (AccessShareLock) to 8 (AccessExclusiveLock); 0 for anything else."""
    try:
        return LOCK_MODES.index(mode) + 1
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class LockEffect:
    """One lock a statement takes on one object."""

    object: str
    """``schema.name`` as written (``public`` when unqualified); empty with ``table_of``."""
    kind: str
    """``table``, ``index``, ``sequence``, ``view``, ``materialized view``, ``foreign
    table``, ``type``, or empty for an unknown statement."""
    mode: str
    """A name of :data:`LOCK_MODES`, or ``unknown``."""
    rewrites: bool = False
    scans: bool = False
    note: str = ""
    table_of: str = ""
    """For a lock on the table of an index whose table the statement does not name."""
    conditional: bool = False
    """This mode is taken only when rows are affected (a foreign-key trigger's check): a
    weaker lock, or none, is no disagreement."""

    @property
    def shown(self) -> str:
        """The object as a person reads it."""
        return self.object or (f"table of {self.table_of}" if self.table_of else "?")


@dataclass
class _ForeignKey:
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

    foreign_keys: dict[tuple[str, str], _ForeignKey] = field(default_factory=dict)
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

    def references_of(self, table: str) -> list[_ForeignKey]:
        """The foreign keys declared on ``table`` (outgoing)."""
        return [fk for (owner, _), fk in self.foreign_keys.items() if owner == table]

    def referenced_by(self, table: str) -> list[_ForeignKey]:
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
            table = _relation(node.get("relation"))
            schema = table.split(".", 1)[0]
            self.index_tables[f"{schema}.{node['idxname']}"] = table
        elif kind == "DropStmt" and node.get("removeType") == "OBJECT_TABLE":
            for table in _drop_names(node):
                self._forget(table)
        elif kind == "CreateFunctionStmt":
            parts = _names(node.get("funcname"))
            volatility = "volatile"
            for option in node.get("options") or ():
                element = option.get("DefElem", {})
                if element.get("defname") == "volatility":
                    volatility = element.get("arg", {}).get("String", {}).get("sval", volatility)
            self.volatility[_qualified(parts)] = self.volatility[parts[-1]] = volatility
        elif kind == "ViewStmt":
            name = _relation(node.get("view"))
            self.views[name] = {e.object for e in _reads(node.get("query") or {}, self).result()}
        elif kind == "CreateTableAsStmt" and node.get("objtype") == "OBJECT_MATVIEW":
            name = _relation((node.get("into") or {}).get("rel"))
            self.views[name] = {e.object for e in _reads(node.get("query") or {}, self).result()}
        elif kind == "RenameStmt" and node.get("renameType") == "OBJECT_TABLE":
            old = _relation(node.get("relation"))
            new = f"{old.split('.', 1)[0]}.{node.get('newname', '')}"
            self._rename(old, new)

    def _learn_create(self, node: dict[str, Any]) -> None:
        table = _relation(node.get("relation"))
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
        table = _relation(node.get("relation"))
        columns = self.column_types.setdefault(table, {})
        for cmd in _commands(node):
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
            cols = tuple(_names(constraint.get("fk_attrs"))) or columns
            conname = constraint.get("conname") or f"{name}_{'_'.join(cols)}_fkey"
            self.foreign_keys[(table, conname)] = _ForeignKey(
                conname,
                table,
                cols,
                _relation(constraint.get("pktable")),
                tuple(_names(constraint.get("pk_attrs"))),
                constraint.get("fk_del_action") or "a",
            )
        elif contype == "CONSTR_CHECK":
            column = _is_not_null_test(constraint.get("raw_expr") or {})
            if column:
                conname = constraint.get("conname") or f"{name}_{column}_check"
                valid = not constraint.get("skip_validation")
                self.not_null_checks[(table, conname)] = (column, valid)
        elif contype in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") and not constraint.get("indexname"):
            keys = tuple(_names(constraint.get("keys"))) or columns
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


_Handler = Callable[[dict[str, Any], LockContext], list[LockEffect]]


def explain_all(
    statements: Sequence[Statement], context: LockContext | None = None
) -> list[list[LockEffect]]:
    """The locks of each statement of a file, each seen with what the earlier ones declared
    (and what ``context`` learned before, from the migrations the file runs after)."""
    context = context if context is not None else LockContext()
    explained = []
    for statement in statements:
        explained.append(explain(statement, context))
        context.learn(statement)
    return explained


def explain(statement: Statement, context: LockContext | None = None) -> list[LockEffect]:
    """The locks ``statement`` takes on existing objects, strongest reason first per object.

    ``context`` is what earlier statements of the file declared (see :func:`explain_all`);
    it is read, not updated.
    """
    handler = _HANDLERS.get(statement.kind)
    if handler is None:
        if statement.kind in _NO_RELATION_LOCKS:
            return []
        return [LockEffect("", "", UNKNOWN, note=f"no lock model for {statement.kind or '?'}")]
    return handler(statement.node, context or LockContext())


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

_OBJECT_KINDS = {
    "OBJECT_TABLE": "table",
    "OBJECT_INDEX": "index",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_FOREIGN_TABLE": "foreign table",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type",
}

# Functions a DEFAULT may call without making it volatile (stable or immutable built-ins);
# any other function is taken as volatile, as PostgreSQL takes a function declared without
# a volatility.
_NON_VOLATILE = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "lower",
        "upper",
        "btrim",
        "trim",
        "concat",
        "length",
        "to_jsonb",
        "to_json",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "array_fill",
        "make_interval",
        "make_date",
        "make_timestamp",
        "make_timestamptz",
        "to_timestamp",
        "date_trunc",
        "timezone",
        "abs",
        "round",
        "md5",
    }
)
_VOLATILE = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "setval",
        "gen_random_bytes",
    }
)
_SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


# serial types are integers with a sequence; the names people write for internal ones
_TYPE_ALIASES = {
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
    "smallserial": "int2",
    "serial2": "int2",
}
_TYPE_SHOWN = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
}


@dataclass(frozen=True)
class ColumnType:
    """A column type as the parse tree spells it: the name (``pg_catalog.`` left out, a
    serial type as its integer), the modifiers (-1 for one that is not a number), whether
    an array."""

    name: str
    mods: tuple[int, ...] = ()
    array: bool = False

    @classmethod
    def of(cls, type_name: dict[str, Any]) -> ColumnType:
        parts = [p for p in _names(type_name.get("names")) if p != "pg_catalog"]
        name = ".".join(parts).lower()
        mods = []
        for mod in type_name.get("typmods") or ():
            ival = mod.get("A_Const", {}).get("ival")
            mods.append(int(ival.get("ival", 0)) if isinstance(ival, dict) else -1)
        return cls(_TYPE_ALIASES.get(name, name), tuple(mods), bool(type_name.get("arrayBounds")))

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.mods))})" if self.mods else ""
        return f"{_TYPE_SHOWN.get(self.name, self.name)}{mods}{'[]' if self.array else ''}"


def type_change_rewrites(old: ColumnType, new: ColumnType) -> bool:
    """PostgreSQL rewrites the table to change a column from ``old`` to ``new`` (no USING):
    only binary-coercible changes with no stricter limit keep the old storage."""
    if old == new:
        return False
    if old.array or new.array:
        return True
    if old.name in ("varchar", "text") and (
        new.name == "text" or (new.name == "varchar" and not new.mods)
    ):
        return False  # binary-coercible, no length to check
    if old.name == new.name == "varchar" and old.mods and new.mods:
        return new.mods[0] < old.mods[0]
    if old.name == new.name == "numeric" and old.mods:
        if not new.mods:
            return False
        old_scale = old.mods[1] if len(old.mods) > 1 else 0
        new_scale = new.mods[1] if len(new.mods) > 1 else 0
        return new_scale != old_scale or new.mods[0] < old.mods[0]
    return True


def _type_change_rewrites(old: ColumnType | None, new: ColumnType, using: bool) -> tuple[bool, str]:
    """(rewrites, note) of ``ALTER COLUMN ... TYPE new`` from ``old`` (None: not known)."""
    if using:
        return True, f"TYPE {new} USING ...: rewrites the table and rebuilds its indexes"
    if old is None:
        return True, (
            f"TYPE {new}: rewrites the table and its indexes unless binary-coercible from "
            "the old type (e.g. varchar(n) to text or a wider varchar; old type not in the file)"
        )
    same = not type_change_rewrites(old, new)
    if same:
        return False, f"TYPE {old} -> {new}: binary-coercible, no rewrite"
    return True, f"TYPE {old} -> {new}: rewrites the table and rebuilds its indexes"


def plain_using(using: dict[str, Any], column: str, new: ColumnType) -> bool:
    """``USING column`` or ``USING column::new_type`` (a parse tree): the same as no USING
    clause, so :func:`type_change_rewrites` decides (PostgreSQL strips such a cast before
    it asks whether the change rewrites the table)."""
    cast = using.get("TypeCast")
    if cast is not None:
        if ColumnType.of(cast.get("typeName") or {}) != new:
            return False
        using = cast.get("arg") or {}
    return _names(using.get("ColumnRef", {}).get("fields")) == [column]


def _drop_names(node: dict[str, Any]) -> list[str]:
    out = []
    for item in node.get("objects") or ():
        if "List" in item:
            out.append(_qualified(_names(item["List"].get("items"))))
        elif "String" in item:
            out.append(_qualified([item["String"].get("sval", "")]))
    return out


def _commands(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in node.get("cmds") or ():
        cmd = item.get("AlterTableCmd")
        if cmd is not None:
            yield cmd


def _walk(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(node type, body) of every typed node under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict):
                if key[:1].isupper():
                    yield key, value
                yield from _walk(value)
            elif isinstance(value, list):
                for item in value:
                    yield from _walk(item)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _is_not_null_test(expr: dict[str, Any]) -> str:
    """The column of ``CHECK (column IS NOT NULL)``, else empty."""
    test = expr.get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return ""
    fields = _names(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
    return fields[-1] if len(fields) == 1 else ""


def _volatile(expr: dict[str, Any], context: LockContext) -> str:
    """The function making ``expr`` volatile (or unknown, so taken as volatile), else empty."""
    for kind, body in _walk({"expr": expr}):
        if kind == "FuncCall":
            parts = _names(body.get("funcname"))
            name = parts[-1].lower() if parts else ""
            declared = context.volatility.get(_qualified(parts) if len(parts) > 1 else name)
            if declared is not None:
                if declared == "volatile":
                    return f"{'.'.join(parts)}()"
                continue
            if name in _VOLATILE or name not in _NON_VOLATILE:
                return f"{'.'.join(parts)}()"
        elif kind == "SubLink":
            return "a subquery"
    return ""


class _Effects:
    """Effects being collected: one per object, the strongest mode wins (as ALTER TABLE
    takes the strongest lock any of its subcommands needs, once), notes join."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], LockEffect] = {}

    def add(
        self,
        obj: str,
        kind: str,
        mode: str,
        note: str = "",
        *,
        rewrites: bool = False,
        scans: bool = False,
        table_of: str = "",
        conditional: bool = False,
    ) -> None:
        key = (obj, table_of)
        old = self._by_key.get(key)
        if old is None:
            self._by_key[key] = LockEffect(
                obj, kind, mode, rewrites, scans, note, table_of, conditional
            )
            return
        new_wins = lock_strength(mode) > lock_strength(old.mode)
        stronger = mode if new_wins else old.mode
        if UNKNOWN in (mode, old.mode):
            stronger = UNKNOWN  # one subcommand without a model leaves the whole lock unknown
        notes = old.note if not note or note in old.note else f"{old.note}; {note}".strip("; ")
        self._by_key[key] = LockEffect(
            obj,
            old.kind or kind,
            stronger,
            old.rewrites or rewrites,
            old.scans or scans,
            notes,
            table_of,
            # conditional when the strongest lock is: a weaker definite one may be all it takes
            conditional if new_wins else old.conditional and (conditional or mode != old.mode),
        )

    def result(self) -> list[LockEffect]:
        return list(self._by_key.values())


def _alter_table(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = _relation(node.get("relation"))
    kind = _OBJECT_KINDS.get(node.get("objtype", "OBJECT_TABLE"), "table")
    effects = _Effects()
    for cmd in _commands(node):
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
            rewrites, note = _type_change_rewrites(
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
            partition = _relation(definition.get("PartitionCmd", {}).get("name"))
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
            partition = _relation(definition.get("PartitionCmd", {}).get("name"))
            concurrent = definition.get("PartitionCmd", {}).get("concurrent")
            mode = SHARE_UPDATE_EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
            effects.add(table, kind, mode, f"DETACH PARTITION {partition}")
            effects.add(partition, "table", mode, "detached partition")
        elif subtype in ("AT_AddInherit", "AT_DropInherit"):
            parent = _relation(definition)
            adding = subtype == "AT_AddInherit"
            verb = "INHERIT" if adding else "NO INHERIT"
            effects.add(table, kind, ACCESS_EXCLUSIVE, f"{verb} {parent}")
            parent_mode = SHARE_UPDATE_EXCLUSIVE if adding else ACCESS_SHARE
            effects.add(parent, "table", parent_mode, f"parent of {verb}")
        else:
            effects.add(table, kind, UNKNOWN, f"no lock model for {subtype}")
    return effects.result()


def _add_column(
    effects: _Effects,
    table: str,
    kind: str,
    column: dict[str, Any],
    context: LockContext,
) -> None:
    name = column.get("colname", "")
    constraints = [c.get("Constraint", {}) for c in column.get("constraints") or ()]
    type_name = (_names((column.get("typeName") or {}).get("names")) or [""])[-1].lower()
    rewrite_reason = ""
    scan_reason = ""
    # A REFERENCES on a new column checks the rows only when the column has a default:
    # otherwise it is all NULL and the key is marked valid unchecked (seen on PostgreSQL 15).
    has_default = any(c.get("contype") == "CONSTR_DEFAULT" for c in constraints)
    for constraint in constraints:
        contype = constraint.get("contype")
        if contype == "CONSTR_DEFAULT":
            volatile = _volatile(constraint.get("raw_expr") or {}, context)
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
    if type_name in _SERIAL_TYPES:
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


def _add_constraint(effects: _Effects, table: str, kind: str, constraint: dict[str, Any]) -> None:
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
    effects: _Effects,
    table: str,
    kind: str,
    constraint: dict[str, Any],
    *,
    validated: bool,
) -> None:
    referenced = _relation(constraint.get("pktable"))
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


def _validate(effects: _Effects, table: str, kind: str, name: str, context: LockContext) -> None:
    effects.add(
        table, kind, SHARE_UPDATE_EXCLUSIVE, f"VALIDATE CONSTRAINT {name}: scans", scans=True
    )
    fk = context.foreign_keys.get((table, name))
    if fk is not None and fk.references != table:
        effects.add(fk.references, "table", ROW_SHARE, f"referenced by {name}")


def _create_table(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = _relation(node.get("relation"))
    effects = _Effects()
    parents = [_relation(p) for p in node.get("inhRelations") or ()]
    for parent in parents:
        if node.get("partbound"):
            effects.add(parent, "table", ACCESS_EXCLUSIVE, f"PARTITION OF: {table} attached")
        else:
            effects.add(parent, "table", SHARE_UPDATE_EXCLUSIVE, f"INHERITS: parent of {table}")
    for element in node.get("tableElts") or ():
        if "TableLikeClause" in element:
            source = _relation(element["TableLikeClause"].get("relation"))
            effects.add(source, "table", ACCESS_SHARE, f"LIKE source of {table}")
        column = element.get("ColumnDef")
        constraints = (
            [c.get("Constraint", {}) for c in column.get("constraints") or ()]
            if column
            else [element.get("Constraint", {})]
        )
        for constraint in constraints:
            if constraint.get("contype") == "CONSTR_FOREIGN":
                referenced = _relation(constraint.get("pktable"))
                if referenced != table:
                    effects.add(
                        referenced,
                        "table",
                        SHARE_ROW_EXCLUSIVE,
                        f"referenced by new table {table} (foreign-key triggers)",
                    )
    return effects.result()


def _reads(
    node: dict[str, Any], context: LockContext | None = None, skip: Iterable[int] = ()
) -> _Effects:
    """ACCESS SHARE on every relation a query reads (ROW SHARE under FOR UPDATE/SHARE), and
    on the relations behind the views it reads that ``context`` saw created."""
    effects = _Effects()
    ctes = set()
    locked: set[str] = set()
    lock_all = False
    for kind, body in _walk({"root": node}):
        if kind == "CommonTableExpr":
            ctes.add(body.get("ctename", ""))
        elif kind == "LockingClause":
            rels = body.get("lockedRels") or ()
            if not rels:
                lock_all = True
            locked.update(_relation(r) for r in rels)
    skipped = set(skip)
    for kind, body in _walk({"root": node}):
        if kind != "RangeVar" or id(body) in skipped:
            continue
        if not body.get("schemaname") and body.get("relname") in ctes:
            continue
        name = _relation(body)
        if name in locked or lock_all:
            effects.add(name, "table", ROW_SHARE, "FOR UPDATE/SHARE")
        else:
            effects.add(name, "table", ACCESS_SHARE, "read")
        if context is not None:
            _behind_view(effects, context, name)
    return effects


def _behind_view(effects: _Effects, context: LockContext, view: str) -> None:
    pending, seen = [view], {view}
    while pending:
        current = pending.pop()
        for base in sorted(context.views.get(current, ())):
            effects.add(base, "table", ACCESS_SHARE, f"read through {view}")
            if base not in seen:
                seen.add(base)
                pending.append(base)


def _dml(node: dict[str, Any], context: LockContext, verb: str) -> list[LockEffect]:
    target = node.get("relation") or {}
    readers = _reads(node, context, skip=[id(target)])
    effects = _Effects()
    table = _relation(target)
    effects.add(table, "table", ROW_EXCLUSIVE, "writes rows")
    for effect in readers.result():
        effects.add(effect.object, effect.kind, effect.mode, effect.note)
    if verb != "merge":
        updated = {t.get("ResTarget", {}).get("name", "") for t in node.get("targetList") or ()}
        _foreign_key_triggers(effects, table, verb, updated if verb == "update" else set(), context)
    return effects.result()


def _foreign_key_triggers(
    effects: _Effects, table: str, verb: str, updated: set[str], context: LockContext
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


def _writer(verb: str) -> _Handler:
    def handler(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
        return _dml(node, context, verb)

    return handler


def _select(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    into = (node.get("intoClause") or {}).get("rel") or {}
    return _reads(node, context, skip=[id(into)]).result()


def _create_table_as(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return _reads(node.get("query") or {}, context).result()


def _view(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    effects = _reads(node.get("query") or {}, context)
    if node.get("replace"):
        effects.add(
            _relation(node.get("view")), "view", ACCESS_EXCLUSIVE, "OR REPLACE (if it exists)"
        )
    return effects.result()


def _index(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = _relation(node.get("relation"))
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
    effects = _Effects()
    if remove in ("OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        for item in node.get("objects") or ():
            parts = _names(item.get("List", {}).get("items"))
            what = remove.removeprefix("OBJECT_").lower()
            effects.add(_qualified(parts[:-1]), "table", ACCESS_EXCLUSIVE, f"DROP {what}")
        return effects.result()
    kind = _OBJECT_KINDS.get(remove)
    if kind is None:
        if remove == "OBJECT_SCHEMA" and node.get("behavior") == "DROP_CASCADE":
            return [LockEffect("", "", UNKNOWN, note="DROP SCHEMA CASCADE: everything in it")]
        return []
    concurrent = bool(node.get("concurrent"))
    for name in _drop_names(node):
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
            _relation(r),
            "table",
            ACCESS_EXCLUSIVE,
            rewrites=True,
            note="new empty storage; nothing is copied",
        )
        for r in node.get("relations") or ()
    ]


def _rename(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    rename = node.get("renameType", "")
    relation = _relation(node.get("relation"))
    if rename == "OBJECT_INDEX":
        return [LockEffect(relation, "index", SHARE_UPDATE_EXCLUSIVE, note="RENAME index")]
    if rename in ("OBJECT_COLUMN", "OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY"):
        kind = _OBJECT_KINDS.get(node.get("relationType", ""), "table")
        what = rename.removeprefix("OBJECT_").lower().replace("tabconstraint", "constraint")
        return [LockEffect(relation, kind, ACCESS_EXCLUSIVE, note=f"RENAME {what}")]
    renamed = _OBJECT_KINDS.get(rename)
    if renamed is None or renamed == "type":
        return []
    return [
        LockEffect(relation, renamed, ACCESS_EXCLUSIVE, note=f"RENAME TO {node.get('newname')}")
    ]


def _set_schema(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    kind = _OBJECT_KINDS.get(node.get("objectType", ""))
    if kind is None or kind == "type" or not node.get("relation"):
        return []
    return [
        LockEffect(
            _relation(node.get("relation")),
            kind,
            ACCESS_EXCLUSIVE,
            note=f"SET SCHEMA {node.get('newschema', '')}",
        )
    ]


def _lock(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    mode = node.get("mode", 8)
    name = LOCK_MODES[mode - 1] if 1 <= mode <= 8 else UNKNOWN
    return [
        LockEffect(_relation(r), "table", name, note="LOCK TABLE")
        for r in node.get("relations") or ()
    ]


def _trigger(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    table = _relation(node.get("relation"))
    effects = [LockEffect(table, "table", SHARE_ROW_EXCLUSIVE, note="CREATE TRIGGER")]
    if node.get("isconstraint") and node.get("constrrel"):
        other = _relation(node.get("constrrel"))
        effects.append(LockEffect(other, "table", ACCESS_SHARE, note="FROM table"))
    return effects


def _whole_table(mode: str, note: str, *, rewrites: bool = False, scans: bool = False) -> _Handler:
    def handler(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
        relation = _relation(node.get("relation"))
        return [LockEffect(relation, "table", mode, rewrites=rewrites, scans=scans, note=note)]

    return handler


def _reindex(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    relation = _relation(node.get("relation"))
    params = {p.get("DefElem", {}).get("defname") for p in node.get("params") or ()}
    if "concurrently" in params and node.get("kind") in (
        "REINDEX_OBJECT_INDEX",
        "REINDEX_OBJECT_TABLE",
    ):
        if node.get("kind") == "REINDEX_OBJECT_INDEX":
            return [
                LockEffect(relation, "index", SHARE_UPDATE_EXCLUSIVE, note="CONCURRENTLY"),
                LockEffect(
                    context.index_tables.get(relation, ""),
                    "table",
                    SHARE_UPDATE_EXCLUSIVE,
                    scans=True,
                    note="CONCURRENTLY: writes go on",
                    table_of=relation,
                ),
            ]
        note = "CONCURRENTLY: every index rebuilt beside the old; writes go on"
        return [LockEffect(relation, "table", SHARE_UPDATE_EXCLUSIVE, scans=True, note=note)]
    if node.get("kind") == "REINDEX_OBJECT_INDEX":
        return [
            LockEffect(relation, "index", ACCESS_EXCLUSIVE, rewrites=True, note="rebuilt"),
            LockEffect(
                context.index_tables.get(relation, ""),
                "table",
                SHARE,
                scans=True,
                note="read to rebuild the index; writes wait",
                table_of=relation,
            ),
        ]
    if node.get("kind") == "REINDEX_OBJECT_TABLE":
        return [
            LockEffect(
                relation, "table", SHARE, scans=True, note="every index rebuilt; writes wait"
            )
        ]
    return [LockEffect("", "", UNKNOWN, note="REINDEX of a schema or database")]


_ON_TABLE = frozenset({"OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"})


def _comment(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    objtype = node.get("objtype", "")
    parts = _names((node.get("object") or {}).get("List", {}).get("items"))
    if objtype == "OBJECT_COLUMN":
        return [LockEffect(_qualified(parts[:-1]), "table", SHARE_UPDATE_EXCLUSIVE, note="COMMENT")]
    if objtype in _ON_TABLE:
        what = objtype.removeprefix("OBJECT_").lower().replace("tabconstraint", "constraint")
        note = f"COMMENT ON {what}: the table is only opened"
        return [LockEffect(_qualified(parts[:-1]), "table", ACCESS_SHARE, note=note)]
    kind = _OBJECT_KINDS.get(objtype)
    if kind is None or kind == "type":
        return []
    return [LockEffect(_qualified(parts), kind, SHARE_UPDATE_EXCLUSIVE, note="COMMENT")]


def _sequence(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    effects = []
    for option in node.get("options") or ():
        element = option.get("DefElem", {})
        if element.get("defname") == "owned_by":
            parts = _names(element.get("arg", {}).get("List", {}).get("items"))
            if len(parts) >= 2:
                effects.append(
                    LockEffect(_qualified(parts[:-1]), "table", ACCESS_SHARE, note="OWNED BY")
                )
    return effects


def _alter_sequence(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    sequence = _relation(node.get("sequence"))
    options = [o.get("DefElem", {}).get("defname", "") for o in node.get("options") or ()]
    # Any change but OWNED BY writes the sequence's one row to new storage.
    rewrites = any(o != "owned_by" for o in options)
    note = "ALTER SEQUENCE" + (": new sequence storage (one row)" if rewrites else "")
    return [
        LockEffect(sequence, "sequence", SHARE_ROW_EXCLUSIVE, rewrites=rewrites, note=note),
        *_sequence(node, context),
    ]


def _policy(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return [LockEffect(_relation(node.get("table")), "table", ACCESS_EXCLUSIVE, note="policy")]


def _statistics(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    return [
        LockEffect(_relation(r), "table", SHARE_UPDATE_EXCLUSIVE, note="CREATE STATISTICS")
        for r in node.get("relations") or ()
    ]


def _refresh(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    view = _relation(node.get("relation"))
    concurrent = bool(node.get("concurrent"))
    effects = _Effects()
    note = "CONCURRENTLY: reads go on; diffs into place" if concurrent else "replaces the contents"
    if view not in context.views:
        note += "; the tables it reads are not known here"
    mode = EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
    effects.add(view, "materialized view", mode, note, rewrites=not concurrent, scans=concurrent)
    _behind_view(effects, context, view)
    return effects.result()


def _vacuum(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    options = {o.get("DefElem", {}).get("defname", "") for o in node.get("options") or ()}
    relations = [
        _relation(r.get("VacuumRelation", {}).get("relation")) for r in node.get("rels") or ()
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
    name = _qualified(_names(node.get("typeName")))
    if node.get("oldVal"):
        return [LockEffect(name, "type", UNKNOWN, note="RENAME VALUE: lock not modelled")]
    return [LockEffect(name, "type", EXCLUSIVE, note="ADD VALUE: object lock on the type")]


def _copy(node: dict[str, Any], context: LockContext) -> list[LockEffect]:
    if not node.get("relation"):
        return _reads(node.get("query") or {}, context).result()
    mode = ROW_EXCLUSIVE if node.get("is_from") else ACCESS_SHARE
    return [LockEffect(_relation(node.get("relation")), "table", mode, note="COPY")]


_HANDLERS: dict[str, _Handler] = {
    "AlterTableStmt": _alter_table,
    "CreateStmt": _create_table,
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
    "ClusterStmt": _whole_table(ACCESS_EXCLUSIVE, "CLUSTER: rewrites", rewrites=True, scans=True),
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
    "VacuumStmt": _vacuum,
    "CopyStmt": _copy,
}

# Statements that lock no existing relation (they create objects, or touch none).
_NO_RELATION_LOCKS = frozenset(
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
