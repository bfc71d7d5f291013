"""The Catalog IR: what a schema IS, whichever source it was read from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import msgspec

__all__ = [
    "Catalog",
    "Column",
    "DefaultGrant",
    "ForeignKey",
    "Function",
    "Grant",
    "Index",
    "Role",
    "Schema",
    "Sequence",
    "Table",
    "Trigger",
    "TypeDef",
]


class _Struct(msgspec.Struct, frozen=True, gc=False):
    """What every catalog object is: immutable, compared and hashed by its fields.

    A msgspec Struct rather than a frozen dataclass: built in C, about ten times faster, and
    left out of the cyclic garbage collector (``gc=False``: they hold no reference cycles).
    A big database's catalog has a hundred thousand of them (columns, indexes, grants).
    """


def qualified(schema: str, name: str) -> str:
    return f"{schema}.{name}"


class Schema(_Struct, frozen=True, gc=False):
    name: str
    owner: str | None = None

    @property
    def path(self) -> str:
        return self.name


class Column(_Struct, frozen=True, gc=False):
    name: str
    type: str
    """As PostgreSQL prints it: ``uuid``, ``timestamp with time zone``, ``character varying(500)``."""
    nullable: bool = True
    default: str | None = None
    type_schema: str = "pg_catalog"
    type_name: str = ""
    """The bare type name (``int4``, ``timestamptz``, ``transaction_type``)."""
    identity: str = ""
    generated: str = ""


class Index(_Struct, frozen=True, gc=False):
    name: str
    columns: tuple[str, ...]
    """Key columns; expressions appear as their SQL text."""
    unique: bool = False
    primary: bool = False
    valid: bool = True
    predicate: str | None = None
    method: str = "btree"
    definition: str = ""
    constraint: str | None = None


class ForeignKey(_Struct, frozen=True, gc=False):
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "a"
    """``a`` no action, ``r`` restrict, ``c`` cascade, ``n`` set null, ``d`` set default."""
    validated: bool = True

    @property
    def ref_path(self) -> str:
        return qualified(self.ref_schema, self.ref_table)


class Constraint(_Struct, frozen=True, gc=False):
    name: str
    kind: str
    """``p`` primary key, ``u`` unique, ``c`` check, ``x`` exclusion."""
    columns: tuple[str, ...]
    definition: str = ""
    validated: bool = True


class Table(_Struct, frozen=True, gc=False):
    schema: str
    name: str
    kind: str = "table"
    """``table``, ``partitioned table``, ``view``, ``materialized view`` or ``foreign table``."""
    owner: str | None = None
    columns: tuple[Column, ...] = ()
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    comment: str | None = None
    row_security: bool = False
    partition_of: str | None = None
    """``schema.table`` of the partitioned parent, for a partition."""

    @property
    def path(self) -> str:
        return qualified(self.schema, self.name)

    @property
    def primary_key(self) -> tuple[str, ...]:
        for constraint in self.constraints:
            if constraint.kind == "p":
                return constraint.columns
        return ()

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None


class TypeDef(_Struct, frozen=True, gc=False):
    schema: str
    name: str
    kind: str
    """``enum``, ``domain``, ``composite``, ``range``, ``multirange`` or ``base``."""
    owner: str | None = None
    labels: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return qualified(self.schema, self.name)


class Sequence(_Struct, frozen=True, gc=False):
    schema: str
    name: str
    owner: str | None = None
    owned_by: str | None = None
    """``schema.table.column`` for serial and identity sequences."""

    @property
    def path(self) -> str:
        return qualified(self.schema, self.name)


class Function(_Struct, frozen=True, gc=False):
    schema: str
    name: str
    arguments: str = ""
    kind: str = "function"
    owner: str | None = None
    language: str = "sql"
    security_definer: bool = False
    config: tuple[str, ...] = ()
    """Its ``SET`` settings (``pg_proc.proconfig``): ``("search_path=auth, pg_temp",)``."""

    @property
    def path(self) -> str:
        return f"{self.schema}.{self.name}({self.arguments})"


class Trigger(_Struct, frozen=True, gc=False):
    """A trigger on a table or view (not the internal ones of foreign keys)."""

    schema: str
    table: str
    name: str
    function_schema: str
    function_name: str
    function_owner: str | None = None
    """Who owns the function it runs: that role decides what the trigger does."""
    enabled: bool = True
    """False when ``ALTER TABLE ... DISABLE TRIGGER`` turned it off."""

    @property
    def path(self) -> str:
        return f"{self.schema}.{self.table}.{self.name}"

    @property
    def function(self) -> str:
        return qualified(self.function_schema, self.function_name)


class Grant(_Struct, frozen=True, gc=False):
    object_kind: str
    """``schema``, ``table`` (also a view or foreign table), ``sequence`` or ``column``
    (its ``name`` then ``table.column``)."""
    schema: str
    name: str | None
    grantee: str
    privilege: str
    grantable: bool = False


class DefaultGrant(_Struct, frozen=True, gc=False):
    """A privilege ``ALTER DEFAULT PRIVILEGES IN SCHEMA`` gives on what ``owner`` creates
    there later (schema-wide defaults only)."""

    owner: str
    schema: str
    object_kind: str
    """``table`` or ``sequence`` (``function``, ``type``, ``schema`` for the others)."""
    grantee: str
    privilege: str


class Role(_Struct, frozen=True, gc=False):
    """A role of the cluster (read from a live database only)."""

    name: str
    superuser: bool = False
    privileges_of: frozenset[str] = frozenset()
    """The roles whose privileges it has (``pg_has_role(name, r, 'USAGE')``), itself too."""
    createrole: bool = False
    createdb: bool = False
    bypassrls: bool = False
    member_of: frozenset[str] = frozenset()
    """The roles it was granted directly (``GRANT r TO name``), which a REVOKE undoes."""


@dataclass(frozen=True)
class Catalog:
    """Everything one database holds, keyed by ``schema.name`` paths."""

    database: str = ""
    schemas: Mapping[str, Schema] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)
    types: Mapping[str, TypeDef] = field(default_factory=dict)
    sequences: Mapping[str, Sequence] = field(default_factory=dict)
    functions: Mapping[str, Function] = field(default_factory=dict)
    grants: tuple[Grant, ...] = ()
    server_version: int = 0
    roles: Mapping[str, Role] = field(default_factory=dict)
    """Every role of the cluster; only a live database has them."""
    user: str = ""
    """The role that read a live database (``current_user``)."""
    default_grants: tuple[DefaultGrant, ...] = ()
    triggers: Mapping[str, Trigger] = field(default_factory=dict)
    """By ``schema.table.trigger``; only a live database has them."""

    def tables_in(self, schema: str) -> Iterator[Table]:
        return (t for t in self.tables.values() if t.schema == schema)

    def table(self, schema: str, name: str) -> Table | None:
        return self.tables.get(qualified(schema, name))
