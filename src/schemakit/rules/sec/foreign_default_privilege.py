"""SEC007: default privileges in a service's schema that grant another service's role."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules.sec._roles import service_roles

# DefaultGrant.object_kind -> the word ALTER DEFAULT PRIVILEGES takes
_ON = {
    "table": "TABLES",
    "sequence": "SEQUENCES",
    "function": "FUNCTIONS",
    "type": "TYPES",
    "schema": "SCHEMAS",
}


class ForeignDefaultPrivilege(CatalogRule):
    """Default privileges in a service's schema grant another service's role, or PUBLIC.

    ## What it does
    Flags each `ALTER DEFAULT PRIVILEGES IN SCHEMA` entry (`pg_default_acl`) on a
    service's schema whose grantee is another service's `role`, or `PUBLIC` for tables
    and sequences (PostgreSQL's own defaults give `PUBLIC` only `EXECUTE` on functions and
    `USAGE` on types, which are not listed there). One finding per creator, kind and
    grantee. The fix revokes the default.

    ## Why is this bad?
    No object holds the grant yet, so SEC001 is silent; every table the next migration
    creates is handed to the other service the moment it exists.

    ## Example
    ```sql
    ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO billing_svc;
    ```

    ## Use instead
    ```sql
    ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM billing_svc;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC007"
    name = "foreign-default-privilege"
    object_kind = "schema"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        owners = ctx.owners
        roles = service_roles(ctx)
        held: dict[tuple[str, str, str, str], list[str]] = {}
        for grant in ctx.catalog.default_grants:
            services = owners.get(grant.schema)
            if not services or ctx.is_ignored_schema(grant.schema):
                continue
            other = roles.get(grant.grantee)
            if grant.grantee == "PUBLIC":
                if grant.object_kind not in ("table", "sequence"):
                    continue
            elif other is None or other in services:
                continue
            key = (grant.schema, grant.owner, grant.object_kind, grant.grantee)
            held.setdefault(key, []).append(grant.privilege)
        for (schema, creator, kind, grantee), privileges in sorted(held.items()):
            listed = ", ".join(sorted(set(privileges)))
            who = grantee if grantee == "PUBLIC" else f"{grantee}, the role of {roles[grantee]},"
            grantee_sql = "PUBLIC" if grantee == "PUBLIC" else quote_ident(grantee)
            sql = (
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote_ident(creator)} IN SCHEMA "
                f"{quote_ident(schema)} REVOKE {listed} ON {_ON.get(kind, kind.upper())} "
                f"FROM {grantee_sql};"
            )
            yield self.finding(
                f"Every {kind} {creator} creates in schema {schema} of service "
                f"{owners[schema][0]} is granted {listed} to {who} by default privileges",
                f"Revoke the default: {sql}",
                object=schema,
                fix=Fix(sql, review=None),
            )
