"""SEC008: an object in a service's schema owned by a role that is not the service's."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident

# Table.kind -> what ALTER ... OWNER TO takes (ALTER TABLE for the kinds not listed)
_ALTER = {
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "foreign table": "FOREIGN TABLE",
}


class ForeignOwner(CatalogRule):
    """An object in a service's schema is owned by a role other than the service's.

    ## What it does
    For a service with a `role` in the config, flags its schemas, and the tables, views,
    sequences, types and functions in them, owned by a role that is neither that role nor
    the role the catalog was read as (the one that runs the migrations). A login that is
    a member of the service's role, another service's role and a stray superuser are all
    flagged. Read from a live database; the fix hands the object to the service's role.

    ## Why is this bad?
    The owner may alter and drop the object and put triggers on it; a trigger or
    `SECURITY DEFINER` function runs with its owner's rights. An object a login recreated
    under its own name (the escalation: drop a table, recreate it with a trigger that the
    next migration, run as a superuser, fires) is owned by that login, and nothing else
    shows it.

    ## Example
    ```sql
    SET ROLE some_login; CREATE TABLE app.sessions (id uuid PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    ALTER TABLE app.sessions OWNER TO app_svc;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC008"
    name = "foreign-owner"
    object_kind = "table"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        catalog = ctx.catalog
        if not catalog.roles:
            return  # not a live database: owners are not known
        role_of: dict[str, str] = {}
        for service in ctx.config.services_in(ctx.database):
            for schema in service.schemas:
                if service.role:
                    role_of.setdefault(schema, service.role)
        objects: list[tuple[str, str, str, str | None]] = [
            ("schema", s.name, f"SCHEMA {quote_ident(s.name)}", s.owner)
            for s in catalog.schemas.values()
        ]
        objects += [
            (
                t.kind,
                t.path,
                f"{_ALTER.get(t.kind, 'TABLE')} {quote_qualified(t.schema, t.name)}",
                t.owner,
            )
            for t in catalog.tables.values()
            if t.partition_of is None
        ]
        objects += [
            ("sequence", s.path, f"SEQUENCE {quote_qualified(s.schema, s.name)}", s.owner)
            for s in catalog.sequences.values()
        ]
        objects += [
            ("type", t.path, f"TYPE {quote_qualified(t.schema, t.name)}", t.owner)
            for t in catalog.types.values()
        ]
        objects += [
            (
                f.kind,
                f.path,
                f"{'PROCEDURE' if f.kind == 'procedure' else 'FUNCTION'} "
                f"{quote_qualified(f.schema, f.name)}({f.arguments})",
                f.owner,
            )
            for f in catalog.functions.values()
            if f.kind in ("function", "procedure")
        ]
        for kind, path, target, owner in objects:
            role = role_of.get(path.split(".", 1)[0].split("(", 1)[0])
            if role is None or owner is None or owner in (role, catalog.user):
                continue
            sql = f"ALTER {target} OWNER TO {quote_ident(role)};"
            yield self.finding(
                f"{kind.capitalize()} {path} is owned by {owner}, not by {role}, the role of "
                "its service",
                f"Hand it over: {sql}",
                object=path,
                kind=kind if kind in ("schema", "sequence", "type", "function") else "table",
                fix=Fix(sql, review=f"{owner} loses the right to alter or drop {path}"),
            )
