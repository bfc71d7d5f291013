"""Build a Catalog from Drizzle ORM (``drizzle-orm/pg-core``) TypeScript schema files.

The files are parsed with tree-sitter's TypeScript grammar, never with regular expressions,
so occurrences in comments, strings and import statements are not mistaken for code. The
result aims at what ``drizzle-kit`` (0.x) would create in PostgreSQL, spelled as
:func:`~schemakit.catalog.from_metadata` spells it (``format_type``/``pg_get_expr`` texts).

Understood:

* ``const s = pgSchema('name')``; ``s.table('t', {...}, extras?)`` (or
  ``pgSchema('name').table(...)`` directly) is a table in ``name``,
  ``s.enum('n', [...])`` an enum there. Raw ``pgTable('t', {...}, extras?)`` and
  ``pgEnum('n', [...])`` land in ``public``. Import aliases from ``drizzle-orm/pg-core``
  (``import { pgTable as table }``) are followed.
* Column builders ``text``, ``uuid``, ``varchar``/``char`` (``{ length }``), ``integer``,
  ``bigint``, ``smallint``, ``serial``/``bigserial``/``smallserial``, ``boolean``,
  ``timestamp``/``time`` (``{ withTimezone, precision }``), ``date``, ``interval``, ``json``,
  ``jsonb``, ``numeric``/``decimal`` (``{ precision, scale }``), ``doublePrecision``, ``real``,
  ``inet``, ``cidr``, ``macaddr``, ``macaddr8``; an enum column is a call of an enum
  variable (``typeEnum('type')``). The SQL name is the first string argument, else the
  TypeScript key (no ``casing`` option is applied).
* Chains ``.notNull()``, ``.primaryKey()`` (``<table>_pkey``), ``.defaultRandom()``,
  ``.defaultNow()``, ``.default(literal | sql`...`)``, ``.unique(name?)``
  (``<table>_<col>_unique``, drizzle-kit's name, plus its unique index), ``.array()``,
  ``.references(() => t.col, { onDelete })`` (``<table>_<col>_<reftable>_<refcol>_fk``,
  drizzle-kit's name; the target resolves across all the files given),
  ``.generatedAlwaysAsIdentity()``/``.generatedByDefaultAsIdentity()``. ``$type``,
  ``$defaultFn`` and other client-side methods are ignored.
* The extras callback, object form ``(t) => ({ k: index('i').on(t.a) })`` or array form
  ``(t) => [index('i').on(t.a)]``: ``index``/``uniqueIndex`` with ``.on``/``.using(method,
  ...)``/``.where(sql`...`)`` (``t.a.desc()`` keeps ``DESC``), ``primaryKey({ columns })``
  (``<table>_<cols>_pk``), ``unique(name?).on(...)`` and ``foreignKey({ columns,
  foreignColumns, name })``.
* A serial column is approximated as ``integer`` with ``nextval('<table>_<col>_seq'::regclass)``
  and its owned sequence, as PostgreSQL makes it.

Not understood, skipped without a finding: unknown or custom column builders (the column is
left out), index keys that are neither ``t.col`` nor ``sql`...```, ``check``, views,
``pgTableCreator``, ``casing``, tables built in loops or through spreads, defaults that are not
literals or ``sql`...``` (kept as their source text). Names longer than 63 characters are
not truncated. Owners, grants and functions are not known: left empty.

Variables (schemas, enums, tables) are resolved by name across all the files given, not by
imports: when two files bind the same name, the later one wins. An object defined twice keeps
its first definition. tree-sitter is imported only when this function runs, so the rest of
the catalog package works without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from schemakit.catalog import _typescript as ts
from schemakit.catalog._metadata import _constraint_index, _list, _sorted
from schemakit.catalog._model import (
    Catalog,
    Column,
    Constraint,
    ForeignKey,
    Index,
    Schema,
    Table,
    TypeDef,
)
from schemakit.catalog._model import Sequence as SequenceDef
from schemakit.conventions import quote_ident

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["from_drizzle"]

# Drizzle builder -> (format_type spelling, pg_type.typname).
_TYPES: dict[str, tuple[str, str]] = {
    "text": ("text", "text"),
    "uuid": ("uuid", "uuid"),
    "varchar": ("character varying", "varchar"),
    "char": ("character", "bpchar"),
    "integer": ("integer", "int4"),
    "int": ("integer", "int4"),
    "bigint": ("bigint", "int8"),
    "smallint": ("smallint", "int2"),
    "serial": ("integer", "int4"),
    "bigserial": ("bigint", "int8"),
    "smallserial": ("smallint", "int2"),
    "boolean": ("boolean", "bool"),
    "timestamp": ("timestamp without time zone", "timestamp"),
    "time": ("time without time zone", "time"),
    "date": ("date", "date"),
    "interval": ("interval", "interval"),
    "json": ("json", "json"),
    "jsonb": ("jsonb", "jsonb"),
    "numeric": ("numeric", "numeric"),
    "decimal": ("numeric", "numeric"),
    "doublePrecision": ("double precision", "float8"),
    "real": ("real", "float4"),
    "inet": ("inet", "inet"),
    "cidr": ("cidr", "cidr"),
    "macaddr": ("macaddr", "macaddr"),
    "macaddr8": ("macaddr8", "macaddr8"),
}
_SERIALS = {"serial", "bigserial", "smallserial"}
_INTEGERS = {"int2", "int4", "int8"}
_ON_DELETE = {
    "no action": "a",
    "restrict": "r",
    "cascade": "c",
    "set null": "n",
    "set default": "d",
}
_API = {"pgSchema", "pgTable", "pgEnum", "index", "uniqueIndex", "primaryKey", "unique"}
_API |= {"foreignKey", *_TYPES}
_ORDERING = re.compile(r"( [a-z_][a-z0-9_]*_ops)?( DESC)?( NULLS (FIRST|LAST))?$")
"""Operator class and ordering options: in an index's definition, not in its key columns (as
``pg_index``)."""


@dataclass
class _TableDraft:
    schema: str
    name: str
    file: Path
    line: int
    call: Node
    keys: dict[str, str] = field(default_factory=dict)
    """TypeScript property -> SQL column name."""
    columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    references: list[tuple[str, Node, str]] = field(default_factory=list)
    """(column, arrow body ``t.col``, on delete code) awaiting resolution."""
    lines: dict[str, int] = field(default_factory=dict)
    """Column, index, constraint and foreign key name -> the line that declares it, so a
    finding about one points there, not at the table."""

    @property
    def path(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class _File:
    path: Path
    root: Node
    aliases: dict[str, str]
    """Local name -> drizzle name, for drizzle-orm imports."""
    calls: list[Node]
    """Every call expression, in source order: walked once, read by each pass."""

    def api(self, node: Node) -> str | None:
        """The drizzle function an identifier names, if any."""
        if node.type != "identifier":
            return None
        name = ts.text(node)
        if name in self.aliases:
            return self.aliases[name]
        return name if name in _API else None


def syntax_errors(paths: Sequence[Path]) -> list[tuple[Path, int, int, str]]:
    """(file, line, column, what) of the first syntax error in each TypeScript file that has
    one: its declarations are read as far as tree-sitter could, so the file must say so."""
    parser = ts.parser()
    found = []
    for path in paths:
        error = ts.first_syntax_error(parser.parse(Path(path).read_bytes()).root_node)
        if error is not None:
            found.append((Path(path), *error))
    return found


def from_drizzle(
    paths: Sequence[Path], database: str = ""
) -> tuple[Catalog, dict[str, tuple[Path, int]]]:
    """The Catalog drizzle-kit would create from ``paths``, and each object's (file, line).

    Locations are keyed by object path (``schema``, ``schema.table``, ``schema.enum``); lines
    are 1-based. See the module docstring for what is and is not understood.
    """
    parser = ts.parser()
    files: list[_File] = []
    for path in paths:
        tree = parser.parse(Path(path).read_bytes())
        root = tree.root_node
        files.append(_File(Path(path), root, _aliases(root), list(ts.calls(root))))

    schemas: dict[str, Schema] = {}
    where: dict[str, tuple[Path, int]] = {}
    schema_vars: dict[str, str] = {}
    enum_vars: dict[str, TypeDef] = {}
    types: dict[str, TypeDef] = {}
    drafts: dict[str, _TableDraft] = {}
    table_vars: dict[str, _TableDraft] = {}

    # Pass 1: schemas, then enums (they are needed by columns), then tables.
    for file in files:
        for call in file.calls:
            if file.api(call.child_by_field_name("function") or call) == "pgSchema":
                name = ts.first_string(call)
                var = ts.bound_to(call)
                if name is None:
                    continue
                schemas.setdefault(name, Schema(name))
                where.setdefault(name, (file.path, ts.line(call)))
                if var:
                    schema_vars[var] = name
    for file in files:
        for call in file.calls:
            schema = _defines(file, call, schema_vars, "pgEnum", "enum")
            name = ts.first_string(call) if schema else None
            if schema is None or name is None:
                continue
            labels = tuple(ts.strings(ts.arg(call, 1)))
            typedef = TypeDef(schema, name, "enum", labels=labels)
            types.setdefault(typedef.path, typedef)
            schemas.setdefault(schema, Schema(schema))
            where.setdefault(typedef.path, (file.path, ts.line(call)))
            var = ts.bound_to(call)
            if var:
                enum_vars[var] = typedef
    sequences: dict[str, SequenceDef] = {}
    for file in files:
        for call in file.calls:
            schema = _defines(file, call, schema_vars, "pgTable", "table")
            name = ts.first_string(call) if schema else None
            if schema is None or name is None:
                continue
            draft = _TableDraft(schema, name, file.path, ts.line(call), call)
            _columns(file, draft, ts.arg(call, 1), enum_vars, sequences)
            drafts.setdefault(draft.path, draft)
            schemas.setdefault(schema, Schema(schema))
            where.setdefault(draft.path, (file.path, draft.line))
            var = ts.bound_to(call)
            if var:
                table_vars[var] = draft

    # Pass 2: extras and references, which need every table's columns.
    files_by_path = {f.path: f for f in files}
    for draft in drafts.values():
        file = files_by_path[draft.file]
        _extras(file, draft, ts.arg(draft.call, 2), table_vars)
        for column, target, on_delete in draft.references:
            resolved = _column_ref(target, table_vars)
            if resolved is None:
                continue
            ref, ref_column = resolved
            fk_name = f"{draft.name}_{column}_{ref.name}_{ref_column}_fk"
            if column in draft.lines:
                draft.lines.setdefault(fk_name, draft.lines[column])
            draft.foreign_keys.append(
                ForeignKey(
                    fk_name,
                    (column,),
                    ref.schema,
                    ref.name,
                    (ref_column,),
                    on_delete,
                )
            )

    for draft in drafts.values():
        for name, line in draft.lines.items():
            where.setdefault(f"{draft.path}.{name}", (draft.file, line))
        for index in draft.indexes:  # index findings name schema.index
            where.setdefault(
                f"{draft.schema}.{index.name}",
                (draft.file, draft.lines.get(index.name, draft.line)),
            )
    tables = {
        path: Table(
            d.schema,
            d.name,
            columns=tuple(d.columns),
            indexes=_sorted(d.indexes),
            foreign_keys=_sorted(d.foreign_keys),
            constraints=_sorted(d.constraints),
        )
        for path, d in drafts.items()
    }
    catalog = Catalog(
        database=database,
        schemas=dict(sorted(schemas.items())),
        tables=dict(sorted(tables.items())),
        types=dict(sorted(types.items())),
        sequences=dict(sorted(sequences.items())),
    )
    return catalog, where


# --- tree helpers ---------------------------------------------------------------------------


def _aliases(root: Node) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for statement in root.named_children:
        if statement.type != "import_statement":
            continue
        source = statement.child_by_field_name("source")
        if "drizzle-orm" not in ts.text(source):
            continue
        for spec in ts.descendants(statement, "import_specifier"):
            name = ts.text(spec.child_by_field_name("name"))
            alias = spec.child_by_field_name("alias")
            if alias is not None and name in _API:
                aliases[ts.text(alias)] = name
    return aliases


def _defines(
    file: _File, call: Node, schema_vars: dict[str, str], raw: str, method: str
) -> str | None:
    """The schema a ``pgTable``/``pgEnum`` or ``s.table``/``s.enum`` call defines into."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if file.api(function) == raw:
        return "public"
    if function.type == "member_expression":
        obj = function.child_by_field_name("object")
        prop = ts.text(function.child_by_field_name("property"))
        if obj is not None and obj.type == "identifier" and prop == method:
            return schema_vars.get(ts.text(obj))
        if (
            obj is not None
            and obj.type == "call_expression"
            and prop == method
            and file.api(obj.child_by_field_name("function") or obj) == "pgSchema"
        ):
            return ts.first_string(obj)  # pgSchema('auth').table(...), no variable between
    return None


