"""The SQL that makes a live database what its applied migrations produce, one difference at a
time (``want``: the object as the migrations make it, None when they do not; ``have``: as the
database holds it, None when it does not).

It is a proposal for a person to review, as drift itself is: statements where the catalog says
enough to write them, a ``--`` comment naming the migration's file and line where it does not
(a view's query, a function's body). Indexes are built and dropped CONCURRENTLY, foreign keys
added NOT VALID then validated: the forms the MIG rules ask of a migration."""

from __future__ import annotations

from collections.abc import Callable

from schemakit.catalog import Column, Constraint, ForeignKey, Function, Index, Table, TypeDef
from schemakit.conventions import quote_ident, quote_qualified

__all__ = [
    "column",
    "constraint",
    "foreign_key",
    "function",
    "index",
    "relation",
    "schema",
    "type_",
]

Where = Callable[[str], str | None]

_DROP = {
    "table": "TABLE",
    "partitioned table": "TABLE",
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "foreign table": "FOREIGN TABLE",
}
_ON_DELETE = {"r": " ON DELETE RESTRICT", "c": " ON DELETE CASCADE", "n": " ON DELETE SET NULL"}
_ON_DELETE["d"] = " ON DELETE SET DEFAULT"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _made_at(where: Where, path: str, what: str) -> str:
    location = where(path)
    return f"-- {what} as the migrations do" + (f" ({location})" if location else "")


def schema(want: str | None, have: str | None) -> str:
    if have is None and want is not None:
        return f"CREATE SCHEMA {quote_ident(want)};"
    if want is None and have is not None:
        return f"DROP SCHEMA {quote_ident(have)};"
    return ""


def _column_sql(col: Column) -> str:
    text = f"{quote_ident(col.name)} {col.type}"
    if col.generated:  # its expression is the catalog's default (pg_attrdef holds both)
        text += f" GENERATED ALWAYS AS ({col.default}) STORED"
    elif col.identity:
        text += " GENERATED " + ("ALWAYS" if col.identity == "a" else "BY DEFAULT") + " AS IDENTITY"
    elif col.default is not None:
        text += f" DEFAULT {col.default}"
    return text + ("" if col.nullable else " NOT NULL")


def relation(want: Table | None, have: Table | None, where: Where) -> str:
    if want is None and have is not None:
        return f"DROP {_DROP.get(have.kind, 'TABLE')} {quote_qualified(have.schema, have.name)};"
    assert want is not None
    name = quote_qualified(want.schema, want.name)
    if want.kind != "table" or want.partition_of:
        make = _made_at(where, want.path, f"create {want.kind} {want.path}")
        if have is None:
            return make
        drop = f"DROP {_DROP.get(have.kind, 'TABLE')} {name};"
        return f"{drop}\n{make}"
    lines = [f"CREATE TABLE {name} ("]
    parts = [_column_sql(c) for c in want.columns]
    parts += [f"CONSTRAINT {quote_ident(c.name)} {c.definition}" for c in want.constraints]
    lines.append(",\n".join(f"    {part}" for part in parts))
    lines.append(");")
    statements = ["\n".join(lines)]
    statements += [
        index(want, i, None) for i in want.indexes if i.constraint is None and not i.primary
    ]
    statements += [foreign_key(want, f, None) for f in want.foreign_keys]
    if have is not None:
        statements.insert(0, f"DROP {_DROP.get(have.kind, 'TABLE')} {name};")
    return "\n".join(statements)


def column(table: Table, want: Column | None, have: Column | None) -> str:
    alter = f"ALTER TABLE {quote_qualified(table.schema, table.name)}"
    if want is None and have is not None:
        return f"{alter} DROP COLUMN {quote_ident(have.name)};"
    assert want is not None
    if have is None:
        return f"{alter} ADD COLUMN {_column_sql(want)};"
    col = f"{alter} ALTER COLUMN {quote_ident(want.name)}"
    if want.generated != have.generated:
        # a generated column's expression cannot be altered: drop it and add it again
        return (
            f"{alter} DROP COLUMN {quote_ident(have.name)};\n{alter} ADD COLUMN "
            f"{_column_sql(want)};"
        )
    out = []
    if want.identity != have.identity and have.identity:
        out.append(f"{col} DROP IDENTITY;")
    if want.default != have.default and have.default is not None and not want.identity:
        out.append(f"{col} DROP DEFAULT;")
    if want.type != have.type:
        out.append(f"{col} TYPE {want.type} USING {quote_ident(want.name)}::{want.type};")
    if want.default != have.default and want.default is not None and not want.identity:
        out.append(f"{col} SET DEFAULT {want.default};")
    if want.identity != have.identity and want.identity:
        kind = "ALWAYS" if want.identity == "a" else "BY DEFAULT"
        out.append(f"{col} ADD GENERATED {kind} AS IDENTITY;")
    if want.nullable != have.nullable:
        out.append(f"{col} {'DROP' if want.nullable else 'SET'} NOT NULL;")
    return "\n".join(out)


