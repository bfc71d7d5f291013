"""MIG009: CREATE of a table, type, sequence, view or function without a schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, names
from schemakit.sql import Statement

# schemas that never count as the service's own
_SHARED = frozenset({"public", "pg_catalog", "pg_temp", "information_schema"})


def _created(statement: Statement) -> tuple[str, list[str]] | None:
    """(``CREATE ...`` words, the name's parts) of a statement creating a schema object
    that lives in a schema; None for anything else or a temporary object."""
    kind = statement.kind
    # a view's and a function's trees are read a field at a time: their query and body,
    # most of their JSON, are never decoded
    if kind == "ViewStmt":
        return _in_schema("CREATE VIEW", statement.part("view"))
    if kind == "CreateFunctionStmt":
        what = "CREATE PROCEDURE" if statement.part("is_procedure") else "CREATE FUNCTION"
        return what, names(statement.part("funcname"))
    node = statement.node
    relation: dict[str, Any] | None = None
    if kind == "CreateStmt":
        what, relation = "CREATE TABLE", node.get("relation")
    elif kind == "CreateTableAsStmt":
        matview = node.get("objtype") == "OBJECT_MATVIEW"
        what = "CREATE MATERIALIZED VIEW" if matview else "CREATE TABLE"
        relation = node.get("into", {}).get("rel")
    elif kind == "CreateSeqStmt":
        what, relation = "CREATE SEQUENCE", node.get("sequence")
    elif kind == "CompositeTypeStmt":
        what, relation = "CREATE TYPE", node.get("typevar")
    elif kind in ("CreateEnumStmt", "CreateRangeStmt"):
        return "CREATE TYPE", names(node.get("typeName"))
    elif kind == "CreateDomainStmt":
        return "CREATE DOMAIN", names(node.get("domainname"))
    elif kind == "DefineStmt" and node.get("kind") in ("OBJECT_TYPE", "OBJECT_AGGREGATE"):
        what = "CREATE TYPE" if node["kind"] == "OBJECT_TYPE" else "CREATE AGGREGATE"
        return what, names(node.get("defnames"))
    else:
        return None
    return _in_schema(what, relation)


def _in_schema(what: str, relation: dict[str, Any] | None) -> tuple[str, list[str]] | None:
    """(``what``, the name's parts) of a created relation (a ``RangeVar``); None for a
    temporary one."""
    if not relation or relation.get("relpersistence") == "t":
        return None
    schema = relation.get("schemaname")
    return what, [schema, relation.get("relname", "")] if schema else [relation["relname"]]


class UnqualifiedCreate(SqlRule):
    """`CREATE` of a table, type, sequence, view or function that names no schema.

    ## What it does
    Flags `CREATE TABLE`, `CREATE TABLE ... AS`, `CREATE [MATERIALIZED] VIEW`, `CREATE
    SEQUENCE`, `CREATE TYPE` (enum, composite, range, base), `CREATE DOMAIN`, `CREATE
    FUNCTION`, `CREATE PROCEDURE` and `CREATE AGGREGATE` whose name has no schema
    (`CREATE TABLE files`, not `CREATE TABLE storage.files`). `CREATE INDEX` and `CREATE
    TRIGGER` are never flagged (they live with their table), nor are temporary tables and
    views. The message names the service's schema once its migrations named one (`CREATE
    SCHEMA`, or objects created in it).

    A `SET search_path` earlier in the file does not silence it. The object then lands in
    the right schema, but only as long as every statement of the file runs in the session
    that ran the `SET`: a tool that applies statements on pooled connections, a `SET LOCAL`
    whose transaction ended (`COMMIT` in the file, or a file `schemakit migrate` applies
    statement by statement), or one statement pasted into psql during an incident, and it
    lands in `public`. The message names the search_path the file set.

    A service with no schemas of its own in a database the config exempts is not flagged:
    that is the guideline's `mana_sync` exception (`exempt-databases`), all in `public` on
    purpose. A service that does have schemas there is a projection on top of it, and
    "DO use pgSchema()": it is flagged like any other.

    ## Why is this bad?
    The object lands in the first schema of the session's `search_path`: `public` by
    default, where it collides with another service's object of the same name and escapes
    the service's schema (its grants, RLS boundary, and `DROP SCHEMA ... CASCADE`). The
    module-level `pgTable(` and `pgEnum(` of Drizzle generate exactly this. A warning:
    ISO001-ISO003 report the object as an error when it does land in `public`.

    ## Example
    ```sql
    CREATE TABLE files (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ ... $$;
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
    CREATE FUNCTION storage.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ ... $$;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "Every service ... MUST namespace its tables under its own
    PostgreSQL schema using pgSchema('<name>').table(...). Never use raw pgTable()".
    """

    code = "MIG009"
    name = "unqualified-create"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset(
        {
            "CreateSchemaStmt",
            "CreateStmt",
            "CreateTableAsStmt",
            "ViewStmt",
            "CreateSeqStmt",
            "CompositeTypeStmt",
            "CreateEnumStmt",
            "CreateRangeStmt",
            "CreateDomainStmt",
            "DefineStmt",
            "CreateFunctionStmt",
        }
    )

    def __init__(self) -> None:
        self._schema: str | None = None
        """The service's own schema, once its migrations named one."""
        self._pending: list[tuple[Statement, str, str, str | None]] = []
        """Unqualified creates of the current file: (statement, verb, name, search_path)."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        if statement.kind == "CreateSchemaStmt":
            self._own(statement.node.get("schemaname"))
            return iter(())
        created = _created(statement)
        if created is None or not created[1]:
            return iter(())
        what, parts = created
        if len(parts) > 1:
            self._own(parts[-2])
        else:
            path = ctx.settings.get("search_path") or None
            self._pending.append((statement, what, parts[0], path))
        return iter(())

    def finish(self, ctx: SqlContext) -> Iterator[Finding]:
        pending, self._pending = self._pending, []
        if ctx.exempt:
            return
        schema = self._schema
        for statement, what, name, search_path in pending:
            where = (
                f"where it lands depends on the search_path set earlier in this file "
                f"({search_path})"
                if search_path is not None
                else "it lands in the first schema on search_path (public by default)"
                + (f", not in {schema}" if schema else "")
            )
            yield self.finding(
                f"{what} {name} names no schema: {where}",
                f"Qualify the name: {what} {schema or 'SERVICE_SCHEMA'}.{name}.",
                object=name,
                kind=what.lower().removeprefix("create "),
                location=self.at(statement),
                service=ctx.service,
            )

    def _own(self, schema: str | None) -> None:
        if self._schema is None and schema and schema not in _SHARED:
            self._schema = schema