def _columns(
    file: _File,
    draft: _TableDraft,
    node: Node | None,
    enum_vars: dict[str, TypeDef],
    sequences: dict[str, SequenceDef],
) -> None:
    for key, value in ts.object_literal(node).items():
        chained = ts.chain(value)
        if chained is None:
            continue
        base, methods = chained
        function = base.child_by_field_name("function")
        if base.type != "call_expression" or function is None:
            continue
        builder = file.api(function)
        enum = enum_vars.get(ts.text(function)) if function.type == "identifier" else None
        if builder not in _TYPES and enum is None:
            continue  # unknown or custom builder: left out
        name = ts.first_string(base) or key
        options = ts.object_literal(ts.arg(base, 1) if ts.first_string(base) else ts.arg(base, 0))
        if enum is not None:
            shown = quote_ident(enum.name)
            if enum.schema != "public":
                shown = f"{quote_ident(enum.schema)}.{shown}"
            type_, type_schema, type_name = shown, enum.schema, enum.name
        else:
            assert builder is not None
            type_, type_name = _type(builder, options)
            type_schema = "pg_catalog"
        draft.keys[key] = name
        draft.lines.setdefault(name, ts.line(value))
        nullable = True
        default: str | None = None
        identity = ""
        if builder in _SERIALS:
            nullable = False
            sequence = f"{draft.name}_{name}_seq"
            qualified = (
                sequence
                if draft.schema == "public"
                else f"{quote_ident(draft.schema)}.{quote_ident(sequence)}"
            )
            default = f"nextval('{qualified}'::regclass)"
            seq = SequenceDef(
                draft.schema, sequence, owned_by=f"{draft.schema}.{draft.name}.{name}"
            )
            sequences[seq.path] = seq
        for method, call in methods:
            if method == "array":
                type_ += "[]"
                type_name = "_" + type_name
            elif method == "notNull":
                nullable = False
            elif method == "primaryKey":
                nullable = False
                _primary(draft, f"{draft.name}_pkey", (name,))
            elif method == "defaultRandom":
                default = "gen_random_uuid()"
            elif method == "defaultNow":
                default = "now()"
            elif method == "default":
                default = _default(ts.arg(call, 0), type_, type_name)
            elif method == "unique":
                constraint = ts.first_string(call) or f"{draft.name}_{name}_unique"
                _unique(draft, constraint, (name,))
            elif method in ("generatedAlwaysAsIdentity", "generatedByDefaultAsIdentity"):
                nullable = False
                identity = "a" if method == "generatedAlwaysAsIdentity" else "d"
            elif method == "references":
                target = ts.arg(call, 0)
                body = target.child_by_field_name("body") if target is not None else None
                action = (
                    ts.string(ts.object_literal(ts.arg(call, 1)).get("onDelete")) or "no action"
                )
                if body is not None:
                    draft.references.append((name, body, _ON_DELETE.get(action.lower(), "a")))
        draft.columns.append(
            Column(name, type_, nullable, default, type_schema, type_name, identity)
        )


