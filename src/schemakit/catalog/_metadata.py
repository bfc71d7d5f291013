"""Build a Catalog from SQLAlchemy ``MetaData``: what ``create_all`` would make, without a database.

The result is meant to equal what :func:`~schemakit.catalog.from_database` reads after
``metadata.create_all`` (with ``search_path`` at its default, ``"$user", public``), so the
same rules judge models, migrations and live databases alike. Spellings follow PostgreSQL:

* ``Column.type`` as ``format_type`` prints it: SQLAlchemy's ``VARCHAR(500)`` becomes
  ``character varying(500)``, ``TIMESTAMP WITH TIME ZONE`` ``timestamp with time zone``,
  ``FLOAT`` ``double precision``, ``NUMERIC(10, 2)`` ``numeric(10,2)``, a bare ``CHAR``
  ``character(1)``; arrays keep one ``[]`` whatever their declared dimensions (PostgreSQL does
  not record them); a native enum is its name, schema-qualified outside ``public``.
  ``type_name`` is the internal name (``int4``, ``timestamptz``, ``_text`` for arrays).
  Types this module does not know are lower-cased as the dialect compiles them.
* ``Column.default`` as ``pg_get_expr`` prints it, for the common cases: SQL text and
  functions as compiled (``gen_random_uuid()``, ``now()``, ``false``, ``1``,
  ``'{}'::jsonb``); a quoted literal unquoted on an integer or boolean column (``'0'`` ->
  ``0``, ``'t'`` -> ``true``) and for a decimal on a numeric one (``'1.5'`` -> ``1.5``), on
  any other column cast to the column's type without its modifiers (``'0'`` on numeric ->
  ``'0'::numeric``, ``'light'`` -> ``'light'::storage.theme``); negative numbers keep the
  quotes and cast, as PostgreSQL prints them;
  a serial column ``nextval('schema.table_column_seq'::regclass)``. Other expressions are
  kept as compiled: PostgreSQL may add casts or parentheses that are not reproduced here.
* Names as the naming convention resolves them, else PostgreSQL's defaults
  (``<table>_pkey``, ``<table>_<columns>_key``, ``<table>_<columns>_fkey``). Names longer
  than 63 characters are not truncated the way the server would.
* Primary keys and unique constraints also appear as indexes, as the server builds them.
  Index and constraint ``definition`` texts are reconstructed for plain column lists; for
  expressions and check constraints they are the compiled SQL, which may differ in
  parentheses and casts from ``pg_get_indexdef``/``pg_get_constraintdef``.
* A check constraint's columns are the table columns its expression refers to (for SQL text,
  the column names it mentions outside string literals).
* Owners, grants, functions and the server version are not known from models: left empty.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import visitors

from schemakit.catalog._model import (
    Catalog,
    Column,
    Constraint,
    ForeignKey,
    Index,
    Schema,
    Sequence,
    Table,
    TypeDef,
)
from schemakit.conventions import quote_ident

__all__ = ["from_metadata"]

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_DDL = _DIALECT.ddl_compiler(_DIALECT, None)  # type: ignore[arg-type]  # compiles parts only

# SQLAlchemy's spelling of a PostgreSQL type -> (format_type spelling, pg_type.typname).
_TYPES: dict[str, tuple[str, str]] = {
    "INTEGER": ("integer", "int4"),
    "INT": ("integer", "int4"),
    "SERIAL": ("integer", "int4"),
    "BIGINT": ("bigint", "int8"),
    "BIGSERIAL": ("bigint", "int8"),
    "SMALLINT": ("smallint", "int2"),
    "SMALLSERIAL": ("smallint", "int2"),
    "BOOLEAN": ("boolean", "bool"),
    "TEXT": ("text", "text"),
    "UUID": ("uuid", "uuid"),
    "JSON": ("json", "json"),
    "JSONB": ("jsonb", "jsonb"),
    "DATE": ("date", "date"),
    "REAL": ("real", "float4"),
    "DOUBLE PRECISION": ("double precision", "float8"),
    "DOUBLE": ("double precision", "float8"),
    "FLOAT": ("double precision", "float8"),
    "NUMERIC": ("numeric", "numeric"),
    "DECIMAL": ("numeric", "numeric"),
    "BYTEA": ("bytea", "bytea"),
    "INTERVAL": ("interval", "interval"),
    "VARCHAR": ("character varying", "varchar"),
    "CHARACTER VARYING": ("character varying", "varchar"),
    "CHAR": ("character", "bpchar"),
    "CHARACTER": ("character", "bpchar"),
    "TIMESTAMP WITHOUT TIME ZONE": ("timestamp without time zone", "timestamp"),
    "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", "timestamptz"),
    "TIMESTAMP": ("timestamp without time zone", "timestamp"),
    "TIME WITHOUT TIME ZONE": ("time without time zone", "time"),
    "TIME WITH TIME ZONE": ("time with time zone", "timetz"),
    "TIME": ("time without time zone", "time"),
    "INET": ("inet", "inet"),
    "CIDR": ("cidr", "cidr"),
    "MACADDR": ("macaddr", "macaddr"),
    "MACADDR8": ("macaddr8", "macaddr8"),
    "MONEY": ("money", "money"),
    "OID": ("oid", "oid"),
    "REGCLASS": ("regclass", "regclass"),
    "TSVECTOR": ("tsvector", "tsvector"),
    "TSQUERY": ("tsquery", "tsquery"),
    "XML": ("xml", "xml"),
    "BIT": ("bit", "bit"),
    "BIT VARYING": ("bit varying", "varbit"),
    "INT4RANGE": ("int4range", "int4range"),
    "INT8RANGE": ("int8range", "int8range"),
    "NUMRANGE": ("numrange", "numrange"),
    "DATERANGE": ("daterange", "daterange"),
    "TSRANGE": ("tsrange", "tsrange"),
    "TSTZRANGE": ("tstzrange", "tstzrange"),
    "HSTORE": ("hstore", "hstore"),
}
_SERIALS = {"integer": "SERIAL", "bigint": "BIGSERIAL", "smallint": "SMALLSERIAL"}
_INTEGERS = {"int2", "int4", "int8"}
_TRUE = {"t", "true", "y", "yes", "on", "1"}
_FALSE = {"f", "false", "n", "no", "off", "0"}
_SHAPE = re.compile(
    r"^(?P<base>[A-Z][A-Z0-9 ]*?)\s*(?:\((?P<mod>[^)]*)\))?(?P<rest>(?: [A-Z]+)*)"
    r"(?P<array>(?:\[\d*\])*)$"
)
_LITERAL = re.compile(r"^'(?:[^']|'')*'$")
_ON_DELETE = {
    None: "a",
    "NO ACTION": "a",
    "RESTRICT": "r",
    "CASCADE": "c",
    "SET NULL": "n",
    "SET DEFAULT": "d",
}


def from_metadata(metadata: sa.MetaData, database: str = "") -> Catalog:
    """The Catalog that ``metadata.create_all`` would produce in PostgreSQL.

    See the module docstring for the spellings that are normalised rather than exact.
    """
    schemas: dict[str, Schema] = {}
    tables: dict[str, Table] = {}
    types: dict[str, TypeDef] = {}
    sequences: dict[str, Sequence] = {}
    for sa_table in metadata.sorted_tables:
        schema = sa_table.schema or "public"
        schemas.setdefault(schema, Schema(schema))
        for column in sa_table.columns:
            for enum in _enums(column.type):
                enum_schema = _enum_schema(enum, sa_table)
                typedef = TypeDef(enum_schema, str(enum.name), "enum", labels=tuple(enum.enums))
                types.setdefault(typedef.path, typedef)
                schemas.setdefault(enum_schema, Schema(enum_schema))
        table = _table(sa_table, schema, sequences)
        tables[table.path] = table
    return Catalog(
        database=database,
        schemas=dict(sorted(schemas.items())),
        tables=dict(sorted(tables.items())),
        types=dict(sorted(types.items())),
        sequences=sequences,
    )


def _table(sa_table: sa.Table, schema: str, sequences: dict[str, Sequence]) -> Table:
    columns = tuple(_column(c, schema, sequences) for c in sa_table.columns)
    indexes: list[Index] = []
    constraints: list[Constraint] = []
    fks: list[ForeignKey] = []
    name = sa_table.name
    for constraint in sa_table.constraints:
        cols = tuple(c.name for c in getattr(constraint, "columns", ()))
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            if not cols:
                continue
            con_name = _name(constraint.name) or f"{name}_pkey"
            constraints.append(Constraint(con_name, "p", cols, f"PRIMARY KEY ({_list(cols)})"))
            indexes.append(_constraint_index(con_name, schema, name, cols, primary=True))
        elif isinstance(constraint, sa.UniqueConstraint):
            con_name = _name(constraint.name) or f"{name}_{'_'.join(cols)}_key"
            constraints.append(Constraint(con_name, "u", cols, f"UNIQUE ({_list(cols)})"))
            indexes.append(_constraint_index(con_name, schema, name, cols, primary=False))
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            fks.append(_foreign_key(constraint, name, cols))
        elif isinstance(constraint, sa.CheckConstraint):
            constraints.append(_check(constraint, sa_table))
    for index in sa_table.indexes:
        indexes.append(_index(index, schema, name))
    return Table(
        schema,
        name,
        columns=columns,
        indexes=_sorted(indexes),
        foreign_keys=_sorted(fks),
        constraints=_sorted(constraints),
        comment=sa_table.comment,
    )


def _column(column: sa.Column[Any], schema: str, sequences: dict[str, Sequence]) -> Column:
    type_, type_schema, type_name = _type(column.type, column.table)
    identity = ""
    generated = ""
    default: str | None = None
    if column.identity is not None:
        identity = "a" if column.identity.always else "d"
    elif column.computed is not None:
        generated = "s"
        default = _sql(column.computed.sqltext)
    elif column.server_default is not None:
        default = _default(column, type_, type_name)
    elif _is_serial(column, type_):
        sequence = f"{column.table.name}_{column.name}_seq"
        qualified = (
            sequence if schema == "public" else f"{quote_ident(schema)}.{quote_ident(sequence)}"
        )
        default = f"nextval('{qualified}'::regclass)"
        seq = Sequence(schema, sequence, owned_by=f"{schema}.{column.table.name}.{column.name}")
        sequences[seq.path] = seq
    return Column(
        column.name,
        type_,
        bool(column.nullable),
        default,
        type_schema,
        type_name,
        identity,
        generated,
    )


def _type(sa_type: Any, table: sa.Table) -> tuple[str, str, str]:
    """(format_type text, type schema, typname) of a column type."""
    enum = sa_type.item_type if isinstance(sa_type, sa.ARRAY) else sa_type
    array = isinstance(sa_type, sa.ARRAY)
    if isinstance(enum, sa.Enum) and enum.native_enum and enum.name:
        schema = _enum_schema(enum, table)
        name = str(enum.name)
        shown = (
            quote_ident(name)
            if schema == "public"
            else f"{quote_ident(schema)}.{quote_ident(name)}"
        )
        return shown + ("[]" if array else ""), schema, ("_" if array else "") + name
    compiled = _DIALECT.type_compiler_instance.process(sa_type)
    match = _SHAPE.match(compiled.strip())
    if match is None:
        return compiled.lower(), "pg_catalog", compiled.lower()
    base, mod, rest = match["base"], match["mod"], match["rest"].strip()
    array = bool(match["array"])
    key = f"{base} {rest}".strip()
    known = _TYPES.get(key) or _TYPES.get(base)
    if known is None:
        text = compiled.lower()
        bare = re.sub(r"\(.*?\)|\[\d*\]", "", text).strip()
        if array:
            text = re.sub(r"(\[\d*\])+$", "[]", text)
        return text, "pg_catalog", ("_" if array else "") + bare
    shown, typname = known
    if base == "FLOAT":
        shown, typname = ("real", "float4") if mod and int(mod) <= 24 else known
        mod = None
    if mod is not None:
        mod = re.sub(r"\s*,\s*", ",", mod.strip())
        if " " in shown and shown.startswith(("timestamp", "time")):
            head, _, tail = shown.partition(" ")
            shown = f"{head}({mod}) {tail}"
        else:
            shown = f"{shown}({mod})"
    elif typname == "bpchar":
        shown = "character(1)"
    elif typname in ("interval",) and rest:
        shown = f"interval {rest.lower()}"
    return shown + ("[]" if array else ""), "pg_catalog", ("_" if array else "") + typname


def _default(column: sa.Column[Any], type_: str, type_name: str) -> str | None:
    text = _DDL.get_column_default_string(column)
    if text is None:
        return None
    text = text.strip()
    if not _LITERAL.match(text):
        return text
    value = text[1:-1].replace("''", "'")
    if type_name == "bool" and value.lower() in _TRUE | _FALSE:
        return "true" if value.lower() in _TRUE else "false"
    if type_name in _INTEGERS and re.match(r"^\d+$", value):
        return value
    if type_name == "numeric" and re.match(r"^\d+\.\d+$", value):
        return value
    bare = re.sub(r"\([^)]*\)", "", type_)
    return f"{text}::{bare}"


def _is_serial(column: sa.Column[Any], type_: str) -> bool:
    table = column.table
    return (
        type_ in _SERIALS
        and column.default is None
        and getattr(table, "_autoincrement_column", None) is column
    )


def _enums(sa_type: Any) -> list[sa.Enum]:
    item = sa_type.item_type if isinstance(sa_type, sa.ARRAY) else sa_type
    if isinstance(item, sa.Enum) and item.native_enum and item.name:
        return [item]
    return []


def _enum_schema(enum: sa.Enum, table: sa.Table) -> str:
    if enum.schema:
        return str(enum.schema)
    if getattr(enum, "inherit_schema", False) and table.schema:
        return str(table.schema)
    metadata = getattr(enum, "metadata", None)
    if metadata is not None and metadata.schema:
        return str(metadata.schema)
    return "public"


def _foreign_key(
    constraint: sa.ForeignKeyConstraint, table: str, cols: tuple[str, ...]
) -> ForeignKey:
    referred = constraint.referred_table
    ref_cols = tuple(element.column.name for element in constraint.elements)
    name = _name(constraint.name) or f"{table}_{'_'.join(cols)}_fkey"
    on_delete = constraint.ondelete.upper() if constraint.ondelete else None
    return ForeignKey(
        name,
        cols,
        referred.schema or "public",
        referred.name,
        ref_cols,
        _ON_DELETE.get(on_delete, "a"),
    )


def _check(constraint: sa.CheckConstraint, table: sa.Table) -> Constraint:
    referred: list[str] = []
    if isinstance(constraint.sqltext, sa.TextClause):
        # Plain SQL: the table's column names it mentions, outside string literals.
        words = re.findall(
            r"[A-Za-z_][\w$]*", re.sub(r"'(?:[^']|'')*'", "", constraint.sqltext.text)
        )
        names = set(table.columns.keys())
        referred = list(dict.fromkeys(w for w in words if w in names))
    for element in visitors.iterate(constraint.sqltext):
        if (
            isinstance(element, sa.Column)
            and element.table is table
            and element.name not in referred
        ):
            referred.append(element.name)
    name = _name(constraint.name) or (
        f"{table.name}_{referred[0]}_check" if len(referred) == 1 else f"{table.name}_check"
    )
    return Constraint(name, "c", tuple(referred), f"CHECK ({_sql(constraint.sqltext)})")


def _constraint_index(
    name: str, schema: str, table: str, cols: tuple[str, ...], *, primary: bool
) -> Index:
    quoted = tuple(quote_ident(c) for c in cols)
    definition = (
        f"CREATE UNIQUE INDEX {quote_ident(name)} ON {quote_ident(schema)}.{quote_ident(table)} "
        f"USING btree ({', '.join(quoted)})"
    )
    return Index(name, quoted, True, primary, definition=definition, constraint=name)


def _index(index: sa.Index, schema: str, table: str) -> Index:
    options = index.dialect_options["postgresql"]
    method = str(options.get("using") or "btree").lower()
    columns = tuple(
        quote_ident(expr.name) if isinstance(expr, sa.Column) else _sql(expr)
        for expr in index.expressions
    )
    where = options.get("where")
    predicate = _sql(where) if where is not None else None
    name = _name(index.name) or f"{table}_{'_'.join(c.name for c in index.columns)}_idx"
    definition = (
        f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {quote_ident(name)} ON "
        f"{quote_ident(schema)}.{quote_ident(table)} USING {method} ({', '.join(columns)})"
        + (f" WHERE {predicate}" if predicate else "")
    )
    return Index(
        name, columns, bool(index.unique), predicate=predicate, method=method, definition=definition
    )


def _sql(clause: Any) -> str:
    if isinstance(clause, str):
        return clause
    compiled = clause.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True})
    return str(compiled).strip()


def _name(name: Any) -> str | None:
    if name is None or type(name).__name__ == "_NoneName":
        return None
    return str(name)


def _list(cols: tuple[str, ...]) -> str:
    return ", ".join(quote_ident(c) for c in cols)


_Named = TypeVar("_Named", Index, ForeignKey, Constraint)


def _sorted(items: list[_Named]) -> tuple[_Named, ...]:
    return tuple(sorted(items, key=lambda item: item.name))