def _concurrently(definition: str) -> str:
    for prefix in ("CREATE UNIQUE INDEX ", "CREATE INDEX "):
        if definition.startswith(prefix):
            return f"{prefix}CONCURRENTLY {definition[len(prefix) :]};"
    return definition + ";"


def index(table: Table, want: Index | None, have: Index | None) -> str:
    out = []
    if have is not None:
        if have.constraint is not None:
            out.append(f"-- index {have.name} comes with constraint {have.constraint}")
        else:
            out.append(f"DROP INDEX CONCURRENTLY {quote_qualified(table.schema, have.name)};")
    if want is not None:
        if want.constraint is not None:
            out.append(f"-- index {want.name} comes with constraint {want.constraint}")
        else:
            out.append(_concurrently(want.definition))
    return "\n".join(dict.fromkeys(out))


def constraint(table: Table, want: Constraint | None, have: Constraint | None) -> str:
    alter = f"ALTER TABLE {quote_qualified(table.schema, table.name)}"
    out = []
    if have is not None:
        out.append(f"{alter} DROP CONSTRAINT {quote_ident(have.name)};")
    if want is not None:
        out.append(f"{alter} ADD CONSTRAINT {quote_ident(want.name)} {want.definition};")
    return "\n".join(out)


def foreign_key(table: Table, want: ForeignKey | None, have: ForeignKey | None) -> str:
    alter = f"ALTER TABLE {quote_qualified(table.schema, table.name)}"
    out = []
    if have is not None:
        out.append(f"{alter} DROP CONSTRAINT {quote_ident(have.name)};")
    if want is not None:
        columns = ", ".join(quote_ident(c) for c in want.columns)
        refs = ", ".join(quote_ident(c) for c in want.ref_columns)
        target = quote_qualified(want.ref_schema, want.ref_table)
        out.append(
            f"{alter} ADD CONSTRAINT {quote_ident(want.name)} FOREIGN KEY ({columns}) "
            f"REFERENCES {target} ({refs}){_ON_DELETE.get(want.on_delete, '')} NOT VALID;"
        )
        out.append(f"{alter} VALIDATE CONSTRAINT {quote_ident(want.name)};")
    return "\n".join(out)


def type_(want: TypeDef | None, have: TypeDef | None, where: Where) -> str:
    if want is None and have is not None:
        return f"DROP TYPE {quote_qualified(have.schema, have.name)};"
    assert want is not None
    name = quote_qualified(want.schema, want.name)
    if want.kind != "enum" or (have is not None and have.kind != "enum"):
        return _made_at(where, want.path, f"create {want.kind} {want.path}")
    if have is None:
        return f"CREATE TYPE {name} AS ENUM ({', '.join(map(_literal, want.labels))});"
    out = []
    for position, label in enumerate(want.labels):
        if label in have.labels:
            continue
        after = next((w for w in reversed(want.labels[:position]) if w in have.labels), None)
        place = f" AFTER {_literal(after)}" if after else ""
        out.append(f"ALTER TYPE {name} ADD VALUE {_literal(label)}{place};")
    gone = [label for label in have.labels if label not in want.labels]
    if gone:
        out.append(
            f"-- PostgreSQL cannot remove enum values ({', '.join(gone)}): recreate the type"
        )
    return "\n".join(out)


def function(want: Function | None, have: Function | None, where: Where) -> str:
    drop = ""
    if have is not None:
        word = "PROCEDURE" if have.kind == "procedure" else "FUNCTION"
        if have.kind == "aggregate":
            word = "AGGREGATE"
        drop = f"DROP {word} {quote_qualified(have.schema, have.name)}({have.arguments});"
    if want is None:
        return drop
    make = _made_at(where, f"{want.schema}.{want.name}", f"create {want.kind} {want.path}")
    return f"{drop}\n{make}" if drop else make