def _type(builder: str, options: dict[str, Node]) -> tuple[str, str]:
    shown, type_name = _TYPES[builder]
    precision = ts.text(options.get("precision")) or None
    if builder in ("varchar", "char"):
        length = ts.text(options.get("length")) or None
        if length is not None:
            shown = f"{shown}({length})"
        elif builder == "char":
            shown = "character(1)"
    elif builder in ("timestamp", "time"):
        if ts.text(options.get("withTimezone")) == "true":
            shown = shown.replace("without", "with")
            type_name += "tz"
        if precision is not None:
            head, _, tail = shown.partition(" ")
            shown = f"{head}({precision}) {tail}"
    elif builder in ("numeric", "decimal") and precision is not None:
        scale = ts.text(options.get("scale")) or None
        shown = f"numeric({precision},{scale})" if scale else f"numeric({precision})"
    return shown, type_name


def _default(node: Node | None, type_: str, type_name: str) -> str | None:
    if node is None:
        return None
    if node.type in ("true", "false"):
        return node.type
    if node.type == "number":
        return ts.text(node)
    if node.type == "unary_expression" and ts.text(node).startswith("-"):
        return f"'{ts.text(node)}'::{re.sub(r'[(][^)]*[)]', '', type_)}"
    if node.type == "call_expression" or node.type == "template_string":
        sql = _sql(node)
        if sql is not None:
            return sql
    bare = re.sub(r"\([^)]*\)", "", type_)
    value = ts.string(node)
    if value is not None:
        if type_name in _INTEGERS and value.isdigit():
            return value
        return "'" + value.replace("'", "''") + f"'::{bare}"
    if node.type in ("object", "array"):
        try:
            literal = json.dumps(json.loads(ts.text(node)), separators=(", ", ": "))
        except ValueError:
            return ts.text(node)
        return "'" + literal.replace("'", "''") + f"'::{bare}"
    return ts.text(node)


