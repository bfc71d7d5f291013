"""SEC008: an object in a service's schema owned by a role that is not the service's owner role."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules.sec._roles import expected_owner, role_label

# Table.kind -> what ALTER ... OWNER TO takes (ALTER TABLE for the kinds not listed)
_ALTER = {
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "foreign table": "FOREIGN TABLE",
}


class ForeignOwner(CatalogRule):
    """An object in a service's schema is owned by a role other than the service's owner role.

    ## What it does
    For a service with a `role` in the config, flags its schemas, and the tables, views,
    sequences and types in them, owned by anything but its owner role (`owner-role`, by
    default `<role>_owner`): the login-through `role` itself, a login that is a member of
    it, another service's role, a stray superuser. (Functions are SEC009's.) Read from a
    live database; in a replay of the migrations the superuser that runs them stands in for
    the owner role, as `migrate` runs them as it. Until the owner role exists (a database
    provisioned before owner roles: `schemakit provision` creates it and hands everything
    over), `role` and the migrating role pass, as they did. The fix hands the object over.

    ## Why is this bad?
    The owner may alter and drop the object and put triggers on it, and a trigger runs
    whatever its function says whenever anyone writes the table. The role services log in
    through must only read and write rows: when it owns a table, a leaked login may drop
    and recreate it with a trigger that the next migration fires (the escalation from a
    service login to the superuser that runs migrations).

    ## Example
    ```sql
    SET ROLE app_svc; CREATE TABLE app.sessions (id uuid PRIMARY KEY);
    ```

    ## Use instead
    ```sql
    ALTER TABLE app.sessions OWNER TO app_svc_owner;
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
        owner_of = {
            schema: owners
            for service in ctx.config.services_in(ctx.database)
            if service.role
            for schema in service.schemas
            if (owners := expected_owner(ctx, schema)) is not None
        }
        objects: list[tuple[str, str, str, str, str | None]] = [
            ("schema", s.name, s.name, f"SCHEMA {quote_ident(s.name)}", s.owner)
            for s in catalog.schemas.values()
        ]
        objects += [
            (
                t.kind,
                t.schema,
                t.path,
                f"{_ALTER.get(t.kind, 'TABLE')} {quote_qualified(t.schema, t.name)}",
                t.owner,
            )
            for t in catalog.tables.values()
            if t.partition_of is None
        ]
        objects += [
            ("sequence", s.schema, s.path, f"SEQUENCE {quote_qualified(s.schema, s.name)}", s.owner)
            for s in catalog.sequences.values()
            if s.owned_by is None  # a serial's or identity's follows its table
        ]
        objects += [
            ("type", t.schema, t.path, f"TYPE {quote_qualified(t.schema, t.name)}", t.owner)
            for t in catalog.types.values()
        ]
        for kind, schema, path, target, owner in objects:
            found = owner_of.get(schema)
            if found is None or owner is None or owner in found[1]:
                continue
            expected = found[0]
            sql = f"ALTER {target} OWNER TO {quote_ident(expected)};"
            yield self.finding(
                f"{kind.capitalize()} {path} is owned by {owner}, not by {role_label(ctx, expected)}",
                f"Hand it over: {sql}",
                object=path,
                kind=kind if kind in ("schema", "sequence", "type") else "table",
                fix=Fix(sql, review=f"{owner} loses the right to alter or drop {path}"),
            )