def _sql(node: Node) -> str | None:
    """The text of a ``sql`...``` tagged template without substitutions."""
    if node.type != "call_expression" or ts.text(node.child_by_field_name("function")) != "sql":
        return None
    template = node.child_by_field_name("arguments")
    if template is None or template.type != "template_string":
        return None
    return ts.string(template)


# --- extras ---------------------------------------------------------------------------------


def _extras(
    file: _File, draft: _TableDraft, node: Node | None, table_vars: dict[str, _TableDraft]
) -> None:
    if node is None or node.type not in ("arrow_function", "function_expression"):
        return
    params = node.child_by_field_name("parameters")
    param = next(iter(ts.descendants(params, "identifier")), None) if params else None
    table_param = ts.text(param) if param is not None else ""
    body = node.child_by_field_name("body")
    while body is not None and body.type == "parenthesized_expression":
        body = body.named_children[0] if body.named_children else None
    if body is None:
        return
    if body.type == "statement_block":
        returned = next(iter(ts.descendants(body, "return_statement")), None)
        body = returned.named_children[0] if returned and returned.named_children else None
    if body is None:
        return
    items = list(ts.object_literal(body).values()) if body.type == "object" else body.named_children
    if body.type not in ("object", "array"):
        return
    for item in items:
        _extra(file, draft, item, table_param, table_vars)


def _extra(
    file: _File,
    draft: _TableDraft,
    item: Node,
    table_param: str,
    table_vars: dict[str, _TableDraft],
) -> None:
    chained = ts.chain(item)
    if chained is None:
        return
    base, methods = chained
    function = base.child_by_field_name("function")
    if base.type != "call_expression":
        return
    kind = file.api(function) if function is not None else None
    before = {*draft.lines, *(i.name for i in draft.indexes), *(c.name for c in draft.constraints)}
    before |= {f.name for f in draft.foreign_keys}
    _extra_kind(file, draft, kind, base, methods, table_param, table_vars)
    # whatever the extra declared (an index, a constraint, a foreign key) is at its line
    declared = {i.name for i in draft.indexes} | {c.name for c in draft.constraints}
    declared |= {f.name for f in draft.foreign_keys}
    for name in declared - before:
        draft.lines.setdefault(name, ts.line(item))


def _extra_kind(
    file: _File,
    draft: _TableDraft,
    kind: str | None,
    base: Node,
    methods: list[tuple[str, Node]],
    table_param: str,
    table_vars: dict[str, _TableDraft],
) -> None:
    if kind in ("index", "uniqueIndex"):
        _index(draft, base, methods, table_param, unique=kind == "uniqueIndex")
    elif kind == "unique":
        for method, call in methods:
            if method == "on":
                cols = _keys(draft, ts.args(call), table_param)
                if cols:
                    name = ts.first_string(base) or f"{draft.name}_{'_'.join(cols)}_unique"
                    _unique(draft, name, cols)
    elif kind == "primaryKey":
        options = ts.object_literal(ts.arg(base, 0))
        cols = _keys(draft, _array(options.get("columns")), table_param)
        if cols:
            name = ts.string(options.get("name")) or f"{draft.name}_{'_'.join(cols)}_pk"
            _primary(draft, name, cols)
    elif kind == "foreignKey":
        options = ts.object_literal(ts.arg(base, 0))
        cols = _keys(draft, _array(options.get("columns")), table_param)
        refs = [_column_ref(n, table_vars) for n in _array(options.get("foreignColumns"))]
        if not cols or not refs or None in refs or len(refs) != len(cols):
            return
        resolved = [r for r in refs if r is not None]
        ref_table = resolved[0][0]
        ref_cols = tuple(c for _, c in resolved)
        on_delete = "a"
        for method, call in methods:
            if method == "onDelete":
                on_delete = _ON_DELETE.get((ts.first_string(call) or "").lower(), "a")
        name = ts.string(options.get("name")) or (
            f"{draft.name}_{'_'.join(cols)}_{ref_table.name}_{'_'.join(ref_cols)}_fk"
        )
        draft.foreign_keys.append(
            ForeignKey(name, cols, ref_table.schema, ref_table.name, ref_cols, on_delete)
        )


def _index(
    draft: _TableDraft, base: Node, methods: list[tuple[str, Node]], param: str, *, unique: bool
) -> None:
    name = ts.first_string(base)
    method = "btree"
    keys: list[str] = []
    predicate: str | None = None
    for chained, call in methods:
        args = ts.args(call)
        if chained == "using" and args:
            method = ts.string(args[0]) or "btree"
            args = args[1:]
        if chained in ("on", "onOnly", "using"):
            for arg in args:
                key = _index_key(draft, arg, param)
                if key is None:
                    return  # an expression this module does not read: skip the index
                keys.append(key)
        elif chained == "where" and args:
            predicate = _sql(args[0])
    if not keys:
        return
    if name is None:  # drizzle-kit's default: <table>_<cols>_index
        bare = (_ORDERING.sub("", k).strip('"') for k in keys)
        name = f"{draft.name}_{'_'.join(bare)}_index"
    definition = (
        f"CREATE {'UNIQUE ' if unique else ''}INDEX {quote_ident(name)} ON "
        f"{quote_ident(draft.schema)}.{quote_ident(draft.name)} USING {method} ({', '.join(keys)})"
        + (f" WHERE ({predicate})" if predicate else "")
    )
    draft.indexes.append(
        Index(
            name,
            tuple(_ORDERING.sub("", k) for k in keys),
            unique,
            predicate=predicate,
            method=method,
            definition=definition,
        )
    )


def _index_key(draft: _TableDraft, node: Node, param: str) -> str | None:
    """``t.col`` (with ``.asc()``/``.desc()``/``.nullsFirst()``/``.nullsLast()`` and
    ``.op('text_ops')``, as drizzle-kit pull writes them) or ``sql`...```."""
    sql = _sql(node)
    if sql is not None:
        return sql
    chained = ts.chain(node)
    if chained is None:
        return None
    base, methods = chained
    column = _keys(draft, [base], param)
    if not column:
        return None
    suffix = opclass = ""
    for method, call in methods:
        if method == "op":
            name = ts.first_string(call)
            if name is None or not re.fullmatch(r"[a-z_][a-z0-9_]*_ops", name):
                return None
            opclass = f" {name}"
        elif method == "desc":
            suffix += " DESC"
        elif method == "nullsFirst":
            suffix += " NULLS FIRST"
        elif method == "nullsLast":
            suffix += " NULLS LAST"
        elif method != "asc":
            return None
    return quote_ident(column[0]) + opclass + suffix


def _keys(draft: _TableDraft, nodes: Sequence[Node], param: str) -> tuple[str, ...]:
    """SQL column names of ``t.prop`` nodes; empty if any is something else."""
    names: list[str] = []
    for node in nodes:
        if node.type != "member_expression":
            return ()
        obj = node.child_by_field_name("object")
        prop = ts.text(node.child_by_field_name("property"))
        if obj is None or obj.type != "identifier" or (param and ts.text(obj) != param):
            return ()
        if prop not in draft.keys:
            return ()
        names.append(draft.keys[prop])
    return tuple(names)


def _array(node: Node | None) -> list[Node]:
    if node is None or node.type != "array":
        return []
    return list(node.named_children)


def _column_ref(node: Node, table_vars: dict[str, _TableDraft]) -> tuple[_TableDraft, str] | None:
    """``other.prop`` -> (the other table, its SQL column name)."""
    if node.type != "member_expression":
        return None
    obj = node.child_by_field_name("object")
    prop = ts.text(node.child_by_field_name("property"))
    if obj is None or obj.type != "identifier":
        return None
    target = table_vars.get(ts.text(obj))
    if target is None or prop not in target.keys:
        return None
    return target, target.keys[prop]


# --- constraints ----------------------------------------------------------------------------


def _primary(draft: _TableDraft, name: str, cols: tuple[str, ...]) -> None:
    draft.constraints.append(Constraint(name, "p", cols, f"PRIMARY KEY ({_list(cols)})"))
    draft.indexes.append(_constraint_index(name, draft.schema, draft.name, cols, primary=True))


def _unique(draft: _TableDraft, name: str, cols: tuple[str, ...]) -> None:
    draft.constraints.append(Constraint(name, "u", cols, f"UNIQUE ({_list(cols)})"))
    draft.indexes.append(_constraint_index(name, draft.schema, draft.name, cols, primary=False))
